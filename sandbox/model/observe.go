package model

import (
	"fmt"
	"time"
)

// Observe reads the state of pod name and corrects it with what is true
// now. state.json says what the supervisor last wrote; if the supervisor was
// killed (kill -9 leaves it no time to write anything), or the machine
// rebooted, the file still says Running. Observe checks the supervisor's
// lock and the pause's pid and start time, and reports what really happened.
func Observe(name string) (*PodState, string, error) {
	st, dir, err := ReadState(name)
	if err != nil {
		return nil, dir, err
	}
	observe(st, dir)
	return st, dir, nil
}

// observe corrects st (read from dir) in memory; it never writes.
func observe(st *PodState, dir string) {
	if Terminal(st.Phase) || st.Phase == PhaseUnknown {
		return
	}
	if st.BootID != BootID() {
		st.markLost("NodeRebooted", "the machine rebooted since this pod ran; its processes are gone")
		return
	}
	if SupervisorAlive(dir) {
		return
	}
	// The supervisor may have recorded the pod's end and exited between
	// our read of state.json and the look at its lock: what it wrote last
	// is what happened, so read the file again now that it is gone.
	if fresh, err := ReadStateFile(dir); err == nil {
		*st = *fresh
		if Terminal(st.Phase) || st.Phase == PhaseUnknown {
			return
		}
	}
	if st.Pause.Alive() {
		st.Phase, st.Reason = PhaseUnknown, "SupervisorLost"
		st.Message = fmt.Sprintf("the pod's supervisor (pid %d) is gone, so nothing watches or restarts its containers; podctl rm -f %s removes the pod", st.Supervisor.PID, st.Spec.Name)
		for i := range st.Containers {
			c := &st.Containers[i]
			if c.State.Running != nil && !c.Proc.Alive() {
				c.MarkUnknown()
			}
		}
		return
	}
	st.markLost("PodLost", fmt.Sprintf("the pod's supervisor (pid %d) and pause (pid %d) are gone without recording an end", st.Supervisor.PID, st.Pause.PID))
}

// markLost sets a pod whose processes are all gone to Failed, with reason.
func (st *PodState) markLost(reason, msg string) {
	st.Phase, st.Reason, st.Message = PhaseFailed, reason, msg
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.State.Terminated == nil {
			c.MarkUnknown()
		}
	}
	st.SetConditions(false, false, time.Now().UTC())
}

// MarkUnknown records that a container's process is gone and its exit
// status was never collected (the kubelet's ContainerStatusUnknown).
func (c *ContainerStatus) MarkUnknown() {
	var started time.Time
	if c.State.Running != nil {
		started = c.State.Running.StartedAt
	}
	c.State = ContainerState{Terminated: &StateTerminated{
		ExitCode: 137, Reason: "ContainerStatusUnknown", StartedAt: started, FinishedAt: time.Now().UTC(),
		Message: "the container's process is gone and nobody collected its exit status",
	}}
	c.Ready, c.Proc = false, ProcRef{}
}

// SetConditions records the pod's conditions, keeping each one's last
// transition time unless its status changed.
func (st *PodState) SetConditions(initialized, ready bool, now time.Time) {
	want := []struct {
		typ string
		ok  bool
	}{{"Initialized", initialized}, {"ContainersReady", ready}, {"Ready", ready}}
	var out []Condition
	for _, w := range want {
		status := "False"
		if w.ok {
			status = "True"
		}
		c := Condition{Type: w.typ, Status: status, LastTransitionTime: now}
		for _, old := range st.Conditions {
			if old.Type == w.typ && old.Status == status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	st.Conditions = out
}

// Condition returns the status ("True" or "False") of the pod condition typ.
func (st *PodState) Condition(typ string) string {
	for _, c := range st.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return "False"
}
