package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"

	"github.com/podctl/podctl/cgroups"
)

// StatsSample is one container's cgroup counters at one instant (podctl
// stats). CPU % needs two samples: cpu.stat's usage_usec is cumulative.
type StatsSample struct {
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	At        time.Time `json:"-"`
	cgroups.Stats
}

// Stats samples the running containers of the named pods (every
// running pod with a cgroup when none is named). A named pod that is not
// running, or has no cgroup, is an error that says why.
func Stats(ctx context.Context, names []string) ([]StatsSample, error) {
	all := len(names) == 0
	if all {
		var err error
		if names, err = model.ListPods(); err != nil {
			return nil, err
		}
	}
	var out []StatsSample
	for _, name := range names {
		st, _, err := model.Observe(name)
		if err != nil {
			if all {
				continue
			}
			return nil, err
		}
		if model.Terminal(st.Phase) || st.Pause.PID == 0 {
			if all {
				continue
			}
			return nil, fmt.Errorf("pod %s is not running (%s)", name, st.Phase)
		}
		if st.Cgroup == "" {
			if all {
				continue
			}
			why := "podctl had no cgroup when it was made"
			if _, err := podcgroup.Delegation(); err != nil {
				why = err.Error()
			}
			return nil, fmt.Errorf("pod %s has no cgroup to read: %s", name, why)
		}
		for _, c := range st.Containers {
			if c.State.Running == nil {
				continue
			}
			s, err := cgroups.ReadStats(filepath.Join(st.Cgroup, c.Spec.Name))
			if errors.Is(err, os.ErrNotExist) {
				continue // it ended meanwhile
			}
			if err != nil {
				return nil, err
			}
			out = append(out, StatsSample{Pod: name, Container: c.Spec.Name, At: time.Now(), Stats: s})
		}
	}
	if !all && len(out) == 0 && len(names) > 0 {
		return nil, fmt.Errorf("no running container in %v", names)
	}
	return out, nil
}

// CPUPercent is the CPU used between two samples of one container, in
// percent of one CPU (200% is two CPUs busy), as docker and podman show it.
func CPUPercent(prev, cur StatsSample) float64 {
	wall := cur.At.Sub(prev.At).Microseconds()
	if wall <= 0 || cur.CPUUsageUsec < prev.CPUUsageUsec {
		return 0
	}
	return float64(cur.CPUUsageUsec-prev.CPUUsageUsec) / float64(wall) * 100
}
