package netsetup

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/podctl/podctl/sandbox/forkexec"
	"golang.org/x/sys/unix"
)

// The published ports of a bridge pod: podctl binds each host port itself
// (so "in use" is podctl's own error, and the port is free again the
// moment the forwarder dies), then starts the "ports" stage with the
// listening sockets. The C constructor moves that process into the pod's
// user and network namespaces (setns on the pause's pidfd), where every
// socket it makes from then on lives, while the inherited listeners stay
// in the host's: a namespace belongs to a socket from its creation
// (network_namespaces(7)). Each accepted connection is joined to a new
// one to 127.0.0.1:CONTAINER-PORT in the pod; Go's io.Copy between two
// TCP connections uses splice(2), so the bytes do not cross user space.
// The workload sees 127.0.0.1 as the client, as with pasta's splice.

// EnvForward lists the stage's listeners: FD:CONTAINER-PORT, comma
// separated.
const EnvForward = "_PODCTL_FORWARD"

// StartForwarder binds ports on the host and starts the forwarding stage
// of the pod whose pause has pidfd pausePIDFD. Only TCP (Config.Validate).
func StartForwarder(self string, env []string, ports []Port, pausePIDFD int, logPath string) (*Helper, error) {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	dup, err := unix.FcntlInt(uintptr(pausePIDFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	files = append(files, os.NewFile(uintptr(dup), "pause-pidfd")) // fd 3
	var spec []string
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort))))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("-p %s: host port %d/tcp is already in use (ss -lntp shows by what); publish another host port", p, p.HostPort)
			}
			return nil, fmt.Errorf("-p %s: %w", p, err)
		}
		f, err := l.(*net.TCPListener).File()
		l.Close()
		if err != nil {
			return nil, err
		}
		spec = append(spec, fmt.Sprintf("%d:%d", 3+len(files), p.ContainerPort))
		files = append(files, f)
	}
	return startForwarder(self, env, files, spec, logPath)
}

// StartForwarderOn starts the forwarding stage of the pod whose pause has
// pidfd pausePIDFD on a listener of the caller's (a unix socket: the CRI's
// port-forward), whose connections go to 127.0.0.1:port in the pod.
func StartForwarderOn(self string, env []string, l *os.File, port uint16, pausePIDFD int, logPath string) (*Helper, error) {
	dup, err := unix.FcntlInt(uintptr(pausePIDFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	pidfd := os.NewFile(uintptr(dup), "pause-pidfd") // fd 3
	defer pidfd.Close()
	return startForwarder(self, env, []*os.File{pidfd, l}, []string{fmt.Sprintf("4:%d", port)}, logPath)
}

// startForwarder starts the stage with files from fd 3 on (the pause's
// pidfd first), and spec its FD:PORT list.
func startForwarder(self string, env []string, files []*os.File, spec []string, logPath string) (*Helper, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	h := &Helper{Mode: Bridge, ready: make(chan struct{})}
	close(h.ready) // listening from the start: the sockets are bound already
	h.proc, err = forkexec.Start(&forkexec.Cmd{Path: self, Args: []string{"podctl-ports"},
		Env:        append(env, EnvForward+"="+strings.Join(spec, ",")),
		ExtraFiles: files, Stdout: logf, Stderr: logf,
		Sys: &syscall.SysProcAttr{Setpgid: true}})
	if err != nil {
		return nil, fmt.Errorf("starting the port forwarder: %w", err)
	}
	h.PID, h.PIDFD = h.proc.Pid, h.proc.PidFD()
	return h, nil
}

// ForwardMain is the ports stage, in the pod's namespaces: it never
// returns.
func ForwardMain() {
	var wg sync.WaitGroup
	for _, item := range strings.Split(os.Getenv(EnvForward), ",") {
		fdText, port, ok := strings.Cut(item, ":")
		fd, err := strconv.Atoi(fdText)
		if !ok || err != nil {
			fmt.Fprintf(os.Stderr, "ports: bad %s entry %q\n", EnvForward, item)
			os.Exit(1)
		}
		l, err := net.FileListener(os.NewFile(uintptr(fd), "listener"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "ports: listener %d: %v\n", fd, err)
			os.Exit(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveForward(l, net.JoinHostPort("127.0.0.1", port))
		}()
	}
	wg.Wait()
	os.Exit(1)
}

func serveForward(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ports: accept: %v\n", err)
			return
		}
		go func() {
			defer c.Close()
			// Made after setns: a socket of the pod's network namespace.
			d, err := net.Dial("tcp", target)
			if err != nil {
				return // the client sees the connection closed
			}
			defer d.Close()
			done := make(chan struct{})
			go func() {
				io.Copy(d, c)
				d.(*net.TCPConn).CloseWrite()
				close(done)
			}()
			io.Copy(c, d)
			// A TCP or (the CRI's port-forward) a unix connection.
			c.(interface{ CloseWrite() error }).CloseWrite()
			<-done
		}()
	}
}
