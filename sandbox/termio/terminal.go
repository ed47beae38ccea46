// Package termio is the little that podctl knows of terminals: whether a
// descriptor is one (the pod API and the supervisor never hand a terminal
// to a workload, CVE-2017-5226, but relay it), and, for the command line
// alone, raw mode and window-size changes of the caller's own terminal.
package termio

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// IsTerminal says whether f is a terminal (TCGETS succeeds).
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Raw puts terminal term in raw mode until the undo it returns (which
// does nothing if term could not be made raw).
func Raw(term *os.File) (restore func()) {
	old, err := MakeRaw(term)
	return func() {
		if err == nil {
			unix.IoctlSetTermios(int(term.Fd()), unix.TCSETS, old)
		}
	}
}

// WatchSize calls fn with term's window size now and at every SIGWINCH
// (which the kernel sends a terminal's foreground process group when its
// size changes; a pty's master given the new size passes it on to the
// container's processes), until the returned stop is called.
func WatchSize(term *os.File, fn func(*unix.Winsize)) (stop func()) {
	resize := func() {
		if ws, err := unix.IoctlGetWinsize(int(term.Fd()), unix.TIOCGWINSZ); err == nil {
			fn(ws)
		}
	}
	resize()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	go func() {
		for range winch {
			resize()
		}
	}()
	return func() { signal.Stop(winch) }
}

// MakeRaw puts terminal f into raw mode (cfmakeraw(3)) and returns its
// previous settings.
func MakeRaw(f *os.File) (*unix.Termios, error) {
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
