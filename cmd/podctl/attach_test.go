package main

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// The detach keys end a tty session wherever the reads cut them, are not
// passed on, and keys that turn out not to be the sequence are.
func TestCopyUntilKeys(t *testing.T) {
	for _, tc := range []struct {
		in       string
		one      bool // one byte per read
		detached bool
		want     string
	}{
		{"ls\n", false, false, "ls\n"},
		{"ls\n\x10\x11more", false, true, "ls\n"},
		{"ls\n\x10\x11more", true, true, "ls\n"},
		{"a\x10b\x10\x10\x11", true, true, "a\x10b\x10"},
		{"a\x10", false, false, "a\x10"}, // a lone ctrl-p at the end goes on
		{"\x11\x10x", false, false, "\x11\x10x"},
	} {
		var src io.Reader = bytes.NewReader([]byte(tc.in))
		if tc.one {
			src = iotest.OneByteReader(src)
		}
		var dst bytes.Buffer
		if got := copyUntilKeys(&dst, src, detachKeys); got != tc.detached || dst.String() != tc.want {
			t.Errorf("%q (one byte a read: %v): detached %v, passed %q; want %v, %q", tc.in, tc.one, got, dst.String(), tc.detached, tc.want)
		}
	}
}
