package crilog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ErrPumpPaused: pump returned because r's read deadline passed, with
// everything it read logged; r is still open and may be pumped again.
var ErrPumpPaused = errors.New("log pump paused")

// Pump copies r (one stream: "stdout" or "stderr") into the log until EOF
// or a read error, line by line. Each complete line gets tag F; a line
// longer than maxLogLine becomes P records of maxLogLine bytes and an F
// record with the rest (1 to maxLogLine bytes: a P record is cut only once
// more than maxLogLine bytes without a newline are buffered), and output that
// ends without a newline becomes an F record. A line whose P records were
// written before (by this pump when paused, by another, by the keeper) is
// closed at the end with an empty F record: the stream ended the line,
// and a reader waiting for its F record must not wait for ever. A record is
// stamped with the time its last byte was read.
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
			if len(line) > 0 || l.lineOpen(stream) {
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
