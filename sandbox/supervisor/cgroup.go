package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cgroups"
)

// The pod's cgroup leaves of podctl's own processes. A container's leaf is
// its name, a DNS label: these names, with '_', are never one.
const (
	pauseLeaf = "_pause"
	netLeaf   = "_net"
)

// Delegation is cgroups.Find's answer, asked once per process.
var Delegation = sync.OnceValues(cgroups.Find)

// CheckLimits refuses, before anything is made, limits that cannot be
// enforced here: podctl never runs a pod silently unlimited. pod is the
// pod's own limits, ctrs the containers'.
func CheckLimits(pod cgroups.Resources, ctrs []model.ContainerSpec) error {
	all := []cgroups.Resources{pod}
	for _, c := range ctrs {
		all = append(all, c.Resources)
	}
	for _, r := range all {
		if err := r.Validate(); err != nil {
			return err
		}
		names, flags := r.Controllers()
		if len(names) == 0 {
			continue
		}
		d, err := Delegation()
		if err != nil {
			return fmt.Errorf("%s needs the cgroup v2 %s controller, and podctl has no cgroup here: %w (podctl doctor checks it)", flags[0], names[0], err)
		}
		if c := d.Missing(names); c != "" {
			flag := flags[slices.Index(names, c)]
			return fmt.Errorf("%s needs the cgroup v2 %s controller, which is not delegated to you in %s (delegated: %s); with systemd: a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and log in again",
				flag, c, d.Path, strings.Join(d.Controllers, " "))
		}
	}
	return nil
}

// makeCgroup gives the pod a cgroup (with its own limits) and a leaf for
// the pause, before either exists. Without a delegation it records none,
// after a notice shown once per state root (checkLimits has refused any
// limit already).
func (s *Supervisor) makeCgroup() error {
	d, err := Delegation()
	if err != nil {
		s.cgroupNotice(err)
		return nil
	}
	dir, err := d.NewPod(s.St.Spec.Name, s.St.Spec.Resources)
	if err != nil {
		return fmt.Errorf("creating the pod's cgroup: %w", err)
	}
	s.St.Cgroup = dir
	explain.Printf("podctl", "the pod's cgroup: mkdir %s, controllers %s enabled for its children (cgroup.subtree_control)", dir, strings.Join(d.Controllers, " "))
	for _, leaf := range []string{pauseLeaf, netLeaf} {
		if _, err := cgroups.NewLeaf(dir, leaf, cgroups.Resources{}, false); err != nil {
			s.removeCgroup()
			return err
		}
	}
	return nil
}

// cgroupNotice says, once per state root, that pods run without limits.
func (s *Supervisor) cgroupNotice(why error) {
	root, err := model.StateRoot()
	if err != nil || s.Notices == nil {
		return
	}
	marker := filepath.Join(root, "notice-cgroups")
	f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return // shown before (or the root is unwritable: nothing to say)
	}
	f.Close()
	reason := why.Error()
	var u *cgroups.Unavailable
	if errors.As(why, &u) {
		reason = u.Reason
	}
	fmt.Fprintf(s.Notices, "podctl: notice: pods run without cgroup limits here (%s), and --memory, --cpus and --pids-limit are refused; podctl doctor says how to fix it (shown once)\n", reason)
}

// leaf is the cgroup of a container (or of _pause, _net) of the pod, made
// with limits r if new; "" for a pod without a cgroup.
func (s *Supervisor) leaf(name string, r cgroups.Resources) (string, error) {
	if s.St.Cgroup == "" {
		return "", nil
	}
	dir, err := cgroups.NewLeaf(s.St.Cgroup, name, r, name != pauseLeaf && name != netLeaf)
	if err != nil {
		return "", fmt.Errorf("the cgroup of %s: %w", name, err)
	}
	return dir, nil
}

// containerCgroup opens the leaf of container c for CLONE_INTO_CGROUP and
// remembers the OOM kills counted there so far: an increase during this
// run means the kernel's OOM killer struck it. nil without a cgroup.
func (s *Supervisor) containerCgroup(c *model.ContainerSpec) (*os.File, error) {
	dir, err := s.leaf(c.Name, c.Resources)
	if dir == "" || err != nil {
		return nil, err
	}
	n, _ := cgroups.OOMKills(dir)
	s.oomBase[c.Name] = n
	return cgroups.OpenDir(dir)
}

// oomKilled: did the OOM killer kill a process of container name during
// its last run?
func (s *Supervisor) oomKilled(name string) bool {
	if s.St.Cgroup == "" {
		return false
	}
	n, err := cgroups.OOMKills(filepath.Join(s.St.Cgroup, name))
	return err == nil && n > s.oomBase[name]
}

// killLeaf kills whatever is left in container name's cgroup once its
// main process has exited: with a shared pid namespace a daemon it
// forked would outlive it, re-parented to the pause (the kubelet kills a
// container's whole cgroup too).
func (s *Supervisor) killLeaf(name string) {
	if s.St.Cgroup == "" {
		return
	}
	dir := filepath.Join(s.St.Cgroup, name)
	if busy, err := cgroups.Populated(dir); err == nil && busy {
		explain.Printf("podctl", "container %s's cgroup still holds processes: cgroup.kill", name)
		if err := cgroups.Kill(dir); err != nil {
			s.logf("%v", err)
		}
	}
}

// removeCgroup kills what is left of the pod (cgroup.kill) and removes its
// cgroup.
func (s *Supervisor) removeCgroup() {
	if s.St.Cgroup == "" {
		return
	}
	explain.Printf("podctl", "removes the pod's cgroup: cgroup.kill, then rmdir of each leaf and of %s", s.St.Cgroup)
	if err := cgroups.Remove(s.St.Cgroup); err != nil {
		s.logf("%v", err)
		return
	}
	s.St.Cgroup = ""
}

// cgroupOf opens the pod's leaf name for CLONE_INTO_CGROUP; nil without a
// cgroup (or, after an error, which the start then reports by itself
// failing to find its limits: none were asked for podctl's own leaves).
func (s *Supervisor) cgroupOf(name string) *os.File {
	if s.St.Cgroup == "" {
		return nil
	}
	f, err := cgroups.OpenDir(filepath.Join(s.St.Cgroup, name))
	if err != nil {
		s.logf("%v", err)
		return nil
	}
	return f
}
