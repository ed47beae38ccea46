package e2e

// Networking end to end: every mode with real traffic, on loopback and in
// the pods' own namespaces only (never any other address; see NOTES).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/model"
)

// freePort finds a loopback port nobody listens on for proto.
func freePort(t *testing.T, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ask sends msg to a published port on the host's loopback and returns the
// pod's answer ("peer=IP:PORT got=MSG"), retrying while the server in the
// pod starts.
func ask(t *testing.T, proto string, port int, msg string) string {
	t.Helper()
	return askFrom(t, proto, "127.0.0.1", port, msg)
}

// askFrom is ask to port on ip, an address of this host, from that address.
func askFrom(t *testing.T, proto, ip string, port int, msg string) string {
	t.Helper()
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	d := net.Dialer{Timeout: time.Second}
	if proto == "udp" {
		d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(ip)}
	} else {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := d.Dial(proto, addr)
		if err != nil {
			last = err
			continue
		}
		c.SetDeadline(time.Now().Add(time.Second))
		fmt.Fprintln(c, msg)
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil {
			return strings.TrimSpace(line)
		}
		last = err
	}
	t.Fatalf("%s %s: no answer: %v", proto, addr, last)
	return ""
}

// peerIP is the address part of an answer's peer=IP:PORT.
func peerIP(t *testing.T, answer string) string {
	t.Helper()
	f := strings.Fields(answer)
	if len(f) == 0 || !strings.HasPrefix(f[0], "peer=") {
		t.Fatalf("unexpected answer %q", answer)
	}
	host, _, err := net.SplitHostPort(strings.TrimPrefix(f[0], "peer="))
	if err != nil {
		t.Fatal(err)
	}
	return host
}

// hostService listens on the host's loopback for the test's duration and
// answers each connection's first line with "WORD=LINE"; it returns the port.
func hostService(t *testing.T, word string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "%s=%s", word, line)
			c.Close()
		}
	}()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func helperPID(t *testing.T, pod string) int {
	t.Helper()
	return state(t, pod).Network.Helper.PID
}

// Published TCP and UDP ports reach the pod in each rootless mode; the
// workload sees the client's real address with pasta (slirp4netns shows
// its gateway, as documented); ps and inspect show the pod's address, and
// it is the one the pod's interface has; after rm the same host ports can
// be published again at once.
//
// UDP works around two helper bugs of Debian 12 (netsetup.Config.Notices):
// pasta's loopback path loses UDP answers, so the UDP client is on the
// host's own non-loopback address (pasta's tap path, which presents it as
// the gateway and needs the gateway mapped back to the host); slirp4netns
// sends UDP answers to its gateway too. Both need --allow-host-loopback.
func TestPublishedPorts(t *testing.T) {
	for _, mode := range []string{"pasta", "slirp4netns"} {
		t.Run(mode, func(t *testing.T) {
			leakCheck(t)
			tcp, udp := freePort(t, "tcp"), freePort(t, "udp")
			pod := "net-" + strings.TrimSuffix(mode, "4netns")
			podRm(t, pod)
			udpFlag, udpFrom := fmt.Sprintf("127.0.0.1:%d:9090/udp", udp), "127.0.0.1"
			extra := []string{"--allow-host-loopback"}
			if mode == "pasta" {
				udpFlag = fmt.Sprintf("%d:9090/udp", udp)
			}
			for round := 0; round < 2; round++ {
				args := append([]string{"run", "-d", "--name", pod, "--network", mode,
					"-p", fmt.Sprintf("127.0.0.1:%d:8080", tcp), "-p", udpFlag}, extra...)
				mustRun(t, append(args, "--rootfs", rootfs, "--", "/bin/sh", "-c", "nettool serve udp :9090 & exec nettool serve tcp :8080")...)
				st := state(t, pod)
				want := map[string]string{"pasta": "127.0.0.1", "slirp4netns": "10.0.2.2"}[mode]
				if got := peerIP(t, ask(t, "tcp", tcp, "hello")); got != want {
					t.Errorf("TCP through the published port: the workload saw the client as %s, want %s", got, want)
				}
				if mode == "pasta" {
					udpFrom = st.Network.IP // the host's own address, which pasta gave the pod
				}
				if a := askFrom(t, "udp", udpFrom, udp, "dgram"); !strings.HasSuffix(a, "got=dgram") {
					t.Errorf("UDP through the published port: answer %q", a)
				}
				out := mustRun(t, "exec", pod, "--", "ip", "-4", "-o", "addr", "show", "scope", "global")
				if st.Network.IP == "" || !strings.Contains(out, " "+st.Network.IP+"/") {
					t.Errorf("state says the pod's IP is %q; its interface has: %s", st.Network.IP, out)
				}
				wide := mustRun(t, "ps", "-o", "wide")
				if !strings.Contains(wide, st.Network.IP) || !strings.Contains(wide, fmt.Sprintf("127.0.0.1:%d:8080/tcp", tcp)) {
					t.Errorf("ps -o wide does not show the pod's IP and ports:\n%s", wide)
				}
				// Removed, and made again on the same ports at once
				// (round 2): no "address already in use".
				mustRun(t, "rm", "-f", pod)
			}
		})
	}
}

// The containers of a pod share one localhost: a proxy reaches its
// neighbour at 127.0.0.1, in the default mode too.
func TestPodLocalhost(t *testing.T) {
	leakCheck(t)
	podRm(t, "net-lo")
	mustRun(t, "pod", "create", "net-lo")
	mustRun(t, "run", "-d", "--pod", "net-lo", "--name", "server", "--rootfs", rootfs, "--", "nettool", "serve", "tcp", "127.0.0.1:2368")
	var out string
	eventually(t, "the neighbour answering on 127.0.0.1:2368", func() bool {
		r := run(t, "run", "--rm", "--pod", "net-lo", "--name", "client", "--rootfs", rootfs, "--", "nettool", "dial", "tcp", "127.0.0.1:2368", "from-client")
		out = r.stdout
		return r.code == 0
	})
	if !strings.Contains(out, "got=from-client") || !strings.HasPrefix(out, "peer=127.0.0.1:") {
		t.Errorf("answer %q", out)
	}
	if m := state(t, "net-lo").Spec.Network.Mode; m != "pasta" {
		t.Errorf("default mode %q, want pasta (installed here)", m)
	}
}

// The host's loopback services are out of reach unless asked for; with
// --allow-host-loopback they are host.containers.internal.
func TestHostLoopback(t *testing.T) {
	port := hostService(t, "host-answer")
	for _, mode := range []string{"pasta", "slirp4netns"} {
		t.Run(mode, func(t *testing.T) {
			leakCheck(t)
			// Not allowed: the pod's 127.0.0.1 is its own, and the gateway
			// does not lead to the host (slirp4netns' 10.0.2.2 is refused).
			// pasta's gateway address would be a real outside address, so
			// it is not dialled here.
			script := "nettool dial tcp 127.0.0.1:" + port + "; grep -c host.containers.internal /etc/hosts"
			if mode == "slirp4netns" {
				script += "; nettool dial tcp 10.0.2.2:" + port
			}
			r := podRun(t, []string{"--network", mode}, sh(script)...)
			if strings.Contains(r.stdout, "host-answer") || !strings.Contains(r.stdout, "0\n") {
				t.Errorf("without --allow-host-loopback the pod reached the host (or /etc/hosts names it): %q %q", r.stdout, r.stderr)
			}
			r = podRun(t, []string{"--network", mode, "--allow-host-loopback"}, "nettool", "dial", "tcp", "host.containers.internal:"+port)
			if r.code != 0 || !strings.Contains(r.stdout, "host-answer") {
				t.Errorf("with --allow-host-loopback: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// --network none is loopback only; --network host is the host's own
// network namespace (same inode), and the pod's other namespaces stay its
// own.
func TestNetworkNoneAndHost(t *testing.T) {
	leakCheck(t)
	r := podRun(t, []string{"--network", "none"}, sh("ls /sys/class/net; cat /etc/resolv.conf")...)
	if strings.TrimSpace(strings.SplitN(r.stdout, "\n", 2)[0]) != "lo" || strings.Contains(r.stdout, "\nnameserver") {
		t.Errorf("--network none: %q", r.stdout)
	}
	self, _ := os.Readlink("/proc/self/ns/net")
	selfUTS, _ := os.Readlink("/proc/self/ns/uts")
	r = podRun(t, []string{"--network", "host"}, sh("readlink /proc/self/ns/net; readlink /proc/self/ns/uts")...)
	lines := strings.Fields(r.stdout)
	if r.code != 0 || len(lines) != 2 || lines[0] != self || lines[1] == selfUTS {
		t.Errorf("--network host: net %q uts %q (host: %s %s), exit %d %s", r.stdout, "", self, selfUTS, r.code, r.stderr)
	}
	// exec joins a host-network pod too (without setns into the host's
	// network namespace, which the pod's user namespace may not do).
	podRm(t, "net-host")
	mustRun(t, "run", "-d", "--name", "net-host", "--network", "host", "--rootfs", rootfs, "--", "sleep", "100")
	if out := strings.TrimSpace(mustRun(t, "exec", "net-host", "--", "readlink", "/proc/self/ns/net")); out != self {
		t.Errorf("exec into a host-network pod: net %s, want %s", out, self)
	}
}

// --dns, --dns-search, --dns-option, --add-host and --hostname shape the
// pod's resolv.conf and hosts; the pod's name resolves to its address. No
// name is looked up: the files are read.
func TestDNSAndHosts(t *testing.T) {
	leakCheck(t)
	r := podRun(t, []string{"--hostname", "web", "--dns", "192.0.2.53", "--dns-search", "corp.test", "--dns-option", "ndots:2",
		"--add-host", "db.test:192.0.2.10", "--add-host", "v6.test:[2001:db8::1]"}, sh("cat /etc/resolv.conf /etc/hosts; hostname")...)
	for _, want := range []string{"nameserver 192.0.2.53\n", "search corp.test\n", "options ndots:2\n", "192.0.2.10\tdb.test\n", "2001:db8::1\tv6.test\n", "\tweb\n", "web\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "127.0.1.1") {
		t.Errorf("a connected pod's name should resolve to its address, not 127.0.1.1:\n%s", r.stdout)
	}
	// Without --dns: the nameservers the mode provides.
	r = podRun(t, []string{"--network", "slirp4netns"}, "cat", "/etc/resolv.conf")
	if !strings.Contains(r.stdout, "nameserver 10.0.2.3\n") {
		t.Errorf("slirp4netns resolv.conf:\n%s", r.stdout)
	}
}

// Bad network input: one clear error naming the flag, nothing created.
func TestNetworkBadInput(t *testing.T) {
	leakCheck(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	inUse := busy.Addr().(*net.TCPAddr).Port
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"-p", "80800:80"}, `-p "80800:80": host port "80800" is not a number from 1 to 65535`},
		{[]string{"-p", "8080:80/sctp"}, `protocol "sctp" is neither tcp nor udp`},
		{[]string{"-p", "1.2.3:8080:80"}, `"1.2.3" is not an IPv4 address`},
		{[]string{"-p", ":80"}, "the host port is empty"},
		{[]string{"-p", fmt.Sprintf("127.0.0.1:%d:80", inUse)}, fmt.Sprintf("host port %d/tcp is already in use", inUse)},
		{[]string{"-p", "80:80"}, "net.ipv4.ip_unprivileged_port_start"},
		{[]string{"-p", "18080:80", "-p", "18080:81"}, "both publish host port 18080/tcp"},
		{[]string{"--network", "bogus"}, `--network "bogus": use pasta, slirp4netns, bridge, host or none`},
		{[]string{"--network", "none", "-p", "18080:80"}, "--network none publishes no ports"},
		{[]string{"--dns", "not-an-ip"}, `--dns "not-an-ip" is not an IP address`},
		{[]string{"--add-host", "nocolon"}, "the form is NAME:IP"},
		{[]string{"--network", "none", "--allow-host-loopback"}, "--allow-host-loopback: applies to --network pasta or slirp4netns"},
		{[]string{"--network", "slirp4netns", "-p", "18080:80/udp"}, "slirp4netns drops the pod's UDP answers unless"},
		{[]string{"--network", "bridge", "-p", "18080:80/udp"}, "--network bridge publishes TCP ports only"},
	}
	for _, c := range cases {
		if c.flags[1] == "80:80" && os.Geteuid() == 0 {
			continue // root may bind port 80
		}
		r := podRun(t, c.flags, "/bin/true")
		if r.code != 125 || !strings.Contains(r.stderr, c.want) || len(errorLines(r.stderr)) != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 125 and %q", c.flags, r.code, r.stderr, c.want)
		}
	}
}

// A network helper killed under a running pod: the death is recorded in
// the pod's state, a new helper is attached to the same namespace, and the
// published port works again. rm leaves nothing behind.
func TestNetworkHelperKilled(t *testing.T) {
	leakCheck(t)
	podRm(t, "net-kill")
	port := freePort(t, "tcp")
	mustRun(t, "run", "-d", "--name", "net-kill", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), "--rootfs", rootfs, "--", "nettool", "serve", "tcp", ":8080")
	ask(t, "tcp", port, "before")
	old := helperPID(t, "net-kill")
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", old)); !strings.HasPrefix(string(comm), "passt") {
		t.Fatalf("helper pid %d is %q, not pasta", old, comm)
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var st *model.PodState
	eventually(t, "the helper restarted", func() bool {
		st = state(t, "net-kill")
		return st.Network.Restarts == 1 && st.Network.Helper.PID > 0 && st.Network.Helper.PID != old && !st.Network.Down
	})
	if !strings.Contains(st.Network.Message, "killed by SIGKILL") || st.Phase != model.PhaseRunning {
		t.Errorf("state after the helper's death: phase %s, message %q", st.Phase, st.Network.Message)
	}
	if a := ask(t, "tcp", port, "after"); !strings.HasSuffix(a, "got=after") {
		t.Errorf("after the restart: %q", a)
	}
	mustRun(t, "rm", "-f", "net-kill")
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", st.Network.Helper.PID)); err == nil {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", st.Network.Helper.PID)); !strings.Contains(string(b), ") Z") {
			t.Errorf("the helper %d outlived its pod", st.Network.Helper.PID)
		}
	}
}

// The helper's restart back-off (docs/networking.md): a second death
// within the pod's life is answered after 1 s, not at once, and meanwhile
// the state says the network is down and ps -o wide shows "pasta (down)".
// The bounds tell the 1 s honoured from skipped, not a speed. The
// hibernating stage runs this too (the keeper wakes for the death and the
// timer).
func TestNetworkHelperBackOff(t *testing.T) {
	leakCheck(t)
	podRm(t, "net-backoff")
	mustRun(t, "run", "-d", "--name", "net-backoff", "--rootfs", rootfs, "--", "sleep", "1000")
	for kill := 1; kill <= 2; kill++ {
		old := helperPID(t, "net-backoff")
		if old <= 0 {
			t.Fatalf("no helper before kill %d", kill)
		}
		killed := time.Now()
		syscall.Kill(old, syscall.SIGKILL)
		if kill == 2 {
			eventually(t, "the network down during the back-off", func() bool {
				return state(t, "net-backoff").Network.Down
			})
			if wide := mustRun(t, "ps", "-o", "wide"); !strings.Contains(wide, "pasta (down)") {
				t.Errorf("ps -o wide during the back-off:\n%s", wide)
			}
		}
		var st *model.PodState
		eventually(t, fmt.Sprintf("restart %d", kill), func() bool {
			st = state(t, "net-backoff")
			return st.Network.Restarts == kill && st.Network.Helper.PID > 0 && st.Network.Helper.PID != old && !st.Network.Down
		})
		took := time.Since(killed)
		if kill == 2 && (took < 900*time.Millisecond || took > 8*time.Second) {
			t.Errorf("the second restart came %s after the death, want the 1 s back-off", took)
		}
	}
}

// The pod's state records the network as JSON that inspect prints.
func TestInspectNetwork(t *testing.T) {
	leakCheck(t)
	podRm(t, "net-insp")
	mustRun(t, "run", "-d", "--name", "net-insp", "--network", "slirp4netns", "-p", "127.0.0.1:18181:80", "--rootfs", rootfs, "--", "sleep", "100")
	var st model.PodState
	if err := json.Unmarshal([]byte(mustRun(t, "inspect", "net-insp")), &st); err != nil {
		t.Fatal(err)
	}
	n := st.Network
	if n.IP != "10.0.2.100" || n.Gateway != "10.0.2.2" || len(n.Ports) != 1 || n.Ports[0].HostPort != 18181 || n.Helper.PID == 0 {
		t.Errorf("inspect's network: %+v", n)
	}
	log := filepath.Join(stateDir(), "net-insp", "network.log")
	if _, err := os.Stat(log); err != nil {
		t.Errorf("the helper's log: %v", err)
	}
}

// After a crash (supervisor and pause killed: nothing of the pod ran its
// teardown), podctl gc removes the pod, takes its lease back and stops the
// shared network it was the last pod of: the holder and its pasta
// rootless, the podctl0 bridge as root (docs/networking.md).
func TestBridgeGC(t *testing.T) {
	leakCheck(t)
	podRm(t, "br-gc")
	mustRun(t, "run", "-d", "--name", "br-gc", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "1000")
	st := state(t, "br-gc")
	leases := filepath.Join(filepath.Dir(stateDir()), "network", "leases")
	if os.Getuid() != 0 {
		if l := listDir(leases); len(l) != 1 || l[0] != st.Network.IP {
			t.Errorf("leases while the pod runs: %v, want [%s]", l, st.Network.IP)
		}
	}
	holders := func() []int {
		var out []int
		for _, e := range listDir("/proc") {
			pid, err := strconv.Atoi(e)
			if err != nil {
				continue
			}
			if c, _ := os.ReadFile("/proc/" + e + "/comm"); strings.TrimSpace(string(c)) == "podctl-netns" {
				if fi, err := os.Stat("/proc/" + e); err == nil && fi.Sys().(*syscall.Stat_t).Uid == uint32(os.Getuid()) {
					out = append(out, pid)
				}
			}
		}
		return out
	}
	if os.Getuid() != 0 && len(holders()) != 1 {
		t.Fatalf("shared network holders while the pod runs: %v, want one", holders())
	}
	syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
	eventually(t, "the supervisor gone", func() bool { return !model.SupervisorAlive(filepath.Join(stateDir(), "br-gc")) })
	syscall.Kill(st.Pause.PID, syscall.SIGKILL)
	eventually(t, "the pause gone", func() bool { return syscall.Kill(st.Pause.PID, 0) != nil })
	if out := mustRun(t, "gc"); !strings.Contains(out, "br-gc") {
		t.Errorf("gc did not remove the crashed pod: %q", out)
	}
	if os.Getuid() == 0 {
		if _, err := net.InterfaceByName("podctl0"); err == nil {
			t.Error("root's bridge outlived gc of its last pod")
		}
		return
	}
	if l := listDir(leases); len(l) != 0 {
		t.Errorf("leases after gc: %v", l)
	}
	eventually(t, "the holder stopped by gc", func() bool { return len(holders()) == 0 })
}

// A pod whose plug into the shared network fails (an interface of its
// veth's name is in the bridge's namespace already) is not made: the error
// names the step and the kernel's reason, and nothing is left of it (no
// state, no lease, no process: leakCheck). The control: with that
// interface gone, the same command works.
func TestBridgePlugFails(t *testing.T) {
	leakCheck(t)
	podRm(t, "br-keep")
	podRm(t, "br-fail")
	mustRun(t, "run", "-d", "--name", "br-keep", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "1000")
	defer podRm(t, "br-keep")
	keep := state(t, "br-keep").Network.IP
	// Leases take the lowest free address: the next pod's is the one after.
	next := netip.MustParseAddr(keep).Next()
	hostIf := fmt.Sprintf("podctl%d", next.As4()[3])
	ip := func(args ...string) {
		t.Helper()
		if out, err := sharedNetworkIP(t, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	// A veth pair: the kernels here may have no dummy driver.
	ip("link", "add", "name", hostIf, "type", "veth", "peer", "name", hostIf+"p")
	r := run(t, "run", "--rm", "--name", "br-fail", "--network", "bridge", "--rootfs", rootfs, "--", "true")
	want := "making veth pair " + hostIf + " (on podctl0) and eth0"
	if r.code == 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "file exists") && !strings.Contains(r.stderr, "File exists") {
		t.Errorf("a pod whose veth name is taken: code %d, stderr %q; want an error with %q and EEXIST", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(stateDir(), "br-fail")); err == nil {
		t.Error("the failed pod's state directory is left")
	}
	if os.Getuid() != 0 {
		if l := listDir(filepath.Join(filepath.Dir(stateDir()), "network", "leases")); len(l) != 1 || l[0] != keep {
			t.Errorf("leases after the failed plug: %v, want [%s]", l, keep)
		}
	}
	// The same name as a port of the bridge is what the address's previous
	// pod leaves while the kernel takes its network namespace down: the
	// plug replaces it (the pair goes, its other end with it).
	ip("link", "set", hostIf, "master", "podctl0")
	if r := run(t, "run", "--rm", "--name", "br-fail", "--network", "bridge", "--rootfs", rootfs, "--", "true"); r.code != 0 {
		t.Errorf("over a stale port of the same name: code %d, stderr %q", r.code, r.stderr)
	}
	if r := ipOut(t, "link", "show", hostIf+"p"); !strings.Contains(r, "does not exist") {
		t.Errorf("the stale pair's other end is still there: %q", r)
	}
}

// Back-to-back bridge pods take the same address: each must start although
// the previous pod's host side may still be on the bridge (the kernel takes
// a network namespace's devices down later, from a work queue). One in five
// failed with EEXIST before the plug replaced a stale port.
func TestBridgeBackToBack(t *testing.T) {
	leakCheck(t)
	podRm(t, "br-hold")
	mustRun(t, "run", "-d", "--name", "br-hold", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "1000")
	defer podRm(t, "br-hold")
	for i := 0; i < 25; i++ {
		if r := run(t, "run", "--rm", "--network", "bridge", "--rootfs", rootfs, "--", "true"); r.code != 0 {
			t.Fatalf("pod %d of 25: code %d, stderr %q", i+1, r.code, r.stderr)
		}
	}
}

// A pod that fails to join the shared network after leasing its address
// gives the address back: here the host-loopback filter cannot be made,
// because this podctl has no podctl-net beside it or in $PATH.
func TestBridgeLeaseOnFailure(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root's bridge has no holder nor filter step after the lease")
	}
	leakCheck(t)
	podRm(t, "br-keep")
	mustRun(t, "run", "-d", "--name", "br-keep", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "1000")
	defer podRm(t, "br-keep")
	keep := state(t, "br-keep").Network.IP
	lone := filepath.Join(t.TempDir(), "podctl")
	b, err := os.ReadFile(podctl)
	if err == nil {
		err = os.WriteFile(lone, b, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	args := []string{"run", "--rm", "--network", "bridge", "--allow-host-loopback", "--rootfs", rootfs, "--", "true"}
	cmd := exec.Command(lone, args...)
	cmd.Env = append(os.Environ(), path)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "podctl-net") {
		t.Fatalf("without podctl-net: %v, %s; want a failure naming podctl-net", err, out)
	}
	if l := listDir(filepath.Join(filepath.Dir(stateDir()), "network", "leases")); len(l) != 1 || l[0] != keep {
		t.Errorf("leases after the failed join: %v, want [%s]", l, keep)
	}
	// The control: with podctl-net, the same pod joins.
	if r := run(t, args...); r.code != 0 {
		t.Errorf("with podctl-net: code %d, stderr %q", r.code, r.stderr)
	}
}

// The first bridge pod starts the shared network; if it then fails to
// join it, the network goes with it: no holder, no pasta, no record
// (leakCheck). The fault: a podctl-net beside this podctl that does the
// network's set-up, then fails the next request (the host-loopback
// filter of the pod's own address). The control: the network was up
// before the failure.
func TestBridgeFirstPodFailsAfterStart(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root's bridge has no holder nor filter step after the lease")
	}
	leakCheck(t)
	network := filepath.Join(filepath.Dir(stateDir()), "network", "network.json")
	if _, err := os.Stat(network); err == nil {
		t.Fatalf("a shared network is up before the test (%s): a bridge pod was left by another test", network)
	}
	real, err := filepath.Abs(filepath.Join(filepath.Dir(podctl), "podctl-net"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(podctl)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "podctl"), b, 0o755)
	}
	count := filepath.Join(dir, "calls")
	wrapper := "#!/bin/sh\necho x >>" + count + "\n" +
		"if [ $(wc -l <" + count + ") -gt 1 ]; then echo injected failure >&2; exit 1; fi\n" +
		"exec " + real + " \"$@\"\n"
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "podctl-net"), []byte(wrapper), 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "podctl"), "run", "--rm", "--network", "bridge", "--allow-host-loopback", "--rootfs", rootfs, "--", "true")
	cmd.Env = append(os.Environ(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	out, err := cmd.CombinedOutput()
	calls, _ := os.ReadFile(count)
	// Its second call fails (later ones, the filter made again without
	// the pod's address, fail too).
	if err == nil || !strings.Contains(string(out), "injected failure") || strings.Count(string(calls), "x") < 2 {
		t.Fatalf("the pod: %v, %s; podctl-net called %d times; want a failure at its second call", err, out, strings.Count(string(calls), "x"))
	}
	if _, err := os.Stat(network); err == nil {
		t.Error("the shared network's record is left after its only pod failed")
	}
}

// A pod still being created (its creator holds its lock and has not
// written its state: a foreground run waiting for its image's layer, made
// beside the pod) keeps its address past the lease's first minute:
// another pod's start must not take it back, or that pod would get the
// address and replace the first pod's bridge port as stale. The control:
// once the lock is free, the next start takes the lease back.
func TestBridgeLeaseOfPodBeingCreated(t *testing.T) {
	leakCheck(t)
	podRm(t, "br-keep")
	mustRun(t, "run", "-d", "--name", "br-keep", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "1000")
	defer podRm(t, "br-keep")
	dir := filepath.Join(stateDir(), "br-creating")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	lock, err := os.OpenFile(filepath.Join(dir, "supervisor.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	lease := filepath.Join(filepath.Dir(stateDir()), "network", "leases", "10.90.0.200")
	if err := os.WriteFile(lease, []byte("br-creating"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(lease)
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(lease, old, old); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "run", "--rm", "--network", "bridge", "--rootfs", rootfs, "--", "true")
	if _, err := os.Stat(lease); err != nil {
		t.Fatalf("the lease of a pod being created (its lock held) was taken back: %v", err)
	}
	lock.Close()
	mustRun(t, "run", "--rm", "--network", "bridge", "--rootfs", rootfs, "--", "true")
	if _, err := os.Stat(lease); err == nil {
		t.Error("the lease of a pod whose creation ended (lock free, no state) was kept")
	}
}

// sharedNetworkIP is ip(8) with args in the shared network's namespace
// (root's bridge is on the host).
func sharedNetworkIP(t *testing.T, args ...string) *exec.Cmd {
	if os.Getuid() == 0 {
		return exec.Command("ip", args...)
	}
	return exec.Command("nsenter", append([]string{"-t", sharedNetworkHolder(t), "-U", "-n", "--preserve-credentials", "--", "ip"}, args...)...)
}

// ipOut is sharedNetworkIP's output and error output, whatever its status.
func ipOut(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := sharedNetworkIP(t, args...).CombinedOutput()
	return string(out)
}

// sharedNetworkHolder is the pid of the user's shared network holder
// (podctl-netns), from the network's record.
func sharedNetworkHolder(t *testing.T) string {
	t.Helper()
	var n struct {
		Holder model.ProcRef `json:"holder"`
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(stateDir()), "network", "network.json"))
	if err != nil || json.Unmarshal(b, &n) != nil || n.Holder.PID == 0 {
		t.Fatalf("the shared network's record: %v %s", err, b)
	}
	return strconv.Itoa(n.Holder.PID)
}

// --network bridge: pods of one user reach each other by address through
// the shared network (rootless: a bridge in one network namespace of the
// user's, pasta its way out; root: a bridge on the host); each pod has its
// own address, the other pod sees the real one, and the network goes when
// its last pod does.
func TestBridgePodToPod(t *testing.T) {
	leakCheck(t)
	podRm(t, "br-a")
	podRm(t, "br-b")
	port := freePort(t, "tcp")
	mustRun(t, "run", "-d", "--name", "br-a", "--network", "bridge", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), "--rootfs", rootfs, "--",
		"/bin/sh", "-c", "nettool serve udp :9090 & exec nettool serve tcp :8080")
	mustRun(t, "run", "-d", "--name", "br-b", "--network", "bridge", "--rootfs", rootfs, "--", "sleep", "100")
	a, b := state(t, "br-a").Network, state(t, "br-b").Network
	if a.IP == "" || b.IP == "" || a.IP == b.IP || a.Gateway != "10.90.0.1" {
		t.Fatalf("addresses: a %+v, b %+v", a, b)
	}
	var out string
	eventually(t, "pod b reaching pod a by address", func() bool {
		r := run(t, "exec", "br-b", "--", "nettool", "dial", "tcp", a.IP+":8080", "hello-a")
		out = r.stdout
		return r.code == 0
	})
	if !strings.Contains(out, "got=hello-a") || !strings.HasPrefix(out, "peer="+b.IP+":") {
		t.Errorf("TCP from b (%s) to a (%s): %q", b.IP, a.IP, out)
	}
	// a's published port, through podctl's own forwarder (the ports
	// stage): the workload sees the pod's loopback, as with pasta.
	if got := peerIP(t, ask(t, "tcp", port, "from-host")); got != "127.0.0.1" {
		t.Errorf("through the bridge pod's published port the workload saw %s", got)
	}
	r := run(t, "exec", "br-b", "--", "nettool", "dial", "udp", a.IP+":9090", "dgram")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "peer="+b.IP+":") {
		t.Errorf("UDP from b to a: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Each pod's own network namespace, its own eth0 and route.
	if out := mustRun(t, "exec", "br-a", "--", "ip", "route"); !strings.Contains(out, "default via 10.90.0.1 dev eth0") {
		t.Errorf("pod a's routes: %s", out)
	}
	if nsInode(t, strconv.Itoa(pausePID(t, "br-a")), "net") == nsInode(t, strconv.Itoa(pausePID(t, "br-b")), "net") {
		t.Error("the two pods share a network namespace")
	}
	wide := mustRun(t, "ps", "-o", "wide")
	if !strings.Contains(wide, a.IP) || !strings.Contains(wide, b.IP) {
		t.Errorf("ps -o wide:\n%s", wide)
	}
	if os.Getuid() == 0 {
		// Root's bridge is on the host: podctl0, there while its pods are.
		if _, err := net.InterfaceByName("podctl0"); err != nil {
			t.Errorf("root's bridge: %v", err)
		}
		mustRun(t, "rm", "-f", "br-a")
		mustRun(t, "rm", "-f", "br-b")
		if _, err := net.InterfaceByName("podctl0"); err == nil {
			t.Error("root's bridge outlived its last pod")
		}
		return
	}
	// The way out of the shared network (NAT, then pasta) reaches the
	// host's loopback for a pod allowed to, as host.containers.internal;
	// another pod's packets to that address are dropped in the shared
	// namespace (nftables), so they never leave the machine.
	hport := hostService(t, "host-got")
	// Before any pod allowed to: the filter made with the network itself.
	if r := run(t, "exec", "br-b", "--", "nettool", "dial", "tcp", netsetup.HostGateway()+":"+hport, "not-allowed"); r.code == 0 {
		t.Errorf("a bridge pod reached the host's loopback through a network with no pod allowed to: %q", r.stdout)
	}
	r = podRun(t, []string{"--network", "bridge", "--allow-host-loopback"}, "nettool", "dial", "tcp", "host.containers.internal:"+hport, "via-nat")
	if r.code != 0 || !strings.Contains(r.stdout, "host-got=via-nat") {
		t.Errorf("bridge pod with --allow-host-loopback to the host: %d %q %q", r.code, r.stdout, r.stderr)
	}
	gw := strings.Fields(mustRun(t, "run", "--rm", "--network", "bridge", "--allow-host-loopback", "--rootfs", rootfs, "--", "grep", "host.containers.internal", "/etc/hosts"))[0]
	if r := run(t, "exec", "br-b", "--", "nettool", "dial", "tcp", gw+":"+hport, "not-allowed"); r.code == 0 {
		t.Errorf("a bridge pod without --allow-host-loopback reached the host's loopback: %q", r.stdout)
	}
	// The network outlives one pod, not both.
	holder := func() bool {
		out, _ := exec.Command("pgrep", "-u", strconv.Itoa(os.Getuid()), "-x", "podctl-netns").Output()
		return len(strings.TrimSpace(string(out))) > 0
	}
	if !holder() {
		t.Error("no podctl-netns process while the pods run")
	}
	mustRun(t, "rm", "-f", "br-a")
	if !holder() {
		t.Error("the shared network went with its first pod")
	}
	mustRun(t, "rm", "-f", "br-b")
	eventually(t, "the shared network gone with its last pod", func() bool { return !holder() })
}

// The network helpers run sandboxed, as docs/networking.md says: pasta in
// namespaces of its own (mount, IPC, UTS) and the pod's user namespace, so
// what capabilities it keeps are the pod's, not the host's; both with a
// seccomp filter and no_new_privs (slirp4netns: --enable-sandbox
// --enable-seccomp). As root too, where pasta keeps root (--runas 0:0).
func TestNetworkHelperSandboxed(t *testing.T) {
	leakCheck(t)
	for _, mode := range []string{"pasta", "slirp4netns"} {
		t.Run(mode, func(t *testing.T) {
			pod := "sandboxed-" + mode
			podRm(t, pod)
			mustRun(t, "run", "-d", "--name", pod, "--network", mode, "--rootfs", rootfs, "--", "sleep", "1000")
			pid := helperPID(t, pod)
			// Its argv[0] names the pod, for rm -f and gc when the
			// pod's state is lost (sandbox/model/unrecorded.go).
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !strings.HasPrefix(string(b), mode+":"+pod+":") {
				t.Errorf("the helper's argv: %q", b)
			}
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			field := func(name string) string {
				m := regexp.MustCompile(`(?m)^` + name + `:\s+(\S+)`).FindStringSubmatch(string(status))
				if m == nil {
					return ""
				}
				return m[1]
			}
			if field("Seccomp") != "2" {
				t.Errorf("%s runs without a seccomp filter: Seccomp %q", mode, field("Seccomp"))
			}
			if mode == "pasta" {
				if field("NoNewPrivs") != "1" {
					t.Errorf("pasta without no_new_privs")
				}
				// Root can read a non-dumpable process's namespaces.
				if os.Geteuid() == 0 {
					for _, ns := range []string{"user", "mnt", "ipc", "uts"} {
						host, _ := os.Readlink("/proc/self/ns/" + ns)
						its, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
						if err != nil || its == host {
							t.Errorf("pasta's %s namespace is the host's (%s, %v)", ns, its, err)
						}
					}
				}
				// Once set up: CAP_NET_BIND_SERVICE and CAP_SYS_ADMIN at
				// most, in the pod's user namespace.
				if eff, err := strconv.ParseUint(field("CapEff"), 16, 64); err != nil || eff&^(1<<10|1<<21) != 0 {
					t.Errorf("pasta keeps capabilities %s", field("CapEff"))
				}
			}
			mustRun(t, "rm", "-f", pod)
		})
	}
}

// A helper that fails to start is reported with what it logged, and
// nothing of the pod is left (docs/networking.md): here a pasta that
// refuses, first on PATH.
func TestNetworkHelperFailsToStart(t *testing.T) {
	leakCheck(t)
	bin := t.TempDir()
	fake := "#!/bin/sh\necho 'fake pasta: refusing to start' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "pasta"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	for _, args := range [][]string{
		{"run", "--rm", "--name", "nohelper", "--rootfs", rootfs, "--", "true"},
		{"run", "-d", "--name", "nohelper", "--rootfs", rootfs, "--", "sleep", "1000"},
	} {
		r := runEnv(t, env, "", args...)
		if r.code != 125 || !strings.Contains(r.stderr, "fake pasta: refusing to start") {
			t.Errorf("%v with a pasta that fails: exit %d, %q", args, r.code, r.stderr)
		}
		if _, err := os.Lstat(filepath.Join(stateDir(), "nohelper")); err == nil {
			t.Errorf("%v: the pod's directory is left", args)
			run(t, "rm", "-f", "nohelper")
		}
	}
}
