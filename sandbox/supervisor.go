package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

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
type supervisor struct {
	dir   string
	st    *PodState
	pause *pause
	ids   IDMapping
	files []rootfs.BindFile

	// Foreground runs also copy the containers' output here, and with
	// podctl run -i give the first container's first run this stdin.
	stdout, stderr io.Writer
	stdin          *os.File
	notices        io.Writer

	events   chan func()
	procs    map[string]*container // running containers, by name
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
	exitReplies map[string][]chan ctlReply
	// startReplies: who waits for the first start of a container (podctl
	// run --pod waits to report an exec failure).
	startReplies map[string][]chan error

	firstErr    error // why the first container did not start
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
	// The pod's network helper (network.go), nil without one; netReady:
	// it has configured the namespace; netRetry: its restart, pending.
	net      *netsetup.Helper
	netReady bool
	netErr   error // why the helper failed to start, until it is restarted
	// --network bridge: the shared network's user namespace while the
	// pod is made, and the pod's leased address.
	parentUserns   *os.File
	bridgeIP       string
	bridgeAttached bool // the pod's veth is on the bridge
	netRetry       *time.Timer
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
	restoreTerm func()
}

func newSupervisor(dir string, spec PodSpec) *supervisor {
	now := time.Now().UTC()
	return &supervisor{
		dir: dir,
		st: &PodState{Spec: spec, Created: now, BootID: bootID(), Phase: PhasePending,
			Supervisor: ProcRef{PID: os.Getpid()}},
		events:       make(chan func(), 16),
		procs:        map[string]*container{},
		backoffs:     map[string]*backoff{},
		timers:       map[string]*time.Timer{},
		startReplies: map[string][]chan error{},
		exitReplies:  map[string][]chan ctlReply{},
		oomBase:      map[string]uint64{},
		probes:       map[string]*probers{},
		probeKilled:  map[string]string{},
		stdins:       map[string]*containerIn{},
		done:         make(chan struct{}),
		lockFD:       -1,
	}
}

// create makes the pod: the pause, its /etc files, the control socket,
// and the first of ctrs started. The error of that first start (an
// *ExecError for a workload that cannot be executed) is kept in firstErr,
// and recorded in the container's state. On an error nothing of the pod is
// left but its directory.
func (s *supervisor) create(ctrs []ContainerSpec) error {
	bridge := s.st.Spec.Network.Mode == netsetup.Bridge
	if bridge {
		// The pod's user namespace is made inside the shared network's
		// (bridge.go), and the pod leases its address first.
		userns, ip, err := joinSharedNetwork(s.st.Spec.Name, s.st.Spec.Network.AllowHostLoopback, DetectIDMapping())
		if err != nil {
			return fmt.Errorf("creating pod %s: %w", s.st.Spec.Name, err)
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
		releaseSharedNetwork(s.st.Spec.Name)
	}
	return err
}

func (s *supervisor) createPod(ctrs []ContainerSpec) error {
	for _, c := range ctrs {
		s.st.Containers = append(s.st.Containers, ContainerStatus{Spec: c,
			State: ContainerState{Waiting: &StateWaiting{Reason: ReasonContainerCreating}}})
	}
	var err error
	if s.st.Supervisor.StartTime, err = procStartTime(os.Getpid()); err != nil {
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
	for i, c := range firstWave(s.st.Containers) {
		var stdin *os.File
		if i == 0 {
			stdin = s.stdin
		}
		r, err := s.spawnRun(c, stdin)
		if err != nil {
			abortFirst()
			return err
		}
		runs = append(runs, r)
	}
	explain("podctl", "pod %s: state in %s, created locked (mkdir, flock, rename)", s.st.Spec.Name, s.dir)
	explain("podctl", "starts the pause's set-up stage: execve(/proc/self/exe) with _PODCTL_STAGE=pause")
	ps, err := spawnPause(s.st.Spec.Network.Mode == netsetup.Host, s.parentUserns, s.cgroupOf(pauseLeaf))
	if err != nil {
		abortFirst()
		return err
	}
	s.ids = DetectIDMapping()
	if s.st.Spec.UserNS == UserNSKeepID && os.Getuid() != 0 {
		if s.ids, err = s.ids.keepID(uint32(os.Getuid()), uint32(os.Getgid())); err != nil {
			ps.abort()
			abortFirst()
			return err
		}
	}
	if s.ids.Notice != "" && s.notices != nil {
		fmt.Fprintf(s.notices, "podctl: notice: %s\n", s.ids.Notice)
	}
	s.st.IDMap.UIDs, s.st.IDMap.GIDs = s.ids.UIDs, s.ids.GIDs
	s.st.Network = NetworkState{Status: netsetup.Expected(s.st.Spec.Network), Ports: s.st.Spec.Network.Ports}
	if s.bridgeIP != "" {
		s.st.Network.IP = s.bridgeIP
	}
	if s.files, err = writeEtcFiles(s.dir, s.st.Spec, s.st.Network.Status); err != nil {
		ps.abort()
		abortFirst()
		return err
	}
	if s.pause, err = ps.finish(s.st.Spec.Hostname, s.ids); err != nil {
		abortFirst()
		return fmt.Errorf("creating pod %s: %w", s.st.Spec.Name, err)
	}
	s.st.Pause = ProcRef{PID: s.pause.pid, StartTime: s.pause.startTime}
	s.st.StartTime = time.Now().UTC()
	explain("podctl", "the pause is pid %d; a pidfd names it from now on: pidfd_open(%d)", s.pause.pid, s.pause.pid)
	if err := s.startNetwork(); err != nil {
		abortFirst()
		s.pause.stop()
		return fmt.Errorf("creating pod %s: %w", s.st.Spec.Name, err)
	}
	if s.ctl, err = listenControl(s.dir, s); err != nil {
		abortFirst()
		s.stopNetwork()
		s.pause.stop()
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
	if rerr := s.pause.awaitReady(); rerr != nil {
		s.killAll(unix.SIGKILL)
		s.stopNetwork()
		s.pause.stop()
		s.ctl.close()
		return fmt.Errorf("creating pod %s: %w", s.st.Spec.Name, rerr)
	}
	// A pod with no container yet (pod create) is made once its network
	// is: a failing helper fails the creation.
	if err := s.waitNetwork(); err != nil {
		s.killAll(unix.SIGKILL)
		s.pause.stop()
		s.ctl.close()
		return err
	}
	s.watchPause()
	s.armDeadline()
	s.armEviction(evictionInterval())
	// With no init container in the way, the other containers start now.
	s.schedule()
	s.save()
	s.firstErr = startErr
	return nil
}

// run is the supervisor's loop; it returns once the pod has ended.
func (s *supervisor) run() {
	if s.st.Spec.AutoStop && terminal(s.st.Phase) {
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
func (s *supervisor) post(f func()) {
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
	case isTerminal(stdin):
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
func (s *supervisor) start(c *ContainerStatus) error {
	r, err := s.spawnRun(c, nil)
	if err != nil {
		return s.startFailed(c, err)
	}
	return s.launch(r)
}

// startFailed records a container that could not be started as
// terminated with reason StartError, and applies the restart policy.
func (s *supervisor) startFailed(c *ContainerStatus, err error) error {
	code := 128 // the kubelet's exit code for a StartError
	var ee *ExecError
	if errors.As(err, &ee) {
		code = ee.ExitCode
	}
	now := time.Now().UTC()
	s.terminated(c, &StateTerminated{ExitCode: code, Reason: ReasonStartError, Message: err.Error(),
		StartedAt: now, FinishedAt: now}, 0)
	s.replyStarted(c.Spec.Name, err)
	return err
}

func (s *supervisor) replyStarted(name string, err error) {
	for _, ch := range s.startReplies[name] {
		ch <- err
	}
	delete(s.startReplies, name)
}

// exited collects the status of a container's process (loop goroutine).
func (s *supervisor) exited(name string, proc *container) {
	code, sig, err := proc.waitStatus()
	delete(s.procs, name)
	s.closeStdin(name)
	delete(s.stdins, name)
	explain("podctl", "container %s (pid %d) exited: code %d, signal %d: wait4", name, proc.pid, code, sig)
	c := s.st.container(name)
	if c == nil {
		return
	}
	if sig == int(unix.SIGKILL) && !s.stopping {
		s.sigkilled = true
	}
	t := &StateTerminated{ExitCode: code, Signal: sig, Reason: exitReason(code), FinishedAt: time.Now().UTC()}
	if err != nil {
		t.Reason, t.Message = ReasonError, err.Error()
	}
	s.stopProbes(name)
	if why := s.probeKilled[name]; why != "" {
		t.Message = why
		delete(s.probeKilled, name)
	}
	if s.oomKilled(name) {
		// Counted by the kernel in memory.events, not guessed from 137.
		t.Reason = ReasonOOMKilled
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
func (s *supervisor) terminated(c *ContainerStatus, t *StateTerminated, ran time.Duration) {
	c.State = ContainerState{Terminated: t}
	c.Ready, c.Started, c.Proc = false, false, ProcRef{}
	name := c.Spec.Name
	if s.stopping {
		s.replyExited(c)
		s.afterChange()
		return
	}
	restart := s.st.Spec.RestartPolicy.restarts(t.ExitCode)
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
		restart = t.ExitCode != 0 && s.st.Spec.RestartPolicy != RestartNever
	}
	if restart {
		b := s.backoffs[name]
		if b == nil {
			b = &backoff{}
			s.backoffs[name] = b
		}
		delay := b.delay(ran)
		c.LastState = c.State
		c.State = ContainerState{Waiting: &StateWaiting{Reason: ReasonCrashLoopBackOff,
			Message: fmt.Sprintf("back-off %s restarting failed container=%s", delay, name)}}
		c.Restart = &RestartInfo{Backoff: b.next}
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
func (s *supervisor) replyExited(c *ContainerStatus) {
	r := ctlReply{}
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
func (s *supervisor) restartAt(name string, at time.Time) {
	s.timers[name] = time.AfterFunc(time.Until(at), func() {
		s.post(func() {
			delete(s.timers, name)
			if c := s.st.container(name); c != nil && !s.stopping && c.State.Waiting != nil {
				s.restart(c)
				s.afterChange()
			}
		})
	})
}

func (s *supervisor) restart(c *ContainerStatus) {
	if c.Restart != nil {
		c.Restart.At = time.Time{}
	}
	c.RestartCount++
	s.start(c)
}

// forget drops a container that ended for good (podctl run --rm --pod).
func (s *supervisor) forget(name string) {
	for i := range s.st.Containers {
		if s.st.Containers[i].Spec.Name == name {
			if err := deleteLayers([]ContainerSpec{s.st.Containers[i].Spec}); err != nil {
				s.logf("container %s: %v", name, err)
			}
			s.st.Containers = append(s.st.Containers[:i], s.st.Containers[i+1:]...)
			break
		}
	}
	os.RemoveAll(filepath.Join(s.dir, "logs", name))
}

// schedule starts what may start: the first init container that has not
// succeeded (one at a time, in order), or, once they all have, every app
// container that has never run.
func (s *supervisor) schedule() {
	if s.stopping {
		return
	}
	for i := range s.st.Containers {
		c := &s.st.Containers[i]
		if !c.Spec.Init {
			continue
		}
		if c.Spec.Sidecar && c.State.Running != nil && c.Started {
			continue // started: the next init container may go
		}
		if t := c.State.Terminated; t != nil && t.ExitCode == 0 && !c.Spec.Sidecar {
			continue
		}
		if c.State.Waiting != nil && c.State.Waiting.Reason != ReasonCrashLoopBackOff {
			s.start(c)
		}
		return // this init container runs, backs off or failed the pod
	}
	// The app containers that may start go together (launch.go).
	var runs []*pendingRun
	for i := range s.st.Containers {
		c := &s.st.Containers[i]
		if !c.Spec.Init && c.State.Waiting != nil && c.State.Waiting.Reason != ReasonCrashLoopBackOff {
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
func (s *supervisor) afterChange() {
	if s.creating || s.launching {
		return // create schedules and saves once the pause is ready; launchAll once its batch is recorded
	}
	s.schedule()
	phase, _, _ := computePhase(s.st.Containers)
	if s.st.Spec.AutoStop && terminal(phase) && len(s.procs) > 0 && !s.stopping {
		// The app containers are done; the sidecars still run: they
		// are stopped now, and not restarted.
		s.sidecarsDone = true
		s.save()
		s.stop(unix.SIGTERM, s.grace(), nil)
		return
	}
	if s.stopping && len(s.procs) == 0 || s.st.Spec.AutoStop && terminal(phase) {
		s.finish() // which saves the final state
		return
	}
	// A pod made by podctl run lives for its command: once that container
	// has ended for good, the ones added to it (run --pod) are stopped.
	if m := s.st.MainContainer(); s.st.Spec.AutoStop && !s.st.Spec.FromManifest && !s.stopping && m != nil && m.State.Terminated != nil {
		s.save()
		s.stop(unix.SIGTERM, StopGrace, nil)
		return
	}
	s.save()
}

// finalStatus computes the status of a pod that has ended: a pod stopped
// before its containers completed is Failed, reason Stopped.
func (s *supervisor) finalStatus() {
	s.status()
	if s.st.Reason == ReasonDeadlineExceeded || s.st.Reason == ReasonEvicted {
		// Failed, whatever the containers made of their SIGTERM.
		s.st.Phase = PhaseFailed
		return
	}
	if !terminal(s.st.Phase) {
		s.st.Phase, s.st.Reason = PhaseFailed, "Stopped"
		if s.stopSignal != 0 {
			s.st.Message = fmt.Sprintf("stopped (%s) before its containers completed", unix.SignalName(s.stopSignal))
		}
	}
}

// save computes the pod's phase and conditions and writes state.json.
func (s *supervisor) save() {
	s.status()
	if err := withStateLock(s.dir, func() error { return writeState(s.dir, s.st) }); err != nil {
		s.logf("saving state: %v", err)
	}
}

// status computes the pod's phase and conditions from its containers.
func (s *supervisor) status() {
	s.multi.Store(len(s.st.Containers) > 1)
	phase, initialized, ready := computePhase(s.st.Containers)
	if s.pauseLost != "" {
		phase, s.st.Reason, s.st.Message = PhaseFailed, "PauseExited", s.pauseLost
	}
	if phase == PhasePending && len(s.st.Containers) > 0 && initialized {
		s.st.Reason = ""
	}
	s.st.Phase = phase
	s.st.setConditions(initialized, ready, time.Now().UTC())
}

// logf reports a problem of the supervisor itself: on the terminal in the
// foreground, in supervisor.log when detached.
func (s *supervisor) logf(format string, args ...any) {
	w := s.notices
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "podctl: pod %s: "+format+"\n", append([]any{s.st.Spec.Name}, args...)...)
}

// killAll sends sig to every running container.
func (s *supervisor) killAll(sig unix.Signal) {
	for name, c := range s.procs {
		s.signalContainer(name, c, sig)
	}
}

// signalContainer sends sig (its image's stop signal for SIGTERM) to
// container name's workload; with SIGKILL, to its whole cgroup too.
func (s *supervisor) signalContainer(name string, c *container, sig unix.Signal) {
	var spec *ContainerSpec
	if st := s.st.container(name); st != nil {
		spec = &st.Spec
	}
	sig = stopSignal(spec, sig)
	explain("podctl", "%s to container %s (pid %d): pidfd_send_signal", unix.SignalName(sig), name, c.pid)
	c.signal(sig)
	if sig == unix.SIGKILL {
		// And to everything it forked, escaped daemons included.
		s.killLeaf(name)
	}
}

// stopAll is killAll for a stop: a container with a preStop hook runs it
// first (within grace), as the kubelet does.
func (s *supervisor) stopAll(sig unix.Signal, grace time.Duration) {
	for name, proc := range s.procs {
		if c := s.st.container(name); sig != unix.SIGKILL && c != nil && c.Spec.PreStop != nil {
			s.terminate(name, proc, stopSignal(&c.Spec, sig), grace) // signals it after the hook
		} else {
			s.signalContainer(name, proc, sig)
		}
	}
}

// stop ends the pod: sig (SIGTERM for podctl stop) to every container,
// SIGKILL to what is left after grace, then the pause. reply, if not nil,
// gets the result once the pod has ended.
func (s *supervisor) stop(sig unix.Signal, grace time.Duration, reply chan error) {
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
		if c := s.st.container(name); c != nil && c.LastState.Terminated != nil {
			c.State, c.LastState = c.LastState, ContainerState{}
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
	s.killTimer = time.AfterFunc(grace, func() { s.post(func() { s.killAll(unix.SIGKILL) }) })
}

func (s *supervisor) replyStopped(err error) {
	for _, ch := range s.stopWaiters {
		ch <- err
	}
	s.stopWaiters = nil
}

// watchPause turns the pause's death into an event: whoever killed it
// also killed the pod (its namespaces go with it).
func (s *supervisor) watchPause() {
	p := s.pause
	lost := func() {
		s.post(func() {
			if s.finished {
				return
			}
			s.pauseLost = s.describePauseExit()
			s.stop(unix.SIGKILL, 0, nil)
			if !s.finished {
				s.save()
			}
		})
	}
	if err := watchExit(p.pidfd, lost); err != nil {
		go func() {
			awaitExit(p.pidfd)
			lost()
		}()
	}
}

// describePauseExit says how the pause ended, for the pod's message.
func (s *supervisor) describePauseExit() string {
	how := "exited"
	if st, ok := peekExit(s.pause.pid); ok {
		how = st
	}
	return fmt.Sprintf("the pause (pid %d) %s while the pod ran; the pod's namespaces went with it", s.pause.pid, how)
}

// finish ends the pod: every container has exited; kill and reap the
// pause, write the final state, close the control socket.
func (s *supervisor) finish() {
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
		fds := []unix.PollFd{{Fd: int32(s.pause.pidfd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 100); n == 1 {
			s.pauseLost = s.describePauseExit()
		}
	}
	// Containers that never started: a stopped pod will not start them.
	// One waiting out a back-off (a sidecar, once the app containers are
	// done): its last run is its final state.
	for i := range s.st.Containers {
		c := &s.st.Containers[i]
		if c.State.Waiting != nil && c.State.Waiting.Reason != ReasonCrashLoopBackOff {
			c.State.Waiting.Message = "the pod ended before this container started"
		}
		if c.State.Waiting != nil && c.State.Waiting.Reason == ReasonCrashLoopBackOff && c.LastState.Terminated != nil {
			c.State, c.LastState = c.LastState, ContainerState{}
		}
	}
	s.stopNetwork()
	explain("podctl", "ends the pod: SIGKILL to the pause (pid %d), and the kernel ends its pid namespace: pidfd_send_signal, wait4", s.pause.pid)
	if err := s.pause.stop(); err != nil {
		s.logf("%v", err)
	}
	s.st.Pause = ProcRef{}
	s.removeCgroup()
	if s.ctl != nil {
		s.ctl.close()
	}
	s.finalStatus()
	s.writeResult()
	// (With Remove the directory goes below: no state to write.)
	if !s.st.Spec.Remove {
		if err := withStateLock(s.dir, func() error { return writeState(s.dir, s.st) }); err != nil {
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
	if s.st.Spec.Remove {
		if err := deleteLayers(specsOf(s.st.Containers)); err != nil {
			s.logf("%v", err)
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.logf("removing %s: %v", s.dir, err)
		}
	}
	for i := range s.st.Containers {
		s.replyExited(&s.st.Containers[i])
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
	code, status := siginfoStatus(&info)
	switch code {
	case cldKilled, cldDumped:
		return fmt.Sprintf("was killed by %s", unix.SignalName(unix.Signal(status))), true
	case cldExited:
		return fmt.Sprintf("exited with code %d", status), true
	}
	return "", false
}
