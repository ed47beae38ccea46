package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
)

// helperReadyTimeout bounds a helper's start-up; pasta takes ~10 ms here.
const helperReadyTimeout = 10 * time.Second

// startNetwork starts the pod's network helper, once the pause exists; it
// configures the namespace while the first container's init starts, and
// waitNetwork waits for it (loop goroutine).
func (s *Supervisor) startNetwork() error {
	cfg := s.St.Spec.Network
	var start func() (*netsetup.Helper, error)
	switch {
	case cfg.Mode == netsetup.Bridge:
		if !s.bridgeAttached {
			if err := s.attachBridge(); err != nil {
				return fmt.Errorf("network: %w", err)
			}
			s.bridgeAttached = true
		}
		if len(cfg.Ports) == 0 {
			s.netReady = true
			return nil
		}
		// Published ports: a forwarder of podctl's own (netsetup/forward.go),
		// watched and restarted like a helper.
		explain.Printf("podctl", "starts the ports stage: host ports bound here, then setns(pidfd, CLONE_NEWUSER|CLONE_NEWNET) into the pod, where it connects each client to 127.0.0.1")
		start = func() (*netsetup.Helper, error) {
			return netsetup.StartForwarder(stage.SelfExe, []string{nsenter.EnvStage + "=" + nsenter.StagePorts}, cfg.Ports, s.pause.Pidfd, filepath.Join(s.dir, netsetup.LogFile))
		}
	case cfg.Mode.Helper() != "":
		explain.Printf("podctl", "starts %s for the pod's network: it joins the pause's user and network namespaces (setns), opens /dev/net/tun there and configures the tap", cfg.Mode.Helper())
		start = func() (*netsetup.Helper, error) {
			// Born in the pod's cgroup (where clone3 can do it): the
			// helper's memory is the pod's.
			var cg *os.File
			if stage.CloneIntoCgroup() {
				cg = s.cgroupOf(netLeaf)
				defer stage.CloseFile(cg)
			}
			return netsetup.Start(cfg, s.pause.Pid, s.pause.Pidfd, s.dir, cg)
		}
	default:
		return nil
	}
	s.netErr = nil
	h, err := start()
	if err != nil {
		return err
	}
	s.net = h
	st, _ := model.ProcStartTime(h.PID)
	s.St.Network.Helper = model.ProcRef{PID: h.PID, StartTime: st}
	return nil
}

// waitNetwork returns once the helper has configured the pod's network;
// no workload starts before (a container's first connection must work).
func (s *Supervisor) waitNetwork() error {
	if s.netErr != nil {
		return s.netErr
	}
	if s.net == nil || s.netReady {
		return nil
	}
	if err := s.net.Ready(helperReadyTimeout); err != nil {
		s.net, s.St.Network.Helper = nil, model.ProcRef{}
		s.netErr = fmt.Errorf("pod %s: network: %w", s.St.Spec.Name, err)
		return s.netErr
	}
	s.netReady = true
	s.watchNetwork()
	return nil
}

// watchNetwork turns the helper's death into an event.
func (s *Supervisor) watchNetwork() {
	h := s.net
	died := func() { s.Post(func() { s.networkDied(h) }) }
	if err := watchExit(h.PIDFD, died); err != nil {
		go func() {
			stage.AwaitExit(h.PIDFD)
			died()
		}()
	}
}

// networkDied: the helper exited while the pod ran. The pod's processes
// lost their way out (and its published ports) but not their namespace:
// the death is recorded, and a new helper is attached to the same
// namespace, as the kubelet restarts a crashed container.
func (s *Supervisor) networkDied(h *netsetup.Helper) {
	if s.net != h || s.finished || s.stopping {
		return
	}
	how := h.Reap()
	s.net, s.netReady = nil, false
	n := &s.St.Network
	n.Restarts++
	n.Message = fmt.Sprintf("%s (pid %d) ended (%s) at %s", h.Mode.Helper(), h.PID, how, time.Now().UTC().Format(time.RFC3339))
	n.Down, n.Helper = true, model.ProcRef{}
	// At once the first time; then with a growing pause, so a helper that
	// cannot live is not restarted in a tight loop.
	if n.Restarts > 1 {
		wait := time.Second << min(n.Restarts-2, 8)
		s.logf("network: %s; starting it again in %s", n.Message, wait)
		s.netRetry = time.AfterFunc(wait, func() { s.Post(s.restartNetwork) })
		s.save()
		return
	}
	s.logf("network: %s; starting it again", n.Message)
	s.restartNetwork()
}

// restartNetwork attaches a new helper to the pod's namespace.
func (s *Supervisor) restartNetwork() {
	s.netRetry = nil
	if s.finished || s.stopping || s.net != nil {
		return
	}
	n := &s.St.Network
	if err := s.startNetwork(); err == nil {
		err = s.waitNetwork()
		if err == nil {
			n.Down = false
			n.Message += "; restarted"
		} else {
			n.Message += "; restarting it failed: " + err.Error()
		}
	} else {
		n.Message += "; restarting it failed: " + err.Error()
	}
	s.save()
}

// stopNetwork kills the helper and reaps it, so the pod's host ports are
// free before podctl reports the pod gone.
func (s *Supervisor) stopNetwork() {
	if s.St.Spec.Network.Mode == netsetup.Bridge {
		// (Also after a hibernation, which forgets netReady: a lease
		// that is not there is no harm to release.)
		s.netReady = false
		ReleaseSharedNetwork(s.St.Spec.Name)
	}
	if s.netRetry != nil {
		s.netRetry.Stop()
		s.netRetry = nil
	}
	if s.net == nil {
		return
	}
	ports := len(s.St.Spec.Network.Ports) > 0
	if ports {
		explain.Printf("podctl", "stops %s (pid %d): pidfd_send_signal(SIGKILL), wait4; its published ports close with it", s.net.Mode.Helper(), s.net.PID)
	} else {
		explain.Printf("podctl", "stops %s (pid %d): pidfd_send_signal(SIGKILL)", s.net.Mode.Helper(), s.net.PID)
	}
	s.net.Stop(ports)
	s.net, s.netReady = nil, false
	s.St.Network.Helper = model.ProcRef{}
}
