package cri

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// Exec, Attach and PortForward answer with a URL of the streaming server
// (k8s.io/cri-streaming, the kubelet's own protocol: SPDY and websockets),
// which the caller (crictl, the kubelet's proxy) then connects to. It
// listens on 127.0.0.1 only, on a port of its choosing: the streams carry
// a container's terminal, and only this machine may reach them. Each URL
// holds a single-use token that expires within a minute (the package's
// request cache).

// streamRuntime is what the streaming server calls once a client is
// connected.
type streamRuntime struct{ s *Server }

// startStreaming listens on 127.0.0.1 and serves the streams in the
// background until ctx ends.
func (s *Server) startStreaming(ctx context.Context) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.StreamPort)))
	if err != nil {
		return err
	}
	cfg := streaming.DefaultConfig
	cfg.Addr = l.Addr().String()
	cfg.BaseURL = &url.URL{Scheme: "http", Host: cfg.Addr}
	srv, err := streaming.NewServer(cfg, streamRuntime{s})
	if err != nil {
		l.Close()
		return err
	}
	s.stream = srv
	hs := &httpServer{l: l, h: srv}
	go hs.serve()
	go func() { <-ctx.Done(); hs.close() }()
	s.logf("streaming (exec, attach, port-forward) on http://%s", cfg.Addr)
	return nil
}

// Exec returns the URL at which the command's streams are served.
func (s *Server) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	if len(req.Cmd) == 0 {
		return nil, invalid("cmd is empty: Exec needs a command")
	}
	if !req.Stdin && !req.Stdout && !req.Stderr {
		return nil, invalid("one of stdin, stdout and stderr must be set")
	}
	if _, err := runningCRIContainer(ctx, req.ContainerId); err != nil {
		return nil, err
	}
	return grpcResp(s.stream.GetExec(req))
}

// Attach returns the URL at which the container's streams are served.
func (s *Server) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	if !req.Stdin && !req.Stdout && !req.Stderr {
		return nil, invalid("one of stdin, stdout and stderr must be set")
	}
	if _, err := runningCRIContainer(ctx, req.ContainerId); err != nil {
		return nil, err
	}
	return grpcResp(s.stream.GetAttach(req))
}

// PortForward returns the URL at which the sandbox's ports are served.
func (s *Server) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	if sandboxReady(st) != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, invalid("sandbox %s is not ready", req.PodSandboxId)
	}
	return grpcResp(s.stream.GetPortForward(req))
}

func grpcResp[T any](r T, err error) (T, error) { return r, grpcError(err) }

// runningCRIContainer finds a container and refuses one that is not
// running, before a URL is handed out.
func runningCRIContainer(ctx context.Context, id string) (sandbox.ContainerRef, error) {
	ref, err := findContainer(ctx, id)
	if err != nil {
		return ref, err
	}
	if ref.Container.State.Running == nil {
		return ref, invalid("container %s is not running (%s)", id, ref.Container.StateWord())
	}
	return ref, nil
}

// windowSizes turns the streaming server's terminal sizes into the pod
// API's.
func windowSizes(in <-chan remotecommandserver.TerminalSize) <-chan sandbox.WindowSize {
	if in == nil {
		return nil
	}
	out := make(chan sandbox.WindowSize)
	go func() {
		defer close(out)
		for sz := range in {
			out <- sandbox.WindowSize{Rows: sz.Height, Cols: sz.Width}
		}
	}()
	return out
}

// exitError is a command's non-zero exit code as the streaming server
// reports it to the client (utilexec.ExitError).
func exitError(code int, err error) error {
	var ee *model.ExecError
	switch {
	case errors.As(err, &ee):
		return utilexec.CodeExitError{Err: err, Code: ee.ExitCode}
	case err != nil:
		return err
	case code != 0:
		return utilexec.CodeExitError{Err: errors.New("command terminated with a non-zero exit code"), Code: code}
	}
	return nil
}

// writer is w as an io.Writer, nil when w is (the stream was not asked
// for).
func writer(w io.WriteCloser) io.Writer {
	if w == nil {
		return nil
	}
	return w
}

func (r streamRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	ref, err := runningCRIContainer(ctx, id)
	if err != nil {
		return err
	}
	code, err := sandbox.Exec(ctx, ref.Pod.Spec.ID, sandbox.ExecOptions{Container: ref.Container.Spec.ID, Args: cmd,
		TTY: tty, Stdin: in, Stdout: writer(out), Stderr: writer(errw), Resize: windowSizes(resize)})
	return exitError(code, err)
}

func (r streamRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	ref, err := runningCRIContainer(ctx, id)
	if err != nil {
		return err
	}
	_, err = sandbox.Attach(ctx, ref.Pod.Spec.ID, sandbox.AttachOptions{Container: ref.Container.Spec.ID,
		Stdin: in, Stdout: writer(out), Stderr: writer(errw), Resize: windowSizes(resize)})
	if errors.Is(err, context.Canceled) {
		return nil // the client detached; the container runs on
	}
	return err
}
