package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// InSupervisor says whether this process is a detached supervisor: one
// being started (fd: its socket to the command that started it) or one
// resumed by its keeper (fd -1).
func InSupervisor() (int, bool) {
	v, ok := os.LookupEnv(control.EnvSupervise)
	if !ok {
		return 0, false
	}
	if v == "resume" {
		return -1, true
	}
	fd, err := strconv.Atoi(v)
	return fd, err == nil
}

// SuperviseMain runs a detached supervisor; it never returns.
func SuperviseMain(fd int) {
	os.Unsetenv(control.EnvSupervise)
	if fd < 0 {
		resumeMain()
	}
	explain.FromEnv() // podctl --explain: until the pod is made
	sock := &stage.SyncSocket{Fd: fd, Peer: "podctl"}
	unix.CloseOnExec(fd)
	b, err := sock.Recv()
	if err != nil {
		os.Exit(1)
	}
	var req control.SuperviseRequest
	if err := control.DecodeSupervise(b, &req); err != nil {
		sendReply(sock, control.SuperviseReply{Error: "supervisor: bad request: " + err.Error()})
		os.Exit(1)
	}
	// The lock must die with us, not live on in the pause or a container.
	unix.CloseOnExec(req.LockFD)
	// Our own errors go to the pod's supervisor.log: we have no terminal.
	if f, err := os.OpenFile(filepath.Join(req.Dir, "supervisor.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY|unix.O_CLOEXEC, 0o600); err == nil {
		unix.Dup2(int(f.Fd()), 2)
		f.Close()
	}
	// A supervisor sits idle for the life of its pod: keep its heap small.
	debug.SetGCPercent(20)

	s := New(req.Dir, req.Spec)
	s.detached, s.lockFD = true, req.LockFD
	var notices bytes.Buffer
	s.Notices = &notices
	err = s.Create(req.Containers)
	reply := control.SuperviseReply{Created: err == nil, Notice: notices.String()}
	if err == nil {
		err = s.FirstErr
	}
	if err != nil {
		reply.Error = err.Error()
		var ee *model.ExecError
		if errors.As(err, &ee) {
			reply.ExitCode = ee.ExitCode
		}
	}
	s.Notices = nil
	if explain.File != nil {
		explain.File.Close() // the command that asked is about to exit
		explain.File = nil
	}
	sendReply(sock, reply)
	sock.Close()
	if !reply.Created {
		os.RemoveAll(req.Dir)
		os.Exit(1)
	}
	// Not idle() now: the loop's idle timer (hibernateAfter) hibernates
	// us or gives memory back once the pod has been quiet a while. Done
	// here, its ~4.5 ms of CPU (smaps, FreeOSMemory) would compete with
	// the command a user runs next (podctl wait, exec) on a small VM.
	s.Run()
	os.Exit(0)
}

// resumeMain is a supervisor exec'd back by its keeper (hibernate.go).
func resumeMain() {
	spec := os.Getenv(nsenter.EnvKeep)
	os.Unsetenv(nsenter.EnvKeep)
	if len(os.Args) < 2 {
		os.Exit(1)
	}
	// stderr is supervisor.log already: the keeper kept it.
	debug.SetGCPercent(20)
	k, err := nsenter.ParseKeepSpec(spec)
	if err == nil {
		var s *Supervisor
		if s, err = resumeSupervisor(os.Args[1], k); err == nil {
			s.Run()
			os.Exit(0)
		}
	}
	fmt.Fprintf(os.Stderr, "podctl: resuming the supervisor of %s: %v; ending the pod\n", os.Args[1], err)
	endUnresumable(os.Args[1], k)
	os.Exit(1)
}

// endUnresumable ends the pod of a supervisor that cannot resume (its state
// cannot be read, say): nobody else would ever watch, restart or end its
// processes. The keeper's pidfds name them (k, if it could be parsed); /proc
// finds the rest. The pod's directory stays, for rm -f (or gc) to remove.
func endUnresumable(dir string, k *nsenter.KeepSpec) {
	if k != nil {
		for _, r := range k.Runs {
			if r.PIDFD >= 0 {
				unix.PidfdSendSignal(r.PIDFD, unix.SIGKILL, nil, 0)
			}
		}
		for _, fd := range []int{k.Net, k.Pause} {
			if fd >= 0 {
				unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			}
		}
	}
	model.KillUnrecorded(dir)
}

func sendReply(sock *stage.SyncSocket, r control.SuperviseReply) {
	b, _ := control.EncodeSupervise(r)
	sock.Send(b)
}
