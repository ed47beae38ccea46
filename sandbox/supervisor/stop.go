package supervisor

import (
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

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

// Stop ends the pod: sig (SIGTERM for podctl stop) to every container,
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
