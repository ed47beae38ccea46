package supervisor

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
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

// keepSpec is what the supervisor and the keeper hand each other.
type keepSpec struct {
	lock, ctl, pause int
	net              int // the network helper's pidfd, -1 without one
	wake             time.Time
	runs             []keptRun
	stdins           []keptIn
}

// keptIn is the write end of a running container's stdin (attachserve.go); fd
// -1: closed by stdinOnce until the next run.
type keptIn struct {
	name string
	fd   int
}

// keptRun is one container run: its process (pidfd -1 once it has ended)
// and its output pipes (-1 at end-of-file) with their log.
type keptRun struct {
	name                 string
	pidfd, out, err, log int
}

func (k *keepSpec) String() string {
	var wake int64
	if !k.wake.IsZero() {
		wake = k.wake.UnixMilli()
	}
	s := fmt.Sprintf("lock=%d ctl=%d pause=%d net=%d wake=%d", k.lock, k.ctl, k.pause, k.net, wake)
	for _, r := range k.runs {
		s += fmt.Sprintf(" c=%s,%d,%d,%d,%d", r.name, r.pidfd, r.out, r.err, r.log)
	}
	for _, in := range k.stdins {
		s += fmt.Sprintf(" i=%s,%d", in.name, in.fd)
	}
	return s
}

func parseKeepSpec(s string) (*keepSpec, error) {
	k := &keepSpec{lock: -1, ctl: -1, pause: -1, net: -1}
	for _, tok := range strings.Fields(s) {
		key, val, _ := strings.Cut(tok, "=")
		var err error
		switch key {
		case "lock":
			k.lock, err = strconv.Atoi(val)
		case "ctl":
			k.ctl, err = strconv.Atoi(val)
		case "pause":
			k.pause, err = strconv.Atoi(val)
		case "net":
			k.net, err = strconv.Atoi(val)
		case "wake":
			var ms int64
			if ms, err = strconv.ParseInt(val, 10, 64); ms > 0 {
				k.wake = time.UnixMilli(ms)
			}
		case "c":
			f := strings.Split(val, ",")
			if len(f) != 5 {
				return nil, fmt.Errorf("bad container entry %q", tok)
			}
			r := keptRun{name: f[0]}
			for i, p := range []*int{&r.pidfd, &r.out, &r.err, &r.log} {
				if *p, err = strconv.Atoi(f[i+1]); err != nil {
					break
				}
			}
			k.runs = append(k.runs, r)
		case "i":
			name, fd, ok := strings.Cut(val, ",")
			if !ok {
				return nil, fmt.Errorf("bad stdin entry %q", tok)
			}
			in := keptIn{name: name}
			in.fd, err = strconv.Atoi(fd)
			k.stdins = append(k.stdins, in)
		default:
			err = fmt.Errorf("unknown entry %q", tok)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", nsenter.EnvKeep, s, err)
		}
	}
	if k.lock < 0 || k.ctl < 0 || k.pause < 0 {
		return nil, fmt.Errorf("%s %q: lock, ctl and pause are required", nsenter.EnvKeep, s)
	}
	return k, nil
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
	return s.detached && !s.stopping && !s.finished && !s.creating && s.lockFD >= 0 && !netBusy && len(s.probes) == 0 && s.bypassing.Load() == 0 &&
		len(s.startReplies) == 0 && len(s.exitReplies) == 0 && s.active.Load() == 0 && len(s.events) == 0
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
		for _, p := range s.logPumps {
			p.restart(s)
		}
	}
	k := &keepSpec{lock: inherit(s.lockFD), ctl: inherit(int(lf.Fd())), pause: inherit(s.pause.Pidfd), net: inherit(s.net.HelperPIDFD())}
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
		k.runs = append(k.runs, keptRun{name: name, pidfd: inherit(proc.Pidfd), out: -1, err: -1, log: -1})
	}
	for _, p := range pumps {
		r := keptRun{name: p.container, pidfd: -1, out: -1, err: -1, log: inherit(int(p.log.F.Fd()))}
		if p.out != nil {
			r.out = inherit(int(p.out.Fd()))
		}
		if p.err != nil {
			r.err = inherit(int(p.err.Fd()))
		}
		k.runs = append(k.runs, r)
	}
	for name, in := range s.stdins {
		fd := -1
		if in.w != nil {
			fd = inherit(int(in.w.Fd()))
		}
		k.stdins = append(k.stdins, keptIn{name: name, fd: fd})
	}
	for _, c := range s.St.Containers {
		if c.Restart != nil && !c.Restart.At.IsZero() && (k.wake.IsZero() || c.Restart.At.Before(k.wake)) {
			k.wake = c.Restart.At
		}
	}
	if d := s.deadline(); !d.IsZero() && (k.wake.IsZero() || d.Before(k.wake)) {
		k.wake = d
	}
	// The next measurement of the sized emptyDirs (eviction.go).
	if d := s.evictAt; !d.IsZero() && (k.wake.IsZero() || d.Before(k.wake)) {
		k.wake = d
	}
	s.save()
	env := append(os.Environ(), nsenter.EnvStage+"="+nsenter.StageKeep,
		nsenter.EnvKeep+"="+k.String(), nsenter.EnvKeepDir+"="+s.dir)
	err = unix.Exec(stage.SelfExe, []string{"podctl-keeper", s.dir}, env)
	s.logf("hibernate: exec of the keeper: %v", err)
	resume()
}

// restart resumes a paused pump on the same pipes.
func (p *logPump) restart(s *Supervisor) {
	for _, f := range []*os.File{p.out, p.err} {
		if f != nil {
			f.SetReadDeadline(time.Time{})
			unix.CloseOnExec(int(f.Fd()))
		}
	}
	unix.CloseOnExec(int(p.log.F.Fd()))
	s.startPump(p.container, p.log, p.out, p.err)
}

// resumeSupervisor rebuilds the supervisor of the pod in dir from its
// state and the descriptors the keeper handed back.
func resumeSupervisor(dir string, k *keepSpec) (*Supervisor, error) {
	st, err := model.ReadStateFile(dir)
	if err != nil {
		return nil, err
	}
	s := New(dir, st.Spec)
	s.St, s.detached, s.lockFD = st, true, k.lock
	unix.CloseOnExec(k.lock)
	s.ids = idmap.Mapping{UIDs: st.IDMap.UIDs, GIDs: st.IDMap.GIDs}
	s.ids.Single = s.ids.Size() == 1
	s.files = etcFiles(dir)
	unix.CloseOnExec(k.pause)
	s.pause = &stage.Pause{Pid: st.Pause.PID, Pidfd: k.pause, StartTime: st.Pause.StartTime, Ready: true}
	s.net = s.newGlue() // over the state just read
	s.net.SetPause(s.pause.Pid, s.pause.Pidfd)
	if k.net >= 0 {
		unix.CloseOnExec(k.net)
	}
	s.net.Resume(k.net)

	lf := os.NewFile(uintptr(k.ctl), control.SocketName)
	l, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, fmt.Errorf("the control socket from the keeper: %w", err)
	}
	s.ctl = s.serveControl(l.(*net.UnixListener))

	for _, r := range k.runs {
		if r.pidfd >= 0 {
			c := st.Container(r.name)
			if c == nil {
				unix.Close(r.pidfd)
				continue
			}
			unix.CloseOnExec(r.pidfd)
			proc := &stage.Proc{Pid: c.Proc.PID, Pidfd: r.pidfd}
			s.procs[r.name] = proc
			name := r.name
			stage.OnExit(proc.Pidfd, func() { s.Post(func() { s.exited(name, proc) }) })
		}
		if r.log >= 0 {
			unix.CloseOnExec(r.log)
			log := &crilog.File{Path: model.LogPath(dir, r.name, 0), F: os.NewFile(uintptr(r.log), "log")}
			var out, errf *os.File
			if r.out >= 0 {
				unix.CloseOnExec(r.out)
				unix.SetNonblock(r.out, true)
				out = os.NewFile(uintptr(r.out), "stdout")
			}
			if r.err >= 0 {
				unix.CloseOnExec(r.err)
				unix.SetNonblock(r.err, true)
				errf = os.NewFile(uintptr(r.err), "stderr")
			}
			s.startPump(r.name, log, out, errf)
		}
	}
	for _, in := range k.stdins {
		kept := &containerIn{}
		if in.fd >= 0 {
			unix.CloseOnExec(in.fd)
			kept.w = os.NewFile(uintptr(in.fd), "stdin")
		}
		s.stdins[in.name] = kept
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.Restart == nil {
			continue
		}
		s.backoffs[c.Spec.Name] = &backoff{next: c.Restart.Backoff}
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
