package supervisor

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/handler"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/podnet"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/rootfs"
	"golang.org/x/sys/unix"
)

// Supervisor owns one pod on the host side: it made the pause and starts
// every container, so all of them are its children and it alone collects
// their exit statuses. It restarts containers by the pod's restartPolicy,
// runs init containers one by one before the app containers, writes each
// container's output to a CRI log, and records everything in state.json.
//
// It runs inside podctl run (foreground: it is podctl itself, so nothing is
// daemonized and strace -f ends) or as a detached process of its own
// (podctl run -d, podctl pod create; detached.go).
//
// All of its state is owned by one goroutine, loop: other goroutines (exit
// watchers, the control socket, timers, signal handlers) send it closures
// on events, so nothing here needs a lock.
type Supervisor struct {
	dir string
	St  *model.PodState
	// execCard: the run of the main container whose exec card was
	// written, or found not to be wanted (execcard.go).
	execCard model.ProcRef
	pause    *stage.Pause
	ids      idmap.Mapping
	files    []rootfs.BindFile

	// Foreground runs also copy the containers' output here, and with
	// podctl run -i give the first container's first run this stdin.
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Notices        io.Writer
	// Images, if set, fills the containers' specs in from their images
	// (layers.Pending.Finish) while the pod's first steps run; Create
	// fails with its error.
	Images func(cs []*model.ContainerSpec) error

	events   chan func()
	procs    map[string]*stage.Proc // running containers, by name
	backoffs map[string]*model.Backoff
	timers   map[string]*time.Timer // restarts waiting out their back-off
	// deadlineTimer fires at the pod's deadline (deadline.go).
	deadlineTimer *time.Timer
	// evictTimer measures the pod's sized emptyDirs at evictAt
	// (eviction.go); measureLogged: a failed measurement was logged.
	evictTimer    *time.Timer
	evictAt       time.Time
	measureLogged bool
	// exitReplies: who waits for a container to end for good (a
	// foreground podctl run --pod).
	exitReplies map[string][]chan control.Reply
	// startReplies: who waits for the first start of a container (podctl
	// run --pod waits to report an exec failure).
	startReplies map[string][]chan error

	FirstErr    error // why the first container did not start
	creating    bool  // in create: the pod is not complete yet
	detached    bool  // a process of its own (not podctl run in the foreground)
	lockFD      int   // its supervisor.lock, handed to the keeper (-1: none)
	stopping    bool
	stopSignal  unix.Signal
	killTimer   *time.Timer
	stopWaiters []chan error
	pauseLost   string // why the pause died, if it died first
	sigkilled   bool   // a container died of a SIGKILL we did not send
	finished    bool
	done        chan struct{}
	pumps       sync.WaitGroup
	logPumps    []*logPump     // of every container run whose output may still come
	handlers    sync.WaitGroup // control requests being answered
	multi       atomic.Bool    // the pod has several containers: prefix their output
	active      atomic.Int32   // how many, for hibernate
	ctl         *controlServer
	// net: the pod's network helper and its restarts (sandbox/podnet).
	net *podnet.Glue
	// --network bridge: what the pause stage needs of the shared network
	// while the pod is made (rootless; nil for root), and the pod's
	// leased address.
	shared   *stage.SharedNetwork
	bridgeIP string
	// oomBase: memory.events oom_kill of each container's cgroup when its
	// current run started (cgroup.go).
	oomBase map[string]uint64
	// probes: the running probes of each container (probe.go);
	// probeKilled: why a probe killed a container, for its termination.
	probes      map[string]*handler.Probes
	probeKilled map[string]string
	// noRestart: containers stopped by StopContainer, not to be
	// restarted when they exit.
	noRestart map[string]bool
	// sidecarsDone: the app containers are done; sidecars are stopped and
	// not restarted.
	sidecarsDone bool
	// stdins: the write end of each running container's stdin, for
	// podctl attach -i (attachserve.go).
	stdins map[string]*containerIn
	// bypassing: goroutines deciding binds (--port-bypass, sandbox/podnet/bypass.go).
	bypassing atomic.Int32
	// launching: launchAll is recording a batch of started runs.
	launching bool
	// Resize: the window size of a foreground run's tty (Stdin's).
	Resize <-chan model.WindowSize
}

// New prepares the supervisor of a pod to be made in dir (Create) or
// resumed from it (resumeSupervisor).
func New(dir string, spec model.PodSpec) *Supervisor {
	now := time.Now().UTC()
	s := &Supervisor{
		dir: dir,
		St: &model.PodState{Spec: spec, Created: now, BootID: model.BootID(), Phase: model.PhasePending,
			Supervisor: model.ProcRef{PID: os.Getpid()}},
		events:       make(chan func(), 16),
		procs:        map[string]*stage.Proc{},
		backoffs:     map[string]*model.Backoff{},
		timers:       map[string]*time.Timer{},
		startReplies: map[string][]chan error{},
		exitReplies:  map[string][]chan control.Reply{},
		oomBase:      map[string]uint64{},
		probes:       map[string]*handler.Probes{},
		probeKilled:  map[string]string{},
		noRestart:    map[string]bool{},
		stdins:       map[string]*containerIn{},
		done:         make(chan struct{}),
		lockFD:       -1,
	}
	s.net = s.newGlue()
	return s
}

// newGlue prepares the pod's network glue over s.St's network record.
func (s *Supervisor) newGlue() *podnet.Glue {
	return podnet.New(s.St.Spec.Name, s.dir, s.St.Spec.Network, &s.St.Network, podnet.Hooks{
		Post:   s.Post,
		Logf:   s.logf,
		Save:   s.save,
		Ending: func() bool { return s.finished || s.stopping },
		Cgroup: func() *os.File { return s.cgroupOf(podcgroup.NetLeaf) },
	})
}

// Run is the supervisor's loop; it returns once the pod has ended.
func (s *Supervisor) Run() {
	if s.St.Spec.AutoStop && model.Terminal(s.St.Phase) {
		s.finish()
	}
	var idle <-chan time.Time
	after, hibernates := hibernateAfter()
	for !s.finished {
		if s.detached && idle == nil {
			idle = time.After(after)
		}
		select {
		case f := <-s.events:
			f()
			idle = nil
		case <-idle:
			if hibernates {
				s.hibernate() // returns only if it could not
			}
			s.idle()
			idle = make(chan time.Time) // until the next event
		}
	}
	// Let the answers to stop requests reach their callers before the
	// process exits.
	answered := make(chan struct{})
	go func() { s.handlers.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-time.After(time.Second):
	}
}

// Post runs f on the loop goroutine (from any goroutine).
func (s *Supervisor) Post(f func()) {
	select {
	case s.events <- f:
	case <-s.done:
	}
}

// save computes the pod's phase and conditions and writes state.json.
func (s *Supervisor) save() {
	s.status()
	s.countDropped()
	if err := model.WithStateLock(s.dir, func() error { return model.WriteState(s.dir, s.St) }); err != nil {
		s.logf("saving state: %v", err)
		return
	}
	s.syncExecCard()
}

// status computes the pod's phase and conditions from its containers.
func (s *Supervisor) status() {
	s.multi.Store(len(s.St.Containers) > 1)
	phase, initialized, ready := model.ComputePhase(s.St.Containers)
	if s.pauseLost != "" {
		phase, s.St.Reason, s.St.Message = model.PhaseFailed, "PauseExited", s.pauseLost
	}
	if phase == model.PhasePending && len(s.St.Containers) > 0 && initialized {
		s.St.Reason = ""
	}
	s.St.Phase = phase
	s.St.SetConditions(initialized, ready, time.Now().UTC())
}

// logf reports a problem of the supervisor itself: on the terminal in the
// foreground, in supervisor.log when detached.
func (s *Supervisor) logf(format string, args ...any) {
	w := s.Notices
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "podctl: pod %s: "+format+"\n", append([]any{s.St.Spec.Name}, args...)...)
}
