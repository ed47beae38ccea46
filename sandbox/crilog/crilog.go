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
	"fmt"
	"time"
)

// maxLogLine bounds the content of one record, so a container that never
// writes a newline cannot make podctl buffer without limit (containerd's
// default is the same 16 KiB).
const maxLogLine = 16 * 1024

// AppendRecord appends one record, with its newline, to dst.
func AppendRecord(dst []byte, t time.Time, stream string, tag byte, content []byte) []byte {
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, ' ')
	dst = append(dst, stream...)
	dst = append(dst, ' ', tag, ' ')
	dst = append(dst, content...)
	return append(dst, '\n')
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
