package sandbox

import (
	"io"
	"os"
	"os/signal"

	"github.com/podctl/podctl/sandbox/termio"

	"golang.org/x/sys/unix"
)

// pty relays master, the container's end of the pty that podctl exec -t
// gave the command (sandbox/stage/init.go, containerPTY), to podctl's own streams, with
// podctl's terminal in raw mode meanwhile, so that keys such as ^C reach
// the command's terminal rather than podctl's, and its window size
// followed.
func (r *relay) pty(master *os.File, interactive bool, in, out *os.File) {
	r.ours = append(r.ours, master)
	if termio.IsTerminal(in) {
		if ws, err := unix.IoctlGetWinsize(int(in.Fd()), unix.TIOCGWINSZ); err == nil {
			unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				if ws, err := unix.IoctlGetWinsize(int(in.Fd()), unix.TIOCGWINSZ); err == nil {
					unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
				}
			}
		}()
		restoreWinch := func() { signal.Stop(winch) }
		r.restore = restoreWinch
		if interactive {
			if old, err := termio.MakeRaw(in); err == nil {
				r.restore = func() {
					restoreWinch()
					unix.IoctlSetTermios(int(in.Fd()), unix.TCSETS, old)
				}
			}
		}
	}
	if interactive {
		go io.Copy(master, in)
	}
	r.copyOut(out, master)
}
