package netsetup

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/podctl/podctl/sandbox/forkexec"
	"golang.org/x/sys/unix"
)

// Status is what the pod's network turned out to be; podctl ps -o wide
// and podctl inspect show it.
type Status struct {
	Mode    Mode   `json:"mode"`
	IP      string `json:"ip,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	// Nameservers go into the pod's resolv.conf unless --dns says others.
	Nameservers []string `json:"nameservers,omitempty"`
	// HostLoopback is the address at which the pod reaches the host's
	// loopback, with --allow-host-loopback (host.containers.internal).
	HostLoopback string `json:"hostLoopback,omitempty"`
	// Search and Options: the host's resolv.conf lines, which a connected
	// pod inherits unless --dns-search or --dns-option replace them.
	Search  []string `json:"search,omitempty"`
	Options []string `json:"options,omitempty"`
}

// Helper is a running pasta or slirp4netns serving one pod.
type Helper struct {
	Mode  Mode
	PID   int
	PIDFD int               // pidfd_open(2)'d at clone (CLONE_PIDFD): never a recycled pid
	proc  *forkexec.Process // owns PIDFD when we started it
	// ready is closed once the helper has configured the namespace, or
	// has failed to (err).
	ready chan struct{}
	err   error
	log   string
}

// LogFile is where a pod's helper writes its messages, in the pod's state
// directory.
const LogFile = "network.log"

// Start starts cfg's helper for the pod whose pause is pausePID (a child of
// ours not yet reaped, so the pid cannot be recycled meanwhile). It returns
// at once; Ready waits for the namespace to be configured. dir is the pod's
// state directory (the helper's log, slirp4netns' API socket). cgroup, if
// not nil, is the cgroup the helper is born in (clone3 CLONE_INTO_CGROUP),
// so that its memory counts as the pod's.
// HelperArgv0 is the argv[0] a network helper runs with: its name (which
// pasta reads to run as pasta, not passt) and the directory of the pod it
// serves, so that podctl rm -f and gc find it in /proc/PID/cmdline when
// the pod's state no longer names it (sandbox/model/unrecorded.go): it is
// neither in the pod's namespaces nor readable for its descriptors (not
// dumpable).
// (No '/' in it: pasta takes the basename of its argv[0] for its name.
// The directory's hash tells two state roots' pods of one name apart.)
func HelperArgv0(helper, dir string) string {
	h := fnv.New64a()
	h.Write([]byte(dir))
	return fmt.Sprintf("%s:%s:%016x", helper, filepath.Base(dir), h.Sum64())
}

func Start(cfg Config, pausePID, pausePIDFD int, dir string, cgroup *os.File) (*Helper, error) {
	h := &Helper{Mode: cfg.Mode, ready: make(chan struct{}), log: filepath.Join(dir, LogFile)}
	logf, err := os.OpenFile(h.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("the network helper's log: %w", err)
	}
	defer logf.Close()
	// The helper says it is ready on this pipe: pasta writes its pid
	// there once the namespace is configured (--pid), slirp4netns writes
	// "1" (--ready-fd).
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	// The pod's user and network namespaces, opened here and inherited
	// as fds 4 and 5: pasta opens /proc/self/fd/4 and 5, which name
	// exactly these namespaces (slirp4netns cannot: slirpArgs).
	var nsFiles []*os.File
	closeNS := func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}
	for _, ns := range []string{"user", "net"} {
		f, err := OpenNamespace(pausePID, pausePIDFD, ns)
		if err != nil {
			r.Close()
			closeNS()
			return nil, fmt.Errorf("opening the pod's %s namespace: %w", ns, err)
		}
		nsFiles = append(nsFiles, f)
	}
	var args []string
	switch cfg.Mode {
	case Pasta:
		args = pastaArgs(cfg)
	case Slirp:
		args = slirpArgs(cfg, dir, pausePID)
	default:
		r.Close()
		closeNS()
		return nil, fmt.Errorf("--network %s has no helper", cfg.Mode)
	}
	path, err := exec.LookPath(cfg.Mode.Helper())
	if err == nil {
		cmd := &forkexec.Cmd{Path: path, Args: append([]string{HelperArgv0(cfg.Mode.Helper(), dir)}, args...),
			ExtraFiles: []*os.File{w, nsFiles[0], nsFiles[1]}, // fds 3, 4, 5
			Stdout:     logf, Stderr: logf,
			// Its own process group: a Ctrl-C at podctl run's terminal is
			// podctl's to handle (it stops the pod, then the helper).
			Sys: &syscall.SysProcAttr{Setpgid: true}}
		if cgroup != nil {
			cmd.Sys.UseCgroupFD, cmd.Sys.CgroupFD = true, int(cgroup.Fd())
		}
		h.proc, err = forkexec.Start(cmd)
	}
	if err != nil {
		r.Close()
		closeNS()
		return nil, fmt.Errorf("starting %s: %w", cfg.Mode.Helper(), err)
	}
	h.PID, h.PIDFD = h.proc.Pid, h.proc.PidFD()
	go func() {
		defer close(h.ready)
		defer r.Close()
		defer closeNS()
		b := make([]byte, 64)
		n, _ := r.Read(b) // EOF (0): it exited before it was ready
		if n == 0 {
			h.err = h.failure("exited before the pod's network was configured")
			return
		}
		if cfg.Mode == Slirp {
			h.err = addSlirpPorts(dir, cfg.Ports)
		}
	}()
	return h, nil
}

// Ready waits for the helper to have configured the pod's network. On
// error the helper has been stopped.
func (h *Helper) Ready(timeout time.Duration) error {
	select {
	case <-h.ready:
	case <-time.After(timeout):
		h.err = h.failure(fmt.Sprintf("did not configure the pod's network within %s", timeout))
	}
	if h.err != nil {
		h.Stop(true)
	}
	return h.err
}

// failure describes a helper that failed, with what it logged.
func (h *Helper) failure(what string) error {
	b, _ := os.ReadFile(h.log)
	msg := strings.TrimSpace(string(bytes.ReplaceAll(b, []byte("\n"), []byte("; "))))
	if msg != "" {
		msg = ": " + lastChars(msg, 400)
	}
	return fmt.Errorf("%s %s%s", h.Mode.Helper(), what, msg)
}

func lastChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Stop kills the helper. With wait it also reaps it, so that once Stop
// returns its sockets are closed and the pod's host ports are free again:
// the kernel takes ~25 ms here to tear down a dead pasta (its tap device
// and ~150 sockets), which a pod without published ports need not wait
// for. Without wait a goroutine reaps it (or, if podctl exits first, init).
func (h *Helper) Stop(wait bool) {
	unix.PidfdSendSignal(h.PIDFD, unix.SIGKILL, nil, 0)
	if wait {
		h.Reap()
	} else {
		go h.Reap()
	}
}

// Reap collects the exit status of a helper that has exited (or been
// killed), and closes its pidfd. It returns how it ended.
func (h *Helper) Reap() string {
	// wait4 by pid, not waitid(P_PIDFD): the supervisor's poller made
	// the pidfd's file description non-blocking (waitid would say EAGAIN).
	var ws unix.WaitStatus
	var err error
	for {
		if _, err = unix.Wait4(h.PID, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	how := fmt.Sprintf("exit status %d", ws.ExitStatus())
	switch {
	case err != nil:
		how = "exited"
	case ws.Signaled():
		how = "killed by " + unix.SignalName(ws.Signal())
	}
	if h.proc != nil {
		h.proc.Release() // closes PIDFD
		h.proc, h.PIDFD = nil, -1
	}
	if h.PIDFD >= 0 {
		unix.Close(h.PIDFD)
		h.PIDFD = -1
	}
	return how
}

// Resume takes over a helper from before a re-exec of the supervisor (its
// pid and pidfd; it is still our child).
func Resume(mode Mode, pid, pidfd int) *Helper {
	h := &Helper{Mode: mode, PID: pid, PIDFD: pidfd, ready: make(chan struct{})}
	close(h.ready)
	return h
}

// PIDFD_GET_*_NAMESPACE (linux/pidfd.h, Linux 6.11): a namespace of the
// process behind a pidfd, as a descriptor.
const (
	pidfdGetNetNamespace  = 0xFF<<8 | 4
	pidfdGetUserNamespace = 0xFF<<8 | 9
)

// OpenNamespace opens the namespace kind ("user" or "net") of process pid
// (a pod's pause, the shared network's holder), whose pidfd is pidfd. The
// pidfd ioctl is tried first: with --userns keep-id the pod's root is not
// the caller, so the pause's /proc/PID/ns files are not the caller's to
// open, while the ioctl checks ptrace access, which the owner of the pod's
// user namespace has. /proc/PID/ns is the fallback for older kernels.
//
// Both need ptrace access to the process, which a pause has only once it
// has exec'd inside the pod's user namespace: with --userns keep-id its
// setresuid to pod root (a subordinate id) made it non-dumpable a moment
// before, with the host's user namespace still its mm's, and podctl starts
// the helper as soon as the pause exists. So EACCES and EPERM are retried
// for up to a second.
func OpenNamespace(pid, pidfd int, kind string) (*os.File, error) {
	req := map[string]uintptr{"user": pidfdGetUserNamespace, "net": pidfdGetNetNamespace}[kind]
	for deadline := time.Now().Add(time.Second); ; time.Sleep(2 * time.Millisecond) {
		fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(pidfd), req, 0)
		if errno == 0 {
			unix.CloseOnExec(int(fd))
			return os.NewFile(fd, kind+"-namespace"), nil
		}
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err == nil || !(errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) || time.Now().After(deadline) {
			return f, err
		}
	}
}

// Detach lets a started helper live on without us (the shared network's
// pasta): we neither wait for it nor kill it; whoever takes the network
// down kills it by its recorded pid and start time.
func (h *Helper) Detach() {
	if h.proc != nil {
		h.proc.Release() // closes PIDFD
		h.proc, h.PIDFD = nil, -1
	}
	if h.PIDFD >= 0 {
		unix.Close(h.PIDFD)
		h.PIDFD = -1
	}
}
