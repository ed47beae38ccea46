package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/wire"

	"golang.org/x/sys/unix"
)

type controlServer struct {
	l      *net.UnixListener
	closed chan struct{} // the accept loop has returned
}

// listenControl serves the control socket of s until close.
func listenControl(dir string, s *Supervisor) (*controlServer, error) {
	path := filepath.Join(dir, control.SocketName)
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return s.serveControl(l), nil
}

// serveControl accepts requests on l (new, or handed over by the keeper).
func (s *Supervisor) serveControl(l *net.UnixListener) *controlServer {
	// The socket file is removed by rm with the directory, not by close:
	// the supervisor may be killed, and a dead socket answers ECONNREFUSED;
	// and an idle supervisor closes its listener to hand a copy of it to
	// its keeper.
	l.SetUnlinkOnClose(false)
	cs := &controlServer{l: l, closed: make(chan struct{})}
	go func() {
		defer close(cs.closed)
		for {
			conn, err := l.AcceptUnix()
			if err != nil {
				return
			}
			s.handlers.Add(1)
			s.active.Add(1)
			go s.serve(conn)
		}
	}()
	return cs
}

func (cs *controlServer) close() {
	cs.l.Close()
	<-cs.closed
}

// serve answers one request.
func (s *Supervisor) serve(conn *net.UnixConn) {
	defer s.handlers.Done()
	defer s.active.Add(-1)
	defer conn.Close()
	reply := func(err error) {
		var r control.Reply
		if err != nil {
			r.Error = err.Error()
			var ee *model.ExecError
			if errors.As(err, &ee) {
				r.ExitCode = ee.ExitCode
			}
		}
		b, _ := json.Marshal(r)
		wire.Send(conn, b)
	}
	if err := control.CheckPeer(conn); err != nil {
		reply(err)
		return
	}
	b, fds, err := wire.Recv(conn)
	if err != nil {
		if err != io.EOF {
			reply(fmt.Errorf("bad control request: %w", err))
		}
		return
	}
	control.CloseFDs(fds) // no request comes with descriptors
	var req control.Request
	if err := json.Unmarshal(b, &req); err != nil {
		reply(fmt.Errorf("bad control request: %w", err))
		return
	}
	result := make(chan error, 1)
	switch req.Op {
	case "add":
		if req.Container == nil {
			reply(errors.New("add: no container"))
			return
		}
		var exited chan control.Reply
		if req.Wait {
			exited = make(chan control.Reply, 1)
		}
		s.Post(func() { s.add(*req.Container, req.CreateOnly, result, exited) })
		err, ok := s.await(result)
		if !ok || err != nil || exited == nil {
			reply(err)
			return
		}
		select {
		case r := <-exited:
			b, _ := json.Marshal(r)
			wire.Send(conn, b)
		case <-s.done:
			// The reply may still be waiting for the log (replyExited).
			select {
			case r := <-exited:
				b, _ := json.Marshal(r)
				wire.Send(conn, b)
			case <-time.After(2 * time.Second):
				reply(errors.New("the pod ended"))
			}
		}
	case "start":
		s.Post(func() { s.startCreated(req.Name, result) })
		err, _ := s.await(result)
		reply(err)
	case "stop-container":
		exited := make(chan control.Reply, 1)
		sig := unix.Signal(req.Signal)
		grace := time.Duration(req.Timeout * float64(time.Second))
		s.Post(func() { s.stopContainer(req.Name, sig, grace, result, exited) })
		if err, ok := s.await(result); !ok || err != nil {
			reply(err)
			return
		}
		select {
		case <-exited:
			reply(nil)
		case <-s.done:
			reply(nil) // the pod ended, and the container with it
		}
	case "forget":
		s.Post(func() {
			if c := s.St.Container(req.Name); c != nil && (c.State.Terminated != nil || c.Created()) {
				s.forget(req.Name)
				s.save()
			}
			result <- nil
		})
		err, _ := s.await(result)
		reply(err)
	case "reopen-log":
		s.Post(func() { result <- s.reopenLog(req.Name) })
		err, _ := s.await(result)
		reply(err)
	case "attach":
		s.serveAttach(conn, req, reply)
	case "stop":
		sig := unix.Signal(req.Signal)
		grace := time.Duration(req.Timeout * float64(time.Second))
		s.Post(func() { s.Stop(sig, grace, result) })
		err, _ := s.await(result)
		reply(err)
	default:
		reply(fmt.Errorf("unknown control request %q", req.Op))
	}
}

// await waits for a result from the loop goroutine, or for the pod's end.
func (s *Supervisor) await(result chan error) (error, bool) {
	select {
	case err := <-result:
		return err, true
	case <-s.done:
		select {
		case err := <-result:
			return err, true
		default:
			return errors.New("the pod ended"), false
		}
	}
}

// add takes a new container into the running pod (loop goroutine); result
// gets the outcome of its first start, or nil at once if it must wait for
// init containers.
func (s *Supervisor) add(spec model.ContainerSpec, createOnly bool, result chan error, exited chan control.Reply) {
	if s.stopping || s.finished {
		result <- fmt.Errorf("pod %s is stopping; it takes no new containers", s.St.Spec.Name)
		return
	}
	if s.St.Container(spec.Name) != nil {
		result <- fmt.Errorf("pod %s already has a container named %q; choose another --name", s.St.Spec.Name, spec.Name)
		return
	}
	if spec.Init {
		for _, c := range s.St.Containers {
			if !c.Spec.Init && c.State.Waiting == nil {
				result <- fmt.Errorf("pod %s has started its app containers; init containers run before them, so add --init containers to a pod before its first app container", s.St.Spec.Name)
				return
			}
		}
	}
	reason := model.ReasonPodInitializing
	if createOnly {
		reason = model.ReasonCreated // until startCreated
	}
	s.St.Containers = append(s.St.Containers, model.ContainerStatus{Spec: spec, CreatedAt: time.Now(),
		State: model.ContainerState{Waiting: &model.StateWaiting{Reason: reason}}})
	s.multi.Store(true) // before its output starts: prefixes from now on
	s.startReplies[spec.Name] = append(s.startReplies[spec.Name], result)
	if exited != nil {
		s.exitReplies[spec.Name] = append(s.exitReplies[spec.Name], exited)
	}
	s.afterChange()
	// Still waiting (behind an init container): say so now.
	if c := s.St.Container(spec.Name); c != nil && c.State.Waiting != nil && c.LastState.Terminated == nil {
		s.replyStarted(spec.Name, nil)
	}
}

// startCreated starts container name, which add recorded without starting
// it (loop goroutine); result gets the outcome of its first start, or nil
// at once if it must wait for init containers.
func (s *Supervisor) startCreated(name string, result chan error) {
	c := s.St.Container(name)
	switch {
	case s.stopping || s.finished:
		result <- fmt.Errorf("pod %s is stopping; it starts no containers", s.St.Spec.Name)
		return
	case c == nil:
		result <- fmt.Errorf("pod %s has no container %q", s.St.Spec.Name, name)
		return
	case !c.Created():
		result <- fmt.Errorf("container %s of pod %s was started already (%s)", name, s.St.Spec.Name, c.StateWord())
		return
	}
	c.State.Waiting.Reason = model.ReasonPodInitializing
	s.startReplies[name] = append(s.startReplies[name], result)
	s.afterChange()
	if c := s.St.Container(name); c != nil && c.State.Waiting != nil && c.LastState.Terminated == nil {
		s.replyStarted(name, nil) // behind an init container
	}
}

// stopContainer stops container name alone (loop goroutine), as the
// pod API's StopContainer asks: its preStop hook, sig, SIGKILL after
// grace; it is not restarted, whatever the pod's policy. result gets nil
// once the stop has begun, exited the container's end.
func (s *Supervisor) stopContainer(name string, sig unix.Signal, grace time.Duration, result chan error, exited chan control.Reply) {
	c := s.St.Container(name)
	if c == nil {
		result <- fmt.Errorf("pod %s has no container %q", s.St.Spec.Name, name)
		return
	}
	if t := s.timers[name]; t != nil {
		// Waiting out its back-off: it stays as it last ended.
		t.Stop()
		delete(s.timers, name)
		if c.LastState.Terminated != nil {
			c.State, c.LastState = c.LastState, model.ContainerState{}
		}
		s.save()
	}
	proc := s.procs[name]
	result <- nil
	if proc == nil {
		exited <- control.Reply{Terminated: c.State.Terminated}
		return
	}
	s.noRestart[name] = true
	s.exitReplies[name] = append(s.exitReplies[name], exited)
	s.terminate(name, proc, sig, grace)
}
