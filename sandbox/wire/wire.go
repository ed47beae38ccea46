// Package wire carries one message, and the descriptors sent with it, over
// a SOCK_SEQPACKET unix socket, however large the message is.
//
// podctl's processes talk in datagrams (one message each, so boundaries
// survive without framing). A datagram is bounded by the sending socket's
// buffer (unix(7): a larger send fails with EMSGSIZE, about 208 KiB with
// the default net.core.wmem_default) and by the receiver's buffer (a
// shorter read truncates it silently, MSG_TRUNC): a pod spec with a 60 kB
// environment variable or 300 containers did not fit. So a message up to
// InlineMax rides in the datagram itself, as before; a larger one is
// written into a sealed memfd (memfd_create(2), F_SEAL_WRITE and friends,
// fcntl(2)) that travels as the datagram's first descriptor, behind a
// header no other message starts with (a NUL byte: JSON starts with '{',
// the C stages' text with a letter). The receiver takes at most Max bytes.
package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// recvBuffers holds Recv's datagram buffers, InlineMax+1 bytes each.
var recvBuffers = sync.Pool{New: func() any {
	b := make([]byte, InlineMax+1)
	return &b
}}

// InlineMax is the largest message sent in the datagram itself.
const InlineMax = 32 << 10

// Max bounds a message. The largest legitimate one is a pod's spec with all
// its containers; a Kubernetes object is at most about 1.5 MiB (etcd's
// request limit), so 16 MiB leaves room without letting a peer make the
// receiver hold gigabytes.
const Max = 16 << 20

// MaxFDs bounds the descriptors one message carries (an attach grant has
// three: output, stderr, stdin), besides a bulk message's memfd.
const MaxFDs = 4

// bulkHeader marks a datagram whose message is in its first descriptor.
var bulkHeader = []byte("\x00podctl-bulk")

// Conn is a connected SOCK_SEQPACKET socket: a *net.UnixConn, or FD.
type Conn interface {
	WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error)
	ReadMsgUnix(b, oob []byte) (n, oobn, flags int, addr *net.UnixAddr, err error)
}

// FD is a socket held as a bare descriptor (a socketpair's end, before or
// without the Go runtime's poller).
type FD int

func (fd FD) WriteMsgUnix(b, oob []byte, _ *net.UnixAddr) (int, int, error) {
	// MSG_NOSIGNAL: a peer that died is an error here, not a SIGPIPE.
	err := unix.Sendmsg(int(fd), b, oob, nil, unix.MSG_NOSIGNAL)
	if err != nil {
		return 0, 0, err
	}
	return len(b), len(oob), nil
}

func (fd FD) ReadMsgUnix(b, oob []byte) (int, int, int, *net.UnixAddr, error) {
	for {
		// MSG_CMSG_CLOEXEC: descriptors received must not leak into a
		// process this one starts before it closes them.
		n, oobn, flags, _, err := unix.Recvmsg(int(fd), b, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		return n, oobn, flags, nil, err
	}
}

// Send sends msg with fds attached (SCM_RIGHTS); the caller keeps its own
// copies of fds.
func Send(c Conn, msg []byte, fds ...int) error {
	if len(fds) > MaxFDs {
		return fmt.Errorf("%d descriptors in one message, at most %d", len(fds), MaxFDs)
	}
	if len(msg) <= InlineMax && !bytes.HasPrefix(msg, bulkHeader) {
		return send(c, msg, fds)
	}
	if len(msg) > Max {
		return fmt.Errorf("a message of %d bytes: more than podctl's limit of %d MiB", len(msg), Max>>20)
	}
	mfd, err := sealedMemfd(msg)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return send(c, bulkHeader, append([]int{mfd}, fds...))
}

func send(c Conn, msg []byte, fds []int) error {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err := c.WriteMsgUnix(msg, oob, nil)
	return err
}

// sealedMemfd returns a memfd holding msg that nobody can change any more:
// the receiver reads what was sent, not what the sender writes later.
func sealedMemfd(msg []byte) (int, error) {
	fd, err := unix.MemfdCreate("podctl-message", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("memfd_create for a %d-byte message: %w", len(msg), err)
	}
	for off := 0; off < len(msg); {
		n, err := unix.Write(fd, msg[off:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("writing a %d-byte message: %w", len(msg), err)
		}
		off += n
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, sealed); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("sealing a %d-byte message: %w", len(msg), err)
	}
	return fd, nil
}

const sealed = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// Recv reads one message and the descriptors sent with it (close-on-exec,
// the caller's to close). It returns io.EOF when the peer closed its end
// (exited, or exec'd with the socket close-on-exec). A message cut short
// by the buffer, a bulk message that is not a sealed memfd or is larger
// than Max, and more than MaxFDs descriptors are errors, after which
// nothing received stays open.
func Recv(c Conn) ([]byte, []int, error) {
	// The datagram lands in a buffer of the pool, and what it holds is
	// copied out: most messages are a few bytes, and a fresh 32 KiB buffer
	// for each is 8 pages to fault in (~240 kB for one pod start).
	bp := recvBuffers.Get().(*[]byte)
	defer recvBuffers.Put(bp)
	buf := *bp
	oob := make([]byte, unix.CmsgSpace((MaxFDs+1)*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	fds, err := parseRights(oob[:oobn])
	switch {
	case err != nil:
	case flags&unix.MSG_CTRUNC != 0:
		err = fmt.Errorf("more than %d descriptors with one message", MaxFDs+1)
	case flags&unix.MSG_TRUNC != 0 || n > InlineMax:
		err = fmt.Errorf("a datagram longer than %d bytes (the sender does not speak podctl's protocol)", InlineMax)
	case n == 0 && len(fds) == 0:
		err = io.EOF
	}
	if err != nil {
		closeAll(fds)
		return nil, nil, err
	}
	if !bytes.Equal(buf[:n], bulkHeader) {
		if len(fds) > MaxFDs {
			closeAll(fds)
			return nil, nil, fmt.Errorf("more than %d descriptors with one message", MaxFDs)
		}
		return bytes.Clone(buf[:n]), fds, nil
	}
	if len(fds) == 0 {
		return nil, nil, errors.New("a bulk message without its memfd")
	}
	msg, err := readSealed(fds[0])
	unix.Close(fds[0])
	if err != nil {
		closeAll(fds[1:])
		return nil, nil, err
	}
	return msg, fds[1:], nil
}

// readSealed reads a bulk message's memfd, refusing one that could still
// change under the reader or is larger than Max.
func readSealed(fd int) ([]byte, error) {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil || seals&sealed != sealed {
		return nil, fmt.Errorf("a bulk message in a descriptor that is not a sealed memfd")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("a bulk message: %w", err)
	}
	if st.Size > Max {
		return nil, fmt.Errorf("a message of %d bytes: more than podctl's limit of %d MiB", st.Size, Max>>20)
	}
	msg := make([]byte, st.Size)
	// pread: the descriptor's offset is the sender's, at the end.
	for off := 0; off < len(msg); {
		n, err := unix.Pread(fd, msg[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading a bulk message: %w", err)
		}
		if n == 0 {
			return nil, errors.New("a bulk message shorter than its memfd said")
		}
		off += n
	}
	return msg, nil
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("control message: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
