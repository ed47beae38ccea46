package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/model"

	"golang.org/x/sys/unix"
)

// LogsOptions are podctl logs' flags.
type LogsOptions struct {
	Container string // empty: the pod's main container
	Follow    bool
	Previous  bool // the run before the current one
	// Timestamps: each line starts with its record's RFC 3339 time; Tail:
	// only the last Tail lines (<0: all).
	Timestamps bool
	Tail       int
}

// logOpener opens the log files of container c of the pod in dir: beneath
// the pod's directory without following a symlink (model.OpenInPod), unless
// the caller chose the log's path (a CRI server's log directory).
func logOpener(dir string, c *model.ContainerSpec) func(string) (*os.File, error) {
	if c.LogPath != "" {
		return nil
	}
	return func(name string) (*os.File, error) {
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return nil, err
		}
		return model.OpenInPod(dir, rel, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	}
}

// Logs prints a container's log: its current run, or with Previous the
// one before (the kubelet keeps both), each with the files rotation kept
// of it, oldest first. Follow keeps printing until the container stops
// running.
func Logs(ctx context.Context, pod string, o LogsOptions, stdout, stderr io.Writer) error {
	st, dir, err := model.Observe(pod)
	if err != nil {
		return err
	}
	c, err := model.FindContainer(st, o.Container)
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
	path := c.Spec.LogFile(dir, run)
	opts := crilog.ReadOptions{Timestamps: o.Timestamps, Tail: o.Tail, Open: logOpener(dir, &c.Spec)}
	var done func() bool // nil: print what is there
	if o.Follow && !o.Previous {
		done = func() bool {
			if ctx.Err() != nil {
				return true // the caller stopped following
			}
			st, _, err := model.Observe(pod)
			if err != nil || model.Terminal(st.Phase) || st.Phase == model.PhaseUnknown {
				return true
			}
			c := st.Container(name)
			return c == nil || c.RestartCount != run || c.State.Running == nil
		}
	}
	err = crilog.Follow(path, opts, stdout, stderr, done)
	if errors.Is(err, os.ErrNotExist) {
		if c.State.Waiting != nil && !o.Previous {
			return fmt.Errorf("container %s of pod %s has not started yet (%s)", name, pod, c.State.Waiting.Reason)
		}
		return fmt.Errorf("the log of container %s of pod %s is gone (%s)", name, pod, path)
	}
	return err
}
