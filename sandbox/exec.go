package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/termio"

	"golang.org/x/sys/unix"
)

// ExecOptions are podctl exec's.
type ExecOptions struct {
	Container string // name or id; empty: the pod's main container
	Args      []string
	Env       []string // KEY=VALUE, over the container's own
	User, Cwd string   // empty: the container's
	TTY       bool     // a new pty of the container's devpts, relayed
	// Stdin is the command's standard input (nil: /dev/null); Stdout and
	// Stderr take its output (nil: discarded; with TTY, Stdout takes
	// both). An *os.File that is not a terminal is handed to the command
	// as it is; anything else, a terminal included, is relayed through a
	// pipe, so the command never holds the caller's terminal
	// (CVE-2017-5226).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Resize sets the pty's window size (with TTY): the caller sends its
	// terminal's size first, then each change, and may close it.
	Resize <-chan WindowSize
}

// WindowSize is a terminal's size in characters.
type WindowSize = model.WindowSize

// Exec runs a command in a running container: a process that joins every
// namespace of the container's workload, its mount namespace included (so
// it sees the container's root filesystem), with the container's user,
// environment and working directory. It returns the command's exit code.
//
// The command never gets the caller's terminal (CVE-2017-5226): with TTY
// it gets a new pty whose other end podctl relays; without, a standard
// stream that is a terminal is relayed through a pipe. When ctx ends
// before the command, the command is killed (SIGKILL) and Exec returns
// ctx's error.
func Exec(ctx context.Context, pod string, o ExecOptions) (int, error) {
	if len(o.Args) == 0 {
		return 0, fmt.Errorf("no command given: podctl exec POD -- CMD [ARG...]")
	}
	var rl relay
	defer rl.close()
	var stdio [3]*os.File
	var err error
	// The join stage may start before the pod's state is read (earlyJoin)
	// when its stdio is ready then; a stdin relayed by a copier is not
	// started before the pod is known to be there (podctl-cri's streams).
	streamsFirst := o.TTY || o.Stdin == nil
	var early *earlyJoin
	if streamsFirst {
		if stdio, err = execStdio(&rl, o); err != nil {
			return 0, fmt.Errorf("pod %s: %w", pod, err)
		}
		early = spawnJoinEarly(pod, stdio)
		defer early.abort()
	}

	st, _, c, err := runningContainer(pod, o.Container, "exec")
	if err != nil {
		return 0, err
	}
	where := fmt.Sprintf("container %s of pod %s", c.Spec.Name, pod)
	pidfd, err := unix.PidfdOpen(c.Proc.PID, 0)
	if err != nil {
		return 0, fmt.Errorf("%s: pidfd_open: %w", where, err)
	}
	defer unix.Close(pidfd)
	// Checked after the pidfd was opened: it names the process we mean.
	if !c.Proc.Alive() {
		return 0, fmt.Errorf("%s has just exited", where)
	}
	if _, _, err := model.ParseUserSpec(o.User); err != nil {
		return 0, err
	}
	cfg, err := stage.ExecConfig(st, &c.Spec, o.Args, o.Env, o.User, o.Cwd)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", where, err)
	}
	cfg.Tty = o.TTY
	if !streamsFirst {
		if stdio, err = execStdio(&rl, o); err != nil {
			return 0, fmt.Errorf("%s: %w", where, err)
		}
		early = constructorJoin(pod, stdio)
		defer early.abort()
	}

	var proc *stage.Proc
	if j := early.take(st.Cgroup == ""); j != nil {
		explain.Printf("podctl", "exec into container %s through a pidfd of its process (pid %d): pidfd_open", c.Spec.Name, c.Proc.PID)
		proc, err = j.Start(pidfd, stage.ExecFlags(st.Spec), 0, cfg)
	} else {
		explain.Printf("podctl", "exec into container %s through a pidfd of its process (pid %d): pidfd_open; execve(/proc/self/exe) with _PODCTL_STAGE=join", c.Spec.Name, c.Proc.PID)
		// The exec'd process counts against the container's limits: it
		// is born in the container's cgroup.
		var cgroupDir string
		if st.Cgroup != "" {
			cgroupDir = filepath.Join(st.Cgroup, c.Spec.Name)
		}
		proc, err = stage.JoinContainer(st.Spec, c.Spec.Name, cgroupDir, pidfd, stdio, cfg)
	}
	rl.closeChild()
	if err != nil {
		return 0, err
	}
	if proc.Pty != nil {
		rl.pty(proc.Pty, o.Stdin, o.Stdout, o.Resize)
	}
	stop := context.AfterFunc(ctx, func() { proc.Signal(unix.SIGKILL) })
	code, err := proc.Wait()
	rl.drain()
	if !stop() && ctx.Err() != nil {
		return code, fmt.Errorf("%s: %w", where, ctx.Err())
	}
	return code, err
}

// execStdio is the stdio the join stage hands the command: /dev/null with
// a tty (the init replaces it with a pty of the container's own, relayed
// later), else the caller's streams, relayed where they must be.
func execStdio(rl *relay, o ExecOptions) ([3]*os.File, error) {
	if o.TTY {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return [3]*os.File{}, err
		}
		rl.child = append(rl.child, null)
		return [3]*os.File{null, null, null}, nil
	}
	return rl.streams(o.Stdin, o.Stdout, o.Stderr)
}

// relay copies between podctl's standard streams and the command's.
type relay struct {
	child   []*os.File // the command's ends, closed once it has them
	ours    []*os.File
	outputs chan struct{} // one value per output copier that finished
	nout    int
}

func (r *relay) closeChild() {
	for _, f := range r.child {
		f.Close()
	}
	r.child = nil
}

// drain waits for the command's output to be copied out.
func (r *relay) drain() {
	for ; r.nout > 0; r.nout-- {
		<-r.outputs
	}
}

func (r *relay) close() {
	r.closeChild()
	for _, f := range r.ours {
		f.Close()
	}
}

// output relays what the command writes to w, through a pipe.
func (r *relay) output(w io.Writer) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	r.child, r.ours = append(r.child, pw), append(r.ours, pr)
	r.copyOut(w, pr)
	return pw, nil
}

// copyOut copies src to w until end-of-file (or, for a pty's master, EIO
// once the last holder of the slave has exited); drain waits for it.
func (r *relay) copyOut(w io.Writer, src io.Reader) {
	if r.outputs == nil {
		r.outputs = make(chan struct{}, 3)
	}
	r.nout++
	go func() {
		io.Copy(w, src)
		r.outputs <- struct{}{}
	}()
}

// streams gives the command the caller's streams: as they are where they
// are files that are not terminals, else relayed through pipes.
func (r *relay) streams(in io.Reader, out, errw io.Writer) ([3]*os.File, error) {
	var s [3]*os.File
	var err error
	if f, ok := in.(*os.File); ok && !termio.IsTerminal(f) {
		s[0] = f
	} else if in == nil {
		if s[0], err = os.Open(os.DevNull); err != nil {
			return s, err
		}
		r.child = append(r.child, s[0])
	} else {
		pr, pw, err := os.Pipe()
		if err != nil {
			return s, err
		}
		r.child, r.ours = append(r.child, pr), append(r.ours, pw)
		go func() {
			io.Copy(pw, in)
			pw.Close()
		}()
		s[0] = pr
	}
	for i, w := range []io.Writer{out, errw} {
		if w == nil {
			w = io.Discard
		}
		if f, ok := w.(*os.File); ok && !termio.IsTerminal(f) {
			s[i+1] = f
		} else if s[i+1], err = r.output(w); err != nil {
			return s, err
		}
	}
	return s, nil
}

// runningContainer finds container name (empty: the main one) of pod, and
// refuses one that is not running, for the command named verb.
func runningContainer(pod, name, verb string) (*model.PodState, string, *model.ContainerStatus, error) {
	st, dir, c, err := podContainer(pod, name)
	if err != nil {
		return nil, "", nil, err
	}
	if c.State.Running == nil || !c.Proc.Alive() {
		return nil, "", nil, fmt.Errorf("container %s of pod %s is not running (%s); podctl %s needs a running container", c.Spec.Name, pod, c.StateWord(), verb)
	}
	return st, dir, c, nil
}

// earlyJoin is podctl exec's join stage started before the pod's state is
// read: where pods have no cgroup (cgroup v2 is not the host's only
// hierarchy, cgroups/mode.go), its exec (~2 ms here, during which Go's
// fork/exec holds the thread that started it) runs on a goroutine while
// the state is read and the command's plan made. Where they may have one,
// the stage must be born in the container's cgroup, which only the state
// names: it is started after, as before. Where nsenter's constructor
// forked one (constructorJoin), that one is used instead, and nothing is
// exec'd.
type earlyJoin struct {
	spawned chan spawnedJoin
	taken   bool
}

type spawnedJoin struct {
	j   *stage.Joiner
	err error
}

// spawnJoinEarly starts the join stage now, if pods here have no cgroup
// (or takes the one nsenter's constructor forked); nil otherwise.
func spawnJoinEarly(pod string, stdio [3]*os.File) *earlyJoin {
	if e := constructorJoin(pod, stdio); e != nil {
		return e
	}
	if cgroups.DetectMode() == cgroups.Unified {
		return nil
	}
	explain.Printf("podctl", "starts the join stage before it reads the pod's state: execve(/proc/self/exe) with _PODCTL_STAGE=join")
	e := &earlyJoin{spawned: make(chan spawnedJoin, 1)}
	go func() {
		j, err := stage.SpawnExecJoin(pod, stdio)
		e.spawned <- spawnedJoin{j, err}
	}()
	return e
}

// ReleaseExecStage ends and reaps the join stage that nsenter's constructor
// forked when podctl exec started, if nothing took it (exec failed before
// it needed one, or printed its help): podctl calls it before it exits, so
// that no process of its own outlives it.
func ReleaseExecStage() { stage.ReleaseEarlyJoin() }

// constructorJoin is the join stage that nsenter's constructor forked
// when podctl exec started (stage.EarlyExecJoin), sent stdio, if pods here
// have no cgroup; nil otherwise (then it is ended here). That stage was
// born in podctl's own cgroup, and the container's init that it clones
// would be too, outside the container's limits. (The constructor forks
// none where cgroup v2 is the host's hierarchy; this is the check that
// counts.)
func constructorJoin(pod string, stdio [3]*os.File) *earlyJoin {
	if cgroups.DetectMode() == cgroups.Unified {
		stage.ReleaseEarlyJoin()
		return nil
	}
	j, err := stage.EarlyExecJoin(pod, stdio)
	if j == nil && err == nil {
		return nil
	}
	e := &earlyJoin{spawned: make(chan spawnedJoin, 1)}
	e.spawned <- spawnedJoin{j, err}
	return e
}

// take is the started stage, if there is one and usable is true (the
// container has no cgroup); otherwise it is ended, and nil returned, so
// that the caller starts one in the container's cgroup. Nil-safe.
func (e *earlyJoin) take(usable bool) *stage.Joiner {
	if e == nil || e.taken {
		return nil
	}
	e.taken = true
	r := <-e.spawned
	if r.err != nil {
		return nil // started again the usual way, which reports why not
	}
	if !usable {
		r.j.Abort()
		return nil
	}
	return r.j
}

// abort ends a started stage that was not taken (a failed exec); nil-safe.
func (e *earlyJoin) abort() {
	if e == nil || e.taken {
		return
	}
	e.taken = true
	if r := <-e.spawned; r.err == nil {
		r.j.Abort()
	}
}
