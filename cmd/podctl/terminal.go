package main

import (
	"bytes"
	"io"
	"os"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/termio"
	"golang.org/x/sys/unix"
)

// The caller's terminal is the command line's business: the pod API takes
// plain streams and a channel of window sizes, and never sees a terminal.

// windowSizes follows terminal term's window size for a container's pty:
// the current size first, then each change, until stop. (The channel
// stays open: the process ends soon after.)
func windowSizes(term *os.File) (sizes <-chan sandbox.WindowSize, stop func()) {
	ch := make(chan sandbox.WindowSize, 8)
	stopWatching := termio.WatchSize(term, func(ws *unix.Winsize) {
		select {
		case ch <- sandbox.WindowSize{Rows: ws.Row, Cols: ws.Col}:
		default: // the reader is behind: it will get a later size
		}
	})
	return ch, stopWatching
}

// detachKeys end an attach session with a tty without touching the
// container, as docker's and podman's default (ctrl-p ctrl-q): in raw mode
// ^C is the container's.
var detachKeys = []byte{0x10, 0x11}

// copyUntilKeys copies src to dst until src ends (false) or keys are read
// in a row (true; they are not passed on). Keys split across reads count.
func copyUntilKeys(dst io.Writer, src io.Reader, keys []byte) bool {
	buf := make([]byte, 4096)
	matched := 0 // how many of keys the input ends with so far
	for {
		n, err := src.Read(buf)
		chunk := buf[:n]
		var send []byte
		for _, ch := range chunk {
			if ch == keys[matched] {
				matched++
				if matched == len(keys) {
					dst.Write(send)
					return true
				}
				continue
			}
			// Held-back keys that turned out not to be a sequence.
			send = append(send, keys[:matched]...)
			matched = 0
			if ch == keys[0] {
				matched = 1
				continue
			}
			send = append(send, ch)
		}
		if len(send) > 0 {
			if _, werr := dst.Write(send); werr != nil {
				return false
			}
		}
		if err != nil {
			if matched > 0 {
				dst.Write(bytes.Clone(keys[:matched]))
			}
			return false
		}
	}
}
