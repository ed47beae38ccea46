package supervisor

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// Hibernation: a detached supervisor with nothing to do execs, in place,
// the keeper (nsenter/keeper.c), which needs a tenth of its memory; the
// keeper execs the Go supervisor back on the next event. execve(2) keeps
// the pid, the children (so the containers' exit statuses still come to
// us), and every descriptor not marked close-on-exec: those are what we
// hand over, listed in nsenter.EnvKeep.
//
//	supervisor (Go) -- idle 2 s --> execve(keep) ------> keeper (C)
//	   ^                                                   | logs output
//	   +--- execve(supervise=resume) <--- control socket, pidfd, pause,
//	                                      back-off, deadline, emptyDir
//	                                      measurement (wake)

// hibernateAfter is how long a detached supervisor waits after its last
// event before it hibernates; PODCTL_HIBERNATE_AFTER (a Go duration, or
// "never") overrides it, which the tests use.
func hibernateAfter() (time.Duration, bool) {
	switch v := os.Getenv("PODCTL_HIBERNATE_AFTER"); v {
	case "":
		return 2 * time.Second, true
	case "never":
		return 0, false
	default:
		d, err := time.ParseDuration(v)
		return d, err == nil
	}
}

// inherit clears close-on-exec on fd, so that it survives our execve.
func inherit(fd int) int {
	if fd >= 0 {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
	return fd
}

// canHibernate: nothing in flight that lives only in this process's memory.
func (s *Supervisor) canHibernate() bool {
	// A network helper that is starting, or waits for its restart, is
	// work in flight too.
	netBusy := s.net.Busy()
	// Probes run in Go: a pod with probes keeps its supervisor awake.
	// So do the deciders of --port-bypass's binds.
	// A pod the keeper cannot hold whole stays with its supervisor.
	fits := len(s.procs)+len(s.logPumps) <= nsenter.MaxKept && len(s.stdins) <= nsenter.MaxKept
	return s.detached && !s.stopping && !s.finished && !s.creating && s.lockFD >= 0 && !netBusy && len(s.probes) == 0 && s.bypassing.Load() == 0 &&
		len(s.startReplies) == 0 && len(s.exitReplies) == 0 && s.active.Load() == 0 && len(s.events) == 0 && fits
}

// hibernate hands the pod to the keeper, if nothing is in flight. It
// returns only if it did not (or could not).
func (s *Supervisor) hibernate() {
	if !s.canHibernate() {
		return
	}
	// Stop accepting: a copy of the listening socket goes to the keeper;
	// a command that connects meanwhile waits in the backlog, and the
	// keeper wakes us for it.
	lf, err := s.ctl.l.File()
	if err != nil {
		return
	}
	s.ctl.close()
	resume := func() {
		if l, err := net.FileListener(lf); err == nil {
			s.ctl = s.serveControl(l.(*net.UnixListener))
		} else {
			s.logf("hibernate: re-listening: %v", err)
		}
		lf.Close()
		// Each paused pump goes on as a new one. The paused ones leave
		// the list first: startPump drops only pumps whose done is
		// closed, which a paused pump's goroutine may not have done yet,
		// and a pump listed twice was handed to the keeper twice (two
		// readers of one pipe, two writers of one log).
		paused := s.logPumps
		s.logPumps = nil
		for _, p := range paused {
			p.restart(s)
		}
	}
	k := &nsenter.KeepSpec{Lock: inherit(s.lockFD), Ctl: inherit(int(lf.Fd())), Pause: inherit(s.pause.Pidfd), Net: inherit(s.net.HelperPIDFD())}
	// Pause the log pumps: what they read is logged; the pipes go on.
	var pumps []*logPump
	for _, p := range s.logPumps {
		if p.pause() {
			pumps = append(pumps, p)
		}
	}
	s.logPumps = pumps
	if !s.canHibernate() { // a request arrived meanwhile
		resume()
		return
	}
	for name, proc := range s.procs {
		k.Runs = append(k.Runs, nsenter.KeptRun{Name: name, PIDFD: inherit(proc.Pidfd), Out: -1, Err: -1, Log: -1})
	}
	for _, p := range pumps {
		open := p.log.OpenLines()
		r := nsenter.KeptRun{Name: p.container, PIDFD: -1, Out: -1, Err: -1, Log: inherit(int(p.log.Fd())),
			Open: b2i(open.Stdout) | b2i(open.Stderr)<<1, Max: p.log.Limits.MaxSize}
		if p.out != nil {
			r.Out = inherit(int(p.out.Fd()))
		}
		if p.err != nil {
			r.Err = inherit(int(p.err.Fd()))
		}
		k.Runs = append(k.Runs, r)
	}
	for name, in := range s.stdins {
		fd := -1
		if in.w != nil {
			fd = inherit(int(in.w.Fd()))
		}
		k.Stdins = append(k.Stdins, nsenter.KeptIn{Name: name, FD: fd})
	}
	for _, c := range s.St.Containers {
		if c.Restart != nil && !c.Restart.At.IsZero() && (k.Wake.IsZero() || c.Restart.At.Before(k.Wake)) {
			k.Wake = c.Restart.At
		}
	}
	if d := s.deadline(); !d.IsZero() && (k.Wake.IsZero() || d.Before(k.Wake)) {
		k.Wake = d
	}
	// The next measurement of the sized emptyDirs (eviction.go).
	if d := s.evictAt; !d.IsZero() && (k.Wake.IsZero() || d.Before(k.Wake)) {
		k.Wake = d
	}
	s.save() // after the pumps' pause: their dropped bytes are counted
	env := append(os.Environ(), nsenter.EnvStage+"="+nsenter.StageKeep,
		nsenter.EnvKeep+"="+k.String(), nsenter.EnvKeepDir+"="+s.dir)
	err = unix.Exec(stage.SelfExe, []string{"podctl-keeper", s.dir}, env)
	s.logf("hibernate: exec of the keeper: %v", err)
	resume()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// restart resumes a paused pump on the same pipes.
func (p *logPump) restart(s *Supervisor) {
	for _, f := range []*os.File{p.out, p.err} {
		if f != nil {
			f.SetReadDeadline(time.Time{})
			unix.CloseOnExec(int(f.Fd()))
		}
	}
	unix.CloseOnExec(int(p.log.Fd()))
	s.startPump(p.container, p.log, p.out, p.err)
}

// resumeSupervisor rebuilds the supervisor of the pod in dir from its
// state and the descriptors the keeper handed back.
func resumeSupervisor(dir string, k *nsenter.KeepSpec) (*Supervisor, error) {
	st, err := model.ReadStateFile(dir)
	if err != nil {
		return nil, err
	}
	s := New(dir, st.Spec)
	s.St, s.detached, s.lockFD = st, true, k.Lock
	unix.CloseOnExec(k.Lock)
	s.ids = idmap.Mapping{UIDs: st.IDMap.UIDs, GIDs: st.IDMap.GIDs}
	s.ids.Single = s.ids.Size() == 1
	s.files = stage.EtcFiles(dir)
	unix.CloseOnExec(k.Pause)
	s.pause = &stage.Pause{Pid: st.Pause.PID, Pidfd: k.Pause, StartTime: st.Pause.StartTime, Ready: true}
	s.net = s.newGlue() // over the state just read
	s.net.SetPause(s.pause.Pid, s.pause.Pidfd)
	if k.Net >= 0 {
		unix.CloseOnExec(k.Net)
	}
	s.net.Resume(k.Net)

	lf := os.NewFile(uintptr(k.Ctl), control.SocketName)
	l, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, fmt.Errorf("the control socket from the keeper: %w", err)
	}
	s.ctl = s.serveControl(l.(*net.UnixListener))

	for _, r := range k.Runs {
		if r.PIDFD >= 0 {
			c := st.Container(r.Name)
			if c == nil {
				unix.Close(r.PIDFD)
				continue
			}
			unix.CloseOnExec(r.PIDFD)
			proc := &stage.Proc{Pid: c.Proc.PID, Pidfd: r.PIDFD}
			s.procs[r.Name] = proc
			name := r.Name
			stage.OnExit(proc.Pidfd, func() { s.Post(func() { s.exited(name, proc) }) })
		}
		if r.Log >= 0 {
			unix.CloseOnExec(r.Log)
			path, lim := model.LogPath(dir, r.Name, 0), crilog.Limits{}
			if c := st.Container(r.Name); c != nil {
				path, lim = c.Spec.LogFile(dir, c.RestartCount), st.Spec.LogLimits(&c.Spec)
				c.LogDroppedBytes += r.Dropped
			}
			log, err := crilog.Adopt(path, os.NewFile(uintptr(r.Log), "log"), lim, crilog.OpenLines{Stdout: r.Open&1 != 0, Stderr: r.Open&2 != 0})
			if err != nil {
				s.logf("resuming: %v", err)
			}
			if log == nil { // its pipes go: the writers get EPIPE, not a stall
				unix.Close(r.Out)
				unix.Close(r.Err)
				continue
			}
			var out, errf *os.File
			if r.Out >= 0 {
				unix.CloseOnExec(r.Out)
				unix.SetNonblock(r.Out, true)
				out = os.NewFile(uintptr(r.Out), "stdout")
			}
			if r.Err >= 0 {
				unix.CloseOnExec(r.Err)
				unix.SetNonblock(r.Err, true)
				errf = os.NewFile(uintptr(r.Err), "stderr")
			}
			s.startPump(r.Name, log, out, errf)
		}
	}
	for _, in := range k.Stdins {
		kept := &containerIn{}
		if in.FD >= 0 {
			unix.CloseOnExec(in.FD)
			kept.w = os.NewFile(uintptr(in.FD), "stdin")
		}
		s.stdins[in.Name] = kept
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.Restart == nil {
			continue
		}
		s.backoffs[c.Spec.Name] = &model.Backoff{Next: c.Restart.Backoff}
		if !c.Restart.At.IsZero() && c.State.Waiting != nil {
			s.restartAt(c.Spec.Name, c.Restart.At)
		}
	}
	s.watchPause()
	s.armDeadline()
	// Woken for the measurement, or for something else: measure now
	// (the time of the next one is not kept across the exec).
	s.armEviction(0)
	return s, nil
}
