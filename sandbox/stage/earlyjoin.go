package stage

import (
	"os"
	"runtime"
	"strconv"

	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
)

// EarlyExecJoin is SpawnExecJoin's join stage where nsenter's constructor
// forked one for this `podctl exec` (nsenter.TakeEarlyJoin), before the
// Go runtime: no process is started here, the stage is sent its stdio (and
// --explain's descriptor) in "stdio" and is then a Joiner like any other.
// It returns nil, nil where there is none (the caller spawns one); on
// error that stage is gone.
func EarlyExecJoin(pod string, stdio [3]*os.File) (*Joiner, error) {
	pid, pidfd, fd, ok := nsenter.TakeEarlyJoin()
	if !ok {
		return nil, nil
	}
	what := "the exec stage in pod " + pod
	sock := &SyncSocket{Fd: fd, Peer: what}
	proc := forkexec.Adopt(pid, pidfd)
	fds := []int{int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd())}
	t0 := int64(0)
	if explain.File != nil {
		fds = append(fds, int(explain.File.Fd()))
		t0 = explain.Origin()
	}
	explain.Printf("podctl", "the join stage was forked by podctl's C constructor, before the Go runtime started (no execve): sends it the command's stdio over its socket")
	err := sock.sendFDs([]byte("stdio "+strconv.FormatInt(t0, 10)), fds)
	runtime.KeepAlive(stdio)
	if err != nil {
		Abandon(proc, sock, 0)
		return nil, err
	}
	return &Joiner{proc: proc, sock: sock}, nil
}

// ReleaseEarlyJoin ends the join stage the constructor forked if nobody
// took it (exec failed before it needed one, or printed its help): it is
// killed (end-of-file on its socket would not reach a stopped one, and it
// holds nothing yet that it must clean up) and reaped, so that no process
// of ours outlives the command.
func ReleaseEarlyJoin() {
	if pid, pidfd, fd, ok := nsenter.TakeEarlyJoin(); ok {
		Abandon(forkexec.Adopt(pid, pidfd), &SyncSocket{Fd: fd}, 0)
	}
}
