package stdio

import (
	"io"
	"sync/atomic"

	"github.com/podctl/podctl/sandbox/crilog"
)

// PrefixWriter copies a container's output to the terminal of a foreground
// run, prefixing each line with the container's name while the pod has
// several containers (multi), so that their lines can be told apart.
type PrefixWriter struct {
	W       io.Writer
	Prefix  string
	Multi   *atomic.Bool
	AtStart bool
	buf     []byte
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
	prefix := ""
	if p.Multi.Load() {
		prefix = p.Prefix
	}
	p.buf = crilog.PrefixLines(p.buf[:0], b, prefix, &p.AtStart)
	if prefix == "" && len(b) > 0 {
		p.AtStart = b[len(b)-1] == '\n'
	}
	_, err := p.W.Write(p.buf)
	return len(b), err
}
