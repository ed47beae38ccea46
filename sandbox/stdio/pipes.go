package stdio

import (
	"io"
	"os"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/termio"
	"golang.org/x/sys/unix"
)

// Pipes are a container's standard output and error, read by the
// supervisor; its standard input is /dev/null, or podctl run -i's.
type Pipes struct {
	Null, OutR, OutW, ErrR, ErrW *os.File
	InW                          *os.File // the kept write end of a stdin pipe (the supervisor's attachserve.go)
}

// New makes them; stdin, if not nil, is given to the container:
// a file that is not a terminal as it is, anything else through a relayed
// pipe (never the caller's terminal, CVE-2017-5226).
func New(stdin io.Reader) (*Pipes, error) {
	p := &Pipes{}
	var err error
	f, isFile := stdin.(*os.File)
	switch {
	case stdin == nil:
		p.Null, err = os.Open(os.DevNull)
	case isFile && !termio.IsTerminal(f):
		// A duplicate, so that closing our copy leaves podctl's own.
		var fd int
		if fd, err = unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0); err == nil {
			p.Null = os.NewFile(uintptr(fd), "stdin")
		}
	default:
		var w *os.File
		if p.Null, w, err = os.Pipe(); err == nil {
			go func() {
				io.Copy(w, stdin)
				w.Close()
			}()
		}
	}
	if err != nil {
		return nil, err
	}
	if p.OutR, p.OutW, err = os.Pipe(); err != nil {
		p.Close()
		return nil, err
	}
	if p.ErrR, p.ErrW, err = os.Pipe(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pipes) Child() [3]*os.File { return [3]*os.File{p.Null, p.OutW, p.ErrW} }

// CloseChild closes our copies of the child's ends once the child has
// them, so that end-of-file arrives when the workload (and whatever it
// forked) closes them.
func (p *Pipes) CloseChild() {
	for _, f := range []*os.File{p.Null, p.OutW, p.ErrW} {
		if f != nil {
			f.Close()
		}
	}
	p.Null, p.OutW, p.ErrW = nil, nil, nil
}

// Close closes every end still ours.
func (p *Pipes) Close() {
	p.CloseChild()
	for _, f := range []*os.File{p.OutR, p.ErrR, p.InW} {
		if f != nil {
			f.Close()
		}
	}
}

// ForRun makes the standard streams of a run of c: stdin is podctl run
// -i's (stdin, in the foreground), a pipe kept open for attach (c.Stdin),
// or /dev/null. With a tty there is no stdout pipe: the pty carries the
// workload's output, and the stage's own stdout is /dev/null.
func ForRun(c *model.ContainerSpec, stdin io.Reader) (*Pipes, error) {
	if c.TTY {
		// The foreground's stdin goes to the pty's master (the supervisor's takeStdio).
		stdin = nil
	}
	p, err := New(stdin)
	if err != nil {
		return nil, err
	}
	if c.Stdin && !c.TTY && stdin == nil {
		if p.InW, err = p.stdinPipe(); err != nil {
			p.Close()
			return nil, err
		}
	}
	if c.TTY {
		p.OutR.Close()
		p.OutW.Close()
		p.OutR, p.OutW = nil, nil
	}
	return p, nil
}

// stdinPipe gives a run of a container with stdin (and no tty) a pipe: the
// read end is its standard input, the write end is kept by the supervisor.
func (p *Pipes) stdinPipe() (*os.File, error) {
	if p.Null != nil {
		p.Null.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		p.Null = nil
		return nil, err
	}
	p.Null = r
	return w, nil
}
