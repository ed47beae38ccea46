package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

// start starts container c now (loop goroutine).
func (s *Supervisor) start(c *model.ContainerStatus) error {
	r, err := s.spawnRun(c, nil, false)
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
	if podcgroup.OOMKilled(s.St.Cgroup, name, s.oomBase[name]) {
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
	if c == s.St.MainContainer() {
		s.removeExecCard()
	}
	name := c.Spec.Name
	if !s.stopping && s.pauseDying() {
		// The pod's namespaces die with its pause: nothing can start in
		// them again (setns would fail, EPERM), and this run's end is the
		// container's true end. The pod ends now, not when the pause's
		// pidfd speaks (watchPause).
		s.pauseLost = s.describePauseExit()
		s.Stop(unix.SIGKILL, 0, nil)
	}
	if s.stopping {
		s.replyExited(c)
		s.afterChange()
		return
	}
	restart := s.St.Spec.RestartPolicy.Restarts(t.ExitCode)
	switch {
	case s.noRestart[name]:
		// Stopped on its own by StopContainer: its caller decides.
		delete(s.noRestart, name)
		restart = false
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
			b = &model.Backoff{}
			s.backoffs[name] = b
		}
		delay := b.Delay(ran)
		c.LastState = c.State
		c.State = model.ContainerState{Waiting: &model.StateWaiting{Reason: model.ReasonCrashLoopBackOff,
			Message: fmt.Sprintf("back-off %s restarting failed container=%s", delay, name)}}
		c.Restart = &model.RestartInfo{Backoff: b.Next}
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
		if c.State.Waiting != nil && c.State.Waiting.Reason != model.ReasonCrashLoopBackOff && !c.Created() {
			s.start(c)
		}
		return // this init container runs, backs off or failed the pod
	}
	// The app containers that may start go together (launch.go).
	var runs []*pendingRun
	for i := range s.St.Containers {
		c := &s.St.Containers[i]
		if !c.Spec.Init && c.State.Waiting != nil && c.State.Waiting.Reason != model.ReasonCrashLoopBackOff && !c.Created() {
			r, err := s.spawnRun(c, nil, false)
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
		s.Stop(unix.SIGTERM, s.St.Spec.Grace(), nil)
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
