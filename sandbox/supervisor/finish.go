package supervisor

import (
	"fmt"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

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

// pauseDying tells whether the pause has died or begun to. When the pause,
// init of the pod's pid namespace, dies, the kernel kills every other
// process in that namespace from the pause's own do_exit
// (zap_pid_ns_processes; pid_namespaces(7)), which marked it PF_EXITING
// first: a container killed by that teardown always finds its pause so
// when its exit is collected, though the pause's pidfd says nothing until
// the last of them is reaped.
func (s *Supervisor) pauseDying() bool {
	fds := []unix.PollFd{{Fd: int32(s.pause.Pidfd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n == 1 {
		return true
	}
	// The pidfd keeps the pid from being reused while we look at it: the
	// pause is our child (CLONE_PARENT) until we reap it.
	return model.ProcExiting(s.pause.Pid)
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
	if s.pauseLost != "" || s.sigkilled && s.pauseDying() {
		// Every container is reaped now, so the pause finishes dying:
		// give it a moment, to say how it died (its SIGKILL, say).
		fds := []unix.PollFd{{Fd: int32(s.pause.Pidfd), Events: unix.POLLIN}}
		unix.Poll(fds, 100)
		s.pauseLost = s.describePauseExit()
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
	s.countDropped()
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
