package stdio

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pollable returns f (a descriptor received from the init, blocking) as a
// non-blocking *os.File, so that the runtime's poller reads it and a read
// deadline can pause its pump (the supervisor's hibernate.go).
func Pollable(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	f.Close()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "pty-master"), nil
}

// Dup duplicates f (close-on-exec).
func Dup(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
