package cri

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// PortForward joins stream to 127.0.0.1:port in the sandbox's network
// namespace (the node's, for a sandbox of the node's network: dialled from
// here). A process of this server cannot enter that namespace itself
// (a multithreaded process may not setns(2) into a user namespace, and the
// pod's network namespace belongs to the pod's), so the bridge network's
// ports stage does it (netsetup/forward.go, podctl-net): it is started
// with a unix listener of ours, its C constructor joins the pause's user
// and network namespaces through the pause's pidfd, and it dials the port
// from there for the one connection we make. It is killed when the stream
// ends.
func (r streamRuntime) PortForward(ctx context.Context, podID string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	if port <= 0 || port > 65535 {
		return fmt.Errorf("port %d: must be 1 to 65535", port)
	}
	st, err := findPod(ctx, podID)
	if err != nil {
		return err
	}
	if st.Spec.Network.Mode == netsetup.Host {
		// The node's network: the server is in it already, and the
		// ports stage could not join it (a namespace of the initial
		// user namespace).
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(port)))
		if err != nil {
			return err
		}
		return splice(stream, c.(*net.TCPConn))
	}
	pidfd, err := unix.PidfdOpen(st.Pause.PID, 0)
	if err != nil {
		return fmt.Errorf("sandbox %s: its pause (pid %d) is gone: %w", podID, st.Pause.PID, err)
	}
	defer unix.Close(pidfd)
	if !st.Pause.Alive() { // the pid was not reused before pidfd_open
		return fmt.Errorf("sandbox %s: its pause (pid %d) is gone", podID, st.Pause.PID)
	}
	dir, err := os.MkdirTemp("", "podctl-cri-forward-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	lf, err := l.File()
	l.SetUnlinkOnClose(false)
	l.Close()
	if err != nil {
		return err
	}
	bin, err := images.Binary(netsetup.NetBinary)
	if err != nil {
		lf.Close()
		return err
	}
	h, err := netsetup.StartForwarderOn(bin, []string{nsenter.EnvStage + "=" + nsenter.StagePorts}, lf, uint16(port), pidfd, filepath.Join(dir, "log"))
	lf.Close()
	if err != nil {
		return err
	}
	defer h.Stop(true)
	c, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	return splice(stream, c.(*net.UnixConn))
}

// splice copies stream to c and back until c's side ends; stream's end
// ends c's writing half, so the port sees the client's EOF.
func splice(stream io.ReadWriteCloser, c interface {
	io.ReadWriteCloser
	CloseWrite() error
}) error {
	defer c.Close()
	go func() {
		io.Copy(c, stream)
		c.CloseWrite()
	}()
	_, err := io.Copy(stream, c)
	return err
}
