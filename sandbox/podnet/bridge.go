package podnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// The shared network of --network bridge (rootless). Its state lives in
// StateRoot()/network:
//
//	lock          flock(2) around every change below
//	network.json  the holder (podctl-netns) and its pasta, with the boot id
//	leases/IP     one file per pod address: the pod's name, and a second
//	              line "allow-host-loopback" for --allow-host-loopback
//	network.log   the pasta's messages
//
// The network is made when its first pod needs it and taken down when its
// last lease is released (or, after a crash, by the next allocation or gc).
type sharedNetwork struct {
	Holder model.ProcRef `json:"holder"`
	Pasta  model.ProcRef `json:"pasta"`
	BootID string        `json:"bootID"`
}

func sharedNetworkDir() (string, error) {
	root, err := model.StateRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "network")
	if err := os.MkdirAll(filepath.Join(dir, "leases"), 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// withSharedNetwork runs fn with the network's lock held.
func withSharedNetwork(fn func(dir string) error) error {
	dir, err := sharedNetworkDir()
	if err != nil {
		return err
	}
	lock, err := model.LockFile(filepath.Join(dir, "lock"), unix.LOCK_EX)
	if err != nil {
		return fmt.Errorf("locking the shared network: %w", err)
	}
	defer lock.Close()
	return fn(dir)
}

func readSharedNetwork(dir string) (*sharedNetwork, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "network.json"))
	if err != nil {
		return nil, false
	}
	var n sharedNetwork
	if json.Unmarshal(b, &n) != nil || n.BootID != model.BootID() || !n.Holder.Alive() || !n.Pasta.Alive() {
		return &n, false
	}
	return &n, true
}

// JoinShared makes sure the network runs, leases the pod an address, and
// returns the address and, rootless, what the pod's pause stage needs:
// the network's user namespace (the pod's must be made inside it) and,
// with plug, its network namespace and the plug the stage makes there
// (nsenter/bridgeplug.c). Root's pods are plugged in by Glue.Start.
func JoinShared(pod string, allowHostLoopback, plug bool, ids idmap.Mapping) (shared *stage.SharedNetwork, ip string, err error) {
	if os.Geteuid() == 0 {
		// Root needs no holder: the bridge is in the host's network
		// namespace, and pods keep user namespaces of their own.
		err = withSharedNetwork(func(dir string) error {
			if !netsetup.BridgeExists() {
				explain.Printf("podctl", "makes bridge %s (%s) in the host's network namespace, forwarding on, nftables masquerade (table ip podctl)", netsetup.BridgeName, netsetup.BridgeSubnet)
				if err := netconf(0, -1, netsetup.NetconfRequest{Op: "bridge"}, nil); err != nil {
					netconf(0, -1, netsetup.NetconfRequest{Op: "remove"}, nil)
					return fmt.Errorf("the host's bridge: %w", err)
				}
			}
			ip, err = leaseIP(dir, pod, false)
			return err
		})
		return nil, ip, err
	}
	err = withSharedNetwork(func(dir string) (joinErr error) {
		n, ok := readSharedNetwork(dir)
		if !ok {
			if n != nil {
				stopSharedNetwork(dir, n) // what is left of one that died
			}
			if n, err = startSharedNetwork(dir, ids); err != nil {
				return err
			}
		}
		if ip, err = leaseIP(dir, pod, allowHostLoopback); err != nil {
			return err
		}
		// The lease is the pod's only once this returns: the caller
		// releases only what it was given. An address that was let
		// through to the host's loopback is filtered again without it, as
		// ReleaseShared does, or the next pod to lease it would inherit
		// that right.
		filtered := false
		defer func() {
			if joinErr != nil {
				os.Remove(filepath.Join(dir, "leases", ip))
				if filtered {
					refilter(dir, n)
				}
			}
		}()
		pidfd, err := unix.PidfdOpen(n.Holder.PID, 0)
		if err != nil {
			return err
		}
		defer unix.Close(pidfd)
		if !n.Holder.Alive() {
			return errors.New("the shared network's holder died")
		}
		if allowHostLoopback {
			filtered = true
			if err := filterSharedNetwork(dir, n.Holder.PID, pidfd); err != nil {
				return err
			}
		}
		shared = &stage.SharedNetwork{}
		if shared.Userns, err = netsetup.OpenNamespace(n.Holder.PID, pidfd, "user"); err != nil {
			return err
		}
		if plug {
			if shared.Netns, err = netsetup.OpenNamespace(n.Holder.PID, pidfd, "net"); err != nil {
				shared.Close()
				return err
			}
			shared.Plug = plugSpec(ip)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return shared, ip, err
}

// plugSpec is the plug of the pod at address ip: its veth's host side is
// named after the address, so unique on the bridge and within IFNAMSIZ.
func plugSpec(ip string) string {
	hostIf := fmt.Sprintf("podctl%d", netip.MustParseAddr(ip).As4()[3])
	return nsenter.PlugSpec(netsetup.BridgeName, hostIf, "eth0", ip, netsetup.BridgePrefix, netsetup.BridgeIP, netsetup.BridgeMTU)
}

// startSharedNetwork starts the holder, sets up its bridge and NAT, and
// connects it to the host with pasta; on error nothing of it is left.
func startSharedNetwork(dir string, ids idmap.Mapping) (n *sharedNetwork, err error) {
	explain.Printf("podctl", "starts the shared network: a podctl-netns process holding a user and a network namespace, a bridge %s (%s), and pasta for the way out", netsetup.BridgeName, netsetup.BridgeSubnet)
	cmd := &forkexec.Cmd{Path: stage.SelfExe, Args: []string{"podctl-netns"},
		Env: []string{nsenter.EnvStage + "=" + nsenter.StageNetns, nsenter.EnvSyncFD + "=3"},
		// Its own session: it outlives this command, and a Ctrl-C at
		// this command's terminal is not for it. No --explain
		// descriptor: it would keep the caller's stderr open for as
		// long as the network lives.
		Sys: &syscall.SysProcAttr{Setsid: true}}
	proc, sock, err := stage.SpawnStage("the shared network", cmd, nil, false)
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	n = &sharedNetwork{BootID: model.BootID()}
	defer func() {
		if err != nil {
			stage.Abandon(proc, sock, 0)
			if n.Pasta.PID > 0 {
				model.SignalProc(n.Pasta, unix.SIGKILL)
			}
			os.Remove(filepath.Join(dir, "network.json"))
			err = fmt.Errorf("the shared network (--network bridge): %w", err)
		}
	}()
	if err := stage.MapUserNS(sock, proc.Pid, ids, "the shared network", nil); err != nil {
		return n, err
	}
	if err := sock.SendText("mapped"); err != nil {
		return n, err
	}
	if word, _, err := sock.RecvText(); err != nil {
		return n, err
	} else if word != "ready" {
		return n, fmt.Errorf("expected 'ready', got %q", word)
	}
	n.Holder.PID = proc.Pid
	if n.Holder.StartTime, err = model.ProcStartTime(n.Holder.PID); err != nil {
		return n, err
	}
	if err := writeSharedNetwork(dir, n); err != nil {
		return n, err
	}
	if err := sock.SendText("recorded"); err != nil {
		return n, err
	}
	pidfd, err := unix.PidfdOpen(n.Holder.PID, 0)
	if err != nil {
		return n, err
	}
	defer unix.Close(pidfd)
	// The bridge, and before pasta maps the gateway to the host's
	// loopback, the filter by which nothing may go there yet
	// (filterSharedNetwork): one netconf stage for both.
	req, err := filterRequest(dir)
	if err != nil {
		return n, err
	}
	req.Op = "bridge"
	if err := netconf(n.Holder.PID, pidfd, req, nil); err != nil {
		return n, err
	}
	// The way out: pasta in the shared namespace, as for a pod of its
	// own, but detached: it lives as long as the network. Its gateway
	// leads to the host's loopback, for the pods nftables lets through.
	h, err := netsetup.Start(netsetup.Config{Mode: netsetup.Pasta, AllowHostLoopback: true}, n.Holder.PID, pidfd, dir, nil)
	if err != nil {
		return n, err
	}
	if err := h.Ready(helperReadyTimeout); err != nil {
		return n, err
	}
	n.Pasta.PID = h.PID
	n.Pasta.StartTime, _ = model.ProcStartTime(h.PID)
	h.Detach()
	proc.Release()
	return n, writeSharedNetwork(dir, n)
}

func writeSharedNetwork(dir string, n *sharedNetwork) error {
	b, _ := json.Marshal(n)
	tmp := filepath.Join(dir, "network.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "network.json"))
}

// stopSharedNetwork kills the holder and pasta (start times checked); the
// network namespace goes with its last process.
func stopSharedNetwork(dir string, n *sharedNetwork) {
	if n.BootID == model.BootID() {
		explain.Printf("podctl", "takes the shared network down: SIGKILL to pasta (pid %d) and podctl-netns (pid %d)", n.Pasta.PID, n.Holder.PID)
		model.SignalProc(n.Pasta, unix.SIGKILL)
		model.SignalProc(n.Holder, unix.SIGKILL)
		for deadline := time.Now().Add(2 * time.Second); (n.Pasta.Alive() || n.Holder.Alive()) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	os.Remove(filepath.Join(dir, "network.json"))
}

// netconf runs req in podctl-net: its netconf stage in the holder's
// namespaces (extra, if any, is its fd 5), or for root (holderPIDFD < 0)
// in the host's namespaces (extra is its fd 3).
func netconf(holderPID, holderPIDFD int, req netsetup.NetconfRequest, extra *os.File) error {
	bin, err := images.Binary(netsetup.NetBinary)
	if err != nil {
		return err
	}
	var files []*os.File
	env := []string{nsenter.EnvStage + "=" + nsenter.StageNetconf}
	if holderPIDFD < 0 {
		// Root's bridge is in the host's namespaces: no stage to enter.
		env = []string{netsetup.EnvNetconfHost + "=1"}
	} else {
		for _, kind := range []string{"user", "net"} {
			f, err := netsetup.OpenNamespace(holderPID, holderPIDFD, kind)
			if err != nil {
				return err
			}
			defer f.Close()
			files = append(files, f)
		}
	}
	if extra != nil {
		files = append(files, extra)
	}
	b, _ := json.Marshal(req)
	out, err := forkexec.Output(&forkexec.Cmd{Path: bin, Args: []string{"podctl-netconf"}, Env: env, ExtraFiles: files}, b)
	if err != nil {
		return fmt.Errorf("%s: %v", strings.TrimSpace(string(out)), err)
	}
	return nil
}

// refilter remakes the shared network's host-loopback filter from the
// leases as they are now (under the network's lock).
func refilter(dir string, n *sharedNetwork) {
	if pidfd, err := unix.PidfdOpen(n.Holder.PID, 0); err == nil {
		filterSharedNetwork(dir, n.Holder.PID, pidfd)
		unix.Close(pidfd)
	}
}

// leaseIP gives pod the lowest free address of the bridge's subnet. A
// lease whose pod no longer runs is taken back first.
func leaseIP(dir, pod string, allowHostLoopback bool) (string, error) {
	leases := filepath.Join(dir, "leases")
	pruneLeases(leases)
	ip := netip.MustParseAddr(netsetup.BridgeIP).Next()
	for ; ip.As4()[3] < 255; ip = ip.Next() {
		f, err := os.OpenFile(filepath.Join(leases, ip.String()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		content := pod
		if allowHostLoopback {
			content += "\n" + leaseAllowHostLoopback
		}
		_, err = f.WriteString(content)
		f.Close()
		return ip.String(), err
	}
	return "", fmt.Errorf("the shared network %s is full (253 pods)", netsetup.BridgeSubnet)
}

// leaseAllowHostLoopback is a lease's second line for a pod made with
// --allow-host-loopback.
const leaseAllowHostLoopback = "allow-host-loopback"

// lease is one file of leases/: an address, its pod, the pod's right to
// the host's loopback.
type lease struct {
	ip, pod, path     string
	allowHostLoopback bool
}

// readLeases lists the leases in the directory leases.
func readLeases(leases string) []lease {
	entries, _ := os.ReadDir(leases)
	var out []lease
	for _, e := range entries {
		p := filepath.Join(leases, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		pod, flag, _ := strings.Cut(string(b), "\n")
		out = append(out, lease{ip: e.Name(), pod: pod, path: p, allowHostLoopback: flag == leaseAllowHostLoopback})
	}
	return out
}

// pruneLeases removes the leases of pods that no longer run. A lease of
// the last minute whose pod has no state yet is a pod being created.
func pruneLeases(leases string) (left int) {
	for _, l := range readLeases(leases) {
		st, dir, err := model.ReadState(l.pod)
		if fi, serr := os.Stat(l.path); err != nil && serr == nil && time.Since(fi.ModTime()) < time.Minute {
			left++
			continue
		}
		// A pod still being created has no state yet, for as long as its
		// creator waits (a foreground run's image layer, made beside the
		// pod, may take longer than a minute): its creator holds the
		// pod's lock. Its address, and the bridge port named after it,
		// are still its own (nsenter/bridgeplug.c replaces a port of that
		// name as stale).
		if err != nil && dir != "" && model.SupervisorAlive(dir) {
			left++
			continue
		}
		if err != nil || !model.Running(st, dir) {
			os.Remove(l.path)
			continue
		}
		left++
	}
	return left
}

// releaseSharedNetwork gives back pod's lease (none for ""), and takes the
// network down when no pod uses it any more.
func ReleaseShared(pod string) {
	if root, err := model.StateRoot(); err != nil || !model.Exists(filepath.Join(root, "network")) {
		return // never made
	}
	withSharedNetwork(func(dir string) error {
		leases := filepath.Join(dir, "leases")
		allowed := false
		for _, l := range readLeases(leases) {
			if pod != "" && l.pod == pod {
				os.Remove(l.path)
				allowed = l.allowHostLoopback
			}
		}
		n, ok := readSharedNetwork(dir)
		if pruneLeases(leases) == 0 {
			if os.Geteuid() == 0 {
				explain.Printf("podctl", "removes bridge %s and table ip podctl from the host: its last pod is gone", netsetup.BridgeName)
				netconf(0, -1, netsetup.NetconfRequest{Op: "remove"}, nil)
			} else if n != nil {
				stopSharedNetwork(dir, n)
			}
		} else if allowed && ok {
			// Its address may go to another pod next: not with its right.
			refilter(dir, n)
		}
		return nil
	})
}

// attachBridge plugs root's pod into the bridge of the host's network
// namespace, from here (nsenter/bridgeplug.c, as the rootless pods' stage
// does; root has CAP_NET_ADMIN over both namespaces already).
func (g *Glue) attachBridge() error {
	spec := plugSpec(g.state.IP)
	explain.Printf("podctl", "plugs pod %s into %s of the host's network namespace, as root: %s (rtnetlink: RTM_NEWLINK with the peer's IFLA_NET_NS_FD, RTM_DELNEIGH; in the pod's namespace RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE)", g.pod, netsetup.BridgeName, spec)
	podNS, err := netsetup.OpenNamespace(g.pausePID, g.pauseFD, "net")
	if err != nil {
		return err
	}
	defer podNS.Close()
	return nsenter.BridgePlug(podNS, spec)
}

// filterSharedNetwork sets the nftables rules by which only the pods
// leased with --allow-host-loopback reach the host's loopback (the
// shared pasta's gateway address).
func filterSharedNetwork(dir string, holderPID, holderPIDFD int) error {
	req, err := filterRequest(dir)
	if err != nil {
		return err
	}
	return netconf(holderPID, holderPIDFD, req, nil)
}

// filterRequest is the "filter" request for the leases of dir.
func filterRequest(dir string) (netsetup.NetconfRequest, error) {
	var allowed []string
	for _, l := range readLeases(filepath.Join(dir, "leases")) {
		if l.allowHostLoopback {
			allowed = append(allowed, l.ip)
		}
	}
	gw := netsetup.HostGateway()
	if gw == "" {
		return netsetup.NetconfRequest{}, errors.New("the host has no IPv4 default route for the shared network's pasta to copy")
	}
	return netsetup.NetconfRequest{Op: "filter", Gateway: gw, Allowed: allowed}, nil
}
