package crilog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ReadOptions say how to print a log.
type ReadOptions struct {
	Timestamps bool // print the record's RFC3339Nano timestamp and a space at the start of each line
	Tail       int  // print only the last Tail lines (a line ends with an F record); <0 means all
	// Open opens a log file (the log or one rotation kept of it) for
	// reading; nil: OpenNoFollow. The pod API passes one that stays
	// beneath the pod's directory (model.OpenInPod).
	Open func(name string) (*os.File, error)
}

// OpenNoFollow opens a log for reading, refusing a symbolic link in its
// place: a log file is podctl's own, never a link to another.
func OpenNoFollow(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// Printing follows the kubelet's reader (pkg/kubelet/kuberuntime/logs:
// ReadLogs): a record's content is printed as soon as the record is
// complete, followed by a newline only if it is an F record. So a P record
// is printed at once (a progress bar without newlines shows as it grows,
// and output whose line never ended is not lost), and --timestamps puts
// the time of a line's first record at its start.

// printer prints records to the writer of their stream.
type printer struct {
	opts           ReadOptions
	stdout, stderr io.Writer
	midLine        [2]bool     // stdout's, stderr's last printed record was P
	tail           []LogRecord // with Tail >= 0: records kept for the end
}

// add prints a record, or keeps it for Tail. rec.Content is the reader's
// buffer: it is copied if kept.
func (p *printer) add(rec LogRecord) error {
	if p.opts.Tail < 0 {
		return p.print(rec)
	}
	rec.Content = bytes.Clone(rec.Content)
	p.tail = append(p.tail, rec)
	if len(p.tail) >= 2*max(p.opts.Tail, 512) {
		p.tail = lastLines(p.tail, p.opts.Tail)
	}
	return nil
}

// lastLines are the records of the last n lines of recs: a line is a
// stream's F record and the P records of that stream before it; a line
// still open at the end (P records without their F) counts as none and is
// kept whole.
func lastLines(recs []LogRecord, n int) []LogRecord {
	keep := make([]bool, len(recs))
	var seenF [2]bool    // going backwards: met an F record of the stream
	var keepLine [2]bool // the stream's line being walked is kept
	lines := 0
	for i := len(recs) - 1; i >= 0; i-- {
		s := streamIndex(recs[i].Stream)
		if !recs[i].Partial {
			lines++
			seenF[s], keepLine[s] = true, lines <= n
		}
		keep[i] = !seenF[s] || keepLine[s]
	}
	out := recs[:0]
	for i, r := range recs {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

// flushTail prints the records add kept for Tail; printing goes on
// directly after it (a follower).
func (p *printer) flushTail() error {
	if p.opts.Tail < 0 {
		return nil
	}
	recs := lastLines(p.tail, p.opts.Tail)
	p.tail, p.opts.Tail = nil, -1
	for _, r := range recs {
		if err := p.print(r); err != nil {
			return err
		}
	}
	return nil
}

// print writes one record to the writer of its stream in one Write, so
// records printed to a shared terminal do not mix.
func (p *printer) print(rec LogRecord) error {
	s := streamIndex(rec.Stream)
	w := p.stdout
	if s == 1 {
		w = p.stderr
	}
	var out []byte
	if p.opts.Timestamps && !p.midLine[s] {
		out = rec.Time.AppendFormat(out, time.RFC3339Nano)
		out = append(out, ' ')
	}
	out = append(out, rec.Content...)
	if !rec.Partial {
		out = append(out, '\n')
	}
	p.midLine[s] = rec.Partial
	if len(out) == 0 {
		return nil
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("printing container %s: %w", rec.Stream, err)
	}
	return nil
}

// recordReader reads the complete lines of a file that may still be
// growing: a line without its newline yet stays unread until it has one.
type recordReader struct {
	f    *os.File
	path string // for error messages
	buf  []byte // bytes read from f, from file offset off on
	off  int64
	pos  int // bytes of buf already returned
}

// next returns the next complete line (without its newline, valid until the
// next call) and the file offset just after it; ok is false when the file
// has no complete line left for now.
func (r *recordReader) next() (line []byte, end int64, ok bool, err error) {
	for {
		if i := bytes.IndexByte(r.buf[r.pos:], '\n'); i >= 0 {
			line = r.buf[r.pos : r.pos+i]
			r.pos += i + 1
			return line, r.off + int64(r.pos), true, nil
		}
		r.buf = r.buf[:copy(r.buf, r.buf[r.pos:])]
		r.off += int64(r.pos)
		r.pos = 0
		if len(r.buf) == cap(r.buf) {
			r.buf = append(r.buf, make([]byte, cap(r.buf)+64*1024)...)[:len(r.buf)]
		}
		n, err := r.f.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		if n == 0 {
			if err == nil || err == io.EOF {
				return nil, 0, false, nil
			}
			return nil, 0, false, fmt.Errorf("reading container log %s: %w", r.path, err)
		}
	}
}

// drain prints every complete record r has now.
func (r *recordReader) drain(p *printer) error {
	for {
		line, end, ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		rec, err := ParseLogRecord(line)
		if err != nil {
			return fmt.Errorf("reading container log %s at offset %d: %w", r.path, end-int64(len(line))-1, err)
		}
		if err := p.add(rec); err != nil {
			return err
		}
	}
}

// logReader reads a log across its rotations (rotate.go): the oldest
// rotated file first, then each newer one, then the live file. It finds
// the file after the one it read by that file's inode, wherever rotation
// has moved it meanwhile, so a follower that falls behind by several
// rotations loses only what rotation removed.
type logReader struct {
	path string
	open func(string) (*os.File, error)
	cur  *recordReader
	ino  uint64
}

func inode(fi os.FileInfo) uint64 { return fi.Sys().(*syscall.Stat_t).Ino }

// openFile makes name the file being read.
func (lr *logReader) openFile(name string) error {
	f, err := lr.open(name)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", name)
	}
	if err != nil {
		f.Close()
		return err
	}
	if lr.cur != nil {
		lr.cur.f.Close()
	}
	lr.cur, lr.ino = &recordReader{f: f, path: name}, inode(fi)
	return nil
}

// afterLook, when set (by a test), runs between advance's look at the
// names and its open of the file it chose.
var afterLook func()

// lock holds off rotations (rotate.go) while lr looks at the names and
// opens a file: the lock on the log's directory, shared.
func (lr *logReader) lock() (func(), error) {
	dir, err := lr.open(filepath.Dir(lr.path))
	if err == nil {
		var unlock func()
		if unlock, err = lockDir(dir, unix.LOCK_SH); err == nil {
			return unlock, nil
		}
	}
	return nil, fmt.Errorf("container log %s: locking its directory: %w", lr.path, err)
}

// openLog starts reading the log at path at its oldest retained record.
func openLog(path string, open func(string) (*os.File, error)) (*logReader, error) {
	if open == nil {
		open = OpenNoFollow
	}
	lr := &logReader{path: path, open: open}
	unlock, err := lr.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	for try := 0; ; try++ {
		k := 0
		for ; ; k++ {
			if _, err := os.Stat(Rotated(path, k+1)); err != nil {
				break
			}
		}
		name := path
		if k > 0 {
			name = Rotated(path, k)
		}
		err := lr.openFile(name)
		if err == nil {
			return lr, nil
		}
		// Rotated away between the look and the open: look again.
		if !errors.Is(err, os.ErrNotExist) || try == 3 {
			return nil, fmt.Errorf("opening container log %s: %w", name, err)
		}
	}
}

// advance moves to the file written after the current one, once rotation
// has moved the current one aside; it reports whether it did. The caller
// has read the current file to its end, after the rename, so it is whole.
func (lr *logReader) advance() (bool, error) {
	if fi, err := os.Stat(lr.path); err == nil && inode(fi) == lr.ino {
		return false, nil // still the live file
	}
	unlock, err := lr.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	next := ""
	for k := 1; ; k++ {
		fi, err := os.Stat(Rotated(lr.path, k))
		if err != nil {
			break // not found: rotated out of existence; the oldest left is next
		}
		if inode(fi) == lr.ino {
			break
		}
		next = Rotated(lr.path, k)
	}
	if next == "" {
		next = lr.path
	}
	if afterLook != nil {
		afterLook()
	}
	if err := lr.openFile(next); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil // moved again meanwhile: the next call finds it
		}
		return false, fmt.Errorf("opening container log %s: %w", next, err)
	}
	return true, nil
}

// drain prints every complete record now in the log, across rotations.
func (lr *logReader) drain(p *printer) error {
	for {
		if err := lr.cur.drain(p); err != nil {
			return err
		}
		moved, err := lr.advance()
		if !moved || err != nil {
			return err
		}
	}
}

// Print reads the CRI log at path, its rotated files first, and writes
// the container's output to stdout and stderr (by each record's stream)
// as the kubelet's reader does. A record still being written is left out.
func Print(path string, opts ReadOptions, stdout, stderr io.Writer) error {
	return Follow(path, opts, stdout, stderr, nil)
}

// followPoll is how often Follow looks for new records.
const followPoll = 100 * time.Millisecond

// Follow prints the log as Print does, then records appended to it (and
// to the files that rotation puts in its place), polling every 100 ms,
// until done() returns true and no more data is available; done nil: stop
// at once. It does not print a record that is only half written: it waits
// for the rest. (Polling suffices: the state directory is on a tmpfs, and
// inotify would add a file descriptor and a dependency for a few
// milliseconds of latency.)
func Follow(path string, opts ReadOptions, stdout, stderr io.Writer, done func() bool) error {
	lr, err := openLog(path, opts.Open)
	if err != nil {
		return err
	}
	defer func() { lr.cur.f.Close() }()
	p := &printer{opts: opts, stdout: stdout, stderr: stderr}
	if err := lr.drain(p); err != nil {
		return err
	}
	if err := p.flushTail(); err != nil || done == nil {
		return err
	}
	for {
		// Asking before reading: whatever was written before done()
		// turned true is then read before Follow returns.
		finished := done()
		if err := lr.drain(p); err != nil {
			return err
		}
		if finished {
			return nil
		}
		time.Sleep(followPoll)
	}
}
