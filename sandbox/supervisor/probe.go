package supervisor

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/handler"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"golang.org/x/sys/unix"
)

// handlerEnv captures what container spec's handlers need (loop
// goroutine); pidfd is a dup of its workload's, the handlers' to close.
func (s *Supervisor) handlerEnv(spec model.ContainerSpec, pidfd int) *handler.Target {
	env := &handler.Target{Pod: s.St, Container: spec, PIDFD: pidfd, PausePIDF: s.pause.Pidfd}
	if s.St.Cgroup != "" {
		env.Cgroup = filepath.Join(s.St.Cgroup, spec.Name)
	}
	return env
}

// startProbes starts container c's probes and its postStart hook (loop
// goroutine, once its workload runs; handler.StartProbes runs them). The
// container is not Ready before its startup and readiness probes say so.
func (s *Supervisor) startProbes(c *model.ContainerStatus, proc *stage.Proc) {
	spec := c.Spec
	if spec.Startup == nil && spec.Liveness == nil && spec.Readiness == nil && spec.PostStart == nil {
		return
	}
	dup, err := unix.FcntlInt(uintptr(proc.Pidfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		s.logf("container %s: probes: %v", spec.Name, err)
		return
	}
	name, run := spec.Name, c.RestartCount
	s.probes[name] = handler.StartProbes(s.handlerEnv(spec, dup),
		func(kind handler.Kind, pr model.Probe, err error) {
			s.Post(func() { s.probed(name, run, kind, pr, err) })
		},
		func(err error) {
			s.Post(func() { s.probeKill(name, run, fmt.Sprintf("PostStartHook failed: %v", err)) })
		})
}

// stopProbes ends container name's probes (its run ended, or the pod
// stops).
func (s *Supervisor) stopProbes(name string) {
	if p := s.probes[name]; p != nil {
		p.Stop()
		delete(s.probes, name)
	}
}

// probed records a probe's result (loop goroutine) as the kubelet does:
// successThreshold successes in a row make a container Ready (readiness)
// or started (startup); failureThreshold failures in a row make it not
// Ready, or kill it (liveness, startup), after which the restart policy
// decides.
func (s *Supervisor) probed(name string, run int, kind handler.Kind, pr model.Probe, err error) {
	p := s.probes[name]
	c := s.St.Container(name)
	if p == nil || c == nil || c.RestartCount != run || c.State.Running == nil {
		return // a result for a run that is over
	}
	n := p.Record(kind, err == nil)
	if err != nil {
		explain.Printf("podctl", "%s probe of container %s failed (%d in a row): %v", kind, name, n.Failures, err)
	}
	switch kind {
	case handler.Startup:
		if err == nil {
			p.SetStarted()
			c.Started = true
			if c.Spec.Readiness == nil {
				c.Ready = true
			}
			s.afterChange() // a sidecar's start lets the next init container go
		} else if n.Failures >= pr.FailureThreshold {
			s.probeKill(name, run, fmt.Sprintf("Startup probe failed: %v", err))
		}
	case handler.Liveness:
		if err != nil && n.Failures >= pr.FailureThreshold {
			s.probeKill(name, run, fmt.Sprintf("Liveness probe failed: %v", err))
		}
	case handler.Readiness:
		ready := c.Ready
		if err == nil && n.Successes >= pr.SuccessThreshold {
			ready = true
		}
		if err != nil && n.Failures >= pr.FailureThreshold {
			ready = false
		}
		if ready != c.Ready {
			c.Ready = ready
			s.afterChange()
		}
	}
}

// probeKill kills a container that failed its liveness or startup probe
// or its postStart hook, as the kubelet does: its preStop hook, then its
// stop signal, then SIGKILL after the pod's grace period; the restart
// policy then applies. why becomes the message of its termination.
func (s *Supervisor) probeKill(name string, run int, why string) {
	c := s.St.Container(name)
	proc := s.procs[name]
	if c == nil || proc == nil || c.RestartCount != run || s.stopping {
		return
	}
	s.logf("container %s: %s; killing it", name, why)
	s.probeKilled[name] = why
	s.stopProbes(name)
	s.terminate(name, proc, model.StopSignal(&c.Spec, unix.SIGTERM), s.St.Spec.Grace())
}

// terminate runs container name's preStop hook (if any, within grace),
// then sends sig, and SIGKILL once grace has passed since the start.
func (s *Supervisor) terminate(name string, proc *stage.Proc, sig unix.Signal, grace time.Duration) {
	c := s.St.Container(name)
	// The SIGKILL to come lives only in this process: no hibernation
	// until it has fired (a workload that ignores sig would outlive it).
	s.active.Add(1)
	kill := time.AfterFunc(grace, func() {
		s.Post(func() {
			s.active.Add(-1)
			if s.procs[name] == proc {
				proc.Signal(unix.SIGKILL)
				s.killLeaf(name)
			}
		})
	})
	if c == nil || c.Spec.PreStop == nil || grace == 0 {
		proc.Signal(sig)
		return
	}
	dup, err := unix.FcntlInt(uintptr(proc.Pidfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		proc.Signal(sig)
		return
	}
	env := s.handlerEnv(c.Spec, dup)
	explain.Printf("podctl", "runs container %s's preStop hook before %s", name, unix.SignalName(sig))
	s.active.Add(1)
	go func() {
		defer s.active.Add(-1)
		if err := env.Run(c.Spec.PreStop, grace); err != nil {
			s.Post(func() { s.logf("container %s: preStop hook: %v", name, err) })
		}
		unix.Close(dup)
		s.Post(func() {
			if s.procs[name] == proc {
				proc.Signal(sig)
			} else if kill.Stop() {
				s.active.Add(-1)
			}
		})
	}()
}
