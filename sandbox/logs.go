package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// LogsOptions are podctl logs' flags.
type LogsOptions struct {
	Container string // empty: the pod's main container
	Follow    bool
	Previous  bool // the run before the current one
	LogReadOptions
}

// Logs prints a container's log: its current run, or with Previous the
// one before (the kubelet keeps both). Follow keeps printing until the
// container stops running.
func Logs(pod string, o LogsOptions, stdout, stderr io.Writer) error {
	st, dir, err := Observe(pod)
	if err != nil {
		return err
	}
	c, err := FindContainer(st, o.Container)
	if err != nil {
		return err
	}
	name, run := c.Spec.Name, c.RestartCount
	if o.Previous {
		if run == 0 {
			return fmt.Errorf("container %s of pod %s has no previous run (it was never restarted)", name, pod)
		}
		run--
	}
	path := logPath(dir, name, run)
	off, err := PrintLog(path, o.LogReadOptions, stdout, stderr)
	if errors.Is(err, os.ErrNotExist) {
		if c.State.Waiting != nil && !o.Previous {
			return fmt.Errorf("container %s of pod %s has not started yet (%s)", name, pod, c.State.Waiting.Reason)
		}
		return fmt.Errorf("the log of container %s of pod %s is gone (%s)", name, pod, path)
	}
	if err != nil || !o.Follow || o.Previous {
		return err
	}
	follow := o.LogReadOptions
	follow.Tail = -1
	return FollowLog(path, off, follow, stdout, stderr, func() bool {
		st, _, err := Observe(pod)
		if err != nil || terminal(st.Phase) || st.Phase == PhaseUnknown {
			return true
		}
		c := st.container(name)
		return c == nil || c.RestartCount != run || c.State.Running == nil
	})
}
