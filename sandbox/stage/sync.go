package stage

// The conversations between the pod's supervisor (on the host: podctl run
// itself in the foreground, else a detached podctl, see
// sandbox/supervisor/detached.go) and the processes it starts; podctl exec holds the second one itself, joining a
// container's process (with its mount namespace) instead of the pause.
// Each runs over a SOCK_SEQPACKET socketpair: one datagram per message (a
// large one in a sealed memfd sent with it, sandbox/wire), so message
// boundaries survive, and the child's end is close-on-exec once the
// child no longer needs it, so an exec the child performs shows up as
// end-of-file on podctl's end.
//
// The C stages (nsenter/nsenter.c, and the container's init, init.c)
// speak short text messages; podctl sends the init its plan (nsenter's
// InitPlan, init.h has its form). A child never prints to the user: it
// sends "error ..." and exits, and podctl reports the error once, with the
// pod and container it was working on.
//
// Creating a pod (pause.go, stage "pause" of nsenter.c):
//
//	supervisor (host)           stage pause (host ns)        pause (PID 1 of pod)
//	   | (a goroutine, from before the exec: reads /etc/subuid, opens
//	   |  the per-user namespace, nest.go)
//	   |  exec /proc/self/exe ---->|
//	   |-- "userns own" ---------->| (none with the shared network's
//	   |   or "userns nest <uid_map>|<gid_map>" + its fd   namespace: setns)
//	   |                           | own: unshare(CLONE_NEWUSER)
//	   |                           | nest: setns(fd), fork a child that stays,
//	   |                           |   unshare(CLONE_NEWUSER); the child
//	   |                           |   writes the maps (no helper)
//	   |<------------ "unshared" --|
//	   | own: newuidmap/newgidmap  | meanwhile: unshare(NEWNS|NEWNET|NEWIPC|
//	   |   PID (or direct writes)  |   NEWUTS|NEWCGROUP|NEWPID), lo up, open_tree(ro)
//	   |-- "mapped <hostname>" --->| nest: waits for its child
//	   |                           | setresuid(0), sethostname
//	   |                           | clone(CLONE_PARENT) ------->| execveat(ro binary)
//	   |<------------- "pid <N>" --| exit 0 (or: join, below)    | PR_SET_DUMPABLE 0
//	   | pidfd_open(N); containers may join now                  |
//	   |<------------------------------------------- "ready" ----| close all fds
//	   | state.json written, first container joined             |
//	   |-- "recorded" (awaitReady) ----------------------------->| (EOF instead: exit)
//	   |                                                         | sigwaitinfo loop
//
// Starting a container (join.go, stage "join" of nsenter.c, then init.c).
// A new pod's first container, when the pod shares its pid namespace and
// has no cgroup, has no join stage of its own: the pause stage, given a
// second socket and the container's stdio (_PODCTL_JOIN_FD), goes on as
// its join stage after "pid <N>" (pausejoin.go). It is in the namespaces
// already, so "join 0 <unshare>" comes without a pidfd and it skips setns:
//
//	supervisor (host)           stage join (host ns)         init (C, in the pod)
//	   |  exec /proc/self/exe, fd 3 = socket (while the pause is being made)
//	   |-- "join <setns> <unshare>">|  + the pause's pidfd (SCM_RIGHTS)
//	   |                           | setns(pidfd, user|net|ipc|uts|pid)
//	   |                           | unshare(CLONE_NEWNS|CLONE_NEWCGROUP)
//	   |                           |   (|CLONE_NEWPID with --share-pid=false;
//	   |                           |   born in its cgroup, so that is the root)
//	   |                           | clone(CLONE_VM|CLONE_VFORK|
//	   |                           |   CLONE_PARENT) ----------->|
//	   |                           | (sleeps until the init      |
//	   |<----------------------------------------- "pid <N>" ----|  execs or dies)
//	   |-- "plan\0..." (InitPlan, made before "join") ---------->| mounts, pivot_root,
//	   |                                                         | user, cwd, env
//	   |<----------------------------------- "pty" + master fd --| with tty: its pty
//	   |<------------------------------- "notify" + listener fd -| --port-bypass: the
//	   |                                                         | seccomp listener
//	   |<--------------------------------------------- "execing" | execve(workload)
//	   |                           | exit 0                      |
//	   |<------------------------- EOF (socket was close-on-exec)|
//	   | or "error <what>" if any step failed, "exit <126|127> <what>"
//	   | if the command cannot run; wait4(N) -> exit code
//
// podctl exec has the same conversation, with the container's process in
// place of the pause and no unshare, but its join stage is not exec'd:
// nsenter's C constructor forks it as podctl starts, before the Go runtime
// (earlyjoin.go, nsenter.c fork_join_early), when the command's stdio is
// not decided yet. Such a stage first waits for what a stage exec'd by Go
// would have inherited:
//
//	podctl exec (host)          stage join (host ns)
//	   |-- "stdio <t0>" + 3 fds -->| dup2 to 0, 1, 2
//	   |   (a 4th: --explain's,    |
//	   |    t0 its timeline's)     |
//	   |-- "join <setns> 0" ------>| ... as above

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/podctl/podctl/sandbox/wire"

	"golang.org/x/sys/unix"
)

// SyncSocket is podctl's end of a conversation.
type SyncSocket struct {
	Fd   int
	Peer string // who is at the other end, for error messages
}

// NewSyncPair makes the socketpair; the child's end is returned as an
// *os.File to be passed in forkexec.Cmd.ExtraFiles (which clears close-on-exec
// for it in the child only).
func NewSyncPair(peer string) (*SyncSocket, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair for %s: %w", peer, err)
	}
	return &SyncSocket{Fd: fds[0], Peer: peer}, os.NewFile(uintptr(fds[1]), "sync-"+peer), nil
}

func (s *SyncSocket) Close() error {
	if s.Fd < 0 {
		return nil
	}
	err := unix.Close(s.Fd)
	s.Fd = -1
	return err
}

func (s *SyncSocket) Send(msg []byte) error { return s.sendFD(msg, -1) }

// sendFD sends msg with a duplicate of descriptor fd attached (SCM_RIGHTS),
// or without one when fd < 0; a message of any size (sandbox/wire).
func (s *SyncSocket) sendFD(msg []byte, fd int) error {
	if fd < 0 {
		return s.sendFDs(msg, nil)
	}
	return s.sendFDs(msg, []int{fd})
}

// sendFDs sends msg with the descriptors fds (SCM_RIGHTS) in one datagram.
func (s *SyncSocket) sendFDs(msg []byte, fds []int) error {
	if err := wire.Send(wire.FD(s.Fd), msg, fds...); err != nil {
		return fmt.Errorf("sending to %s: %w", s.Peer, err)
	}
	return nil
}

func (s *SyncSocket) SendText(format string, args ...any) error {
	return s.Send([]byte(fmt.Sprintf(format, args...)))
}

// errEOF means the peer closed its end: it exited, or it exec'd.
var errEOF = io.EOF

func (s *SyncSocket) Recv() ([]byte, error) {
	b, fd, err := s.recvFD()
	if fd >= 0 {
		unix.Close(fd) // not expected here
	}
	return b, err
}

// recvFD reads one message and the descriptor sent with it, if any (-1).
func (s *SyncSocket) recvFD() ([]byte, int, error) {
	b, fds, err := wire.Recv(wire.FD(s.Fd))
	if errors.Is(err, unix.ECONNRESET) {
		// The peer closed with a message of ours unread (it failed
		// before reading it: "mapped" sent while the pause's stage was
		// failing to plug the pod in). The kernel reports that reset
		// before the datagrams still queued for us, and reading it clears
		// it (net/core/datagram.c, __skb_try_recv_datagram checks
		// sock_error first): the peer's last words, its "error ...", come
		// with the next read.
		b, fds, err = wire.Recv(wire.FD(s.Fd))
	}
	if err == io.EOF {
		return nil, -1, errEOF
	}
	if err != nil {
		return nil, -1, fmt.Errorf("reading from %s: %w", s.Peer, err)
	}
	if len(fds) > 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, -1, fmt.Errorf("reading from %s: %d descriptors with one message, expected one at most", s.Peer, len(fds))
	}
	if len(fds) == 1 {
		return b, fds[0], nil
	}
	return b, -1, nil
}

// RecvText reads one text message of the C stages. An "error ..." message
// becomes a Go error; so does end-of-file, which means the stage died
// without saying why.
func (s *SyncSocket) RecvText() (word, rest string, err error) {
	b, err := s.Recv()
	if err == errEOF {
		return "", "", fmt.Errorf("%s exited before finishing its setup", s.Peer)
	}
	if err != nil {
		return "", "", err
	}
	msg := string(b)
	word, rest, _ = strings.Cut(msg, " ")
	if word == "error" {
		return "", "", fmt.Errorf("%s: %s", s.Peer, rest)
	}
	return word, rest, nil
}
