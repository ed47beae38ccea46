package supervisor

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/podnet"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/stdio"

	"github.com/podctl/podctl/netsetup"
	"golang.org/x/sys/unix"
)

// Starting a container run, in three steps, so that the runs of a pod's
// first wave (all of its app containers, or its first init container)
// start side by side, and beside the pause:
//
//	spawnRun   (loop)   its cgroup leaf, its pipes, its join stage exec'd
//	prepare    (loop)   its log and log pump, its InitConfig
//	run.start  (any)    the join and init conversation (sandbox/stage/sync.go); blocks
//	                    until the workload is exec'd
//	finishRun  (loop)   its state, exit watch, probes, the replies
//
// Each run's init makes its own mounts in its own mount namespace, so
// nothing of one run's start waits for another's: a two-container pod
// starts in about the time of one container (issue 7's apply).

// pendingRun is one container run being started.
type pendingRun struct {
	c     *model.ContainerStatus
	j     *stage.Joiner
	pipes *stdio.Pipes
	log   *crilog.File
	cfg   *stage.InitConfig // planRun's
	// planErr: planRun could not make the plan; prepare reports it.
	planErr error
	proc    *stage.Proc
	err     error
}

// spawnRun makes c's cgroup leaf and pipes and starts its join stage
// (loop goroutine); stdin is podctl run -i's, for the pod's first
// container in the foreground. withPause: the pod's pause stage will be
// its join stage (createPod; stage.CanJoinWithPause), so none is started
// here and the run's child ends of its pipes stay open for that stage.
func (s *Supervisor) spawnRun(c *model.ContainerStatus, stdin io.Reader, withPause bool) (*pendingRun, error) {
	if withPause {
		explain.Printf("podctl", "container %s: its join stage will be the pause's set-up stage, in the pod's namespaces once it has made them", c.Spec.Name)
	} else {
		explain.Printf("podctl", "starts container %s: execve(/proc/self/exe) with _PODCTL_STAGE=join", c.Spec.Name)
	}
	cg, oomKills, err := podcgroup.OpenContainer(s.St.Cgroup, c.Spec.Name, c.Spec.Resources)
	if err != nil {
		return nil, err
	}
	s.oomBase[c.Spec.Name] = oomKills
	defer stage.CloseFile(cg)
	pipes, err := stdio.ForRun(&c.Spec, stdin)
	if err != nil {
		return nil, err
	}
	if withPause {
		return &pendingRun{c: c, pipes: pipes}, nil
	}
	j, err := stage.SpawnJoin(c.Spec.Name, pipes.Child(), cg)
	pipes.CloseChild()
	if err != nil {
		pipes.Close()
		return nil, err
	}
	return &pendingRun{c: c, j: j, pipes: pipes}, nil
}

// abort ends a spawned run that will not be started (its join stage may
// not have been started yet: withPause).
func (r *pendingRun) abort() {
	if r.j != nil {
		r.j.Abort()
	}
	r.pipes.Close()
}

// launch starts a spawned run and records the result (loop goroutine).
func (s *Supervisor) launch(r *pendingRun) error {
	if err := s.prepare(r); err != nil {
		return err
	}
	// The workload's first connection must work: the network is
	// configured before its init is told to go on (meanwhile it started).
	r.j.BeforeConfig = s.net.Wait
	r.start(s.pause.Pidfd, s.St.Spec)
	return s.finishRun(r)
}

// launchAll starts runs side by side: the loop goroutine prepares each,
// their conversations with the join stages run at once, and the loop
// records them in order. It returns the first run's error.
func (s *Supervisor) launchAll(runs []*pendingRun) error {
	if len(runs) == 1 {
		return s.launch(runs[0])
	}
	// Nothing acts on a run of the batch before all are recorded: a
	// failed run's restart policy (afterChange) must not find the others
	// still Waiting and start them twice, or stop the pod while a started
	// one is not yet among its processes.
	s.launching = true
	failed := false
	var ready []*pendingRun
	var firstErr error
	for i, r := range runs {
		if err := s.prepare(r); err != nil {
			if i == 0 {
				firstErr = err
			}
			failed = true
			continue
		}
		ready = append(ready, r)
	}
	// The network once, for all of them (waitNetwork is the loop's).
	net := sync.OnceValue(s.net.Wait)
	var wg sync.WaitGroup
	for _, r := range ready {
		r.j.BeforeConfig = net
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.start(s.pause.Pidfd, s.St.Spec)
		}()
	}
	wg.Wait()
	for _, r := range ready {
		err := s.finishRun(r)
		if err != nil && r == runs[0] {
			firstErr = err
		}
		failed = failed || err != nil
	}
	s.launching = false
	if failed {
		s.afterChange()
	}
	return firstErr
}

// prepare opens the run's log, starts its pump and builds its InitConfig
// (loop goroutine). On an error the run is recorded as failed.
func (s *Supervisor) prepare(r *pendingRun) error {
	c, j, pipes := r.c, r.j, r.pipes
	name := c.Spec.Name
	if s.St.Spec.NodeMountNamespace() {
		node, err := podnet.NodeMounts()
		if err != nil {
			j.Abort()
			pipes.Close()
			return s.startFailed(c, fmt.Errorf("container %s: %w", name, err))
		}
		j.NodeMounts = node
	}
	// The kubelet keeps the current and the previous run's log (a log
	// path the caller chose is the caller's to rotate).
	if c.RestartCount >= 2 && c.Spec.LogPath == "" {
		old := model.LogPath(s.dir, name, c.RestartCount-2)
		os.Remove(old)
		crilog.RemoveRotated(old)
	}
	path := c.Spec.LogFile(s.dir, c.RestartCount)
	err := os.MkdirAll(filepath.Dir(path), 0o700)
	if err == nil {
		r.log, err = crilog.Open(path, s.St.Spec.LogLimits(&c.Spec))
	}
	if err != nil {
		j.Abort()
		pipes.Close()
		return s.startFailed(c, fmt.Errorf("container %s: opening its log: %w", name, err))
	}
	if !c.Spec.TTY {
		s.startPump(name, r.log, pipes.OutR, pipes.ErrR)
	}
	if s.planRun(r); r.planErr != nil {
		j.Abort()
		r.discardStdio()
		return s.startFailed(c, r.planErr)
	}
	return nil
}

// planRun makes the run's InitConfig, its seccomp filter and the init's
// plan, once (any error is kept for prepare to report). It has no effect
// outside r, so a new pod's supervisor does it while the setuid helpers
// map the pod's ids (createPod), off the path to the workload: the
// filter's compile and the plan take ~1 ms here.
func (s *Supervisor) planRun(r *pendingRun) {
	if r.cfg == nil && r.planErr == nil {
		r.cfg, r.planErr = stage.RunConfig(s.St.Spec, &r.c.Spec, s.ids, s.files)
	}
}

// start holds the run's conversation with its join stage and init (any
// goroutine: it touches nothing of the supervisor but the pause's pidfd).
func (r *pendingRun) start(pausePIDFD int, spec model.PodSpec) {
	setns, unshare := stage.JoinFlags(spec)
	r.proc, r.err = r.j.Start(pausePIDFD, setns, unshare, r.cfg)
}

// discardStdio closes what a run that did not start leaves of its stdio:
// a kept stdin, and with a tty (whose pump never started) its pipes and
// log.
func (r *pendingRun) discardStdio() {
	r.pipes.InW.Close()
	if r.c.Spec.TTY {
		r.pipes.Close()
		r.log.Close()
	}
}

// finishRun records a started run, or its failure (loop goroutine).
func (s *Supervisor) finishRun(r *pendingRun) error {
	c, proc, err := r.c, r.proc, r.err
	name := c.Spec.Name
	if err == nil {
		if err = s.takeStdio(name, &c.Spec, proc, r.pipes, r.log); err != nil {
			proc.Signal(unix.SIGKILL)
			proc.Wait()
		}
	}
	if err != nil {
		r.discardStdio()
		return s.startFailed(c, err)
	}
	now := time.Now().UTC()
	c.State = model.ContainerState{Running: &model.StateRunning{StartedAt: now}}
	// Ready at once, unless a startup or readiness probe must say so.
	c.Ready = c.Spec.Readiness == nil && c.Spec.Startup == nil
	c.Started = c.Spec.Startup == nil
	st, _ := model.ProcStartTime(proc.Pid)
	c.Proc = model.ProcRef{PID: proc.Pid, StartTime: st}
	s.procs[name] = proc
	explain.Printf("podctl", "container %s runs as host pid %d, our child (CLONE_PARENT): waits on its pidfd", name, proc.Pid)
	stage.OnExit(proc.Pidfd, func() { s.Post(func() { s.exited(name, proc) }) })
	if proc.Notify != nil {
		// Its binds are decided here (sandbox/podnet/bypass.go) for as long as it
		// runs: a Go goroutine, so the supervisor stays awake.
		s.bypassing.Add(1)
		go func(l *os.File, ports []netsetup.Port) {
			defer s.bypassing.Add(-1)
			podnet.ServeBypass(s.logf, name, l, ports)
		}(proc.Notify, s.St.Spec.Network.Ports)
		proc.Notify = nil
	}
	s.startProbes(c, proc)
	if len(s.startReplies[name]) > 0 {
		// podctl run -d --pod returns on this reply and may read the
		// state at once: it must hold the container already.
		s.save()
	}
	s.replyStarted(name, nil)
	return nil
}

// firstWave is which of a new pod's containers start with it: its first
// init container (the others follow it, one by one), or else all of its
// app containers at once.
func firstWave(ctrs []model.ContainerStatus) []*model.ContainerStatus {
	var wave []*model.ContainerStatus
	for i := range ctrs {
		if ctrs[i].Spec.Init {
			return []*model.ContainerStatus{&ctrs[i]}
		}
		wave = append(wave, &ctrs[i])
	}
	return wave
}
