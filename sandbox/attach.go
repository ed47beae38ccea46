package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/termio"

	"golang.org/x/sys/unix"
)

// AttachOptions are podctl attach's flags (kubectl attach's).
type AttachOptions struct {
	Container string // empty: the pod's main container
	Stdin     bool   // -i: pass our standard input to the container's
	TTY       bool   // -t: our stdin is a terminal to put in raw mode
}

// detachKeys end an attach session with a tty without touching the
// container, as docker's and podman's default (ctrl-p ctrl-q): in raw mode
// ^C is the container's.
var detachKeys = []byte{0x10, 0x11}

// Attach connects the caller's standard streams to a running container
// (sandbox/supervisor/attachserve.go has the supervisor's side): its output from now on, and with
// o.Stdin our input to its stdin. It returns when the container's run
// ends (with its exit code), when our input ends for a stdinOnce stdin, or
// on the detach keys (with 0).
func Attach(pod string, o AttachOptions, in, out, errw *os.File) (int, error) {
	_, dir, c, err := runningContainer(pod, o.Container, "attach")
	if err != nil {
		return 0, err
	}
	name := c.Spec.Name
	conn, err := control.Open(dir, control.Request{Op: "attach", Name: name, Stdin: o.Stdin})
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
	if o.TTY && !r.TTY {
		fmt.Fprintf(errw, "podctl: notice: container %s of pod %s has no tty (tty: true in its manifest, or podctl run -d -t); attaching without one\n", name, pod)
	}

	// Output: one stream with a tty, two without, until the run ends.
	outputs := make(chan struct{}, 2)
	dests := []io.Writer{out, errw}
	nout := 2
	if r.TTY {
		nout = 1
	}
	for i := 0; i < nout; i++ {
		go func(f *os.File, w io.Writer) {
			io.Copy(w, f)
			outputs <- struct{}{}
		}(files[i], dests[i])
	}
	ended := make(chan struct{})
	go func() {
		for i := 0; i < nout; i++ {
			<-outputs
		}
		close(ended)
	}()

	detached := make(chan struct{})
	if r.Stdin {
		w := files[nout]
		restore := func() {}
		if r.TTY && termio.IsTerminal(in) {
			restore = ttySession(in, w, errw)
		}
		defer restore()
		go func() {
			if r.TTY {
				if copyUntilKeys(w, in, detachKeys) {
					close(detached)
					return
				}
			} else {
				io.Copy(w, in)
			}
			// Our input ended: the container's stdin closes if it is
			// stdinOnce (the supervisor's copy goes now, ours here).
			w.Close()
			conn.Write([]byte("stdin-done"))
		}()
	}
	select {
	case <-ended:
	case <-detached:
		fmt.Fprintf(errw, "\r\npodctl: detached from container %s of pod %s; it runs on\r\n", name, pod)
		return 0, nil
	}
	return attachedExit(pod, name, r.Run), nil
}

// readGrant reads the supervisor's answer to an attach request and the
// descriptors sent with it.
func readGrant(conn *net.UnixConn) (*control.Reply, []*os.File, error) {
	buf := make([]byte, model.MaxMsg)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for the pod's supervisor: %w", err)
	}
	var files []*os.File
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			fds, _ := unix.ParseUnixRights(&m)
			for _, fd := range fds {
				unix.CloseOnExec(fd)
				files = append(files, os.NewFile(uintptr(fd), "attach"))
			}
		}
	}
	var r control.Reply
	err = json.Unmarshal(buf[:n], &r)
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

// ttySession puts our terminal in raw mode, so that keys reach the
// container's pty as typed, and keeps the pty's window size ours (master
// is a duplicate of the pty's master). It returns the undo.
func ttySession(term, master, errw *os.File) func() {
	// As kubectl attach does: the pty's screen is not replayed, so a
	// shell waiting at its prompt shows nothing until a key is pressed.
	fmt.Fprintf(errw, "If you don't see a command prompt, try pressing enter. (ctrl-p ctrl-q detaches)\r\n")
	return termio.RawSession(term, master)
}

// copyUntilKeys copies src to dst until src ends (false) or keys are read
// in a row (true; they are not passed on). Keys split across reads count.
func copyUntilKeys(dst io.Writer, src io.Reader, keys []byte) bool {
	buf := make([]byte, 4096)
	matched := 0 // how many of keys the input ends with so far
	for {
		n, err := src.Read(buf)
		chunk := buf[:n]
		var send []byte
		for _, ch := range chunk {
			if ch == keys[matched] {
				matched++
				if matched == len(keys) {
					dst.Write(send)
					return true
				}
				continue
			}
			// Held-back keys that turned out not to be a sequence.
			send = append(send, keys[:matched]...)
			matched = 0
			if ch == keys[0] {
				matched = 1
				continue
			}
			send = append(send, ch)
		}
		if len(send) > 0 {
			if _, werr := dst.Write(send); werr != nil {
				return false
			}
		}
		if err != nil {
			if matched > 0 {
				dst.Write(bytes.Clone(keys[:matched]))
			}
			return false
		}
	}
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
