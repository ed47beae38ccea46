package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// ErrWaitTimeout is returned by Wait when the timeout passes first.
var ErrWaitTimeout = errors.New("timed out")

// WaitFor is what podctl wait waits for: "condition=Ready" (any pod
// condition), "phase=Succeeded" (any phase), or "" for the pod's end.
type WaitFor struct {
	Condition, Phase string
}

// ParseWaitFor parses --for as kubectl wait spells it.
func ParseWaitFor(s string) (WaitFor, error) {
	if s == "" {
		return WaitFor{}, nil
	}
	k, v, _ := strings.Cut(s, "=")
	switch strings.ToLower(k) {
	case "condition":
		for _, c := range []string{"Initialized", "ContainersReady", "Ready"} {
			if strings.EqualFold(v, c) {
				return WaitFor{Condition: c}, nil
			}
		}
		return WaitFor{}, fmt.Errorf("--for %q: the pod conditions are Initialized, ContainersReady and Ready", s)
	case "phase", "jsonpath={.status.phase}":
		for _, p := range []string{model.PhasePending, model.PhaseRunning, model.PhaseSucceeded, model.PhaseFailed, model.PhaseUnknown} {
			if strings.EqualFold(v, p) {
				return WaitFor{Phase: p}, nil
			}
		}
		return WaitFor{}, fmt.Errorf("--for %q: the phases are Pending, Running, Succeeded, Failed and Unknown", s)
	}
	return WaitFor{}, fmt.Errorf("--for %q: use condition=NAME or phase=NAME", s)
}

// Wait polls the pod's state until w holds, and returns that state. A pod
// that has ended without w holding is an error (it never will), and so is
// the timeout (0: none).
func Wait(ctx context.Context, pod string, w WaitFor, timeout time.Duration) (*model.PodState, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		st, _, err := model.Observe(pod)
		if err != nil {
			return nil, err
		}
		ended := model.Terminal(st.Phase) || st.Phase == model.PhaseUnknown
		switch {
		case w.Condition != "" && st.Condition(w.Condition) == "True",
			w.Phase != "" && st.Phase == w.Phase,
			w == WaitFor{} && ended:
			return st, nil
		case ended:
			return st, fmt.Errorf("pod %s ended (%s) without %s", pod, model.DisplayStatus(st), w)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return st, fmt.Errorf("%w after %s waiting for %s of pod %s (it is %s)", ErrWaitTimeout, timeout, w, pod, model.DisplayStatus(st))
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (w WaitFor) String() string {
	switch {
	case w.Condition != "":
		return "condition=" + w.Condition
	case w.Phase != "":
		return "phase=" + w.Phase
	}
	return "its end"
}
