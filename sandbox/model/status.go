package model

import (
	"fmt"
	"time"
)

// The status types follow Kubernetes' core/v1 PodStatus and ContainerStatus
// field by field (same names, same meanings), so that what podctl inspect
// prints reads like kubectl get pod -o json.

// Pod phases (Kubernetes' PodPhase).
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	PhaseUnknown   = "Unknown"
)

// Container state reasons, as the kubelet reports them.
const (
	ReasonCompleted         = "Completed"
	ReasonError             = "Error"
	ReasonOOMKilled         = "OOMKilled"
	ReasonContainerCreating = "ContainerCreating"
	// ReasonCreated: a container made by the pod API's CreateContainer,
	// which waits for StartContainer (CRI's CONTAINER_CREATED).
	ReasonCreated          = "Created"
	ReasonPodInitializing  = "PodInitializing"
	ReasonCrashLoopBackOff = "CrashLoopBackOff"
	ReasonStartError       = "StartError"
)

// ContainerState is exactly one of Waiting, Running or Terminated.
type ContainerState struct {
	Waiting    *StateWaiting    `json:"waiting,omitempty"`
	Running    *StateRunning    `json:"running,omitempty"`
	Terminated *StateTerminated `json:"terminated,omitempty"`
}

type StateWaiting struct {
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

type StateRunning struct {
	StartedAt time.Time `json:"startedAt"`
}

type StateTerminated struct {
	ExitCode   int       `json:"exitCode"`
	Signal     int       `json:"signal,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Message    string    `json:"message,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
}

// Condition is a pod condition: Initialized, ContainersReady, Ready.
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"` // "True" or "False"
	Reason             string    `json:"reason,omitempty"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// ContainerStatus is a container of a pod: its spec, its state now, the
// state of its previous run, and the process that runs it.
type ContainerStatus struct {
	Spec ContainerSpec `json:"spec"`
	// CreatedAt: when the pod took the container (a CRI container's
	// created_at).
	CreatedAt    time.Time      `json:"createdAt,omitempty"`
	State        ContainerState `json:"state"`
	LastState    ContainerState `json:"lastState"`
	Ready        bool           `json:"ready"`
	RestartCount int            `json:"restartCount"`
	// Started: running, and past its startup probe (if any), as
	// Kubernetes' containerStatuses[].started.
	Started bool `json:"started"`
	// The workload's process on the host while it runs: pid and start
	// time identify it even after the pid is recycled.
	Proc ProcRef `json:"process,omitempty"`
	// Restart is podctl's own record of the crash back-off (not a
	// Kubernetes field), kept here so that a supervisor resumed from its
	// keeper (sandbox/supervisor/hibernate.go) carries on with it.
	Restart *RestartInfo `json:"restart,omitempty"`
	// LogDroppedBytes: output not logged because the log's filesystem was
	// down to its reserve (sandbox/crilog/room.go), all runs together.
	LogDroppedBytes int64 `json:"logDroppedBytes,omitempty"`
}

// RestartInfo: the delay before the next crash restart, and when the
// restart that is waiting out its back-off is due.
type RestartInfo struct {
	Backoff time.Duration `json:"backoffNs"`
	At      time.Time     `json:"at,omitempty"`
}

// ProcRef names one process for as long as it lives: its pid and its start
// time (field 22 of /proc/PID/stat).
type ProcRef struct {
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"startTime,omitempty"`
}

// Alive says whether the process still runs (on this boot, which the
// caller has checked): a zombie, which has ended and waits to be reaped,
// does not.
func (r ProcRef) Alive() bool {
	if r.PID <= 0 {
		return false
	}
	f, err := procStat(r.PID) // one read: its start time and its state
	if err != nil || f[0] == "Z" || f[0] == "X" {
		return false
	}
	t, err := statNumber(f, 22)
	return err == nil && t == r.StartTime
}

// Terminal says whether a phase is final.
func Terminal(phase string) bool {
	return phase == PhaseSucceeded || phase == PhaseFailed
}

// ComputePhase derives the pod phase and conditions from its containers,
// by Kubernetes' rules (the kubelet's getPhase). A Terminated state is
// final here: a container that will be restarted is Running again or
// Waiting in back-off (with its last run in LastState).
//   - Pending until every init container has succeeded and every app
//     container has started at least once;
//   - Running while an app container runs or is about to be restarted;
//   - Succeeded when every app container terminated with 0, Failed when
//     they all terminated and one of them failed; an init container that
//     failed for good fails the pod.
func ComputePhase(cs []ContainerStatus) (phase string, initialized, ready bool) {
	initialized = true
	for i := range cs {
		c := &cs[i]
		if !c.Spec.Init {
			continue
		}
		if c.Spec.Sidecar {
			// Initialized once it has started (a later restart does not
			// undo that); it never fails the pod.
			if !(c.State.Running != nil && c.Started) && c.RestartCount == 0 {
				initialized = false
			}
			continue
		}
		if t := c.State.Terminated; t != nil && t.ExitCode == 0 {
			continue
		} else if t != nil {
			return PhaseFailed, false, false
		}
		initialized = false
	}
	apps, running, waiting, failed := 0, 0, 0, 0
	ready = initialized
	for i := range cs {
		c := &cs[i]
		if c.Spec.Sidecar && !c.Ready {
			ready = false // a pod is Ready when its sidecars are too
		}
		if c.Spec.Init {
			continue
		}
		apps++
		if !c.Ready {
			ready = false
		}
		switch {
		case c.State.Running != nil:
			running++
		case c.State.Waiting != nil && c.LastState.Terminated != nil:
			running++ // in crash back-off: the pod still runs
		case c.State.Waiting != nil:
			waiting++
		case c.State.Terminated.ExitCode != 0:
			failed++
		}
	}
	switch {
	case !initialized || apps == 0 || waiting > 0:
		return PhasePending, initialized, false
	case running > 0:
		return PhaseRunning, true, ready
	case failed > 0:
		return PhaseFailed, true, false
	}
	return PhaseSucceeded, true, false
}

// ExitReason is the reason of a Terminated state, from the exit code.
func ExitReason(code int) string {
	if code == 0 {
		return ReasonCompleted
	}
	return ReasonError
}

// DisplayStatus is the one-word STATUS column of podctl ps, computed as
// kubectl get pods computes it: the pod's reason if it has one, else the
// most telling container state (Init:1/2, CrashLoopBackOff, Completed,
// Error), else the phase.
func DisplayStatus(st *PodState) string {
	if st.Reason != "" && (Terminal(st.Phase) || st.Phase == PhaseUnknown) {
		return st.Reason
	}
	status := st.Phase
	inits, initDone := 0, 0
	var initStatus string
	for _, c := range st.Containers {
		if !c.Spec.Init {
			continue
		}
		inits++
		switch {
		case c.Spec.Sidecar && (c.Started || c.RestartCount > 0):
			initDone++ // a sidecar that has started is done initializing
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			initDone++
		case initStatus != "":
		case c.State.Terminated != nil:
			initStatus = "Init:" + c.State.Terminated.Reason
		case c.State.Waiting != nil && c.State.Waiting.Reason == ReasonCrashLoopBackOff:
			initStatus = "Init:" + ReasonCrashLoopBackOff
		}
	}
	if initDone < inits {
		if initStatus != "" {
			return initStatus
		}
		return fmt.Sprintf("Init:%d/%d", initDone, inits)
	}
	for i := len(st.Containers) - 1; i >= 0; i-- {
		c := st.Containers[i]
		if c.Spec.Init {
			continue
		}
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			status = c.State.Waiting.Reason
		case c.State.Terminated != nil && c.State.Terminated.Reason != "":
			status = c.State.Terminated.Reason
		case c.State.Terminated != nil && c.State.Terminated.Signal != 0:
			status = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
		case c.State.Terminated != nil:
			status = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
		}
	}
	if status == PhaseRunning || st.Phase == PhaseRunning && st.Condition("Ready") == "True" {
		return PhaseRunning
	}
	return status
}

// ReadyCount is the READY column: ready app containers (and sidecars, as
// kubectl counts them) / their number.
func ReadyCount(st *PodState) (ready, total int) {
	for _, c := range st.Containers {
		if c.Spec.Init && !c.Spec.Sidecar {
			continue
		}
		total++
		if c.Ready {
			ready++
		}
	}
	return ready, total
}

// Restarts is the RESTARTS column: the sum over the pod's containers.
func Restarts(st *PodState) int {
	n := 0
	for _, c := range st.Containers {
		n += c.RestartCount
	}
	return n
}

// StateWord is a container's state as one word with its reason.
func (c *ContainerStatus) StateWord() string {
	switch {
	case c.State.Running != nil:
		return "Running"
	case c.State.Waiting != nil:
		return "Waiting (" + c.State.Waiting.Reason + ")"
	case c.State.Terminated != nil:
		return fmt.Sprintf("Terminated (%s, exit %d)", c.State.Terminated.Reason, c.State.Terminated.ExitCode)
	}
	return "Unknown"
}

// Created says the container was made by CreateContainer and waits for
// StartContainer.
func (c *ContainerStatus) Created() bool {
	return c.State.Waiting != nil && c.State.Waiting.Reason == ReasonCreated
}
