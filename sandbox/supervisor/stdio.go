package supervisor

import (
	"io"
	"os"

	"github.com/podctl/podctl/sandbox/termio"
	"golang.org/x/sys/unix"
)

// stdPipes are a container's standard output and error, read by the
// supervisor; its standard input is /dev/null, or podctl run -i's.
type stdPipes struct {
	null, outR, outW, errR, errW *os.File
	inW                          *os.File // the kept write end of a stdin pipe (attachserve.go)
}

// newStdPipes makes them; stdin, if not nil, is given to the container:
// a file that is not a terminal as it is, anything else through a relayed
// pipe (never the caller's terminal, CVE-2017-5226).
func newStdPipes(stdin io.Reader) (*stdPipes, error) {
	p := &stdPipes{}
	var err error
	f, isFile := stdin.(*os.File)
	switch {
	case stdin == nil:
		p.null, err = os.Open(os.DevNull)
	case isFile && !termio.IsTerminal(f):
		// A duplicate, so that closing our copy leaves podctl's own.
		var fd int
		if fd, err = unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0); err == nil {
			p.null = os.NewFile(uintptr(fd), "stdin")
		}
	default:
		var w *os.File
		if p.null, w, err = os.Pipe(); err == nil {
			go func() {
				io.Copy(w, stdin)
				w.Close()
			}()
		}
	}
	if err != nil {
		return nil, err
	}
	if p.outR, p.outW, err = os.Pipe(); err != nil {
		p.close()
		return nil, err
	}
	if p.errR, p.errW, err = os.Pipe(); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *stdPipes) child() [3]*os.File { return [3]*os.File{p.null, p.outW, p.errW} }

// closeChild closes our copies of the child's ends once the child has
// them, so that end-of-file arrives when the workload (and whatever it
// forked) closes them.
func (p *stdPipes) closeChild() {
	for _, f := range []*os.File{p.null, p.outW, p.errW} {
		if f != nil {
			f.Close()
		}
	}
	p.null, p.outW, p.errW = nil, nil, nil
}

func (p *stdPipes) close() {
	p.closeChild()
	for _, f := range []*os.File{p.outR, p.errR, p.inW} {
		if f != nil {
			f.Close()
		}
	}
}
