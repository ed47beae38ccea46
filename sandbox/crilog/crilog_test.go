package crilog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// criLineRE is one record as pump writes it: a UTC RFC3339Nano time.
var criLineRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (stdout|stderr) ([FP]) (.*)$`)

// chunkReader returns its chunks one Read at a time, as a pipe might.
type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if r.chunks[0] = r.chunks[0][n:]; r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// syncBuffer is a bytes.Buffer that FollowLog may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failWriter is a terminal that went away.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("terminal gone") }

// readRecords checks every line of the log at path against criLineRE and
// returns them as "stream tag content", plus their times.
func readRecords(t *testing.T, path string) ([]string, []time.Time) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("log does not end with a newline: %q", data)
	}
	var recs []string
	var times []time.Time
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		m := criLineRE.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			t.Fatalf("malformed record %q", line)
		}
		ts, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		recs = append(recs, m[2]+" "+m[3]+" "+m[4])
		times = append(times, ts)
	}
	return recs, times
}

// pumpAll logs each reader through one criLog, and returns the log's path.
func pumpAll(t *testing.T, streams map[string]io.Reader) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for stream, r := range streams {
		if err := l.Pump(stream, r, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCRILogTwoStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const lines = 500
	want := map[string][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, stream := range []string{"stdout", "stderr"} {
		pr, pw := io.Pipe()
		for i := range lines {
			want[stream] = append(want[stream], fmt.Sprintf("%s F %s line %d with  spaces ", stream, stream, i))
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(pw, "%s line %d with  spaces \n", stream, i)
			}
			pw.Close()
		}()
		go func() {
			defer wg.Done()
			errs <- l.Pump(stream, pr, nil, "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	recs, times := readRecords(t, path)
	got := map[string][]string{}
	last := map[string]time.Time{}
	for i, r := range recs {
		stream := r[:6]
		got[stream] = append(got[stream], r)
		if times[i].Before(start.Add(-time.Second)) || times[i].After(end.Add(time.Second)) {
			t.Errorf("record %q stamped %v, outside the run", r, times[i])
		}
		if times[i].Before(last[stream]) {
			t.Errorf("record %q stamped %v, before the previous %s record", r, times[i], stream)
		}
		last[stream] = times[i]
	}
	for _, stream := range []string{"stdout", "stderr"} {
		if strings.Join(got[stream], "\n") != strings.Join(want[stream], "\n") {
			t.Errorf("%s records:\n%s\nwant:\n%s", stream, strings.Join(got[stream], "\n"), strings.Join(want[stream], "\n"))
		}
	}

	// Appending: a second run adds to the same file.
	l, err = Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Pump("stdout", strings.NewReader("again\n"), nil, ""); err != nil {
		t.Fatal(err)
	}
	l.Close()
	recs, _ = readRecords(t, path)
	if len(recs) != 2*lines+1 || recs[len(recs)-1] != "stdout F again" {
		t.Errorf("after appending: %d records, last %q", len(recs), recs[len(recs)-1])
	}
}

func TestCRILogLongLines(t *testing.T) {
	a, b, c := strings.Repeat("a", maxLogLine), strings.Repeat("b", maxLogLine), strings.Repeat("c", 10)
	d, e := strings.Repeat("d", maxLogLine), strings.Repeat("e", maxLogLine)
	input := a + b + c + "\n" + d + "\n" + e + e + "\n\n" + "no newline"
	want := []string{
		"stdout P " + a, "stdout P " + b, "stdout F " + c, // longer: cut
		"stdout F " + d,                  // exactly maxLogLine: one record
		"stdout P " + e, "stdout F " + e, // exact multiple
		"stdout F ",           // empty line
		"stdout F no newline", // end of output without a newline
	}
	var small []string // 1000-byte reads: newlines and cuts fall mid-read
	for s := input; s != ""; {
		n := min(1000, len(s))
		small = append(small, s[:n])
		s = s[n:]
	}
	for name, r := range map[string]io.Reader{
		"one read":     strings.NewReader(input),
		"small reads":  &chunkReader{small},
		"line by line": &chunkReader{strings.SplitAfter(input, "\n")},
	} {
		path := pumpAll(t, map[string]io.Reader{"stdout": r})
		recs, _ := readRecords(t, path)
		if strings.Join(recs, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d records, want %d", name, len(recs), len(want))
			for i := range max(len(recs), len(want)) {
				var g, w string
				if i < len(recs) {
					g = recs[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("%s: record %d: %.20q... (%d bytes), want %.20q... (%d bytes)", name, i, g, len(g), w, len(w))
				}
			}
		}
		var out, errOut bytes.Buffer
		if err := Print(path, ReadOptions{Tail: -1}, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		if out.String() != input+"\n" || errOut.Len() != 0 {
			t.Errorf("%s: PrintLog does not give back the output (%d bytes, want %d)", name, out.Len(), len(input)+1)
		}
	}
}

func TestCRILogTee(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var tee bytes.Buffer
	if err := l.Pump("stdout", &chunkReader{[]string{"hel", "lo\nwor", "ld\n"}}, &tee, "web | "); err != nil {
		t.Fatal(err)
	}
	if tee.String() != "web | hello\nweb | world\n" {
		t.Errorf("tee got %q", tee.String())
	}
	tee.Reset()
	if err := l.Pump("stderr", &chunkReader{[]string{"\n", "x\n\ny", "z"}}, &tee, "db | "); err != nil {
		t.Fatal(err)
	}
	if tee.String() != "db | \ndb | x\ndb | \ndb | yz" {
		t.Errorf("tee got %q", tee.String())
	}
	tee.Reset()
	if err := l.Pump("stdout", &chunkReader{[]string{"raw", " out\n"}}, &tee, ""); err != nil {
		t.Fatal(err)
	}
	if tee.String() != "raw out\n" {
		t.Errorf("tee without prefix got %q", tee.String())
	}
	// A tee that fails does not stop the log.
	if err := l.Pump("stdout", strings.NewReader("still\nlogged\n"), failWriter{}, "p "); err != nil {
		t.Fatal(err)
	}
	recs, _ := readRecords(t, path)
	want := []string{"stdout F hello", "stdout F world", "stderr F ", "stderr F x", "stderr F ", "stderr F yz",
		"stdout F raw out", "stdout F still", "stdout F logged"}
	if strings.Join(recs, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(recs, "\n"), strings.Join(want, "\n"))
	}
}

func TestCRILogPumpErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Pump("stdin", strings.NewReader("x\n"), nil, ""); err == nil {
		t.Error("pump accepted stream stdin")
	}
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("before the error"))
		pw.CloseWithError(errors.New("pty gone"))
	}()
	err = l.Pump("stderr", pr, nil, "")
	if err == nil || !strings.Contains(err.Error(), "pty gone") || !strings.Contains(err.Error(), path) {
		t.Errorf("read error: %v", err)
	}
	l.Close()
	recs, _ := readRecords(t, path)
	if strings.Join(recs, "\n") != "stderr F before the error" {
		t.Errorf("records %q", recs)
	}
	if _, err := Open(filepath.Join(path, "sub", "x.log"), Limits{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("opening under a file: %v", err)
	}
}

func TestCRILogRecordFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("CET", 3600))
	if err := l.writeRecord(at, "stderr", 'P', []byte("a b")); err != nil {
		t.Fatal(err)
	}
	if err := l.writeRecord(at.Add(-600), "stdout", 'F', nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	data, _ := os.ReadFile(path)
	if want := "2024-01-02T02:04:05.0000006Z stderr P a b\n2024-01-02T02:04:05Z stdout F \n"; string(data) != want {
		t.Errorf("log %q, want %q", data, want)
	}
	if err := l.writeRecord(at, "stdout", 'F', nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("writing after Close: %v", err)
	}
}

func TestParseLogRecord(t *testing.T) {
	r, err := ParseLogRecord([]byte("2016-10-06T00:17:09.669794202Z stdout F hello  world "))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(time.Date(2016, 10, 6, 0, 17, 9, 669794202, time.UTC)) || r.Stream != "stdout" || r.Partial || string(r.Content) != "hello  world " {
		t.Errorf("got %+v", r)
	}
	r, err = ParseLogRecord([]byte("2016-10-06T02:17:09+02:00 stderr P "))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(time.Date(2016, 10, 6, 0, 17, 9, 0, time.UTC)) || r.Stream != "stderr" || !r.Partial || len(r.Content) != 0 {
		t.Errorf("got %+v", r)
	}
	bad := map[string]string{
		"":                                       "no stream",
		"2016-10-06T00:17:09Z":                   "no stream",
		"2016-10-06T00:17:09Z stdout":            "no tag",
		"2016-10-06T00:17:09Z stdout F":          "no space between the tag and the content",
		"2016-10-06T00:17:09Z stdin F x":         `stream "stdin"`,
		"2016-10-06T00:17:09Z stdout  F x":       `tag ""`,
		"2016-10-06T00:17:09Z stdout X x":        `tag "X"`,
		"2016-10-06T00:17:09Z stdout F:x y":      `tag "F:x"`,
		"2016-10-06 stdout F x":                  "bad timestamp",
		"2016-13-06T00:17:09Z stdout F x":        "bad timestamp",
		" stdout F x":                            "bad timestamp",
		"yesterday stdout F x":                   "bad timestamp",
		"2016-10-06T00:17:09.669794202 stdout F": "no space between",
	}
	for line, want := range bad {
		_, err := ParseLogRecord([]byte(line))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", line, err, want)
		}
	}
}

// sampleLog has two interleaved streams, partial records whose lines
// complete out of order, an empty line and a record still being written.
const sampleLog = "" +
	"2024-01-02T03:04:01Z stdout F one\n" +
	"2024-01-02T03:04:02Z stderr P er\n" +
	"2024-01-02T03:04:03.5Z stdout P tw\n" +
	"2024-01-02T03:04:04Z stderr F r1\n" +
	"2024-01-02T03:04:05.123456789Z stdout F o\n" +
	"2024-01-02T03:04:06Z stdout F three\n" +
	"2024-01-02T03:04:07Z stderr F \n"

const sampleHalf = "2024-01-02T03:04:08Z stdout F half writ"

func TestPrintLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	if err := os.WriteFile(path, []byte(sampleLog+sampleHalf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts        ReadOptions
		out, errOut string
	}{
		{ReadOptions{Tail: -1}, "one\ntwo\nthree\n", "err1\n\n"},
		{ReadOptions{Tail: 100}, "one\ntwo\nthree\n", "err1\n\n"},
		{ReadOptions{Tail: 0}, "", ""},
		{ReadOptions{Tail: 2}, "three\n", "\n"},
		{ReadOptions{Tail: 4}, "two\nthree\n", "err1\n\n"},
		// A line's time is its first record's, as the kubelet prints it.
		{ReadOptions{Tail: -1, Timestamps: true},
			"2024-01-02T03:04:01Z one\n2024-01-02T03:04:03.5Z two\n2024-01-02T03:04:06Z three\n",
			"2024-01-02T03:04:02Z err1\n2024-01-02T03:04:07Z \n"},
		{ReadOptions{Tail: 3, Timestamps: true},
			"2024-01-02T03:04:03.5Z two\n2024-01-02T03:04:06Z three\n",
			"2024-01-02T03:04:07Z \n"},
	} {
		var out, errOut bytes.Buffer
		if err := Print(path, tc.opts, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.out || errOut.String() != tc.errOut {
			t.Errorf("%+v: stdout %q stderr %q, want %q %q", tc.opts, out.String(), errOut.String(), tc.out, tc.errOut)
		}
	}

	var out, errOut bytes.Buffer
	if err := Print(filepath.Join(t.TempDir(), "empty"), ReadOptions{Tail: -1}, &out, &errOut); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	if err := Print(empty, ReadOptions{Tail: -1}, &out, &errOut); err != nil || out.Len()+errOut.Len() != 0 {
		t.Errorf("empty file: %v %q %q", err, out.String(), errOut.String())
	}
}

func TestPrintLogMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	good := "2024-01-02T03:04:01Z stdout F one\n"
	os.WriteFile(path, []byte(good+"2024-01-02T03:04:02Z stdout Q two\n2024-01-02T03:04:03Z stdout F three\n"), 0o600)
	var out, errOut bytes.Buffer
	err := Print(path, ReadOptions{Tail: -1}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s at offset %d", path, len(good))) || !strings.Contains(err.Error(), `tag "Q"`) {
		t.Errorf("error %v", err)
	}
	if out.String() != "one\n" {
		t.Errorf("printed %q", out.String())
	}
}

// P records are printed as they come, as the kubelet prints them: a line
// that never ended (its P records without an F) is not lost, and a
// follower goes on from there without printing anything twice.
func TestPrintOpenLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	os.WriteFile(path, []byte("2024-01-02T03:04:01Z stdout F one\n2024-01-02T03:04:02Z stderr P ab\n"+
		"2024-01-02T03:04:03Z stdout F two\n2024-01-02T03:04:04Z stderr P cd\n"), 0o600)
	var out, errOut bytes.Buffer
	if err := Print(path, ReadOptions{Tail: -1, Timestamps: true}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != "2024-01-02T03:04:01Z one\n2024-01-02T03:04:03Z two\n" || errOut.String() != "2024-01-02T03:04:02Z abcd" {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	// --tail counts lines ended by an F record; an open line is kept.
	out.Reset()
	errOut.Reset()
	if err := Print(path, ReadOptions{Tail: 1}, &out, &errOut); err != nil || out.String() != "two\n" || errOut.String() != "abcd" {
		t.Fatalf("tail 1: %v stdout %q, stderr %q", err, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	defer f.Close()
	res := make(chan error, 1)
	var sout, serr syncBuffer
	var finished atomic.Bool
	go func() { res <- Follow(path, ReadOptions{Tail: -1}, &sout, &serr, finished.Load) }()
	waitFor(t, "the open line", func() bool { return serr.String() == "abcd" })
	f.WriteString("2024-01-02T03:04:05Z stderr F \n")
	waitFor(t, "the line's end", func() bool { return serr.String() == "abcd\n" })
	finished.Store(true)
	if err := <-res; err != nil || sout.String() != "one\ntwo\n" {
		t.Errorf("%v stdout %q", err, sout.String())
	}
}

// waitFor polls cond for a generous while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFollowLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	os.WriteFile(path, []byte("2024-01-02T03:04:01Z stdout F before\n"), 0o600)
	var out, errOut syncBuffer
	var finished atomic.Bool
	res := make(chan error, 1)
	go func() {
		res <- Follow(path, ReadOptions{Timestamps: true, Tail: 0}, &out, &errOut, finished.Load)
	}()
	appendLog := func(s string) {
		done := make(chan struct{}) // another goroutine, as the pumps are
		go func() {
			defer close(done)
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Error(err)
				return
			}
			f.WriteString(s)
			f.Close()
		}()
		<-done
	}
	time.Sleep(150 * time.Millisecond) // let FollowLog find nothing new first
	appendLog("2024-01-02T03:04:02Z stdout F after\n2024-01-02T03:04:03Z stderr F oops\n")
	waitFor(t, "appended records", func() bool {
		return out.String() == "2024-01-02T03:04:02Z after\n" && errOut.String() == "2024-01-02T03:04:03Z oops\n"
	})
	appendLog("2024-01-02T03:04:04Z stdout F half wri")
	time.Sleep(350 * time.Millisecond) // several polls
	if got := out.String(); got != "2024-01-02T03:04:02Z after\n" {
		t.Fatalf("printed a half-written record: %q", got)
	}
	appendLog("tten\n")
	waitFor(t, "the completed record", func() bool {
		return out.String() == "2024-01-02T03:04:02Z after\n2024-01-02T03:04:04Z half written\n"
	})
	select {
	case err := <-res:
		t.Fatalf("FollowLog returned before done: %v", err)
	default:
	}
	finished.Store(true)
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FollowLog did not return after done")
	}
	if out.String() != "2024-01-02T03:04:02Z after\n2024-01-02T03:04:04Z half written\n" || errOut.String() != "2024-01-02T03:04:03Z oops\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

// Following a log that two pumps are writing gives back each stream whole,
// across the log's rotations.
func TestFollowLogWhilePumping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{MaxSize: 64 << 10, MaxFiles: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	var finished atomic.Bool
	res := make(chan error, 1)
	go func() { res <- Follow(path, ReadOptions{Tail: -1}, &out, &errOut, finished.Load) }()
	long := strings.Repeat("x", 2*maxLogLine+7)
	want := map[string]string{}
	var wg sync.WaitGroup
	for _, stream := range []string{"stdout", "stderr"} {
		pr, pw := io.Pipe()
		var sb strings.Builder
		for i := range 200 {
			fmt.Fprintf(&sb, "%s %d\n", stream, i)
			if i%50 == 0 {
				sb.WriteString(long + "\n")
			}
		}
		text := sb.String()
		want[stream] = text
		wg.Add(2)
		go func() {
			defer wg.Done()
			for _, line := range strings.SplitAfter(text, "\n") {
				pw.Write([]byte(line))
				if len(line) > 100 {
					time.Sleep(5 * time.Millisecond)
				}
			}
			pw.Close()
		}()
		go func() {
			defer wg.Done()
			if err := l.Pump(stream, pr, nil, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l.Close()
	finished.Store(true)
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FollowLog did not return after done")
	}
	if out.String() != want["stdout"] || errOut.String() != want["stderr"] {
		t.Errorf("followed output differs: stdout %d bytes (want %d), stderr %d bytes (want %d)",
			len(out.String()), len(want["stdout"]), len(errOut.String()), len(want["stderr"]))
	}
}

// Rotation keeps MaxFiles files of at most MaxSize bytes each, and Print
// reads them in order: the last lines, none missing between the first
// kept and the last.
func TestRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	l, err := Open(path, Limits{MaxSize: 1000, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 200 {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	if err := l.Pump("stdout", strings.NewReader(in.String()), nil, ""); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, name := range []string{path, Rotated(path, 1), Rotated(path, 2)} {
		if fi, err := os.Stat(name); err != nil || fi.Size() > 1000 || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(Rotated(path, 3)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a fourth file: %v", err)
	}
	var out, errOut bytes.Buffer
	if err := Print(path, ReadOptions{Tail: -1}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := in.String()[strings.Index("\n"+in.String(), "\n"+lines[0]+"\n"):]
	// Two full rotated files at least: a record here is under 60 bytes
	// (its timestamp's length varies with trailing zeros), and the live
	// file may hold as little as one.
	if len(lines) < 2*1000/60 || out.String() != want {
		t.Errorf("printed %d lines from %q to %q, want the last ones up to line 199 in order", len(lines), lines[0], lines[len(lines)-1])
	}
	RemoveRotated(path)
	if _, err := os.Stat(Rotated(path, 1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RemoveRotated left %v", err)
	}
}

// TestReopen: the kubelet's rotation renames the live file and asks for a
// reopen; the records after it go to a new file of the same name, none to
// the renamed one (the control: before the reopen, they still do).
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	l, err := Open(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Pump("stdout", strings.NewReader("one\n"), nil, "")
	if err := os.Rename(path, path+".20261204"); err != nil {
		t.Fatal(err)
	}
	l.Pump("stdout", strings.NewReader("two\n"), nil, "")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Pump("stdout", strings.NewReader("three\n"), nil, "")
	for name, want := range map[string]string{path + ".20261204": "one\ntwo\n", path: "three\n"} {
		var out bytes.Buffer
		if err := Print(name, ReadOptions{Tail: -1}, &out, io.Discard); err != nil || out.String() != want {
			t.Errorf("%s: %q, %v; want %q", name, out.String(), err, want)
		}
	}
}

// A rotation between a follower's look at the names and its open of the
// next file must not make it skip a file: the follower chose the live file
// (its own has just become Path.1), and a second rotation would put
// another file there before the open. The directory's lock (rotate.go)
// holds that rotation off until the next record.
func TestFollowerSkipsNoFileOnRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	l, err := Open(path, Limits{MaxSize: 100, MaxFiles: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := func(s string) {
		if err := l.writeRecord(time.Now(), "stdout", 'F', []byte(strings.Repeat(s, 40))); err != nil {
			t.Fatal(err)
		}
	}
	line("a") // the first file
	lr, err := openLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { lr.cur.f.Close() }()
	var out strings.Builder
	p := &printer{opts: ReadOptions{Tail: -1}, stdout: &out, stderr: &out}
	if err := lr.drain(p); err != nil {
		t.Fatal(err)
	}
	line("b") // rotates: "a" is Path.1, "b" the live file
	afterLook = func() { afterLook = nil; line("c") }
	defer func() { afterLook = nil }()
	if err := lr.drain(p); err != nil {
		t.Fatal(err)
	}
	line("d")
	if err := lr.drain(p); err != nil {
		t.Fatal(err)
	}
	var want string
	for _, s := range []string{"a", "b", "c", "d"} {
		want += strings.Repeat(s, 40) + "\n"
	}
	if out.String() != want {
		t.Errorf("followed:\n%s\nwant:\n%s", out.String(), want)
	}
}
