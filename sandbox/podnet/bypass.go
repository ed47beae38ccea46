package podnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/podctl/podctl/netsetup"
	"golang.org/x/sys/unix"
)

// --port-bypass: a published TCP port at the host's own loopback speed.
//
// Through pasta, a connection to a published port is two connections, one
// on each side of the pod's network namespace, and pasta splices bytes
// between them; through podman's rootlessport, a Go proxy copies them. The
// fastest forwarding is none: the workload's listening socket itself made
// in the host's network namespace, where the clients are. That is what
// bypass4netns (rootless-containers) does, and how:
//
//   - the container's seccomp filter returns SECCOMP_RET_USER_NOTIF for
//     bind(2), and its init hands the listener to the supervisor
//     (seccomp_unotify(2), Linux >= 5.9 for SECCOMP_IOCTL_NOTIF_ADDFD);
//   - when the workload binds a port that the pod publishes over TCP, the
//     supervisor, which lives in the host's network namespace, makes a
//     socket of the same family there, with the workload's SO_REUSEADDR,
//     SO_REUSEPORT and IPV6_V6ONLY, binds it to the published host address
//     and port, makes it listen (so that it can never connect(2) from the
//     host's namespace), and puts it in place of the workload's descriptor
//     (SECCOMP_ADDFD_FLAG_SETFD): bind returns 0, and listen and accept
//     work on the host's socket;
//   - any other bind goes on as asked (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//
// What changes for the pod, and why it is not the default: the port is not
// open inside the pod any more, so its own localhost (a neighbour, a
// probe) cannot reach it, and the workload's getsockname shows the host's
// address and port. The clients' addresses are their real ones.

// seccompNotif, seccompNotifResp and seccompNotifAddfd are the kernel's
// struct seccomp_notif, seccomp_notif_resp and seccomp_notif_addfd
// (linux/seccomp.h); x/sys/unix has the ioctl numbers but not these.
type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

type seccompNotifAddfd struct {
	id         uint64
	flags      uint32
	srcfd      uint32
	newfd      uint32
	newfdFlags uint32
}

// ServeBypass decides the bind(2) calls of a container run through its
// seccomp listener, until the run's last process is gone; logf records a
// bind left in the pod, and why. It runs on a goroutine of its own (the
// supervisor's loop is not needed: the ports are the pod's spec, fixed).
func ServeBypass(logf func(format string, args ...any), name string, listener *os.File, ports []netsetup.Port) {
	defer listener.Close()
	fd := int(listener.Fd())
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return // POLLHUP: no process is left under the filter
		}
		var req seccompNotif
		if err := ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			if err == unix.ENOENT || err == unix.EINTR {
				continue // the caller died meanwhile
			}
			return
		}
		resp := seccompNotifResp{id: req.id}
		msg, errno := bypassBind(fd, &req, ports)
		switch errno {
		case 0:
		case continueBind:
			resp.flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
		default:
			resp.error = -int32(errno)
		}
		if msg != "" {
			logf("container %s: %s", name, msg)
		}
		ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	}
}

// continueBind: the bind goes on as the workload asked, in the pod.
const continueBind = unix.Errno(^uintptr(0) >> 1)

// bypassBind decides one bind(2): 0 (done, the host's socket in place),
// continueBind, or the errno the call fails with; and what to log ("" for
// a bind that is none of --port-bypass's business).
func bypassBind(fd int, req *seccompNotif, ports []netsetup.Port) (string, unix.Errno) {
	if req.nr != unix.SYS_BIND {
		return "", continueBind
	}
	sockfd, addrPtr, addrLen := int(req.args[0]), req.args[1], req.args[2]
	if addrLen < 4 || addrLen > 128 {
		return "", continueBind
	}
	buf := make([]byte, addrLen)
	local := []unix.Iovec{{Base: &buf[0], Len: addrLen}}
	remote := []unix.RemoteIovec{{Base: uintptr(addrPtr), Len: int(addrLen)}}
	if n, err := unix.ProcessVMReadv(int(req.pid), local, remote, 0); err != nil || n != int(addrLen) {
		return fmt.Sprintf("bind of pid %d left alone: reading its address: %v", req.pid, err), continueBind
	}
	// The pid might have died and been reused while we read its memory:
	// the notification still being valid proves it is our caller.
	id := req.id
	if ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)) != nil {
		return "", continueBind
	}
	family := binary.NativeEndian.Uint16(buf[0:2])
	port := binary.BigEndian.Uint16(buf[2:4])
	if family != unix.AF_INET && family != unix.AF_INET6 {
		return "", continueBind
	}
	var pub *netsetup.Port
	for i := range ports {
		if ports[i].Protocol == "tcp" && ports[i].ContainerPort == port {
			pub = &ports[i]
		}
	}
	if pub == nil {
		return "", continueBind
	}
	// req.pid is the calling thread (a Go workload binds from any of
	// its threads), and pidfd_open(2) wants a thread group leader before
	// Linux 6.9's PIDFD_THREAD: the leader's pidfd sees the same
	// descriptor table.
	tgid, err := threadGroup(int(req.pid))
	if err != nil {
		return fmt.Sprintf("bind of port %d left in the pod: %v", port, err), continueBind
	}
	pidfd, err := unix.PidfdOpen(tgid, 0)
	if err != nil {
		return fmt.Sprintf("bind of port %d left in the pod: pidfd_open: %v", port, err), continueBind
	}
	defer unix.Close(pidfd)
	theirs, err := unix.PidfdGetfd(pidfd, sockfd, 0)
	if err != nil {
		return fmt.Sprintf("bind of port %d left in the pod: pidfd_getfd: %v", port, err), continueBind
	}
	defer unix.Close(theirs)
	// Still our caller (not a reused pid) now that we hold its socket.
	if ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)) != nil {
		return "", continueBind
	}
	if t, err := unix.GetsockoptInt(theirs, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || t != unix.SOCK_STREAM {
		return "", continueBind // a UDP socket on the port: pasta forwards UDP
	}
	ours, err := unix.Socket(int(family), unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", unix.ENOBUFS
	}
	defer unix.Close(ours)
	opts := []struct{ level, opt int }{{unix.SOL_SOCKET, unix.SO_REUSEADDR}, {unix.SOL_SOCKET, unix.SO_REUSEPORT}}
	if family == unix.AF_INET6 {
		opts = append(opts, struct{ level, opt int }{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY})
	}
	for _, o := range opts {
		if v, err := unix.GetsockoptInt(theirs, o.level, o.opt); err == nil {
			unix.SetsockoptInt(ours, o.level, o.opt, v)
		}
	}
	sa, err := hostSockaddr(int(family), pub)
	if err != nil {
		return "", unix.EADDRNOTAVAIL
	}
	if err := unix.Bind(ours, sa); err != nil {
		if e, ok := err.(unix.Errno); ok {
			return "", e
		}
		return "", unix.EADDRINUSE
	}
	// Listening before the workload has it: a listening socket can only
	// accept, never connect(2), so the host's network namespace gives the
	// workload the published port and nothing else (no way to the host's
	// own loopback services, which --allow-host-loopback gates). The
	// workload's own listen(2) then sets its backlog.
	if err := unix.Listen(ours, unix.SOMAXCONN); err != nil {
		return "", unix.EADDRINUSE
	}
	add := seccompNotifAddfd{id: req.id, flags: unix.SECCOMP_ADDFD_FLAG_SETFD, srcfd: uint32(ours), newfd: uint32(sockfd)}
	if err := ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_ADDFD, unsafe.Pointer(&add)); err != nil {
		if e, ok := err.(unix.Errno); ok {
			return "", e
		}
		return "", unix.EIO
	}
	return fmt.Sprintf("bind of port %d made in the host's network namespace at %s (--port-bypass)", port, pub), 0
}

// hostSockaddr is where a bypassed port binds on the host: the published
// address (every address for none), in the workload's socket family (an
// IPv4 address in an IPv6 socket as ::ffff:a.b.c.d).
func hostSockaddr(family int, p *netsetup.Port) (unix.Sockaddr, error) {
	var addr netip.Addr
	if p.HostIP != "" {
		var err error
		if addr, err = netip.ParseAddr(p.HostIP); err != nil {
			return nil, err
		}
	}
	if family == unix.AF_INET {
		if addr.IsValid() && !addr.Is4() {
			return nil, fmt.Errorf("an IPv6 address for an IPv4 socket")
		}
		sa := &unix.SockaddrInet4{Port: int(p.HostPort)}
		if addr.IsValid() {
			sa.Addr = addr.As4()
		}
		return sa, nil
	}
	sa := &unix.SockaddrInet6{Port: int(p.HostPort)}
	if addr.IsValid() {
		sa.Addr = addr.As16() // v4-mapped for an IPv4 address
	}
	return sa, nil
}

// threadGroup is the thread group (process) of thread tid, from
// /proc/TID/status (proc(5)).
func threadGroup(tid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no Tgid in /proc/%d/status", tid)
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}
