package cri

import (
	"context"
	"errors"
	"fmt"
	"github.com/podctl/podctl/cri/cninet"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
)

// Options are the server's choices.
type Options struct {
	// Network is the mode of a sandbox's pod network (one that does not
	// ask for the node's): pasta by default, as podctl run's.
	Network netsetup.Mode
	// Version is podctl's version, which Version reports.
	Version string
	// StreamPort is the streaming server's port on 127.0.0.1; 0 lets
	// the kernel pick one (containerd's stream_server_port).
	StreamPort int
	// Log receives the server's notices (stderr).
	Log io.Writer
	// CNI, if set, is the node's CNI network: sandboxes that do not use
	// the node's network are attached by its plugins (cri/cninet) instead of
	// Network's mode.
	CNI *cninet.Network
}

// Server serves runtime.v1's RuntimeService and ImageService. The
// Unimplemented* types answer what podctl does not offer (checkpoints,
// the streaming lists, container events, metrics descriptors) with
// gRPC's Unimplemented, which the kubelet falls back from.
type Server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer
	opts   Options
	log    *log.Logger
	stream streaming.Server // Exec, Attach, PortForward (stream.go)
}

// New makes a server.
func New(o Options) *Server {
	if o.Network == "" {
		o.Network = netsetup.Default()
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return &Server{opts: o, log: log.New(o.Log, "podctl-cri: ", log.LstdFlags)}
}

func (s *Server) logf(format string, a ...any) { s.log.Printf(format, a...) }

// DefaultSocket is the socket's path: $XDG_RUNTIME_DIR/podctl/cri.sock,
// /run/podctl/cri.sock for root (the state root's, next to pods/).
func DefaultSocket() (string, error) {
	root, err := model.StateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "cri.sock"), nil
}

// SocketPath takes a --listen value: unix://PATH or a plain path.
func SocketPath(listen string) (string, error) {
	if rest, ok := strings.CutPrefix(listen, "unix://"); ok {
		listen = rest
	} else if strings.Contains(listen, "://") {
		return "", fmt.Errorf("--listen %q: podctl serves the CRI on a unix socket only (unix:///PATH)", listen)
	}
	if !filepath.IsAbs(listen) {
		return "", fmt.Errorf("--listen %q: give an absolute path, e.g. unix:///run/user/1000/podctl/cri.sock", listen)
	}
	return listen, nil
}

// Serve listens on the unix socket path and serves until ctx ends, then
// stops gracefully (the calls under way finish) and removes the socket.
func (s *Server) Serve(ctx context.Context, path string) error {
	l, err := listenUnix(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	if err := s.startStreaming(ctx); err != nil {
		l.Close()
		return fmt.Errorf("starting the streaming server: %w", err)
	}
	g := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(g, s)
	runtimeapi.RegisterImageServiceServer(g, s)
	network := string(s.opts.Network)
	if s.opts.CNI != nil {
		network = s.opts.CNI.Describe()
	}
	s.logf("serving runtime.v1 on unix://%s (pods' network: %s)", path, network)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stopped := make(chan struct{})
			go func() { g.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(10 * time.Second):
				g.Stop() // a stream (attach, logs) that never ends
			}
		case <-done:
		}
	}()
	err = g.Serve(l)
	close(done)
	if errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	return err
}

// listenUnix makes the socket, 0600 in a directory of the user's. A
// socket left by a server that died is replaced; one that answers is
// another server's, and refused.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the socket's directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; remove it or choose another --listen", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another CRI server answers there; stop it or choose another --listen", path)
		}
		os.Remove(path)
	}
	old := unix.Umask(0o177) // the socket is made 0600: only its user drives the runtime
	l, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return l, nil
}
