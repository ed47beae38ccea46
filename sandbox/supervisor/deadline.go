package supervisor

import (
	"fmt"
	"time"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"

	"golang.org/x/sys/unix"
)

// ReasonDeadlineExceeded is the pod's reason once its deadline (podctl run
// --timeout; Pod YAML's activeDeadlineSeconds) has passed: Kubernetes'
// word. podctl run then exits 124, as timeout(1) does.
const ReasonDeadlineExceeded = "DeadlineExceeded"

// ExitDeadline is podctl run's exit code for a pod that ran out of time.
const ExitDeadline = 124

// deadline is when the pod must have ended, or zero.
func (s *Supervisor) deadline() time.Time {
	if s.St.Spec.ActiveDeadline <= 0 || s.St.StartTime.IsZero() {
		return time.Time{}
	}
	return s.St.StartTime.Add(s.St.Spec.ActiveDeadline)
}

// armDeadline starts the timer of the pod's deadline. It is armed again
// when a hibernated supervisor resumes; the keeper wakes it in time.
func (s *Supervisor) armDeadline() {
	at := s.deadline()
	if at.IsZero() {
		return
	}
	s.deadlineTimer = time.AfterFunc(time.Until(at), func() { s.Post(s.deadlineExceeded) })
}

// deadlineExceeded stops the pod as Kubernetes does an activeDeadlineSeconds
// that passed: the pod is Failed with reason DeadlineExceeded, and its
// containers get SIGTERM, then SIGKILL after the grace period.
func (s *Supervisor) deadlineExceeded() {
	if s.finished || s.stopping {
		return
	}
	s.St.Reason = ReasonDeadlineExceeded
	s.St.Message = fmt.Sprintf("Pod was active on the node longer than the specified deadline (%s)", s.St.Spec.ActiveDeadline)
	s.logf("deadline of %s exceeded: stopping the pod", s.St.Spec.ActiveDeadline)
	explain.Printf("podctl", "the pod's deadline (%s) has passed: SIGTERM to its containers, SIGKILL %s later", s.St.Spec.ActiveDeadline, model.StopGrace)
	s.Stop(unix.SIGTERM, model.StopGrace, nil)
}
