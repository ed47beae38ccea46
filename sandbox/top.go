package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
)

// Process is one process of a pod, as podctl top lists it.
type Process struct {
	Container string // "(pause)" for the pause
	HostPID   int
	PodPID    int    // its pid inside its pid namespace
	UID       int64  // its uid inside the pod's user namespace (-1: unmapped)
	Command   string // argv joined with spaces
}

// Top lists the processes of a running pod. It finds them the way the
// kernel groups them: a process belongs to the pod if it is in the pod's
// pid namespace (or a container's own one), and to the container whose
// mount namespace it is in.
func Top(ctx context.Context, pod string) ([]Process, error) {
	st, _, err := model.Observe(pod)
	if err != nil {
		return nil, err
	}
	if !st.Pause.Alive() {
		return nil, fmt.Errorf("pod %s is not running (%s)", pod, model.DisplayStatus(st))
	}
	pidNS := map[string]bool{}
	mntNS := map[string]string{}
	if ns, err := nsOf(st.Pause.PID, "pid"); err == nil {
		pidNS[ns] = true
	}
	if ns, err := nsOf(st.Pause.PID, "mnt"); err == nil {
		mntNS[ns] = "(pause)"
	}
	for _, c := range st.Containers {
		if c.State.Running == nil || !c.Proc.Alive() {
			continue
		}
		if ns, err := nsOf(c.Proc.PID, "pid"); err == nil {
			pidNS[ns] = true
		}
		if ns, err := nsOf(c.Proc.PID, "mnt"); err == nil {
			mntNS[ns] = c.Spec.Name
		}
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns, err := nsOf(pid, "pid")
		if err != nil || !pidNS[ns] {
			continue
		}
		p := Process{HostPID: pid, Container: "?", UID: -1}
		if mnt, err := nsOf(pid, "mnt"); err == nil && mntNS[mnt] != "" {
			p.Container = mntNS[mnt]
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				switch {
				case len(f) > 1 && f[0] == "NSpid:":
					p.PodPID, _ = strconv.Atoi(f[len(f)-1])
				case len(f) > 1 && f[0] == "Uid:":
					host, _ := strconv.ParseUint(f[1], 10, 32)
					p.UID = toInside(st.IDMap.UIDs, uint32(host))
				}
			}
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil {
			p.Command = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostPID < out[j].HostPID })
	return out, nil
}

// nsOf reads the namespace link of kind for pid ("pid:[4026531836]").
func nsOf(pid int, kind string) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
}

// toInside maps a host id to the pod's, or -1 if the pod does not map it.
func toInside(ranges []idmap.Range, host uint32) int64 {
	for _, r := range ranges {
		if host >= r.Outside && host-r.Outside < r.Count {
			return int64(r.Inside + host - r.Outside)
		}
	}
	return -1
}
