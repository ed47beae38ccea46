package sandbox

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// pty makes a new pseudo-terminal for podctl exec -t: the command gets
// its slave end as stdin, stdout and stderr (and, in init.go, as its
// controlling terminal); podctl relays the master end to its own streams,
// with its own terminal in raw mode meanwhile, so that keys such as ^C
// reach the command's terminal rather than podctl's. The slave is a new
// one, never the caller's terminal (CVE-2017-5226: TIOCSTI on it could
// type commands into the caller's shell).
func (r *relay) pty(interactive bool, in, out *os.File) ([3]*os.File, error) {
	var s [3]*os.File
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return s, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	r.ours = append(r.ours, master)
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return s, fmt.Errorf("unlocking the pty: %w", err)
	}
	// TIOCGPTPEER (Linux >= 4.13) opens the slave through the master,
	// with no path lookup in /dev/pts that could be raced.
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		return s, fmt.Errorf("opening the pty's slave: %w", errno)
	}
	slave := os.NewFile(uintptr(sfd), "pty-slave")
	r.child = append(r.child, slave)
	s = [3]*os.File{slave, slave, slave}

	if isTerminal(in) {
		if ws, err := unix.IoctlGetWinsize(int(in.Fd()), unix.TIOCGWINSZ); err == nil {
			unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws)
		}
		// Follow the caller's window size.
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				if ws, err := unix.IoctlGetWinsize(int(in.Fd()), unix.TIOCGWINSZ); err == nil {
					unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
				}
			}
		}()
		if interactive {
			if old, err := makeRaw(in); err == nil {
				r.restore = func() {
					signal.Stop(winch)
					unix.IoctlSetTermios(int(in.Fd()), unix.TCSETS, old)
				}
			}
		}
	}
	if interactive {
		go io.Copy(master, in)
	}
	if r.outputs == nil {
		r.outputs = make(chan struct{}, 3)
	}
	r.nout++
	go func() {
		// Ends with EIO once the last holder of the slave has exited.
		io.Copy(out, master)
		r.outputs <- struct{}{}
	}()
	return s, nil
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
