package sandbox

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/model"
)

// NamespaceKinds are the namespaces podctl ns shows, in the order of its
// columns.
var NamespaceKinds = []string{"user", "net", "ipc", "uts", "pid", "mnt", "cgroup"}

// NamespaceRow is one process of a pod and the inode of each of its
// namespaces (the number in /proc/PID/ns/KIND -> "net:[4026532183]").
type NamespaceRow struct {
	Name   string            `json:"name"` // "(pause)", a container's name, or "(host)"
	PID    int               `json:"pid"`
	Inodes map[string]uint64 `json:"inodes"`
}

// Namespaces lists the namespaces of a running pod: the pause's, each
// running container's, and, for comparison, those of podctl itself (the
// host's, as the caller sees them). The pod model at a glance: what every
// container shares with the pause, and what each has of its own.
func Namespaces(ctx context.Context, pod string) ([]NamespaceRow, error) {
	st, _, err := model.Observe(pod)
	if err != nil {
		return nil, err
	}
	if !st.Pause.Alive() {
		return nil, fmt.Errorf("pod %s is not running (%s): its namespaces are gone", pod, model.DisplayStatus(st))
	}
	rows := []NamespaceRow{{Name: "(pause)", PID: st.Pause.PID}}
	for _, c := range st.Containers {
		if c.State.Running != nil && c.Proc.Alive() {
			rows = append(rows, NamespaceRow{Name: c.Spec.Name, PID: c.Proc.PID})
		}
	}
	rows = append(rows, NamespaceRow{Name: "(host)", PID: os.Getpid()})
	for i := range rows {
		rows[i].Inodes = map[string]uint64{}
		for _, kind := range NamespaceKinds {
			l, err := nsOf(rows[i].PID, kind)
			if err != nil {
				return nil, fmt.Errorf("reading the %s namespace of %s (pid %d): %w", kind, rows[i].Name, rows[i].PID, err)
			}
			// "net:[4026532183]"
			n, err := strconv.ParseUint(strings.TrimSuffix(l[strings.IndexByte(l, '[')+1:], "]"), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("reading %s: unexpected %q", kind, l)
			}
			rows[i].Inodes[kind] = n
		}
	}
	return rows, nil
}
