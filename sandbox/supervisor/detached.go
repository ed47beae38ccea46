package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// A detached supervisor (podctl run -d, podctl pod create) is podctl
// re-executed with EnvSupervise set; main calls SuperviseMain before the
// CLI parses anything. The conversation with the command that started it:
//
//	podctl (CLI)                          supervisor (new session)
//	   | mkdir pod dir, flock supervisor.lock
//	   | exec /proc/self/exe, fd 3 = socket, fd 4 = the locked file
//	   |-- {dir, spec, containers} ------------->|
//	   |                                         | pause, /etc files, control socket,
//	   |                                         | first container started
//	   |<--------- {error?, exitCode?, notice?} -|
//	   | exit: the pod lives on                  | loop until the pod ends
const EnvSupervise = "_PODCTL_SUPERVISE"

// superviseRequest is what a detached supervisor is asked to run.
type superviseRequest struct {
	Dir        string                `json:"dir"`
	LockFD     int                   `json:"lockFd"`
	Spec       model.PodSpec         `json:"spec"`
	Containers []model.ContainerSpec `json:"containers"`
}

// superviseReply tells the CLI how the pod's creation went.
type superviseReply struct {
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"` // of an *ExecError
	Created  bool   `json:"created"`            // the pod exists, even if its first container failed
	Notice   string `json:"notice,omitempty"`
}

// InSupervisor says whether this process is a detached supervisor: one
// being started (fd: its socket to the command that started it) or one
// resumed by its keeper (fd -1).
func InSupervisor() (int, bool) {
	v, ok := os.LookupEnv(EnvSupervise)
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
	os.Unsetenv(EnvSupervise)
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
	var req superviseRequest
	if err := json.Unmarshal(b, &req); err != nil {
		sendReply(sock, superviseReply{Error: "supervisor: bad request: " + err.Error()})
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
	reply := superviseReply{Created: err == nil, Notice: notices.String()}
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
	s.idle()
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
	k, err := parseKeepSpec(spec)
	if err == nil {
		var s *Supervisor
		if s, err = resumeSupervisor(os.Args[1], k); err == nil {
			s.Run()
			os.Exit(0)
		}
	}
	fmt.Fprintf(os.Stderr, "podctl: resuming the supervisor of %s: %v\n", os.Args[1], err)
	os.Exit(1)
}

func sendReply(sock *stage.SyncSocket, r superviseReply) {
	b, _ := json.Marshal(r)
	sock.Send(b)
}

// StartDetached makes the pod in dir (already created, empty) with a
// detached supervisor, and returns once its first container has started.
// The supervisor inherits lock, the pod's supervisor lock (podDir).
func StartDetached(dir string, lock *os.File, spec model.PodSpec, ctrs []model.ContainerSpec, notices io.Writer) (created bool, err error) {
	sup, err := Spawn(spec.Name, lock)
	if err != nil {
		return false, err
	}
	return sup.Create(dir, spec, ctrs, notices)
}

// Spawned is a pod's detached supervisor, started early: its
// exec and the Go runtime's start overlap what podctl still does before
// it can describe the pod (the image layers, prepareImages), and it waits
// for that description on its socket.
type Spawned struct {
	cmd  *exec.Cmd
	sock *stage.SyncSocket
}

// Spawn starts the supervisor of pod name; lock is the pod's
// supervisor lock, which it inherits.
func Spawn(name string, lock *os.File) (*Spawned, error) {
	cmd := &exec.Cmd{
		Path: stage.SelfExe,
		Args: []string{"podctl-supervisor", name},
		// The caller's environment: PATH finds newuidmap; -e KEY values
		// were resolved already.
		// GOMAXPROCS=1: one P, so fewer threads and per-P caches for a
		// process that mostly waits.
		Env:        append(os.Environ(), EnvSupervise+"=3", "GOMAXPROCS=1"),
		ExtraFiles: []*os.File{lock}, // fd 4, after the sync socket
		// A session of its own, no terminal, stdio on /dev/null: it
		// outlives this command and must not hold the caller's terminal.
		SysProcAttr: &unix.SysProcAttr{Setsid: true},
	}
	explain.Printf("podctl", "starts the pod's supervisor in a session of its own: execve(/proc/self/exe) with %s, setsid", EnvSupervise)
	sock, err := stage.SpawnStage("the supervisor of pod "+name, cmd, nil, true)
	if err != nil {
		return nil, err
	}
	return &Spawned{cmd: cmd, sock: sock}, nil
}

// Abort ends a supervisor that will not get a pod: end-of-file on its
// socket, before any request, makes it exit having made nothing.
func (p *Spawned) Abort() {
	p.sock.Close()
	p.cmd.Wait()
}

// Create describes the pod to the supervisor, which makes it; it returns
// once the pod's first container has started.
func (p *Spawned) Create(dir string, spec model.PodSpec, ctrs []model.ContainerSpec, notices io.Writer) (created bool, err error) {
	sock, cmd := p.sock, p.cmd
	defer sock.Close()
	b, _ := json.Marshal(superviseRequest{Dir: dir, LockFD: 4, Spec: spec, Containers: ctrs})
	if err := sock.Send(b); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return false, err
	}
	b, err = sock.Recv()
	if err != nil {
		// It died before answering: whatever it made is its orphan now.
		cmd.Process.Kill()
		cmd.Wait()
		CleanupLeftovers(dir)
		return false, fmt.Errorf("the supervisor of pod %s exited during creation (see %s): %w", spec.Name, filepath.Join(dir, "supervisor.log"), err)
	}
	var r superviseReply
	if err := json.Unmarshal(b, &r); err != nil {
		return false, fmt.Errorf("bad reply from the supervisor of pod %s: %w", spec.Name, err)
	}
	if r.Notice != "" && notices != nil {
		io.WriteString(notices, r.Notice)
	}
	if !r.Created {
		cmd.Wait()
	} else {
		// It lives on; when we exit it is re-parented (to init or the
		// nearest subreaper).
		cmd.Process.Release()
	}
	if r.Error != "" {
		if r.ExitCode != 0 {
			return r.Created, &model.ExecError{Msg: r.Error, ExitCode: r.ExitCode}
		}
		return r.Created, errors.New(r.Error)
	}
	return true, nil
}
