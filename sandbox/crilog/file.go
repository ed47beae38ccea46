package crilog

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Limits bound what a container's output takes on disk, as the kubelet's
// containerLogMaxSize and containerLogMaxFiles do: when the log would grow
// past MaxSize, it is rotated (rotate.go), and MaxFiles files in all (the
// live one and MaxFiles-1 rotated ones) are kept. MaxSize 0: never rotate.
type Limits struct {
	MaxSize  int64
	MaxFiles int
}

// The kubelet's defaults (KubeletConfiguration containerLogMaxSize "10Mi",
// containerLogMaxFiles 5).
const (
	DefaultMaxSize  = 10 << 20
	DefaultMaxFiles = 5
)

// File writes one container run's stdout and stderr into one log file.
// The two pumps share it, so writing a record holds mu.
type File struct {
	Path   string // the live file; rotated ones are Path.1, Path.2, ...
	Limits Limits
	mu     sync.Mutex
	f      *os.File
	size   int64   // bytes in f
	open   [2]bool // stdout's, stderr's last record was P: a line is open
	room   roomCheck
}

// Open creates (or appends to) the log file at path with mode 0600:
// a container's output is its owner's business only.
func Open(path string, lim Limits) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening container log %s: %w", path, err)
	}
	return Adopt(path, f, lim, OpenLines{})
}

// OpenLines says which streams' last record was P, a line that goes on
// in the next record: the state the keeper and the Go pump hand each
// other, so that whichever sees the stream end closes the line.
type OpenLines struct{ Stdout, Stderr bool }

// Adopt takes f, open for appending at path (a log the keeper handed
// back). A log already at its size limit is rotated now: the keeper wakes
// the supervisor for exactly that (nsenter/keeper.c).
func Adopt(path string, f *os.File, lim Limits, open OpenLines) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("container log %s: %w", path, err)
	}
	l := &File{Path: path, Limits: lim, f: f, size: st.Size(), open: [2]bool{open.Stdout, open.Stderr}}
	if lim.MaxSize > 0 && l.size >= lim.MaxSize {
		if err := l.rotate(); err != nil {
			return l, err
		}
	}
	return l, nil
}

// Fd is the live file's descriptor, for the keeper.
func (l *File) Fd() uintptr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Fd()
}

// OpenLines is which streams have a line open.
func (l *File) OpenLines() OpenLines {
	l.mu.Lock()
	defer l.mu.Unlock()
	return OpenLines{l.open[0], l.open[1]}
}

// TakeDropped is how many bytes of records the reserve (room.go) or a
// failed write kept out of the log since the last call.
func (l *File) TakeDropped() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.room.dropped
	l.room.dropped = 0
	return n
}

// Close closes the file; call it once both pumps have returned.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("closing container log %s: %w", l.Path, err)
	}
	return nil
}

func streamIndex(stream string) int {
	if stream == "stderr" {
		return 1
	}
	return 0
}

// lineOpen says whether stream's last record was P.
func (l *File) lineOpen(stream string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[streamIndex(stream)]
}

// writeRecord writes one record with a single write(2), so a reader never
// sees two records mixed and sees at worst the head of the last one. A
// record goes to a rotated file's successor when it would take the live
// one past Limits.MaxSize, and is dropped (and counted) when the
// filesystem is down to its reserve (room.go).
func (l *File) writeRecord(t time.Time, stream string, tag byte, content []byte) error {
	rec := AppendRecord(nil, t, stream, tag, content)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open[streamIndex(stream)] = tag == 'P'
	if !l.room.fits(int(l.f.Fd()), int64(len(rec))) {
		return nil
	}
	var rerr error
	if l.Limits.MaxSize > 0 && l.size > 0 && l.size+int64(len(rec)) > l.Limits.MaxSize {
		rerr = l.rotate() // on failure, the live file grows on
	}
	n, err := l.f.Write(rec)
	if err != nil {
		// A short write (ENOSPC midway) would leave half a record for the
		// next one to run into: cut it off again.
		if n > 0 && unix.Ftruncate(int(l.f.Fd()), l.size) != nil {
			l.size += int64(n)
		}
		l.room.dropped += int64(len(rec))
		return errors.Join(rerr, fmt.Errorf("writing %s record to container log %s: %w", stream, l.Path, err))
	}
	l.size += int64(n)
	return rerr
}
