// Package crilog writes and reads container logs in the CRI format that the
// kubelet and crictl read (one record per line: RFC 3339 time, stream,
// P or F for a partial or full line, the text), with a pump that copies a
// container run's stdout and stderr into one file, and readers that print
// or follow it for podctl logs.
package crilog

// Container logs in the Kubernetes CRI format, the one kubelet and
// containerd write, so the files read the same with podctl as with any tool
// that knows Kubernetes logs. One line per record:
//
//	<RFC3339Nano time, UTC> <stdout|stderr> <F|P> <content>\n
//
// F marks a record that ends a line, P a piece of a line too long for one
// record; a reader joins P records with the F record that follows on the
// same stream. Both streams of a container share one file, so their records
// interleave; each record is one write(2) on an O_APPEND file, so records
// never mix even while a reader is following the file.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxLogLine bounds the content of one record, so a container that never
// writes a newline cannot make podctl buffer without limit (containerd's
// default is the same 16 KiB).
const maxLogLine = 16 * 1024

// File writes one container run's stdout and stderr into one log file.
// The two pumps share it, so writing a record holds mu.
type File struct {
	Path string // for error messages
	mu   sync.Mutex
	F    *os.File
}

// ErrPumpPaused: pump returned because r's read deadline passed, with
// everything it read logged; r is still open and may be pumped again.
var ErrPumpPaused = errors.New("log pump paused")

// Open creates (or appends to) the log file at path with mode 0600:
// a container's output is its owner's business only.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening container log %s: %w", path, err)
	}
	return &File{Path: path, F: f}, nil
}

// Close closes the file; call it once both pumps have returned.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.F.Close(); err != nil {
		return fmt.Errorf("closing container log %s: %w", l.Path, err)
	}
	return nil
}

// writeRecord writes one record with a single write(2), so a reader never
// sees two records mixed and sees at worst the head of the last one.
func (l *File) writeRecord(t time.Time, stream string, tag byte, content []byte) error {
	rec := make([]byte, 0, len(time.RFC3339Nano)+len(stream)+len(content)+5)
	rec = t.UTC().AppendFormat(rec, time.RFC3339Nano)
	rec = append(rec, ' ')
	rec = append(rec, stream...)
	rec = append(rec, ' ', tag, ' ')
	rec = append(rec, content...)
	rec = append(rec, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.F.Write(rec); err != nil {
		return fmt.Errorf("writing %s record to container log %s: %w", stream, l.Path, err)
	}
	return nil
}

// Pump copies r (one stream: "stdout" or "stderr") into the log until EOF
// or a read error, line by line. Each complete line gets tag F; a line
// longer than maxLogLine becomes P records of maxLogLine bytes and an F
// record with the rest (1 to maxLogLine bytes: a P record is cut only once
// more than maxLogLine bytes without a newline are buffered), and output that
// ends without a newline becomes an F record. A record is stamped with the
// time its last byte was read.
//
// If tee is non-nil every chunk read also goes to tee, with prefix at the
// start of each line of it. Errors writing to tee are ignored: a closed
// terminal must not stop logging. Errors writing the log do not stop the
// pump either (a stalled pump would block the container on a full pipe);
// the first one is returned at the end.
func (l *File) Pump(stream string, r io.Reader, tee io.Writer, prefix string) error {
	if stream != "stdout" && stream != "stderr" {
		return fmt.Errorf("logging stream %q to %s: want stdout or stderr", stream, l.Path)
	}
	// Small buffers, grown only by output that needs them: a supervisor
	// keeps two pumps per container blocked in Read for the pod's whole
	// life, and their buffers are resident memory of every pod.
	buf := make([]byte, 4096)
	var (
		line    []byte // read, not yet logged
		teeBuf  []byte // one chunk with prefixes added
		atStart = true // the next byte tee gets begins a line
		werr    error  // first error writing the log
	)
	record := func(now time.Time, tag byte, content []byte) {
		if err := l.writeRecord(now, stream, tag, content); err != nil && werr == nil {
			werr = err
		}
	}
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			now := time.Now()
			chunk := buf[:n]
			switch {
			case tee != nil && prefix == "":
				tee.Write(chunk)
			case tee != nil:
				teeBuf = PrefixLines(teeBuf[:0], chunk, prefix, &atStart)
				tee.Write(teeBuf)
			}
			line = append(line, chunk...)
			done := 0 // bytes of line already logged
			for {
				rest := line[done:]
				i := bytes.IndexByte(rest, '\n')
				if i >= 0 && i <= maxLogLine {
					record(now, 'F', rest[:i])
					done += i + 1
				} else if i > maxLogLine || len(rest) > maxLogLine {
					record(now, 'P', rest[:maxLogLine])
					done += maxLogLine
				} else {
					break
				}
			}
			line = line[:copy(line, line[done:])]
			if len(line) == 0 && cap(line) > 2*maxLogLine {
				line = nil // a burst of long lines is over: let it go
			}
		}
		if errors.Is(rerr, os.ErrDeadlineExceeded) {
			// Paused (the supervisor hands the pipe to its keeper): a
			// line cut here goes on in the next record, so it is P.
			if len(line) > 0 {
				record(time.Now(), 'P', line)
			}
			return ErrPumpPaused
		}
		if rerr != nil {
			if len(line) > 0 {
				record(time.Now(), 'F', line)
			}
			// A pty's master reads EIO once its slave is closed
			// everywhere: its end-of-file (pty(7)).
			if rerr == io.EOF || errors.Is(rerr, unix.EIO) {
				return werr
			}
			return errors.Join(werr, fmt.Errorf("reading container %s for log %s: %w", stream, l.Path, rerr))
		}
	}
}

// PrefixLines appends chunk to dst with prefix before every line start;
// *atStart carries across calls, so a line that arrives in several reads is
// prefixed once.
func PrefixLines(dst, chunk []byte, prefix string, atStart *bool) []byte {
	if prefix == "" {
		return append(dst, chunk...)
	}
	for len(chunk) > 0 {
		if *atStart {
			dst = append(dst, prefix...)
		}
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			*atStart = false
			return append(dst, chunk...)
		}
		dst = append(dst, chunk[:i+1]...)
		chunk = chunk[i+1:]
		*atStart = true
	}
	return dst
}

// LogRecord is one parsed line of a CRI log.
type LogRecord struct {
	Time    time.Time
	Stream  string // "stdout" or "stderr"
	Partial bool   // tag P
	Content []byte // without the trailing newline
}

// ParseLogRecord parses one line (without its newline). Malformed lines
// give an error naming what is wrong. Content shares memory with line, so
// a caller that keeps it must copy it before reusing line.
func ParseLogRecord(line []byte) (LogRecord, error) {
	f := bytes.SplitN(line, []byte{' '}, 4)
	switch len(f) {
	case 1:
		return LogRecord{}, fmt.Errorf("malformed CRI log line: no stream after the timestamp")
	case 2:
		return LogRecord{}, fmt.Errorf("malformed CRI log line: no tag after the stream")
	case 3:
		return LogRecord{}, fmt.Errorf("malformed CRI log line: no space between the tag and the content")
	}
	t, err := time.Parse(time.RFC3339Nano, string(f[0]))
	if err != nil {
		return LogRecord{}, fmt.Errorf("malformed CRI log line: bad timestamp: %w", err)
	}
	stream := string(f[1])
	if stream != "stdout" && stream != "stderr" {
		return LogRecord{}, fmt.Errorf("malformed CRI log line: stream %q is neither stdout nor stderr", f[1])
	}
	tag := string(f[2])
	if tag != "F" && tag != "P" {
		return LogRecord{}, fmt.Errorf("malformed CRI log line: tag %q is neither F nor P", f[2])
	}
	return LogRecord{Time: t, Stream: stream, Partial: tag == "P", Content: f[3]}, nil
}

// ReadOptions say how to print a log.
type ReadOptions struct {
	Timestamps bool // print the record's RFC3339Nano timestamp and a space before each line
	Tail       int  // print only the last Tail lines (counting reassembled full lines); <0 means all
}

// logLine is one reassembled line of container output, stamped with the
// time of its F record (when the line was complete).
type logLine struct {
	time    time.Time
	stream  string
	content []byte
}

// logPrinter turns records into lines of output. A line is printed only at
// a record boundary where no stream has an unfinished line (P records
// without their F yet): up to there the file is fully accounted for, so a
// follower can continue from that offset without losing or repeating
// anything, even when the streams' long lines interleave.
type logPrinter struct {
	opts           ReadOptions
	stdout, stderr io.Writer
	open           map[string][]byte // stream → content of its P records so far
	ready          []logLine         // complete lines waiting for no line to be open
	tail           []logLine         // with Tail >= 0: the last Tail lines, printed at the end
	safe           int64             // offset after the last record at which nothing was open
}

// newLogPrinter starts printing a file from offset, which must be a record
// boundary with no line open.
func newLogPrinter(opts ReadOptions, offset int64, stdout, stderr io.Writer) *logPrinter {
	return &logPrinter{opts: opts, stdout: stdout, stderr: stderr, open: map[string][]byte{}, safe: offset}
}

// add takes the record that ends at offset end in the file.
func (p *logPrinter) add(rec LogRecord, end int64) error {
	piece, open := p.open[rec.Stream]
	piece = append(piece, rec.Content...) // copies: rec.Content is the reader's buffer
	if rec.Partial {
		p.open[rec.Stream] = piece
		return nil
	}
	if open {
		delete(p.open, rec.Stream)
	}
	p.ready = append(p.ready, logLine{rec.Time, rec.Stream, piece})
	if len(p.open) > 0 {
		return nil
	}
	p.safe = end
	for _, ln := range p.ready {
		if err := p.emit(ln); err != nil {
			return err
		}
	}
	p.ready = p.ready[:0]
	return nil
}

// emit prints a line now, or keeps it among the last Tail lines.
func (p *logPrinter) emit(ln logLine) error {
	if p.opts.Tail < 0 {
		return p.print(ln)
	}
	if p.opts.Tail > 0 {
		p.tail = append(p.tail, ln)
		if len(p.tail) > p.opts.Tail {
			p.tail = p.tail[1:]
		}
	}
	return nil
}

// flushTail prints the lines emit kept for Tail.
func (p *logPrinter) flushTail() error {
	for _, ln := range p.tail {
		if err := p.print(ln); err != nil {
			return err
		}
	}
	p.tail = nil
	return nil
}

// print writes one line to the writer of its stream in one Write, so lines
// printed to a shared terminal do not mix.
func (p *logPrinter) print(ln logLine) error {
	w := p.stdout
	if ln.stream == "stderr" {
		w = p.stderr
	}
	var out []byte
	if p.opts.Timestamps {
		out = ln.time.AppendFormat(out, time.RFC3339Nano)
		out = append(out, ' ')
	}
	out = append(out, ln.content...)
	out = append(out, '\n')
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("printing container %s: %w", ln.stream, err)
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
func (r *recordReader) drain(p *logPrinter) error {
	for {
		line, end, ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		rec, err := ParseLogRecord(line)
		if err != nil {
			return fmt.Errorf("reading container log %s at offset %d: %w", r.path, end-int64(len(line))-1, err)
		}
		if err := p.add(rec, end); err != nil {
			return err
		}
	}
}

// openLogAt opens the log at path for reading from offset.
func openLogAt(path string, offset int64) (*recordReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening container log %s: %w", path, err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seeking to offset %d of container log %s: %w", offset, path, err)
	}
	return &recordReader{f: f, path: path, off: offset}, nil
}

// Print reads the CRI log file at path and writes the container's
// output to stdout and stderr (by each record's stream), reassembling P
// records with the following F record into one line ending with "\n".
// It returns the offset just after the last complete record it consumed, so
// a follower can continue from there. A record still being written, or a
// line whose P records have no F record yet, is left (with anything after
// it) for the follower.
func Print(path string, opts ReadOptions, stdout, stderr io.Writer) (int64, error) {
	r, err := openLogAt(path, 0)
	if err != nil {
		return 0, err
	}
	defer r.f.Close()
	p := newLogPrinter(opts, 0, stdout, stderr)
	err = r.drain(p)
	if terr := p.flushTail(); err == nil {
		err = terr
	}
	return p.safe, err
}

// followPoll is how often FollowLog looks for new records.
const followPoll = 100 * time.Millisecond

// Follow prints records appended to the file at path from offset on (as
// PrintLog does, without Tail), polling every 100 ms, until done() returns
// true and no more data is available; it then returns nil. It does not
// print a record that is only half written: it waits for the rest. (Polling
// suffices: the state directory is on a tmpfs, and inotify would add a file
// descriptor and a dependency for a few milliseconds of latency.)
func Follow(path string, offset int64, opts ReadOptions, stdout, stderr io.Writer, done func() bool) error {
	r, err := openLogAt(path, offset)
	if err != nil {
		return err
	}
	defer r.f.Close()
	opts.Tail = -1
	p := newLogPrinter(opts, offset, stdout, stderr)
	for {
		// Asking before reading: whatever was written before done()
		// turned true is then read before FollowLog returns.
		finished := done()
		if err := r.drain(p); err != nil {
			return err
		}
		if finished {
			return nil
		}
		time.Sleep(followPoll)
	}
}
