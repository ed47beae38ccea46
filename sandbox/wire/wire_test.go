package wire

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func pair(t *testing.T) (FD, FD) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return FD(fds[0]), FD(fds[1])
}

// Every size crosses intact, around the inline limit and far beyond what
// one datagram can hold (the bug: 64 KiB and up arrived truncated).
func TestSizes(t *testing.T) {
	a, b := pair(t)
	for _, size := range []int{0, 1, InlineMax - 1, InlineMax, InlineMax + 1, 64 << 10, 300 << 10, 3 << 20} {
		msg := bytes.Repeat([]byte("x"), size)
		if size > 0 {
			msg[0], msg[size-1] = '{', '}'
		}
		done := make(chan error, 1)
		go func() { done <- Send(a, msg) }()
		got, fds, err := Recv(b)
		if err := <-done; err != nil {
			t.Fatalf("%d bytes: send: %v", size, err)
		}
		if size == 0 {
			// An empty datagram without descriptors is how end-of-file
			// reads; podctl never sends one.
			if err != io.EOF {
				t.Fatalf("empty: %v, want io.EOF", err)
			}
			continue
		}
		if err != nil || len(fds) != 0 || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: got %d bytes, %d fds, %v", size, len(got), len(fds), err)
		}
	}
}

// Descriptors travel with a bulk message as with an inline one.
func TestDescriptorsWithBulk(t *testing.T) {
	a, b := pair(t)
	p := make([]int, 2)
	if err := unix.Pipe2(p, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	msg := []byte(strings.Repeat("y", 100<<10))
	go Send(a, msg, p[1])
	got, fds, err := Recv(b)
	if err != nil || len(fds) != 1 || !bytes.Equal(got, msg) {
		t.Fatalf("got %d bytes, fds %v, %v", len(got), fds, err)
	}
	unix.Write(fds[0], []byte("!"))
	unix.Close(fds[0])
	buf := make([]byte, 1)
	if n, _ := unix.Read(p[0], buf); n != 1 || buf[0] != '!' {
		t.Fatalf("the descriptor is not the pipe's write end")
	}
}

// A peer that closes its end reads as io.EOF.
func TestEOF(t *testing.T) {
	a, b := pair(t)
	unix.Shutdown(int(a), unix.SHUT_WR)
	if _, _, err := Recv(b); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

// What a peer that does not speak the protocol sends is refused, and
// nothing it sent stays open: a datagram too long to be inline, a bulk
// header with an unsealed memfd, one larger than Max.
func TestRefused(t *testing.T) {
	a, b := pair(t)
	before := openFDs(t)
	long := bytes.Repeat([]byte("z"), InlineMax+10)
	if err := send(a, long, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Recv(b); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("a long datagram: %v", err)
	}
	unsealed, _ := unix.MemfdCreate("x", unix.MFD_CLOEXEC)
	unix.Write(unsealed, []byte("{}"))
	send(a, bulkHeader, []int{unsealed})
	unix.Close(unsealed)
	if _, _, err := Recv(b); err == nil || !strings.Contains(err.Error(), "not a sealed memfd") {
		t.Fatalf("an unsealed memfd: %v", err)
	}
	big, _ := unix.MemfdCreate("x", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	unix.Ftruncate(big, Max+1)
	unix.FcntlInt(uintptr(big), unix.F_ADD_SEALS, sealed)
	send(a, bulkHeader, []int{big})
	unix.Close(big)
	if _, _, err := Recv(b); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("an oversize memfd: %v", err)
	}
	if err := Send(a, make([]byte, Max+1)); err == nil {
		t.Fatal("Send took more than Max")
	}
	for fd := range openFDs(t) {
		if !before[fd] {
			t.Errorf("descriptor %d is open after the refusals, not before", fd)
		}
	}
}

// openFDs is the set of the test process's open descriptors. Compared as
// sets, not counts: a finalizer of an earlier test's *os.File may close
// one of its descriptors while this test runs.
func openFDs(t *testing.T) map[int]bool {
	open := map[int]bool{}
	for fd := 0; fd < 1024; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			open[fd] = true
		}
	}
	return open
}
