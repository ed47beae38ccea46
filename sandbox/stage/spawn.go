package stage

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"golang.org/x/sys/unix"
)

// SpawnStage starts cmd, a podctl process that talks with us over a sync
// socket (sync.go): the child's end of a new socketpair becomes its fd 3
// (the caller's ExtraFiles follow, from fd 4 on, and the caller names
// fd 3 in cmd.Env as the stage expects), --explain's descriptor is added
// when explained, and the process is born in cgroup when one is given
// (the caller's to close). It returns the process and our end of the
// socket; on error nothing was started. what names the stage in errors
// ("the pause", "container web").
func SpawnStage(what string, cmd *forkexec.Cmd, cgroup *os.File, explained bool) (*forkexec.Process, *SyncSocket, error) {
	sock, child, err := NewSyncPair(what)
	if err != nil {
		return nil, nil, err
	}
	cmd.ExtraFiles = append([]*os.File{child}, cmd.ExtraFiles...)
	if explained {
		cmd.Env, cmd.ExtraFiles = explain.Stage(cmd.Env, cmd.ExtraFiles)
	}
	proc, err := startInCgroup(cmd, cgroup)
	child.Close()
	if err != nil {
		sock.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", what, err)
	}
	return proc, sock, nil
}

// Abandon ends a stage whose conversation failed midway: our end of its
// socket is closed, the process it forked (a container's init or the
// pause: our child once forked; 0 for none yet) is killed and reaped, and
// with it the namespaces it holds, then the stage itself.
func Abandon(proc *forkexec.Process, sock *SyncSocket, forked int) {
	sock.Close()
	if forked > 0 {
		unix.Kill(forked, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(forked, &ws, 0, nil)
	}
	proc.Kill()
	proc.Wait()
}
