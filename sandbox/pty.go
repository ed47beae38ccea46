package sandbox

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pty relays master, the container's end of the pty that an exec with
// TTY gave the command (sandbox/stage/init.go, containerPTY), to the
// caller's streams, and sets its window size from resize. The caller's
// own terminal, if any, is the caller's to put in raw mode (cmd/podctl).
func (r *relay) pty(master *os.File, in io.Reader, out io.Writer, resize <-chan WindowSize) {
	r.ours = append(r.ours, master)
	if resize != nil {
		go func() {
			for ws := range resize {
				unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
			}
		}()
	}
	if in != nil {
		go io.Copy(master, in)
	}
	if out == nil {
		out = io.Discard
	}
	r.copyOut(out, master)
}
