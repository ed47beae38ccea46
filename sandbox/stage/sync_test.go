package stage

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A stage that fails and exits with a message of ours unread makes the
// kernel report ECONNRESET before the stage's own "error ..." still queued
// for us: RecvText must give that error, not the reset. The control: the
// first raw read is the reset.
func TestRecvTextAfterPeerReset(t *testing.T) {
	pair := func() (ours, theirs int) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The stage's last words, then our next message, which it never
		// reads, then its exit.
		if _, err := unix.Write(fds[1], []byte("error plugging the pod in: File exists")); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fds[0], []byte("mapped pod")); err != nil {
			t.Fatal(err)
		}
		unix.Close(fds[1])
		return fds[0], fds[1]
	}
	control, _ := pair()
	defer unix.Close(control)
	buf := make([]byte, 64)
	if _, err := unix.Read(control, buf); err != unix.ECONNRESET {
		t.Fatalf("the control: the first read gave %v, want ECONNRESET (the kernel's order)", err)
	}
	ours, _ := pair()
	defer unix.Close(ours)
	s := &SyncSocket{Fd: ours, Peer: "the pause"}
	_, _, err := s.RecvText()
	if err == nil || !strings.Contains(err.Error(), "the pause: plugging the pod in: File exists") {
		t.Fatalf("RecvText: %v; want the stage's own error", err)
	}
}
