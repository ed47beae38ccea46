package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/stdio"
)

// logPump copies one container run's stdout and stderr into its CRI log
// (and, in the foreground, to the terminal). It ends when both pipes reach
// end-of-file, which is when the workload and everything it forked have
// closed them; or it is paused, leaving the pipes open, when an idle
// supervisor hands them to its keeper (hibernate.go).
type logPump struct {
	container string
	log       *crilog.File
	out, err  *os.File // nil once at end-of-file
	wg        sync.WaitGroup
	mu        sync.Mutex
	done      chan struct{} // closed when both copies have returned
	taps      stdio.Taps    // attach sessions' copies (attachserve.go)
}

// reopenLog makes the log of container name's running run go on in a new
// file of the same name (crilog.File.Reopen); the loop goroutine's.
func (s *Supervisor) reopenLog(name string) error {
	for _, p := range s.logPumps {
		select {
		case <-p.done:
			continue
		default:
		}
		if p.container == name {
			return p.log.Reopen()
		}
	}
	return fmt.Errorf("container %s is not running: its log is not open", name)
}

// startPump starts copying out and err (either may be nil) into log.
func (s *Supervisor) startPump(container string, log *crilog.File, out, err *os.File) {
	p := &logPump{container: container, log: log, out: out, err: err, done: make(chan struct{})}
	// Forget the pumps that have finished, so that a container restarted
	// all day does not grow the list.
	live := s.logPumps[:0]
	for _, q := range s.logPumps {
		select {
		case <-q.done:
		default:
			live = append(live, q)
		}
	}
	s.logPumps = append(live, p)
	for _, st := range []struct {
		name string
		f    **os.File
		tee  io.Writer
	}{{"stdout", &p.out, s.Stdout}, {"stderr", &p.err, s.Stderr}} {
		r := *st.f
		if r == nil {
			continue
		}
		tee := p.taps.Writer(st.name == "stderr")
		if st.tee != nil {
			tee = io.MultiWriter(tee, &stdio.PrefixWriter{W: st.tee, Prefix: container + " | ", Multi: &s.multi, AtStart: true})
		}
		p.wg.Add(1)
		s.pumps.Add(1)
		go func() {
			defer s.pumps.Done()
			defer p.wg.Done()
			if err := log.Pump(st.name, r, tee, ""); !errors.Is(err, crilog.ErrPumpPaused) {
				r.Close()
				p.mu.Lock()
				*st.f = nil
				p.mu.Unlock()
			}
		}()
	}
	go func() {
		p.wg.Wait()
		p.mu.Lock()
		ended := p.out == nil && p.err == nil
		p.mu.Unlock()
		if ended {
			log.Close()
			p.taps.CloseAll()
		}
		close(p.done)
	}()
}

// drained returns a channel that is closed once every pump of container
// has returned (its pipes at end-of-file, or paused), or after limit: a
// daemon the container forked may hold its pipes open for ever.
func (s *Supervisor) drained(container string, limit time.Duration) <-chan struct{} {
	var pumps []*logPump
	for _, p := range s.logPumps {
		if p.container == container {
			pumps = append(pumps, p)
		}
	}
	c := make(chan struct{})
	go func() {
		defer close(c)
		timeout := time.After(limit)
		for _, p := range pumps {
			select {
			case <-p.done:
			case <-timeout:
				return
			}
		}
	}()
	return c
}

// pause stops the pump's reads (a read deadline in the past) and waits
// until everything read is logged; the pipes stay open. It reports
// whether a pipe is still open.
func (p *logPump) pause() bool {
	p.mu.Lock()
	for _, f := range []*os.File{p.out, p.err} {
		if f != nil {
			f.SetReadDeadline(time.Now())
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out != nil || p.err != nil
}

// countDropped adds to each container's status the output its log left
// out since the last count (a full filesystem, sandbox/crilog/room.go).
func (s *Supervisor) countDropped() {
	for _, p := range s.logPumps {
		if c := s.St.Container(p.container); c != nil {
			c.LogDroppedBytes += p.log.TakeDropped()
		}
	}
}
