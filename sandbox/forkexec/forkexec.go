// Package forkexec starts podctl's child processes (its stages, the id
// mapping helpers, the network helpers) with syscall.StartProcess, and not
// with os/exec, for one reason: the first os.StartProcess of a process
// runs os's check that pidfds work (os/pidfd_linux.go, checkPidfd), and
// that check clones a child of its own (syscall's doCheckClonePidfd:
// clone(CLONE_VFORK|CLONE_VM|CLONE_PIDFD) of a child that exits at once).
// That is one process more per podctl command that starts anything, on
// kernels where podctl needs pidfds anyway (Linux >= 5.12, README). Here
// the child's pidfd comes straight from clone(CLONE_PIDFD) (clone(2), Linux
// 5.2), through SysProcAttr.PidFD, which syscall honours without a check.
package forkexec

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Cmd says what to start, with os/exec's names for what podctl uses.
type Cmd struct {
	Path string
	Args []string // argv, argv[0] included
	Env  []string // nil: ours, as with os/exec
	// Stdin, Stdout and Stderr become the child's descriptors 0 to 2; nil
	// is /dev/null, as with os/exec.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become descriptors 3 and up, in order (nil: /dev/null).
	ExtraFiles []*os.File
	// Sys: a session, a process group, a cgroup to be born in, ...;
	// Start sets its PidFD.
	Sys *syscall.SysProcAttr
}

// Process is a started child: its pid and a pidfd that names it (never a
// recycled pid) until it is waited for or released.
type Process struct {
	Pid int

	mu    sync.Mutex // guards pidfd
	pidfd int        // -1 once waited for or released

	// Wait reaps once; a second Wait returns the first's result. A
	// Signal meanwhile is not held up by the wait.
	waitOnce sync.Once
	err      error
}

// Start starts c. On error nothing was started.
func Start(c *Cmd) (*Process, error) {
	null, err := devNull(c)
	if err != nil {
		return nil, err
	}
	if null != nil {
		defer null.Close()
	}
	files := make([]uintptr, 0, 3+len(c.ExtraFiles))
	for _, f := range append([]*os.File{c.Stdin, c.Stdout, c.Stderr}, c.ExtraFiles...) {
		if f == nil {
			f = null
		}
		files = append(files, f.Fd())
	}
	sys := &syscall.SysProcAttr{}
	if c.Sys != nil {
		copied := *c.Sys
		sys = &copied
	}
	pidfd := -1
	sys.PidFD = &pidfd
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	pid, _, err := syscall.StartProcess(c.Path, c.Args, &syscall.ProcAttr{Env: env, Files: files, Sys: sys})
	// The descriptors must stay open until the child has them.
	runtime.KeepAlive(c)
	runtime.KeepAlive(null)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: c.Path, Err: err}
	}
	if pidfd < 0 {
		// syscall leaves -1 where clone(CLONE_PIDFD) is unknown (before
		// Linux 5.2), which podctl does not run on.
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		return nil, fmt.Errorf("starting %s: the kernel gave no pidfd (clone(CLONE_PIDFD), Linux >= 5.2)", c.Path)
	}
	return &Process{Pid: pid, pidfd: pidfd}, nil
}

// Adopt makes a Process of pid, a child of ours that was not started here
// (nsenter's constructor forked it before the Go runtime ran), with pidfd,
// the pidfd it opened then: the Process owns it from now on.
func Adopt(pid, pidfd int) *Process {
	unix.CloseOnExec(pidfd)
	return &Process{Pid: pid, pidfd: pidfd}
}

// devNull opens /dev/null if a descriptor of c needs it (a nil one).
func devNull(c *Cmd) (*os.File, error) {
	for _, f := range append([]*os.File{c.Stdin, c.Stdout, c.Stderr}, c.ExtraFiles...) {
		if f == nil {
			return os.OpenFile(os.DevNull, os.O_RDWR, 0)
		}
	}
	return nil, nil
}

// PidFD is the child's pidfd, -1 once it was waited for or released; the
// caller may use it (signals, setns, poll) but not close it.
func (p *Process) PidFD() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pidfd
}

// Signal sends sig through the pidfd: never to a process that reused the
// pid (pidfd_send_signal(2)). A child already waited for is not signalled.
func (p *Process) Signal(sig unix.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return os.ErrProcessDone
	}
	return unix.PidfdSendSignal(p.pidfd, sig, nil, 0)
}

// Kill sends SIGKILL.
func (p *Process) Kill() error { return p.Signal(unix.SIGKILL) }

// Wait reaps the child and closes its pidfd. It returns nil for exit
// status 0, else an *ExitError; a second Wait returns the first's result.
func (p *Process) Wait() error {
	p.waitOnce.Do(p.wait)
	return p.err
}

func (p *Process) wait() {
	var ws unix.WaitStatus
	var err error
	for {
		// By pid: the child is ours and unreaped, so the pid is still
		// its own. (waitid(P_PIDFD) would fail with EAGAIN on a pidfd
		// that a poller made non-blocking, as stage.OnExit does.)
		if _, err = unix.Wait4(p.Pid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	p.Release()
	switch {
	case err != nil:
		p.err = fmt.Errorf("waiting for pid %d: %w", p.Pid, err)
	case ws.Exited() && ws.ExitStatus() == 0:
		p.err = nil
	default:
		p.err = &ExitError{Status: ws}
	}
}

// Release gives the child up without waiting for it (it outlives us, or
// someone else reaps it): its pidfd is closed.
func (p *Process) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
}

// ExitError is a child that ended other than with exit status 0.
type ExitError struct {
	Status unix.WaitStatus
}

// Error says it as os.ProcessState does ("exit status 1", "signal: killed").
func (e *ExitError) Error() string {
	if e.Status.Signaled() {
		return "signal: " + e.Status.Signal().String()
	}
	return fmt.Sprintf("exit status %d", e.Status.ExitStatus())
}

// ExitCode is the exit status, or -1 for a death by signal.
func (e *ExitError) ExitCode() int {
	if e.Status.Signaled() {
		return -1
	}
	return e.Status.ExitStatus()
}
