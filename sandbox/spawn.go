package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

// The parent side of a detached supervisor's start (the child side:
// sandbox/supervisor/detached.go; the messages: sandbox/control).

// startDetached makes the pod in dir (already created, empty) with a
// detached supervisor, and returns once its first container has started.
// The supervisor inherits lock, the pod's supervisor lock (podDir).
func startDetached(dir string, lock *os.File, spec model.PodSpec, ctrs []model.ContainerSpec, notices io.Writer) (created bool, err error) {
	sup, err := spawnSupervisor(spec.Name, lock)
	if err != nil {
		return false, err
	}
	return sup.Create(dir, spec, ctrs, notices)
}

// spawnedSupervisor is a pod's detached supervisor, started early: its
// exec and the Go runtime's start overlap what podctl still does before
// it can describe the pod (the image layers, prepareImages), and it waits
// for that description on its socket.
type spawnedSupervisor struct {
	proc *forkexec.Process
	sock *stage.SyncSocket
}

// spawnSupervisor starts the supervisor of pod name; lock is the pod's
// supervisor lock, which it inherits.
func spawnSupervisor(name string, lock *os.File) (*spawnedSupervisor, error) {
	// The supervisor enables the delegation's controllers, which the
	// kernel refuses while a process is in the delegation's root: this
	// command, alone there, steps into a leaf first, and the supervisor
	// is born in that leaf (cgroups.Delegation.Prepare). Without it the
	// supervisor found this command beside it and refused.
	if err := podcgroup.LeaveRoot(); err != nil {
		return nil, err
	}
	cmd := &forkexec.Cmd{
		Path: stage.SelfExe,
		Args: []string{"podctl-supervisor", name},
		// The caller's environment: PATH finds newuidmap; -e KEY values
		// were resolved already.
		// GOMAXPROCS=1: one P, so fewer threads and per-P caches for a
		// process that mostly waits.
		Env:        append(os.Environ(), control.EnvSupervise+"=3", "GOMAXPROCS=1"),
		ExtraFiles: []*os.File{lock}, // fd 4, after the sync socket
		// A session of its own, no terminal, stdio on /dev/null: it
		// outlives this command and must not hold the caller's terminal.
		Sys: &unix.SysProcAttr{Setsid: true},
	}
	explain.Printf("podctl", "starts the pod's supervisor in a session of its own: execve(/proc/self/exe) with %s, setsid", control.EnvSupervise)
	proc, sock, err := stage.SpawnStage("the supervisor of pod "+name, cmd, nil, true)
	if err != nil {
		return nil, err
	}
	return &spawnedSupervisor{proc: proc, sock: sock}, nil
}

// Abort ends a supervisor that will not get a pod: end-of-file on its
// socket, before any request, makes it exit having made nothing.
func (p *spawnedSupervisor) Abort() {
	p.sock.Close()
	p.proc.Wait()
}

// Create describes the pod to the supervisor, which makes it; it returns
// once the pod's first container has started.
func (p *spawnedSupervisor) Create(dir string, spec model.PodSpec, ctrs []model.ContainerSpec, notices io.Writer) (created bool, err error) {
	sock, proc := p.sock, p.proc
	defer sock.Close()
	b, err := control.EncodeSupervise(control.SuperviseRequest{Dir: dir, LockFD: 4, Spec: spec, Containers: ctrs})
	if err != nil {
		proc.Kill()
		proc.Wait()
		return false, fmt.Errorf("describing pod %s to its supervisor: %w", spec.Name, err)
	}
	if err := sock.Send(b); err != nil {
		proc.Kill()
		proc.Wait()
		return false, err
	}
	b, err = sock.Recv()
	if err != nil {
		// It died before answering: whatever it made is its orphan now.
		proc.Kill()
		proc.Wait()
		cleanupLeftovers(dir)
		return false, fmt.Errorf("the supervisor of pod %s exited during creation (see %s): %w", spec.Name, filepath.Join(dir, "supervisor.log"), err)
	}
	var r control.SuperviseReply
	if err := control.DecodeSupervise(b, &r); err != nil {
		return false, fmt.Errorf("bad reply from the supervisor of pod %s: %w", spec.Name, err)
	}
	if r.Notice != "" && notices != nil {
		io.WriteString(notices, r.Notice)
	}
	if !r.Created {
		proc.Wait()
	} else {
		// It lives on; when we exit it is re-parented (to init or the
		// nearest subreaper).
		proc.Release()
	}
	if r.Error != "" {
		if r.ExitCode != 0 {
			return r.Created, &model.ExecError{Msg: r.Error, ExitCode: r.ExitCode}
		}
		return r.Created, errors.New(r.Error)
	}
	return true, nil
}
