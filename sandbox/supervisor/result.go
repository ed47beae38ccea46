package supervisor

import (
	"encoding/json"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// Result is what podctl run --result-file writes when the pod has ended:
// a CI system's record of one step, readable without parsing podctl's
// output.
type Result struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Image     string `json:"image,omitempty"`
	// ExitCode is podctl run's own: the container's, 128+N for a death by
	// signal N, 124 when the deadline passed (as timeout(1)).
	ExitCode int `json:"exitCode"`
	Signal   int `json:"signal,omitempty"`
	// Reason: Completed, Error, DeadlineExceeded, Stopped, StartError,
	// PauseExited (Kubernetes' words where it has them).
	Reason          string    `json:"reason"`
	Message         string    `json:"message,omitempty"`
	StartedAt       time.Time `json:"startedAt"`
	FinishedAt      time.Time `json:"finishedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	// PeakMemoryBytes needs a cgroup v2 memory controller delegated to
	// the user (memory.peak); null where there is none.
	PeakMemoryBytes *int64 `json:"peakMemoryBytes"`
}

// result sums up the pod's main container once the pod has ended.
func (s *Supervisor) result() Result {
	r := Result{Pod: s.St.Spec.Name, StartedAt: s.St.StartTime, FinishedAt: time.Now().UTC(), Reason: s.St.Reason, Message: s.St.Message}
	if m := s.St.MainContainer(); m != nil {
		r.Container = m.Spec.Name
		if m.Spec.Layer != nil {
			r.Image = m.Spec.Layer.ImageName
		}
		switch t := m.State.Terminated; {
		case t != nil:
			r.ExitCode, r.Signal, r.FinishedAt = t.ExitCode, t.Signal, t.FinishedAt
			if !t.StartedAt.IsZero() {
				r.StartedAt = t.StartedAt
			}
			if r.Reason == "" || r.Reason == "Stopped" && t.Reason != "" && t.Signal == 0 {
				r.Reason, r.Message = t.Reason, t.Message
			}
		case m.State.Waiting != nil:
			r.ExitCode, r.Reason, r.Message = 125, model.ReasonStartError, m.State.Waiting.Message
		}
	}
	if s.St.Reason == ReasonDeadlineExceeded {
		r.ExitCode, r.Reason, r.Message = ExitDeadline, s.St.Reason, s.St.Message
	}
	if r.Reason == "" {
		r.Reason = model.ExitReason(r.ExitCode)
	}
	if !r.StartedAt.IsZero() && r.FinishedAt.After(r.StartedAt) {
		r.DurationSeconds = r.FinishedAt.Sub(r.StartedAt).Seconds()
	}
	return r
}

// writeResult writes the result file (--result-file), whole or not at all:
// a temporary file in the same directory, renamed over the name.
func (s *Supervisor) writeResult() {
	path := s.St.Spec.ResultFile
	if path == "" {
		return
	}
	b, _ := json.MarshalIndent(s.result(), "", "  ")
	if err := model.WriteFileAtomic(path, ".podctl-result-*", append(b, '\n')); err != nil {
		s.logf("writing the result file %s: %v", path, err)
	}
}
