package sandbox

import (
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// pty relays master, the container's end of the pty that podctl exec -t
// gave the command (init.go, containerPTY), to podctl's own streams, with
// podctl's terminal in raw mode meanwhile, so that keys such as ^C reach
// the command's terminal rather than podctl's, and its window size
// followed.
func (r *relay) pty(master *os.File, interactive bool, in, out *os.File) {
	r.ours = append(r.ours, master)
	if isTerminal(in) {
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
			if old, err := makeRaw(in); err == nil {
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

// makeRaw puts terminal f into raw mode (cfmakeraw(3)) and returns its
// previous settings.
func makeRaw(f *os.File) (*unix.Termios, error) {
	old, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, &t); err != nil {
		return nil, err
	}
	return old, nil
}
