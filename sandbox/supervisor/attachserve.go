package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/stdio"
	"github.com/podctl/podctl/sandbox/wire"

	"golang.org/x/sys/unix"
)

// Attaching to a running container, the supervisor's side (the command's
// is sandbox/attach.go). A container made with stdin (Kubernetes' stdin: true,
// podctl run -d -i) reads a pipe whose write end the supervisor keeps open
// for the container's whole run, so the workload waits for input instead
// of reading end-of-file from /dev/null; one with tty reads and writes a
// pty of its own devpts, whose master the supervisor logs.
//
// podctl attach asks over the control socket ({"op":"attach"}) and gets
// descriptors back (SCM_RIGHTS, unix(7)): the read ends of pipes that
// carry the container's output from now on, teed by its log pump as it
// arrives (a shell's prompt has no newline, so the line-based log would
// hold it back), and, with -i, a duplicate of the stdin write end (or of
// the pty master). The session lasts as long as the connection; while it
// is open the supervisor does not hibernate.

// containerIn is the write end of one run's stdin; w is nil once closed by
// stdinOnce (it opens again with the next run).
type containerIn struct {
	w *os.File
}

// closeStdin closes what is left of a run's stdin (loop goroutine): the
// run ended, or stdinOnce's first session did.
func (s *Supervisor) closeStdin(name string) {
	if in := s.stdins[name]; in != nil && in.w != nil {
		in.w.Close()
		in.w = nil
	}
}

// grant is what an attach session gets.
type grant struct {
	files []*os.File // output (stdout or the pty), stderr unless tty, stdin if asked
	tty   bool
	stdin bool
	run   int
}

// grantAttach opens a session on container name (loop goroutine).
func (s *Supervisor) grantAttach(name string, stdin bool) (g grant, err error) {
	c := s.St.Container(name)
	if c == nil {
		return g, fmt.Errorf("pod %s has no container %q", s.St.Spec.Name, name)
	}
	if s.procs[name] == nil || c.State.Running == nil {
		return g, fmt.Errorf("container %s of pod %s is not running (%s)", name, s.St.Spec.Name, c.StateWord())
	}
	var pump *logPump
	for _, p := range s.logPumps {
		if p.container == name {
			pump = p // the last one is the current run's
		}
	}
	if pump == nil {
		return g, fmt.Errorf("container %s of pod %s: its output is not being read", name, s.St.Spec.Name)
	}
	g.tty, g.run, g.stdin = c.Spec.TTY, c.RestartCount, stdin
	defer func() {
		if err != nil {
			for _, f := range g.files {
				f.Close()
			}
		}
	}()
	if stdin {
		in := s.stdins[name]
		switch {
		case !c.Spec.Stdin:
			return g, fmt.Errorf("container %s of pod %s has no stdin to attach to: it needs stdin: true in its manifest (or podctl run -d -i); attach without -i shows its output", name, s.St.Spec.Name)
		case in == nil || in.w == nil:
			return g, fmt.Errorf("the stdin of container %s of pod %s was closed when its first attach session ended (stdinOnce); it opens again with the container's next run", name, s.St.Spec.Name)
		}
	}
	streams := []bool{false}
	if !g.tty {
		streams = append(streams, true)
	}
	for _, stderr := range streams {
		r, err := pump.taps.Add(stderr)
		if err != nil {
			return g, err
		}
		g.files = append(g.files, r)
	}
	if stdin {
		w, err := stdio.Dup(s.stdins[name].w)
		if err != nil {
			return g, err
		}
		g.files = append(g.files, w)
	}
	return g, nil
}

// serveAttach answers an attach request on conn, then waits for the
// session's end: the client closing the connection, or saying that its
// own stdin ended. Then a stdinOnce stdin is closed.
func (s *Supervisor) serveAttach(conn *net.UnixConn, req control.Request, reply func(error)) {
	type answer struct {
		g   grant
		err error
	}
	ch := make(chan answer, 1)
	s.Post(func() {
		g, err := s.grantAttach(req.Name, req.Stdin)
		ch <- answer{g, err}
	})
	var a answer
	select {
	case a = <-ch:
	case <-s.done:
		reply(errors.New("the pod ended"))
		return
	}
	if a.err != nil {
		reply(a.err)
		return
	}
	fds := make([]int, len(a.g.files))
	for i, f := range a.g.files {
		fds[i] = int(f.Fd())
	}
	b, _ := json.Marshal(control.Reply{TTY: a.g.tty, Stdin: a.g.stdin, Run: a.g.run})
	err := wire.Send(conn, b, fds...)
	for _, f := range a.g.files {
		f.Close() // the client has its own copies now
	}
	if err != nil || !a.g.stdin {
		return
	}
	buf := make([]byte, 64)
	conn.Read(buf) // "stdin-done", or end-of-file when the client goes
	s.Post(func() {
		c := s.St.Container(req.Name)
		if c != nil && c.Spec.StdinOnce && c.RestartCount == a.g.run {
			s.closeStdin(req.Name)
		}
	})
}

// takeStdio keeps what a started run's attach sessions need: the pty's
// master, pumped into the run's log as its stdout (tty), and the write
// end of its stdin (stdin: the pipe's, or a duplicate of the master).
func (s *Supervisor) takeStdio(name string, c *model.ContainerSpec, proc *stage.Proc, pipes *stdio.Pipes, log *crilog.File) error {
	var in *os.File
	switch {
	case c.TTY:
		if proc.Pty == nil {
			return fmt.Errorf("container %s: its init sent no pty", name)
		}
		master, err := stdio.Pollable(proc.Pty)
		proc.Pty = nil
		if err != nil {
			return fmt.Errorf("container %s: its pty: %w", name, err)
		}
		if c.Stdin {
			if in, err = stdio.Dup(master); err != nil {
				master.Close()
				return fmt.Errorf("container %s: its pty: %w", name, err)
			}
		}
		if s.Stdin != nil {
			// A foreground run with stdin (podctl run -it): the
			// caller's input is the pty's keyboard, and Resize its
			// window size (the caller's terminal is the caller's
			// business: cmd/podctl puts it in raw mode).
			w, err := stdio.Dup(master)
			if err != nil {
				master.Close()
				return fmt.Errorf("container %s: its pty: %w", name, err)
			}
			in, resize := s.Stdin, s.Resize
			go func() {
				io.Copy(w, in)
				w.Close()
			}()
			if resize != nil {
				go func() {
					for ws := range resize {
						unix.IoctlSetWinsize(int(w.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
					}
				}()
			}
			s.Stdin = nil
		}
		s.startPump(name, log, master, pipes.ErrR)
		pipes.ErrR = nil // the pump's now
	case c.Stdin:
		in, pipes.InW = pipes.InW, nil
	}
	if in != nil {
		s.stdins[name] = &containerIn{w: in}
	}
	return nil
}
