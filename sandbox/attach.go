package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/wire"

	"golang.org/x/sys/unix"
)

// AttachOptions say what to connect to a running container.
type AttachOptions struct {
	Container string // name or id; empty: the pod's main container
	// Stdin, if not nil, goes to the container's stdin, which the
	// container must have (ContainerSpec.Stdin). When it ends, a
	// stdinOnce stdin is closed; when ctx ends first, it is left open.
	Stdin io.Reader
	// Stdout and Stderr take the container's output from now on (nil:
	// discarded); a container with a tty has one stream, to Stdout.
	Stdout, Stderr io.Writer
	// Resize sets the pty's window size, for a container with a tty and
	// Stdin.
	Resize <-chan WindowSize
}

// Attach connects to a running container's streams (the supervisor's side
// is sandbox/supervisor/attachserve.go): its output from now on, and with
// o.Stdin its stdin. It returns when the container's run ends, with its
// exit code; when ctx ends first (the caller detached), with ctx's error
// and the container running on.
func Attach(ctx context.Context, pod string, o AttachOptions) (int, error) {
	_, dir, c, err := runningContainer(pod, o.Container, "attach")
	if err != nil {
		return 0, err
	}
	name := c.Spec.Name
	conn, err := control.Open(dir, control.Request{Op: "attach", Name: name, Stdin: o.Stdin != nil})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	r, files, err := readGrant(conn)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()

	// Output: one stream with a tty, two without, until the run ends.
	outputs := make(chan struct{}, 2)
	dests := []io.Writer{o.Stdout, o.Stderr}
	nout := 2
	if r.TTY {
		nout = 1
	}
	for i := 0; i < nout; i++ {
		w := dests[i]
		if w == nil {
			w = io.Discard
		}
		go func(f *os.File, w io.Writer) {
			io.Copy(w, f)
			outputs <- struct{}{}
		}(files[i], w)
	}
	ended := make(chan struct{})
	go func() {
		for i := 0; i < nout; i++ {
			<-outputs
		}
		close(ended)
	}()

	if r.Stdin {
		w := files[nout] // with a tty, a duplicate of the pty's master
		if r.TTY && o.Resize != nil {
			go func() {
				for ws := range o.Resize {
					unix.IoctlSetWinsize(int(w.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
				}
			}()
		}
		go func() {
			io.Copy(w, o.Stdin)
			if ctx.Err() != nil {
				return // detached: the container's stdin stays as it is
			}
			// Our input ended: the container's stdin closes if it is
			// stdinOnce (the supervisor's copy goes now, ours here).
			w.Close()
			conn.Write([]byte("stdin-done"))
		}()
	}
	select {
	case <-ended:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return attachedExit(pod, name, r.Run), nil
}

// readGrant reads the supervisor's answer to an attach request and the
// descriptors sent with it.
func readGrant(conn *net.UnixConn) (*control.Reply, []*os.File, error) {
	b, fds, err := wire.Recv(conn)
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for the pod's supervisor: %w", err)
	}
	var files []*os.File
	for _, fd := range fds {
		files = append(files, os.NewFile(uintptr(fd), "attach"))
	}
	var r control.Reply
	err = json.Unmarshal(b, &r)
	switch {
	case err != nil:
		err = fmt.Errorf("bad reply from the pod's supervisor: %w", err)
	case r.Error != "":
		err = errors.New(r.Error)
	default:
		want := 2
		if r.TTY {
			want = 1
		}
		if r.Stdin {
			want++
		}
		if len(files) != want {
			err = fmt.Errorf("the pod's supervisor sent %d descriptors, want %d", len(files), want)
		}
	}
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, nil, err
	}
	return &r, files, nil
}

// attachedExit is the exit code of run of container name once it has
// ended, as podctl attach reports it; 0 if it cannot be known.
func attachedExit(pod, name string, run int) int {
	// The supervisor records the end right after the output's; give it
	// a moment.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, _, err := model.Observe(pod)
		if err != nil {
			return 0
		}
		c := st.Container(name)
		if c == nil {
			return 0
		}
		switch {
		case c.RestartCount == run && c.State.Terminated != nil:
			return c.State.Terminated.ExitCode
		case c.RestartCount > run && c.LastState.Terminated != nil:
			return c.LastState.Terminated.ExitCode
		}
	}
	return 0
}
