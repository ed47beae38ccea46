// Package podcgroup is a pod's cgroup: its directory below the user's
// delegation (cgroups.Find), a leaf per container and for podctl's own
// processes (the pause, the network helper), the limits podctl refuses up
// front where no controller is delegated, and the kills that end what a
// container left. Functions take the pod's cgroup directory, "" for a pod
// without one (then they do nothing); the supervisor records it in the
// pod's state.
package podcgroup

import (
	"errors"
	"fmt"
	"io"
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
	PauseLeaf = "_pause"
	NetLeaf   = "_net"
)

// Delegation is cgroups.Find's answer, asked once per process.
var Delegation = sync.OnceValues(cgroups.Find)

// LeaveRoot readies the delegation, if there is one, before this command
// starts any child that must not be in the delegation's root beside it
// (cgroups.Delegation.Prepare): a detached supervisor, a store helper made
// beside the pod. Without a delegation it does nothing.
func LeaveRoot() error {
	d, err := Delegation()
	if err != nil {
		return nil
	}
	if err := d.Prepare(); err != nil {
		return fmt.Errorf("creating the pod's cgroup: %w", err)
	}
	return nil
}

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

// Make gives pod a cgroup (with its own limits r) and leaves for the pause
// and the network helper, before either exists, and returns its directory.
// Without a delegation it returns "", after a notice shown once per state
// root (CheckLimits has refused any limit already). parent, if set, is
// the cgroup the pod's goes under (a CRI sandbox's cgroup_parent), else
// podctl's own subtree of the delegation.
func Make(pod, parent string, r cgroups.Resources, notices io.Writer) (string, error) {
	d, err := Delegation()
	if err != nil {
		notice(err, notices)
		return "", nil
	}
	name := pod + "-" + model.RandomHex(4)
	var dir string
	if parent != "" {
		dir, err = d.NewPodUnder(parent, name, r)
	} else {
		dir, err = d.NewPod(name, r)
	}
	if err != nil {
		return "", fmt.Errorf("creating the pod's cgroup: %w", err)
	}
	explain.Printf("podctl", "the pod's cgroup: mkdir %s, controllers %s enabled for its children (cgroup.subtree_control)", dir, strings.Join(d.Controllers, " "))
	for _, leaf := range []string{PauseLeaf, NetLeaf} {
		if _, err := cgroups.NewLeaf(dir, leaf, cgroups.Resources{}, false); err != nil {
			cgroups.Remove(dir)
			return "", err
		}
	}
	return dir, nil
}

// notice says, once per state root, that pods run without limits.
func notice(why error, notices io.Writer) {
	root, err := model.StateRoot()
	if err != nil || notices == nil {
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
	fmt.Fprintf(notices, "podctl: notice: pods run without cgroup limits here (%s), and --memory, --cpus and --pids-limit are refused; podctl doctor says how to fix it (shown once)\n", reason)
}

// OpenContainer makes (if new, with limits r) and opens the leaf of
// container name for CLONE_INTO_CGROUP, with the OOM kills counted there
// so far: an increase during the run means the kernel's OOM killer struck
// it (OOMKilled). nil without a cgroup.
func OpenContainer(dir, name string, r cgroups.Resources) (*os.File, uint64, error) {
	if dir == "" {
		return nil, 0, nil
	}
	leaf, err := cgroups.NewLeaf(dir, name, r, true)
	if err != nil {
		return nil, 0, fmt.Errorf("the cgroup of %s: %w", name, err)
	}
	n, _ := cgroups.OOMKills(leaf)
	f, err := cgroups.OpenDir(leaf)
	return f, n, err
}

// OOMKilled: did the OOM killer kill a process of container name since
// its leaf counted base kills?
func OOMKilled(dir, name string, base uint64) bool {
	if dir == "" {
		return false
	}
	n, err := cgroups.OOMKills(filepath.Join(dir, name))
	return err == nil && n > base
}

// KillLeaf kills whatever is left in container name's cgroup once its
// main process has exited: with a shared pid namespace a daemon it
// forked would outlive it, re-parented to the pause (the kubelet kills a
// container's whole cgroup too).
func KillLeaf(dir, name string) error {
	if dir == "" {
		return nil
	}
	leaf := filepath.Join(dir, name)
	if busy, err := cgroups.Populated(leaf); err == nil && busy {
		explain.Printf("podctl", "container %s's cgroup still holds processes: cgroup.kill", name)
		return cgroups.Kill(leaf)
	}
	return nil
}

// Remove kills what is left of the pod (cgroup.kill) and removes its
// cgroup.
func Remove(dir string) error {
	if dir == "" {
		return nil
	}
	explain.Printf("podctl", "removes the pod's cgroup: cgroup.kill, then rmdir of each leaf and of %s", dir)
	return cgroups.Remove(dir)
}

// Open opens the pod's leaf name for CLONE_INTO_CGROUP; nil without a
// cgroup.
func Open(dir, name string) (*os.File, error) {
	if dir == "" {
		return nil, nil
	}
	return cgroups.OpenDir(filepath.Join(dir, name))
}
