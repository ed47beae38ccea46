package sandbox

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// logPump copies one container run's stdout and stderr into its CRI log
// (and, in the foreground, to the terminal). It ends when both pipes reach
// end-of-file, which is when the workload and everything it forked have
// closed them; or it is paused, leaving the pipes open, when an idle
// supervisor hands them to its keeper (hibernate.go).
type logPump struct {
	container string
	log       *criLog
	out, err  *os.File // nil once at end-of-file
	wg        sync.WaitGroup
	mu        sync.Mutex
}

// startPump starts copying out and err (either may be nil) into log.
func (s *supervisor) startPump(container string, log *criLog, out, err *os.File) {
	prefix := ""
	if len(s.st.Containers) > 1 {
		prefix = container + " | "
	}
	p := &logPump{container: container, log: log, out: out, err: err}
	s.logPumps = append(s.logPumps, p)
	for _, st := range []struct {
		name string
		f    **os.File
		tee  io.Writer
	}{{"stdout", &p.out, s.stdout}, {"stderr", &p.err, s.stderr}} {
		r := *st.f
		if r == nil {
			continue
		}
		p.wg.Add(1)
		s.pumps.Add(1)
		go func() {
			defer s.pumps.Done()
			defer p.wg.Done()
			if err := log.pump(st.name, r, st.tee, prefix); !errors.Is(err, errPumpPaused) {
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
		}
	}()
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
