package crilog

import (
	"testing"
)

// A CRI log line, as podctl logs reads it from a file in the pod's
// directory: never a panic; an accepted record has a known stream and tag.
func FuzzParseLogRecord(f *testing.F) {
	for _, s := range []string{"2016-10-06T00:17:09.669794202Z stdout F hello", "2016-10-06T00:17:09Z stderr P ", "x y z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseLogRecord([]byte(line))
		if err != nil {
			return
		}
		if r.Stream != "stdout" && r.Stream != "stderr" {
			t.Errorf("stream %q accepted from %q", r.Stream, line)
		}
	})
}
