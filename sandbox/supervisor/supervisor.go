package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podnet"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/termio"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/rootfs"
	"golang.org/x/sys/unix"
)

// supervisor owns one pod on the host side: it made the pause and starts
// every container, so all of them are its children and it alone collects
// their exit statuses. It restarts containers by the pod's restartPolicy,
// runs init containers one by one before the app containers, writes each
// container's output to a CRI log, and records everything in state.json.
//
// It runs inside podctl run (foreground: it is podctl itself, so nothing is
// daemonized and strace -f ends) or as a detached process of its own
// (podctl run -d, podctl pod create; supervise.go).
//
// All of its state is owned by one goroutine, loop: other goroutines (exit
// watchers, the control socket, timers, signal handlers) send it closures
// on events, so nothing here needs a lock.
type Supervisor struct {
	dir   string
	St    *model.PodState
	pause *stage.Pause
	ids   idmap.Mapping
	files []rootfs.BindFile

	// Foreground runs also copy the containers' output here, and with
	// podctl run -i give the first container's first run this stdin.
	Stdout, Stderr io.Writer
	Stdin          *os.File
	Notices        io.Writer

	events   chan func()
	procs    map[string]*stage.Proc // running containers, by name
	backoffs map[string]*backoff
	timers   map[string]*time.Timer // restarts waiting out their back-off
	// deadlineTimer fires at the pod's deadline (deadline.go).
	deadlineTimer *time.Timer
	// evictTimer measures the pod's sized emptyDirs at evictAt
	// (eviction.go); measureLogged: a failed measurement was logged.
	evictTimer    *time.Timer
	evictAt       time.Time
	measureLogged bool
	// exitReplies: who waits for a container to end for good (a
	// foreground podctl run --pod).
	exitReplies map[string][]chan control.Reply
	// startReplies: who waits for the first start of a container (podctl
	// run --pod waits to report an exec failure).
	startReplies map[string][]chan error

	FirstErr    error // why the first container did not start
	creating    bool  // in create: the pod is not complete yet
	detached    bool  // a process of its own (not podctl run in the foreground)
	lockFD      int   // its supervisor.lock, handed to the keeper (-1: none)
	stopping    bool
	stopSignal  unix.Signal
	killTimer   *time.Timer
	stopWaiters []chan error
	pauseLost   string // why the pause died, if it died first
	sigkilled   bool   // a container died of a SIGKILL we did not send
	finished    bool
	done        chan struct{}
	pumps       sync.WaitGroup
	logPumps    []*logPump     // of every container run whose output may still come
	handlers    sync.WaitGroup // control requests being answered
	multi       atomic.Bool    // the pod has several containers: prefix their output
	active      atomic.Int32   // how many, for hibernate
	ctl         *controlServer
	// net: the pod's network helper and its restarts (sandbox/podnet).
	net *podnet.Glue
	// --network bridge: the shared network's user namespace while the
	// pod is made, and the pod's leased address.
	parentUserns *os.File
	bridgeIP     string
	// oomBase: memory.events oom_kill of each container's cgroup when its
	// current run started (cgroup.go).
	oomBase map[string]uint64
	// probes: the running probes of each container (probe.go);
	// probeKilled: why a probe killed a container, for its termination.
	probes      map[string]*probers
	probeKilled map[string]string
	// sidecarsDone: the app containers are done; sidecars are stopped and
	// not restarted.
	sidecarsDone bool
	// stdins: the write end of each running container's stdin, for
	// podctl attach -i (attach.go).
	stdins map[string]*containerIn
	// bypassing: goroutines deciding binds (--port-bypass, bypass.go).
	bypassing atomic.Int32
	// launching: launchAll is recording a batch of started runs.
	launching bool
	// restoreTerm gives podctl run -it's terminal its settings back.
	RestoreTerm func()
}

// New prepares the supervisor of a pod to be made in dir (Create) or
// resumed from it (resumeSupervisor).
func New(dir string, spec model.PodSpec) *Supervisor {
	now := time.Now().UTC()
	s := &Supervisor{
		dir: dir,
		St: &model.PodState{Spec: spec, Created: now, BootID: model.BootID(), Phase: model.PhasePending,
			Supervisor: model.ProcRef{PID: os.Getpid()}},
		events:       make(chan func(), 16),
		procs:        map[string]*stage.Proc{},
		backoffs:     map[string]*backoff{},
		timers:       map[string]*time.Timer{},
		startReplies: map[string][]chan error{},
		exitReplies:  map[string][]chan control.Reply{},
		oomBase:      map[string]uint64{},
		probes:       map[string]*probers{},
		probeKilled:  map[string]string{},
		stdins:       map[string]*containerIn{},
		done:         make(chan struct{}),
		lockFD:       -1,
	}
	s.net = s.newGlue()
	return s
}

// newGlue prepares the pod's network glue over s.St's network record.
func (s *Supervisor) newGlue() *podnet.Glue {
	return podnet.New(s.St.Spec.Name, s.dir, s.St.Spec.Network, &s.St.Network, podnet.Hooks{
		Post:   s.Post,
		Logf:   s.logf,
		Save:   s.save,
		Ending: func() bool { return s.finished || s.stopping },
		Cgroup: func() *os.File { return s.cgroupOf(netLeaf) },
	})
}

// create makes the pod: the pause, its /etc files, the control socket,
// and the first of ctrs started. The error of that first start (an
// *ExecError for a workload that cannot be executed) is kept in firstErr,
// and recorded in the container's state. On an error nothing of the pod is
// left but its directory.
func (s *Supervisor) Create(ctrs []model.ContainerSpec) error {
	bridge := s.St.Spec.Network.Mode == netsetup.Bridge
	if bridge {
		// The pod's user namespace is made inside the shared network's
		// (bridge.go), and the pod leases its address first.
		userns, ip, err := podnet.JoinShared(s.St.Spec.Name, s.St.Spec.Network.AllowHostLoopback, idmap.Detect())
		if err != nil {
			return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
		}
		s.parentUserns, s.bridgeIP = userns, ip
		defer func() { userns.Close(); s.parentUserns = nil }()
	}
	err := s.makeCgroup()
	if err == nil {
		if err = s.createPod(ctrs); err != nil {
			s.removeCgroup()
		}
	}
	if err != nil && bridge {
		podnet.ReleaseShared(s.St.Spec.Name)
	}
	return err
}

func (s *Supervisor) createPod(ctrs []model.ContainerSpec) error {
	for _, c := range ctrs {
		s.St.Containers = append(s.St.Containers, model.ContainerStatus{Spec: c,
			State: model.ContainerState{Waiting: &model.StateWaiting{Reason: model.ReasonContainerCreating}}})
	}
	var err error
	if s.St.Supervisor.StartTime, err = model.ProcStartTime(os.Getpid()); err != nil {
		return err
	}
	// The join stages of the first wave (firstWave: every app container,
	// or the first init container) start while the pause is made: the
	// execs overlap (see sync.go), and the runs start side by side
	// (launch.go).
	var runs []*pendingRun
	abortFirst := func() {
		for _, r := range runs {
			r.abort()
		}
	}
	for i, c := range firstWave(s.St.Containers) {
		var stdin *os.File
		if i == 0 {
			stdin = s.Stdin
		}
		r, err := s.spawnRun(c, stdin)
		if err != nil {
			abortFirst()
			return err
		}
		runs = append(runs, r)
	}
	explain.Printf("podctl", "pod %s: state in %s, created locked (mkdir, flock, rename)", s.St.Spec.Name, s.dir)
	explain.Printf("podctl", "starts the pause's set-up stage: execve(/proc/self/exe) with _PODCTL_STAGE=pause")
	ps, err := stage.SpawnPause(s.St.Spec.Network.Mode == netsetup.Host, s.parentUserns, s.cgroupOf(pauseLeaf))
	if err != nil {
		abortFirst()
		return err
	}
	s.ids = idmap.Detect()
	if s.St.Spec.UserNS == idmap.UserNSKeepID && os.Getuid() != 0 {
		if s.ids, err = s.ids.KeepID(uint32(os.Getuid()), uint32(os.Getgid())); err != nil {
			ps.Abort()
			abortFirst()
			return err
		}
	}
	if s.ids.Notice != "" && s.Notices != nil {
		fmt.Fprintf(s.Notices, "podctl: notice: %s\n", s.ids.Notice)
	}
	s.St.IDMap.UIDs, s.St.IDMap.GIDs = s.ids.UIDs, s.ids.GIDs
	s.St.Network = model.NetworkState{Status: netsetup.Expected(s.St.Spec.Network), Ports: s.St.Spec.Network.Ports}
	if s.bridgeIP != "" {
		s.St.Network.IP = s.bridgeIP
	}
	if s.files, err = writeEtcFiles(s.dir, s.St.Spec, s.St.Network.Status); err != nil {
		ps.Abort()
		abortFirst()
		return err
	}
	if s.pause, err = ps.Finish(s.St.Spec.Hostname, s.ids); err != nil {
		abortFirst()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
	}
	s.St.Pause = model.ProcRef{PID: s.pause.Pid, StartTime: s.pause.StartTime}
	s.St.StartTime = time.Now().UTC()
	explain.Printf("podctl", "the pause is pid %d; a pidfd names it from now on: pidfd_open(%d)", s.pause.Pid, s.pause.Pid)
	s.net.SetPause(s.pause.Pid, s.pause.Pidfd)
	if err := s.net.Start(); err != nil {
		abortFirst()
		s.pause.Stop()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
	}
	if s.ctl, err = listenControl(s.dir, s); err != nil {
		abortFirst()
		s.net.Stop()
		s.pause.Stop()
		return err
	}
	// On record before any workload runs: from its first instruction
	// on, podctl commands can find the pod.
	s.save()
	var startErr error
	if len(runs) > 0 {
		// Whatever happens to them, the pod is finished after awaitReady.
		s.creating = true
		startErr = s.launchAll(runs)
		s.creating = false
	}
	// The first container joined while the pause finished starting; had
	// the pause failed, that is the error to report, not its consequence.
	if rerr := s.pause.AwaitReady(); rerr != nil {
		s.killAll(unix.SIGKILL)
		s.net.Stop()
		s.pause.Stop()
		s.ctl.close()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, rerr)
	}
	// A pod with no container yet (pod create) is made once its network
	// is: a failing helper fails the creation.
	if err := s.net.Wait(); err != nil {
		s.killAll(unix.SIGKILL)
		s.pause.Stop()
		s.ctl.close()
		return err
	}
	s.watchPause()
	s.armDeadline()
	s.armEviction(evictionInterval())
	// With no init container in the way, the other containers start now.
	s.schedule()
	s.save()
	s.FirstErr = startErr
	return nil
}

// run is the supervisor's loop; it returns once the pod has ended.
func (s *Supervisor) Run() {
	if s.St.Spec.AutoStop && model.Terminal(s.St.Phase) {
		s.finish()
	}
	var idle <-chan time.Time
	after, hibernates := hibernateAfter()
	for !s.finished {
		if s.detached && idle == nil {
			idle = time.After(after)
		}
		select {
		case f := <-s.events:
			f()
			idle = nil
		case <-idle:
			if hibernates {
				s.hibernate() // returns only if it could not
			}
			s.idle()
			idle = make(chan time.Time) // until the next event
		}
	}
	// Let the answers to stop requests reach their callers before the
	// process exits.
	answered := make(chan struct{})
	go func() { s.handlers.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-time.After(time.Second):
	}
}

// post runs f on the loop goroutine (from any goroutine).
func (s *Supervisor) Post(f func()) {
	select {
	case s.events <- f:
	case <-s.done:
	}
}

// stdPipes are a container's standard output and error, read by the
// supervisor; its standard input is /dev/null, or podctl run -i's.
type stdPipes struct {
	null, outR, outW, errR, errW *os.File
	inW                          *os.File // the kept write end of a stdin pipe (attach.go)
}

// newStdPipes makes them; stdin, if not nil, is given to the container
// (through a relayed pipe if it is a terminal: never the caller's
// terminal, CVE-2017-5226).
func newStdPipes(stdin *os.File) (*stdPipes, error) {
	p := &stdPipes{}
	var err error
	switch {
	case stdin == nil:
		p.null, err = os.Open(os.DevNull)
	case termio.IsTerminal(stdin):
		var w *os.File
		if p.null, w, err = os.Pipe(); err == nil {
			go func() {
				io.Copy(w, stdin)
				w.Close()
			}()
		}
	default:
		// A duplicate, so that closing our copy leaves podctl's own.
		var fd int
		if fd, err = unix.FcntlInt(stdin.Fd(), unix.F_DUPFD_CLOEXEC, 0); err == nil {
			p.null = os.NewFile(uintptr(fd), "stdin")
		}
	}
	if err != nil {
		return nil, err
	}
	if p.outR, p.outW, err = os.Pipe(); err != nil {
		p.close()
		return nil, err
	}
	if p.errR, p.errW, err = os.Pipe(); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *stdPipes) child() [3]*os.File { return [3]*os.File{p.null, p.outW, p.errW} }

// closeChild closes our copies of the child's ends once the child has
// them, so that end-of-file arrives when the workload (and whatever it
// forked) closes them.
func (p *stdPipes) closeChild() {
	for _, f := range []*os.File{p.null, p.outW, p.errW} {
		if f != nil {
			f.Close()
		}
	}
	p.null, p.outW, p.errW = nil, nil, nil
}

func (p *stdPipes) close() {
	p.closeChild()
	for _, f := range []*os.File{p.outR, p.errR, p.inW} {
		if f != nil {
			f.Close()
		}
	}
}

// start starts container c now (loop goroutine).
func (s *Supervisor) start(c *model.ContainerStatus) error {
	r, err := s.spawnRun(c, nil)
	if err != nil {
		return s.startFailed(c, err)
	}
	return s.launch(r)
}

// startFailed records a container that could not be started as
// terminated with reason StartError, and applies the restart policy.
func (s *Supervisor) startFailed(c *model.ContainerStatus, err error) error {
	code := 128 // the kubelet's exit code for a StartError
	var ee *model.ExecError
	if errors.As(err, &ee) {
		code = ee.ExitCode
	}
	now := time.Now().UTC()
	s.terminated(c, &model.StateTerminated{ExitCode: code, Reason: model.ReasonStartError, Message: err.Error(),
		StartedAt: now, FinishedAt: now}, 0)
	s.replyStarted(c.Spec.Name, err)
	return err
}

func (s *Supervisor) replyStarted(name string, err error) {
	for _, ch := range s.startReplies[name] {
		ch <- err
	}
	delete(s.startReplies, name)
}

// exited collects the status of a container's process (loop goroutine).
func (s *Supervisor) exited(name string, proc *stage.Proc) {
	code, sig, err := proc.WaitStatus()
	delete(s.procs, name)
	s.closeStdin(name)
	delete(s.stdins, name)
	explain.Printf("podctl", "container %s (pid %d) exited: code %d, signal %d: wait4", name, proc.Pid, code, sig)
	c := s.St.Container(name)
	if c == nil {
		return
	}
	if sig == int(unix.SIGKILL) && !s.stopping {
		s.sigkilled = true
	}
	t := &model.StateTerminated{ExitCode: code, Signal: sig, Reason: model.ExitReason(code), FinishedAt: time.Now().UTC()}
	if err != nil {
		t.Reason, t.Message = model.ReasonError, err.Error()
	}
	s.stopProbes(name)
	if why := s.probeKilled[name]; why != "" {
		t.Message = why
		delete(s.probeKilled, name)
	}
	if s.oomKilled(name) {
		// Counted by the kernel in memory.events, not guessed from 137.
		t.Reason = model.ReasonOOMKilled
		if sig == int(unix.SIGKILL) {
			s.sigkilled = false // ours to explain: not the pause's death
		}
	}
	s.killLeaf(name)
	var ran time.Duration
	if c.State.Running != nil {
		t.StartedAt = c.State.Running.StartedAt
		ran = t.FinishedAt.Sub(t.StartedAt)
	}
	s.terminated(c, t, ran)
}

// terminated records the end of a run of c and decides what comes next:
// a restart (now, or after a back-off), or nothing.
func (s *Supervisor) terminated(c *model.ContainerStatus, t *model.StateTerminated, ran time.Duration) {
	c.State = model.ContainerState{Terminated: t}
	c.Ready, c.Started, c.Proc = false, false, model.ProcRef{}
	name := c.Spec.Name
	if s.stopping {
		s.replyExited(c)
		s.afterChange()
		return
	}
	restart := s.St.Spec.RestartPolicy.Restarts(t.ExitCode)
	switch {
	case c.Spec.Remove:
		// run --rm: a one-off, never restarted (docker refuses --rm
		// with --restart for the same reason).
		restart = false
	case c.Spec.Sidecar:
		// Restarted whatever its exit, until the app containers are done.
		restart = !s.sidecarsDone
	case c.Spec.Init:
		// An init container that succeeded is done, whatever the
		// policy; a failed one is retried unless the policy is Never.
		restart = t.ExitCode != 0 && s.St.Spec.RestartPolicy != model.RestartNever
	}
	if restart {
		b := s.backoffs[name]
		if b == nil {
			b = &backoff{}
			s.backoffs[name] = b
		}
		delay := b.delay(ran)
		c.LastState = c.State
		c.State = model.ContainerState{Waiting: &model.StateWaiting{Reason: model.ReasonCrashLoopBackOff,
			Message: fmt.Sprintf("back-off %s restarting failed container=%s", delay, name)}}
		c.Restart = &model.RestartInfo{Backoff: b.next}
		if delay == 0 {
			s.restart(c)
		} else {
			c.Restart.At = time.Now().Add(delay).UTC()
			s.restartAt(name, c.Restart.At)
		}
	} else {
		// A foreground run --rm --pod still has to print the log; it
		// asks for the forgetting itself.
		waited := len(s.exitReplies[name]) > 0
		s.replyExited(c)
		if c.Spec.Remove && !waited {
			s.forget(name)
		}
	}
	s.afterChange()
}

// replyExited tells those waiting for c to end how it ended.
func (s *Supervisor) replyExited(c *model.ContainerStatus) {
	r := control.Reply{}
	if t := c.State.Terminated; t != nil {
		r.Terminated = t
	}
	waiting := s.exitReplies[c.Spec.Name]
	delete(s.exitReplies, c.Spec.Name)
	if len(waiting) == 0 {
		return
	}
	// The one waiting is a foreground run --pod following the log, which
	// stops following on this reply: wait4 can return before the pump has
	// read the last lines from the pipe, so the reply waits for the pump
	// to reach end-of-file. (The channels are buffered.)
	drained := s.drained(c.Spec.Name, time.Second)
	go func() {
		<-drained
		for _, ch := range waiting {
			ch <- r
		}
	}()
}

// restartAt restarts container name at time at (after its back-off).
func (s *Supervisor) restartAt(name string, at time.Time) {
	s.timers[name] = time.AfterFunc(time.Until(at), func() {
		s.Post(func() {
			delete(s.timers, name)
			if c := s.St.Container(name); c != nil && !s.stopping && c.State.Waiting != nil {
				s.restart(c)
				s.afterChange()
			}
		})
	})
}

func (s *Supervisor) restart(c *model.ContainerStatus) {
	if c.Restart != nil {
		c.Restart.At = time.Time{}
	}
	c.RestartCount++
	s.start(c)
}

// forget drops a container that ended for good (podctl run --rm --pod).
func (s *Supervisor) forget(name string) {
	for i := range s.St.Containers {
		if s.St.Containers[i].Spec.Name == name {
			if err := layers.DeleteLayers([]model.ContainerSpec{s.St.Containers[i].Spec}); err != nil {
				s.logf("container %s: %v", name, err)
			}
			s.St.Containers = append(s.St.Containers[:i], s.St.Containers[i+1:]...)
			break
		}
	}
	os.RemoveAll(filepath.Join(s.dir, "logs", name))
}

// schedule starts what may start: the first init container that has not
// succeeded (one at a time, in order), or, once they all have, every app
// container that has never run.
func (s *Supervisor) schedule() {
	if s.stopping {
		return
	}
	for i := range s.St.Containers {
		c := &s.St.Containers[i]
		if !c.Spec.Init {
			continue
		}
		if c.Spec.Sidecar && c.State.Running != nil && c.Started {
			continue // started: the next init container may go
		}
		if t := c.State.Terminated; t != nil && t.ExitCode == 0 && !c.Spec.Sidecar {
			continue
		}
		if c.State.Waiting != nil && c.State.Waiting.Reason != model.ReasonCrashLoopBackOff {
			s.start(c)
		}
		return // this init container runs, backs off or failed the pod
	}
	// The app containers that may start go together (launch.go).
	var runs []*pendingRun
	for i := range s.St.Containers {
		c := &s.St.Containers[i]
		if !c.Spec.Init && c.State.Waiting != nil && c.State.Waiting.Reason != model.ReasonCrashLoopBackOff {
			r, err := s.spawnRun(c, nil)
			if err != nil {
				s.startFailed(c, err)
				continue
			}
			runs = append(runs, r)
		}
	}
	if len(runs) > 0 {
		s.launchAll(runs)
	}
}

// afterChange runs after every change of a container's state: it starts
// what became startable, saves the state, and ends the pod when it is done.
func (s *Supervisor) afterChange() {
	if s.creating || s.launching {
		return // create schedules and saves once the pause is ready; launchAll once its batch is recorded
	}
	s.schedule()
	phase, _, _ := model.ComputePhase(s.St.Containers)
	if s.St.Spec.AutoStop && model.Terminal(phase) && len(s.procs) > 0 && !s.stopping {
		// The app containers are done; the sidecars still run: they
		// are stopped now, and not restarted.
		s.sidecarsDone = true
		s.save()
		s.Stop(unix.SIGTERM, s.grace(), nil)
		return
	}
	if s.stopping && len(s.procs) == 0 || s.St.Spec.AutoStop && model.Terminal(phase) {
		s.finish() // which saves the final state
		return
	}
	// A pod made by podctl run lives for its command: once that container
	// has ended for good, the ones added to it (run --pod) are stopped.
	if m := s.St.MainContainer(); s.St.Spec.AutoStop && !s.St.Spec.FromManifest && !s.stopping && m != nil && m.State.Terminated != nil {
		s.save()
		s.Stop(unix.SIGTERM, model.StopGrace, nil)
		return
	}
	s.save()
}

// finalStatus computes the status of a pod that has ended: a pod stopped
// before its containers completed is Failed, reason Stopped.
func (s *Supervisor) finalStatus() {
	s.status()
	if s.St.Reason == ReasonDeadlineExceeded || s.St.Reason == ReasonEvicted {
		// Failed, whatever the containers made of their SIGTERM.
		s.St.Phase = model.PhaseFailed
		return
	}
	if !model.Terminal(s.St.Phase) {
		s.St.Phase, s.St.Reason = model.PhaseFailed, "Stopped"
		if s.stopSignal != 0 {
			s.St.Message = fmt.Sprintf("stopped (%s) before its containers completed", unix.SignalName(s.stopSignal))
		}
	}
}

// save computes the pod's phase and conditions and writes state.json.
func (s *Supervisor) save() {
	s.status()
	if err := model.WithStateLock(s.dir, func() error { return model.WriteState(s.dir, s.St) }); err != nil {
		s.logf("saving state: %v", err)
	}
}

// status computes the pod's phase and conditions from its containers.
func (s *Supervisor) status() {
	s.multi.Store(len(s.St.Containers) > 1)
	phase, initialized, ready := model.ComputePhase(s.St.Containers)
	if s.pauseLost != "" {
		phase, s.St.Reason, s.St.Message = model.PhaseFailed, "PauseExited", s.pauseLost
	}
	if phase == model.PhasePending && len(s.St.Containers) > 0 && initialized {
		s.St.Reason = ""
	}
	s.St.Phase = phase
	s.St.SetConditions(initialized, ready, time.Now().UTC())
}

// logf reports a problem of the supervisor itself: on the terminal in the
// foreground, in supervisor.log when detached.
func (s *Supervisor) logf(format string, args ...any) {
	w := s.Notices
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "podctl: pod %s: "+format+"\n", append([]any{s.St.Spec.Name}, args...)...)
}

// killAll sends sig to every running container.
func (s *Supervisor) killAll(sig unix.Signal) {
	for name, c := range s.procs {
		s.signalContainer(name, c, sig)
	}
}

// signalContainer sends sig (its image's stop signal for SIGTERM) to
// container name's workload; with SIGKILL, to its whole cgroup too.
func (s *Supervisor) signalContainer(name string, c *stage.Proc, sig unix.Signal) {
	var spec *model.ContainerSpec
	if st := s.St.Container(name); st != nil {
		spec = &st.Spec
	}
	sig = model.StopSignal(spec, sig)
	explain.Printf("podctl", "%s to container %s (pid %d): pidfd_send_signal", unix.SignalName(sig), name, c.Pid)
	c.Signal(sig)
	if sig == unix.SIGKILL {
		// And to everything it forked, escaped daemons included.
		s.killLeaf(name)
	}
}

// stopAll is killAll for a stop: a container with a preStop hook runs it
// first (within grace), as the kubelet does.
func (s *Supervisor) stopAll(sig unix.Signal, grace time.Duration) {
	for name, proc := range s.procs {
		if c := s.St.Container(name); sig != unix.SIGKILL && c != nil && c.Spec.PreStop != nil {
			s.terminate(name, proc, model.StopSignal(&c.Spec, sig), grace) // signals it after the hook
		} else {
			s.signalContainer(name, proc, sig)
		}
	}
}

// stop ends the pod: sig (SIGTERM for podctl stop) to every container,
// SIGKILL to what is left after grace, then the pause. reply, if not nil,
// gets the result once the pod has ended.
func (s *Supervisor) Stop(sig unix.Signal, grace time.Duration, reply chan error) {
	if reply != nil {
		s.stopWaiters = append(s.stopWaiters, reply)
	}
	if s.finished {
		s.replyStopped(nil)
		return
	}
	if s.stopping {
		// A second stop (a second Ctrl-C, podctl rm -f) may shorten the wait.
		if grace == 0 {
			s.killAll(unix.SIGKILL)
		}
		return
	}
	s.stopping = true
	for name, t := range s.timers {
		t.Stop()
		delete(s.timers, name)
		// Its last run is its final state.
		if c := s.St.Container(name); c != nil && c.LastState.Terminated != nil {
			c.State, c.LastState = c.LastState, model.ContainerState{}
		}
	}
	if sig == 0 {
		sig = unix.SIGTERM
	}
	s.stopSignal = sig
	if grace == 0 {
		sig = unix.SIGKILL
	}
	for name := range s.probes {
		s.stopProbes(name)
	}
	s.stopAll(sig, grace)
	if len(s.procs) == 0 {
		s.finish()
		return
	}
	s.killTimer = time.AfterFunc(grace, func() { s.Post(func() { s.killAll(unix.SIGKILL) }) })
}

func (s *Supervisor) replyStopped(err error) {
	for _, ch := range s.stopWaiters {
		ch <- err
	}
	s.stopWaiters = nil
}

// watchPause turns the pause's death into an event: whoever killed it
// also killed the pod (its namespaces go with it).
func (s *Supervisor) watchPause() {
	p := s.pause
	lost := func() {
		s.Post(func() {
			if s.finished {
				return
			}
			s.pauseLost = s.describePauseExit()
			s.Stop(unix.SIGKILL, 0, nil)
			if !s.finished {
				s.save()
			}
		})
	}
	stage.OnExit(p.Pidfd, lost)
}

// describePauseExit says how the pause ended, for the pod's message.
func (s *Supervisor) describePauseExit() string {
	how := "exited"
	if st, ok := peekExit(s.pause.Pid); ok {
		how = st
	}
	return fmt.Sprintf("the pause (pid %d) %s while the pod ran; the pod's namespaces went with it", s.pause.Pid, how)
}

// finish ends the pod: every container has exited; kill and reap the
// pause, write the final state, close the control socket.
func (s *Supervisor) finish() {
	if s.finished {
		return
	}
	s.finished = true
	if s.killTimer != nil {
		s.killTimer.Stop()
	}
	for _, t := range s.timers {
		t.Stop()
	}
	if s.deadlineTimer != nil {
		s.deadlineTimer.Stop()
	}
	if s.evictTimer != nil {
		s.evictTimer.Stop()
	}
	// A container SIGKILLed by no one we know of: maybe the kernel, as
	// the pause (init of the pod's pid namespace) died. The pause finishes
	// dying only once we have reaped the container, so give it a moment.
	if s.pauseLost == "" && s.sigkilled {
		fds := []unix.PollFd{{Fd: int32(s.pause.Pidfd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 100); n == 1 {
			s.pauseLost = s.describePauseExit()
		}
	}
	// Containers that never started: a stopped pod will not start them.
	// One waiting out a back-off (a sidecar, once the app containers are
	// done): its last run is its final state.
	for i := range s.St.Containers {
		c := &s.St.Containers[i]
		if c.State.Waiting != nil && c.State.Waiting.Reason != model.ReasonCrashLoopBackOff {
			c.State.Waiting.Message = "the pod ended before this container started"
		}
		if c.State.Waiting != nil && c.State.Waiting.Reason == model.ReasonCrashLoopBackOff && c.LastState.Terminated != nil {
			c.State, c.LastState = c.LastState, model.ContainerState{}
		}
	}
	s.net.Stop()
	explain.Printf("podctl", "ends the pod: SIGKILL to the pause (pid %d), and the kernel ends its pid namespace: pidfd_send_signal, wait4", s.pause.Pid)
	if err := s.pause.Stop(); err != nil {
		s.logf("%v", err)
	}
	s.St.Pause = model.ProcRef{}
	s.removeCgroup()
	if s.ctl != nil {
		s.ctl.close()
	}
	s.finalStatus()
	s.writeResult()
	// (With Remove the directory goes below: no state to write.)
	if !s.St.Spec.Remove {
		if err := model.WithStateLock(s.dir, func() error { return model.WriteState(s.dir, s.St) }); err != nil {
			s.logf("saving state: %v", err)
		}
	}
	// Every process of the pod is dead, so the pipes are closing; wait
	// (briefly) for the last lines to reach the logs.
	drained := make(chan struct{})
	go func() { s.pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
	}
	if s.St.Spec.Remove {
		if err := layers.DeleteLayers(layers.SpecsOf(s.St.Containers)); err != nil {
			s.logf("%v", err)
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.logf("removing %s: %v", s.dir, err)
		}
	}
	for i := range s.St.Containers {
		s.replyExited(&s.St.Containers[i])
	}
	s.replyStopped(nil)
	close(s.done)
}

// peekExit describes how the child pid ended, without reaping it.
func peekExit(pid int) (string, bool) {
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil); err != nil {
		return "", false
	}
	// si_code values of SIGCHLD (sigaction(2)); x/sys/unix lacks them.
	const cldExited, cldKilled, cldDumped = 1, 2, 3
	code, status := model.SiginfoStatus(&info)
	switch code {
	case cldKilled, cldDumped:
		return fmt.Sprintf("was killed by %s", unix.SignalName(unix.Signal(status))), true
	case cldExited:
		return fmt.Sprintf("exited with code %d", status), true
	}
	return "", false
}
