package handler

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
)

// Kind names a container's probes.
type Kind string

const (
	Startup   Kind = "Startup"
	Liveness  Kind = "Liveness"
	Readiness Kind = "Readiness"
)

// Probes are one container run's postStart hook and probes, each on a
// goroutine of its own, until Stop. Liveness and readiness begin once the
// startup probe has succeeded (or there is none), as the kubelet's prober
// does; a startup probe stops at its first success.
type Probes struct {
	stop    chan struct{}
	started atomic.Bool
	wg      sync.WaitGroup
	streaks map[Kind]*Streak // the caller's (Record), on one goroutine
}

// Report receives a probe's result, on the probe's goroutine. One that
// races Stop may still come: the caller drops a result for a run that is
// over.
type Report func(kind Kind, pr model.Probe, err error)

// StartProbes starts env's container's postStart hook, then its probes;
// env.PIDFD is the probes' own (a dup of the workload's), closed after the
// last one returns. postStartFailed, if the hook fails, instead of any
// probe.
func StartProbes(env *Target, report Report, postStartFailed func(error)) *Probes {
	spec := env.Container
	p := &Probes{stop: make(chan struct{}), streaks: map[Kind]*Streak{}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if spec.PostStart != nil {
			// The kubelet runs postStart as the container starts; a failed
			// hook kills it. Probes begin once it is done.
			if err := env.Run(spec.PostStart, 30*time.Second); err != nil {
				postStartFailed(err)
				return
			}
		}
		if spec.Startup == nil {
			p.started.Store(true)
		}
		for _, k := range []struct {
			kind Kind
			pr   *model.Probe
		}{{Startup, spec.Startup}, {Liveness, spec.Liveness}, {Readiness, spec.Readiness}} {
			if k.pr != nil {
				p.wg.Add(1)
				go p.loop(env, k.kind, k.pr.Defaults(), report)
			}
		}
	}()
	go func() {
		p.wg.Wait()
		unix.Close(env.PIDFD)
	}()
	return p
}

// Stop ends the probes (the run ended, or the pod stops); the last one to
// return closes the pidfd.
func (p *Probes) Stop() { close(p.stop) }

// SetStarted records the startup probe's success: liveness and readiness
// run from now on.
func (p *Probes) SetStarted() { p.started.Store(true) }

// loop runs one probe every period until Stop.
func (p *Probes) loop(env *Target, kind Kind, pr model.Probe, report Report) {
	defer p.wg.Done()
	select {
	case <-time.After(pr.InitialDelay):
	case <-p.stop:
		return
	}
	tick := time.NewTicker(pr.Period)
	defer tick.Stop()
	for {
		if kind == Startup || p.started.Load() {
			err := env.Run(&pr.Handler, pr.Timeout)
			select {
			case <-p.stop:
				return
			default:
			}
			report(kind, pr, err)
			if kind == Startup && err == nil {
				return // a startup probe stops at its first success
			}
		}
		select {
		case <-tick.C:
		case <-p.stop:
			return
		}
	}
}

// Streak counts a probe's results in a row, as the kubelet's prober does.
type Streak struct{ Successes, Failures int }

// Record counts one more result of kind's probe (on the caller's one
// goroutine) and returns its streak.
func (p *Probes) Record(kind Kind, ok bool) Streak {
	n := p.streaks[kind]
	if n == nil {
		n = &Streak{}
		p.streaks[kind] = n
	}
	if ok {
		n.Successes, n.Failures = n.Successes+1, 0
	} else {
		n.Successes, n.Failures = 0, n.Failures+1
	}
	return *n
}
