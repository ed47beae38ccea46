package podnet

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
)

// helperReadyTimeout bounds a helper's start-up; pasta takes ~10 ms here.
const helperReadyTimeout = 10 * time.Second

// Hooks are what Glue needs of the pod's owner (the supervisor), which
// runs every event of the pod on one goroutine.
type Hooks struct {
	// Post runs a function on the owner's goroutine, from any other.
	Post func(func())
	// Logf writes a line to the pod's supervisor.log.
	Logf func(format string, args ...any)
	// Save writes the pod's state (which holds the NetworkState).
	Save func()
	// Ending says the pod is stopping or has ended: a helper that dies
	// then is not started again.
	Ending func() bool
	// Cgroup opens the cgroup the helper is born in (the pod's _net
	// leaf), or returns nil where podctl has none.
	Cgroup func() *os.File
}

// Glue connects one pod's network namespace to the host: it starts the
// pod's network helper (pasta, slirp4netns, or podctl's own port
// forwarder for --network bridge) once the pause exists, waits for it to
// have configured the namespace, turns its death into a restart with a
// growing pause, and stops it with the pod. All of its methods run on the
// owner's goroutine (Hooks.Post).
type Glue struct {
	pod   string
	dir   string // the pod's state directory
	cfg   netsetup.Config
	state *model.NetworkState // the pod's record, kept up to date here
	hooks Hooks

	pausePID, pauseFD int // the pause, which holds the namespace

	helper *netsetup.Helper // nil without one
	ready  bool             // the helper has configured the namespace
	err    error            // why the helper failed to start, until restarted
	retry  *time.Timer      // a pending restart
	// bridgeAttached: the pod's veth is on the shared bridge.
	bridgeAttached bool
}

// New prepares the glue of pod, whose state directory is dir and whose
// network record is state (updated in place).
func New(pod, dir string, cfg netsetup.Config, state *model.NetworkState, hooks Hooks) *Glue {
	return &Glue{pod: pod, dir: dir, cfg: cfg, state: state, hooks: hooks}
}

// SetPause names the pause that holds the pod's namespaces (pid and pidfd).
func (g *Glue) SetPause(pid, pidfd int) { g.pausePID, g.pauseFD = pid, pidfd }

// Start starts the pod's network helper, once the pause exists; it
// configures the namespace while the first container's init starts, and
// Wait waits for it.
func (g *Glue) Start() error {
	cfg := g.cfg
	var start func() (*netsetup.Helper, error)
	switch {
	case cfg.Mode == netsetup.Bridge:
		// A rootless pod's pause stage plugged it in when it made its
		// network namespace (JoinShared); root's is plugged in here.
		if !g.bridgeAttached && os.Geteuid() == 0 {
			if err := g.attachBridge(); err != nil {
				return fmt.Errorf("network: %w", err)
			}
		}
		g.bridgeAttached = true
		if len(cfg.Ports) == 0 {
			g.ready = true
			return nil
		}
		// Published ports: a forwarder of podctl's own (netsetup/forward.go),
		// watched and restarted like a helper.
		explain.Printf("podctl", "starts the ports stage: host ports bound here, then setns(pidfd, CLONE_NEWUSER|CLONE_NEWNET) into the pod, where it connects each client to 127.0.0.1")
		start = func() (*netsetup.Helper, error) {
			bin, err := images.Binary(netsetup.NetBinary)
			if err != nil {
				return nil, err
			}
			return netsetup.StartForwarder(bin, []string{nsenter.EnvStage + "=" + nsenter.StagePorts}, cfg.Ports, g.pauseFD, filepath.Join(g.dir, netsetup.LogFile))
		}
	case cfg.Mode.Helper() != "":
		explain.Printf("podctl", "starts %s for the pod's network: it joins the pause's user and network namespaces (setns), opens /dev/net/tun there and configures the tap", cfg.Mode.Helper())
		start = func() (*netsetup.Helper, error) {
			// Born in the pod's cgroup (where clone3 can do it): the
			// helper's memory is the pod's.
			var cg *os.File
			if stage.CloneIntoCgroup() {
				cg = g.hooks.Cgroup()
				defer stage.CloseFile(cg)
			}
			return netsetup.Start(cfg, g.pausePID, g.pauseFD, g.dir, cg)
		}
	default:
		return nil
	}
	g.err = nil
	h, err := start()
	if err != nil {
		return err
	}
	g.helper = h
	st, _ := model.ProcStartTime(h.PID)
	g.state.Helper = model.ProcRef{PID: h.PID, StartTime: st}
	return nil
}

// Wait returns once the helper has configured the pod's network; no
// workload starts before (a container's first connection must work).
func (g *Glue) Wait() error {
	if g.err != nil {
		return g.err
	}
	if g.helper == nil || g.ready {
		return nil
	}
	if err := g.helper.Ready(helperReadyTimeout); err != nil {
		g.helper, g.state.Helper = nil, model.ProcRef{}
		g.err = fmt.Errorf("pod %s: network: %w", g.pod, err)
		return g.err
	}
	g.ready = true
	g.watch()
	return nil
}

// Busy says the helper is starting or waits to be restarted: the
// supervisor must stay awake for it (it cannot hibernate).
func (g *Glue) Busy() bool {
	return g.helper != nil && !g.ready || g.retry != nil
}

// HelperPIDFD is the running helper's pidfd, or -1: the keeper holds it
// while the supervisor hibernates.
func (g *Glue) HelperPIDFD() int {
	if g.helper == nil {
		return -1
	}
	return g.helper.PIDFD
}

// Resume takes over the helper of a pod whose supervisor hibernated: its
// pid from the state and its pidfd from the keeper (-1: none).
func (g *Glue) Resume(pidfd int) {
	g.bridgeAttached = g.cfg.Mode == netsetup.Bridge
	if pidfd >= 0 {
		g.helper, g.ready = netsetup.Resume(g.cfg.Mode, g.state.Helper.PID, pidfd), true
		g.watch()
	}
}

// watch turns the helper's death into an event.
func (g *Glue) watch() {
	h := g.helper
	died := func() { g.hooks.Post(func() { g.died(h) }) }
	stage.OnExit(h.PIDFD, died)
}

// died: the helper exited while the pod ran. The pod's processes lost
// their way out (and its published ports) but not their namespace: the
// death is recorded, and a new helper is attached to the same namespace,
// as the kubelet restarts a crashed container.
func (g *Glue) died(h *netsetup.Helper) {
	if g.helper != h || g.hooks.Ending() {
		return
	}
	how := h.Reap()
	g.helper, g.ready = nil, false
	n := g.state
	n.Restarts++
	n.Message = fmt.Sprintf("%s (pid %d) ended (%s) at %s", h.Mode.Helper(), h.PID, how, time.Now().UTC().Format(time.RFC3339))
	n.Down, n.Helper = true, model.ProcRef{}
	// At once the first time; then with a growing pause, so a helper that
	// cannot live is not restarted in a tight loop.
	if n.Restarts > 1 {
		wait := time.Second << min(n.Restarts-2, 8)
		g.hooks.Logf("network: %s; starting it again in %s", n.Message, wait)
		g.retry = time.AfterFunc(wait, func() { g.hooks.Post(g.restart) })
		g.hooks.Save()
		return
	}
	g.hooks.Logf("network: %s; starting it again", n.Message)
	g.restart()
}

// restart attaches a new helper to the pod's namespace.
func (g *Glue) restart() {
	g.retry = nil
	if g.hooks.Ending() || g.helper != nil {
		return
	}
	n := g.state
	if err := g.Start(); err == nil {
		err = g.Wait()
		if err == nil {
			n.Down = false
			n.Message += "; restarted"
		} else {
			n.Message += "; restarting it failed: " + err.Error()
		}
	} else {
		n.Message += "; restarting it failed: " + err.Error()
	}
	g.hooks.Save()
}

// Stop kills the helper and reaps it, so the pod's host ports are free
// before podctl reports the pod gone; a bridge pod's lease is given back.
func (g *Glue) Stop() {
	if g.cfg.Mode == netsetup.Bridge || g.cfg.Mode == netsetup.CNI && os.Getuid() != 0 {
		// (Also after a hibernation, which forgets ready: a lease that
		// is not there is no harm to release.)
		g.ready = false
		ReleaseShared(g.pod)
	}
	if g.retry != nil {
		g.retry.Stop()
		g.retry = nil
	}
	if g.helper == nil {
		return
	}
	ports := len(g.cfg.Ports) > 0
	if ports {
		explain.Printf("podctl", "stops %s (pid %d): pidfd_send_signal(SIGKILL), wait4; its published ports close with it", g.helper.Mode.Helper(), g.helper.PID)
	} else {
		explain.Printf("podctl", "stops %s (pid %d): pidfd_send_signal(SIGKILL)", g.helper.Mode.Helper(), g.helper.PID)
	}
	g.helper.Stop(ports)
	g.helper, g.ready = nil, false
	g.state.Helper = model.ProcRef{}
}
