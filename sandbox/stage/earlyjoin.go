package stage

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"golang.org/x/sys/unix"
)

// EarlyExecJoin is SpawnExecJoin's join stage where nsenter's constructor
// forked one for this `podctl exec` (nsenter.TakeEarlyJoin), before the
// Go runtime: no process is started here, the stage is sent its stdio (and
// --explain's descriptor) in "stdio" and is then a Joiner like any other.
// It returns nil, nil where there is none (the caller spawns one); on
// error that stage is gone.
func EarlyExecJoin(pod string, stdio [3]*os.File) (*Joiner, error) {
	pid, fd, ok := nsenter.TakeEarlyJoin()
	if !ok {
		return nil, nil
	}
	what := "the exec stage in pod " + pod
	sock := &SyncSocket{Fd: fd, Peer: what}
	proc, err := forkexec.Adopt(pid)
	if err != nil {
		sock.Close()
		reap(pid)
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	fds := []int{int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd())}
	t0 := int64(0)
	if explain.File != nil {
		fds = append(fds, int(explain.File.Fd()))
		t0 = explain.Origin()
	}
	explain.Printf("podctl", "the join stage was forked by podctl's C constructor, before the Go runtime started (no execve): sends it the command's stdio over its socket")
	err = sock.sendFDs([]byte("stdio "+strconv.FormatInt(t0, 10)), fds)
	runtime.KeepAlive(stdio)
	if err != nil {
		Abandon(proc, sock, 0)
		return nil, err
	}
	return &Joiner{proc: proc, sock: sock}, nil
}

// ReleaseEarlyJoin ends the join stage the constructor forked if nobody
// took it (exec failed before it needed one, or printed its help): on
// end-of-file it exits, and it is reaped here, so that no process of ours
// outlives the command.
func ReleaseEarlyJoin() {
	if pid, fd, ok := nsenter.TakeEarlyJoin(); ok {
		unix.Close(fd)
		reap(pid)
	}
}

// reap waits for child pid, whatever its end.
func reap(pid int) {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}
