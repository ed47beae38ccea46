package forkexec

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// Pipes connects a Cmd's standard streams to memory, as os/exec does for
// an io.Reader and io.Writers: in is written to its standard input, which
// is then closed (nil: /dev/null); its standard output and error are copied to out and
// errw (nil: /dev/null; the same writer for both: one pipe, in order).
type Pipes struct {
	child []*os.File // the child's ends, ours to close once it started
	ours  []*os.File // our ends, which the copies close
	wg    sync.WaitGroup
	start []func()
}

// NewPipes makes the pipes and sets c's standard streams to them. Call
// Started once c is started (or failed to start), then Wait after its exit.
func NewPipes(c *Cmd, in []byte, out, errw io.Writer) (*Pipes, error) {
	p := &Pipes{}
	if in != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		c.Stdin, p.child, p.ours = r, append(p.child, r), append(p.ours, w)
		p.start = append(p.start, func() {
			// An error here is the child's (it exited without
			// reading): what it says on its output tells more.
			io.Copy(w, bytes.NewReader(in))
			w.Close()
		})
	}
	var err error
	if out != nil {
		if c.Stdout, err = p.copyTo(out); err != nil {
			p.closeAll()
			return nil, err
		}
	}
	if errw == out && out != nil {
		c.Stderr = c.Stdout
	} else if errw != nil {
		if c.Stderr, err = p.copyTo(errw); err != nil {
			p.closeAll()
			return nil, err
		}
	}
	return p, nil
}

// copyTo makes a pipe whose reading end is copied to dst, and returns
// its writing end for the child.
func (p *Pipes) copyTo(dst io.Writer) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.child, p.ours = append(p.child, w), append(p.ours, r)
	p.start = append(p.start, func() {
		io.Copy(dst, r)
		r.Close()
	})
	return w, nil
}

// Started closes our copies of the child's ends and starts the copies;
// they end when the child (and whatever inherited its streams) has exited.
func (p *Pipes) Started() {
	for _, f := range p.child {
		f.Close()
	}
	p.child = nil
	for _, fn := range p.start {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			fn()
		}()
	}
	p.start = nil
}

// Wait waits for the copies to end.
func (p *Pipes) Wait() { p.wg.Wait() }

// closeAll undoes a NewPipes that failed midway.
func (p *Pipes) closeAll() {
	p.start = nil
	for _, f := range append(p.child, p.ours...) {
		f.Close()
	}
}

// Output runs c to its end with in as its standard input, and returns what
// it wrote to its standard output and error, together.
func Output(c *Cmd, in []byte) ([]byte, error) {
	var out bytes.Buffer
	p, err := NewPipes(c, in, &out, &out)
	if err != nil {
		return nil, err
	}
	proc, err := Start(c)
	p.Started()
	if err != nil {
		p.Wait()
		return nil, err
	}
	err = proc.Wait()
	p.Wait()
	return out.Bytes(), err
}
