package stage

import (
	"os"

	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
)

// OnExit calls fn, on a goroutine, once the process behind pidfd (a child
// of ours) has exited, leaving it unreaped for whoever collects its
// status.
func OnExit(pidfd int, fn func()) {
	if err := watchExit(pidfd, fn); err != nil {
		// Not pollable (an old kernel): a thread of its own waits.
		go func() {
			AwaitExit(pidfd)
			fn()
		}()
	}
}

// AwaitExit blocks until the process behind pidfd (a child of ours) has
// exited, leaving it unreaped (WNOWAIT) for whoever collects its status.
func AwaitExit(pidfd int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// watchExit calls fn once the process behind pidfd (a child of ours) has
// exited, without reaping it. The wait goes through Go's network poller
// (a pidfd is readable once its process has exited, pidfd_open(2)), so a
// pod's containers do not each hold an OS thread blocked in waitid(2).
func watchExit(pidfd int, fn func()) error {
	fd, err := unix.FcntlInt(uintptr(pidfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	go func() {
		defer f.Close()
		rc.Read(func(fd uintptr) bool {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
			// si_pid stays 0 while the child runs (waitid(2), WNOHANG).
			return err != nil || model.SiginfoPID(&info) != 0
		})
		fn()
	}()
	return nil
}
