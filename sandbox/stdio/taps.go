package stdio

import (
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// tapBuffer is how much output may wait for a slow attach before that
// session is dropped: a stalled client must not stall the container
// (F_SETPIPE_SZ, pipe(7); the default 64 KiB is kept if refused).
const tapBuffer = 1 << 20

// Taps are the output pipes of the attach sessions of one log pump.
type Taps struct {
	mu  sync.Mutex
	out []*os.File // stdout, or the pty's output
	err []*os.File
}

// tapWriter copies a stream's output to every session's pipe; a session
// whose pipe is full or closed loses its pipe, never the pump its time.
type tapWriter struct {
	t      *Taps
	stderr bool
}

func (w tapWriter) Write(b []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	list := &w.t.out
	if w.stderr {
		list = &w.t.err
	}
	kept := (*list)[:0]
	for _, f := range *list {
		if _, err := f.Write(b); err != nil {
			f.Close()
			continue
		}
		kept = append(kept, f)
	}
	*list = kept
	return len(b), nil
}

// CloseAll ends every session's output: the run is over.
func (t *Taps) CloseAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range append(t.out, t.err...) {
		f.Close()
	}
	t.out, t.err = nil, nil
}

// Add makes a session's pipe for one stream and returns its read end.
func (t *Taps) Add(stderr bool) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, tapBuffer)
	// Non-blocking, so that a full pipe is an error the writer sees
	// rather than a pump that waits.
	unix.SetNonblock(int(w.Fd()), true)
	t.mu.Lock()
	if stderr {
		t.err = append(t.err, w)
	} else {
		t.out = append(t.out, w)
	}
	t.mu.Unlock()
	return r, nil
}

// Writer is what a log pump tees one stream into: stdout, or stderr.
func (t *Taps) Writer(stderr bool) io.Writer { return tapWriter{t: t, stderr: stderr} }
