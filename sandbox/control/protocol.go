package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/wire"
)

// The control socket: how podctl commands ask a pod's supervisor to act on
// the containers it owns. One SOCK_SEQPACKET connection per request; the
// request is one JSON message, and so is the reply (sandbox/wire: any size).
//
//	podctl run --pod P     {"op":"add","container":{...}}  -> {} once it started
//	podctl stop -t 10 P    {"op":"stop","timeout":10}     -> {} once the pod ended
//	podctl run --rm --pod  {"op":"forget","name":"c"}     -> {} (after printing its log)
//	podctl attach -i P     {"op":"attach","name":"c","stdin":true} -> {"run":0} + descriptors (sandbox/attach.go)
//
// The socket lives in the pod's directory (0700, the user's own), and the
// supervisor also checks the caller's uid with SO_PEERCRED.
const SocketName = "control.sock"

type Request struct {
	Op        string               `json:"op"`
	Container *model.ContainerSpec `json:"container,omitempty"`
	Timeout   float64              `json:"timeout,omitempty"` // seconds, for stop
	Signal    int                  `json:"signal,omitempty"`  // for stop: the first signal
	// For add: reply only once the container has ended for good.
	Wait bool `json:"wait,omitempty"`
	// For add: record the container only; "start" starts it (the pod
	// API's CreateContainer and StartContainer).
	CreateOnly bool `json:"createOnly,omitempty"`
	// For forget: a container that ended (or was only created); for
	// attach, start and stop-container: the container.
	Name string `json:"name,omitempty"`
	// For attach: also the container's stdin.
	Stdin bool `json:"stdin,omitempty"`
}

type Reply struct {
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"` // of an *ExecError
	// For add with wait: how the container ended.
	Terminated *model.StateTerminated `json:"terminated,omitempty"`
	// For attach: what the descriptors sent with the reply are (the
	// output, stderr unless TTY, stdin if Stdin) and which run they tap.
	TTY   bool `json:"tty,omitempty"`
	Stdin bool `json:"stdin,omitempty"`
	Run   int  `json:"run,omitempty"`
}

// Open connects to the supervisor of the pod in dir and sends it req; the
// caller reads the reply (and, for attach, the descriptors that come with
// it) and closes the connection.
func Open(dir string, req Request) (*net.UnixConn, error) {
	path := filepath.Join(dir, SocketName)
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("reaching the pod's supervisor at %s: %w", path, err)
	}
	b, _ := json.Marshal(req)
	if err := wire.Send(conn, b); err != nil {
		conn.Close()
		return nil, fmt.Errorf("asking the pod's supervisor: %w", err)
	}
	return conn, nil
}

// CloseFDs closes descriptors a message brought that its reader does not
// take.
func CloseFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Call sends req to the supervisor of the pod in dir and returns its
// answer; wait bounds how long the answer may take.
func Call(dir string, req Request, wait time.Duration) error {
	_, err := CallReply(dir, req, wait)
	return err
}

// CallReply is Call, returning the whole reply.
func CallReply(dir string, req Request, wait time.Duration) (*Reply, error) {
	ctx := context.Background()
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	return CallContext(ctx, dir, req)
}

// CallContext is CallReply, bounded by ctx instead of a duration: the
// wait for the answer ends when ctx does.
func CallContext(ctx context.Context, dir string, req Request) (*Reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := Open(dir, req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	b, fds, err := wire.Recv(conn)
	if err != nil {
		return nil, fmt.Errorf("waiting for the pod's supervisor: %w", err)
	}
	CloseFDs(fds) // only an attach grant comes with descriptors
	var r Reply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("bad reply from the pod's supervisor: %w", err)
	}
	if r.Error == "" {
		return &r, nil
	}
	if r.ExitCode != 0 {
		return &r, &model.ExecError{Msg: r.Error, ExitCode: r.ExitCode}
	}
	return &r, errors.New(r.Error)
}
