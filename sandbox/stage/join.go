package stage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/rootfs"
)

// podNamespaces are the namespaces a container shares with its pod's pause.
// The mount namespace is deliberately not among them: each container gets
// its own, with its own root filesystem. Neither is the pid namespace in a
// pod made with --share-pid=false.
const podNamespaces = unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUTS

// JoinFlags are the namespaces a new container joins (setns) and the ones
// it gets of its own (unshare).
//
// Each container gets a cgroup namespace of its own, made once the join
// stage is in the container's cgroup, so that its root is that cgroup (as
// runc and crun do on cgroup v2): /proc/self/cgroup reads "0::/", and a
// cgroup2 mounted inside shows the container's own limits.
func JoinFlags(spec model.PodSpec) (setns, unshare int) {
	if spec.HostPID {
		// The host's, kept by staying (no setns into it is allowed).
		return podNamespaceFlags(spec), unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP
	}
	if spec.SharePID {
		return podNamespaceFlags(spec) | unix.CLONE_NEWPID, unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP
	}
	return podNamespaceFlags(spec), unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP
}

// ExecFlags: podctl exec joins every namespace of the container's process,
// its mount, pid and cgroup namespaces included, and makes none.
func ExecFlags(spec model.PodSpec) int {
	if spec.HostPID {
		return podNamespaceFlags(spec) | unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP
	}
	return podNamespaceFlags(spec) | unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP
}

// InitConfig is everything the container's init needs to turn a forked
// process in the pod into the container's workload. Plan (init.go) turns it
// into the plan that the init, in C (nsenter/init.c), carries out, sent
// over the sync socket (never in argv or the environment, which other
// processes can read).
type InitConfig struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Rootfs    string `json:"rootfs"`
	// Layer: the root is the container's layer in the image store,
	// mounted by the init itself (mountRoot), and Rootfs is unused.
	Layer *images.Prepared  `json:"layer,omitempty"`
	Files []rootfs.BindFile `json:"files"`
	// Mounts: the container's volumes and tmpfs; ReadOnly: its root.
	Mounts   []rootfs.Mount `json:"mounts,omitempty"`
	ReadOnly bool           `json:"readOnly,omitempty"`
	PtsGID   int            `json:"ptsGid"`
	Args     []string       `json:"args"`
	Env      []string       `json:"env"` // KEY=VALUE, applied over the defaults
	Cwd      string         `json:"cwd"`
	User     string         `json:"user"` // as given to -u; resolved in the rootfs
	Hostname string         `json:"hostname"`
	// Exec: join a running container (podctl exec) rather than build one:
	// the root filesystem is already the container's.
	Exec bool `json:"exec,omitempty"`
	// Tty: standard input is a pty that podctl relays; make it the
	// controlling terminal of the workload's session.
	Tty bool `json:"tty,omitempty"`
	// Caps are the capabilities the workload keeps (names, as in
	// DefaultCaps); Privileged keeps all of them, no_new_privs off and
	// /proc unmasked: podctl run --privileged, said aloud.
	Caps       []string `json:"caps"`
	Privileged bool     `json:"privileged,omitempty"`
	// Seccomp is the compiled filter (struct sock_filter entries), none
	// when empty (--security-opt seccomp=unconfined, --privileged).
	Seccomp []byte `json:"seccomp,omitempty"`
	// SeccompNotify: the filter has SCMP_ACT_NOTIFY rules (--port-bypass):
	// install it with a listener and send that to podctl (sandbox/podnet/bypass.go).
	SeccompNotify bool `json:"seccompNotify,omitempty"`
	// IDsMapped is how many uids the pod's user namespace maps (0..N-1);
	// a -u outside that range cannot work and is refused by name.
	IDsMapped uint64 `json:"idsMapped"`
	// ReadOnlyBare, RunAsNonRoot: the container spec's.
	ReadOnlyBare bool `json:"readOnlyBare,omitempty"`
	RunAsNonRoot bool `json:"runAsNonRoot,omitempty"`
	Setgroups    bool `json:"setgroups"` // false when setgroups(2) is denied in the pod
	// Groups, GroupsStrict, NoNewPrivsOff, MaskedPaths, ReadonlyPaths:
	// the container spec's (SetSecurity).
	Groups        []uint32 `json:"groups,omitempty"`
	GroupsStrict  bool     `json:"groupsStrict,omitempty"`
	NoNewPrivsOff bool     `json:"noNewPrivsOff,omitempty"`
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`
	// HostIPC: the pod's (its containers get the host's /dev/shm and
	// /dev/mqueue); HostPID: the pod's (they get the host's /proc).
	HostIPC bool `json:"hostIpc,omitempty"`
	HostPID bool `json:"hostPid,omitempty"`
	// ImageVolumes: the container's, with their layers.
	ImageVolumes []model.ImageVolume `json:"imageVolumes,omitempty"`

	encoded []byte // Encode's result, once made
}

// SetSecurity copies what container c says of the workload's privileges,
// the same for its run and for every exec into it.
func (cfg *InitConfig) SetSecurity(c *model.ContainerSpec) {
	cfg.Caps, cfg.Privileged = c.Caps, c.Privileged
	cfg.Groups, cfg.GroupsStrict = c.Groups, c.GroupsStrict
	cfg.NoNewPrivsOff = c.AllowPrivilegeEscalation
	cfg.MaskedPaths, cfg.ReadonlyPaths = c.MaskedPaths, c.ReadonlyPaths
}

// Proc is podctl's handle on a started container.
type Proc struct {
	Pid   int
	Pidfd int
	Pty   *os.File // the master of its pty (podctl exec -t), or nil
	// notify: its seccomp listener (--port-bypass, sandbox/podnet/bypass.go), or nil
	Notify *os.File
}

// Joiner is a join stage that runs and waits for its pause: podctl starts
// it while the pause is still being made, so that the two execs overlap.
type Joiner struct {
	proc *forkexec.Process
	sock *SyncSocket
	// made: the pause stage, in the pod's namespaces already
	// (pausejoin.go); Start sends it no pidfd.
	made bool
	// beforeConfig, if set, runs once the init is forked and before it
	// is configured: the supervisor waits there for the pod's network.
	BeforeConfig func() error
	// NodeMounts, if set, is the mount namespace a new container's is
	// copied from (podnet.NodeMounts) instead of the host's; Start
	// closes it.
	NodeMounts *os.File
}

// SpawnExecJoin starts a join stage for podctl exec in pod before the
// container is known (sandbox/exec.go, earlyJoin), outside any cgroup.
func SpawnExecJoin(pod string, stdio [3]*os.File) (*Joiner, error) {
	return spawnJoin("the exec stage in pod "+pod, stdio, nil)
}

// SpawnJoin starts the join stage of container name; its workload will have
// stdio as standard input, output and error.
func SpawnJoin(name string, stdio [3]*os.File, cgroup *os.File) (*Joiner, error) {
	return spawnJoin("container "+name, stdio, cgroup)
}

// spawnJoin starts a join stage; what names it in errors.
func spawnJoin(what string, stdio [3]*os.File, cgroup *os.File) (*Joiner, error) {
	cmd := &forkexec.Cmd{
		Path:   SelfExe,
		Args:   []string{"podctl-join"},
		Env:    []string{nsenter.EnvStage + "=" + nsenter.StageJoin, nsenter.EnvSyncFD + "=3"},
		Stdin:  stdio[0],
		Stdout: stdio[1],
		Stderr: stdio[2],
	}
	proc, sock, err := SpawnStage(what, cmd, cgroup, true)
	if err != nil {
		return nil, err
	}
	return &Joiner{proc: proc, sock: sock}, nil
}

// Abort ends a join stage that will not be used: on end-of-file it exits.
// The pause stage may still be making the pod: it is killed (it has no
// child of its own to leave behind: the pause is ours, CLONE_PARENT).
func (j *Joiner) Abort() {
	CloseFile(j.NodeMounts)
	j.sock.Close()
	if j.made {
		j.proc.Kill()
	}
	j.proc.Wait()
}

// Start sends the join stage into the namespaces of the process behind
// pidfd (the pause, or a container for exec), following the second
// conversation of sync.go. On return the workload runs (its execve
// succeeded) or an error says why not, and nothing of the container is left.
func (j *Joiner) Start(pidfd, setnsFlags, unshareFlags int, cfg *InitConfig) (c *Proc, err error) {
	sock := j.sock
	defer sock.Close()
	defer CloseFile(j.NodeMounts)
	node := ""
	if j.NodeMounts != nil {
		node = " 1" // then "node" and its descriptor
	}
	initPID := 0
	defer func() {
		if err != nil {
			Abandon(j.proc, sock, initPID)
		}
	}()
	// The plan is made before the join stage is told to go (a pod's
	// supervisor made it while the ids were mapped: InitConfig.Encode),
	// so that it is sent the moment "pid" comes, while the init starts.
	msg, err := cfg.Encode()
	if err != nil {
		return nil, err
	}

	if j.made {
		explain.Printf("podctl", "tells the pause's set-up stage, in the pod's namespaces already, to go on as the join stage of container %s: unshare %s", cfg.Container, explain.NSFlagNames(unshareFlags))
		if err := sock.Send([]byte(fmt.Sprintf("join 0 %#x%s", unshareFlags, node))); err != nil {
			return nil, err
		}
	} else {
		explain.Printf("podctl", "sends the join stage a pidfd and the namespaces to enter: setns %s, unshare %s", explain.NSFlagNames(setnsFlags), explain.NSFlagNames(unshareFlags))
		if err := sock.sendFD([]byte(fmt.Sprintf("join %#x %#x%s", setnsFlags, unshareFlags, node)), pidfd); err != nil {
			return nil, err
		}
	}
	if j.NodeMounts != nil {
		explain.Printf("podctl", "sends the join stage the node's mount namespace (the shared network's), to copy the container's from")
		if err := sock.sendFD([]byte("node"), int(j.NodeMounts.Fd())); err != nil {
			return nil, err
		}
	}
	word, rest, err := sock.RecvText()
	if err != nil {
		return nil, err
	}
	if word != "pid" {
		return nil, fmt.Errorf("join stage: expected 'pid', got %q", word)
	}
	if initPID, err = strconv.Atoi(rest); err != nil {
		return nil, fmt.Errorf("join stage sent a bad pid %q", rest)
	}
	// The workload's first connection must work: the plan, which lets
	// the init go on, waits for the network (BeforeConfig). The init
	// says nothing before it has its plan, so "pid" always comes first.
	if j.BeforeConfig != nil {
		if err := j.BeforeConfig(); err != nil {
			return nil, err
		}
	}
	if err := sock.Send(msg); err != nil {
		return nil, err
	}

	var pty, notify *os.File
	defer func() {
		if err != nil {
			pty.Close() // nil-safe
			notify.Close()
		}
	}()
	for execing := false; ; {
		b, fd, err := sock.recvFD()
		if errors.Is(err, errEOF) && execing {
			break // the socket closed on exec: the workload runs
		}
		if errors.Is(err, errEOF) {
			return nil, fmt.Errorf("container %s: init exited during setup", cfg.Container)
		}
		if err != nil {
			return nil, err
		}
		word, rest, _ := strings.Cut(string(b), " ")
		switch word {
		case "pty":
			if fd < 0 || pty != nil {
				return nil, fmt.Errorf("container %s: bad pty message from init", cfg.Container)
			}
			pty, fd = os.NewFile(uintptr(fd), "pty-master"), -1
		case "notify":
			if fd < 0 || notify != nil {
				return nil, fmt.Errorf("container %s: bad notify message from init", cfg.Container)
			}
			notify, fd = os.NewFile(uintptr(fd), "seccomp-listener"), -1
		case "execing":
			execing = true
		case "error":
			return nil, errors.New(rest)
		case "exit":
			// The command cannot run: 126 (found but not runnable) or 127
			// (not found), as the shell says.
			code, msg, _ := strings.Cut(rest, " ")
			n, cerr := strconv.Atoi(code)
			if cerr != nil {
				return nil, fmt.Errorf("container %s: bad exit message from init: %q", cfg.Container, rest)
			}
			return nil, &model.ExecError{Msg: msg, ExitCode: n}
		default:
			return nil, fmt.Errorf("container %s: unexpected message %.40q from init", cfg.Container, b)
		}
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	// The join stage sleeps until the init has exec'd (nsenter.c,
	// stage_join: CLONE_VFORK), then exits.
	if err := j.proc.Wait(); err != nil {
		return nil, fmt.Errorf("join stage of container %s: %w", cfg.Container, err)
	}
	c = &Proc{Pid: initPID, Pty: pty, Notify: notify}
	// Our child (CLONE_PARENT) and not reaped yet: the pidfd is exact.
	if c.Pidfd, err = unix.PidfdOpen(initPID, 0); err != nil {
		return nil, fmt.Errorf("pidfd_open of container %s: %w", cfg.Container, err)
	}
	unix.CloseOnExec(c.Pidfd)
	return c, nil
}

// Wait reaps the container's process and returns its exit code the way a
// shell reports it: the status, or 128+N for a death by signal N.
func (c *Proc) Wait() (int, error) {
	code, _, err := c.WaitStatus()
	return code, err
}

// WaitStatus is wait that also says which signal, if any, ended it.
func (c *Proc) WaitStatus() (code, sig int, err error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.Pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		unix.Close(c.Pidfd)
		if err != nil {
			return -1, 0, fmt.Errorf("waiting for pid %d: %w", c.Pid, err)
		}
		break
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), int(ws.Signal()), nil
	}
	return ws.ExitStatus(), 0, nil
}

func (c *Proc) Signal(sig unix.Signal) error {
	return unix.PidfdSendSignal(c.Pidfd, sig, nil, 0)
}

// podNamespaceFlags: the namespaces a pod's processes share, without the
// network namespace in --network host (the pause kept the host's, which
// the pod's user namespace has no right to setns into: only processes that
// stay in it keep it).
func podNamespaceFlags(spec model.PodSpec) int {
	flags := podNamespaces
	if spec.Network.Mode == netsetup.Host {
		flags &^= unix.CLONE_NEWNET
	}
	if spec.HostIPC {
		flags &^= unix.CLONE_NEWIPC // the same: the host's, kept by staying
	}
	return flags
}

// JoinContainer starts a command (cfg, from ExecConfig) in a running
// container of pod, whose process pidfd names: a join stage with stdio
// that enters every namespace of that process, its mount namespace
// included, born in the container's cgroup (cgroupDir; "" where podctl has
// none) so that it counts against the container's limits. podctl exec and
// the supervisor's exec probes and hooks start theirs here; the caller
// closes its copies of stdio afterwards.
func JoinContainer(pod model.PodSpec, name, cgroupDir string, pidfd int, stdio [3]*os.File, cfg *InitConfig) (*Proc, error) {
	var cg *os.File
	if cgroupDir != "" {
		var err error
		if cg, err = cgroups.OpenDir(cgroupDir); err != nil {
			return nil, fmt.Errorf("container %s: %w", name, err)
		}
	}
	j, err := SpawnJoin(name, stdio, cg)
	CloseFile(cg)
	if err != nil {
		return nil, err
	}
	return j.Start(pidfd, ExecFlags(pod), 0, cfg)
}

// RunConfig is the InitConfig of a new run of container c of the pod
// spec, whose ids are mapped as ids and whose /etc files are files, with
// its seccomp program compiled and its plan encoded (Encode), so that
// nothing of it is left to make on the way to the workload.
func RunConfig(spec model.PodSpec, c *model.ContainerSpec, ids idmap.Mapping, files []rootfs.BindFile) (*InitConfig, error) {
	ptsGID := 5 // "tty" in Debian, Alpine, Fedora and busybox images
	if ids.Size() <= 5 {
		ptsGID = -1
	}
	cfg := &InitConfig{
		Pod: spec.Name, Container: c.Name, Rootfs: c.Rootfs, Layer: c.Layer, Files: files, PtsGID: ptsGID,
		Args: c.Args, Env: c.Env, Cwd: c.Cwd, User: c.User, Hostname: spec.Hostname,
		Mounts: c.Mounts, ReadOnly: c.ReadOnly, ReadOnlyBare: c.ReadOnlyBare, RunAsNonRoot: c.RunAsNonRoot,
		IDsMapped: ids.Size(), Setgroups: !ids.Single, Tty: c.TTY, HostIPC: spec.HostIPC, HostPID: spec.HostPID,
		ImageVolumes: c.ImageVolumes,
	}
	cfg.SetSecurity(c)
	// --port-bypass: its binds go to the supervisor (sandbox/podnet/bypass.go).
	cfg.SeccompNotify = spec.Network.PortBypass && c.Seccomp != "unconfined"
	var err error
	if cfg.Seccomp, err = model.SeccompFilter(c, cfg.SeccompNotify); err != nil {
		return nil, fmt.Errorf("container %s: seccomp profile: %w", c.Name, err)
	}
	if _, err := cfg.Encode(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ExecConfig is the init's configuration for a command run in container
// c of pod st (podctl exec, exec probes and lifecycle hooks): the
// container's environment with env over it, its user and directory unless
// given, its capabilities and seccomp filter.
func ExecConfig(st *model.PodState, c *model.ContainerSpec, args, env []string, user, cwd string) (*InitConfig, error) {
	if cwd == "" {
		cwd = c.Cwd
	}
	if user == "" {
		user = c.User
	}
	ids := idmap.Mapping{UIDs: st.IDMap.UIDs, GIDs: st.IDMap.GIDs}
	cfg := &InitConfig{
		Pod: st.Spec.Name, Container: c.Name, Exec: true,
		Args: args, Env: append(append([]string{}, c.Env...), env...), Cwd: cwd, User: user,
		Hostname: st.Spec.Hostname, IDsMapped: ids.Size(), Setgroups: ids.Size() > 1,
	}
	cfg.SetSecurity(c)
	var err error
	if cfg.Seccomp, err = model.SeccompFilter(c, false); err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	return cfg, nil
}
