package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// NewPod makes the cgroup dir of a pod under the delegation, with the pod's
// own limits r and every delegated controller enabled for its children.
// The caller gives dir a random suffix after the pod's name: a user's pods
// of one name in two state roots, or a pod re-made while the old cgroup
// drains, do not collide.
func (d *Delegation) NewPod(dir string, r Resources) (string, error) {
	if err := d.Prepare(); err != nil {
		return "", err
	}
	return d.makePod(filepath.Join(d.podsDir(), dir), r)
}

// makePod makes a pod's cgroup dir, with the delegated controllers enabled
// for its children and limits r; on an error it is removed again.
func (d *Delegation) makePod(dir string, r Resources) (string, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	err := enable(dir, d.Controllers)
	if err == nil {
		err = Apply(dir, r)
	}
	if err != nil {
		os.Remove(dir)
		return "", err
	}
	return dir, nil
}

// NewPodUnder makes the pod's cgroup dir, with limits r, under parent: a
// cgroup path of the hierarchy (a kubelet's cgroup_parent with the
// cgroupfs driver, e.g. /kubepods/burstable/pod<uid>), made where missing
// with the delegated controllers enabled down to it. The parent must lie
// in the delegated subtree: a rootless podctl may write nowhere else.
func (d *Delegation) NewPodUnder(parent, dir string, r Resources) (string, error) {
	abs := filepath.Join(Mountpoint, filepath.Clean("/"+parent))
	if abs != d.Path && !strings.HasPrefix(abs, d.Path+"/") {
		return "", fmt.Errorf("cgroup parent %s is not in the cgroups delegated to you (%s)", parent, d.Path)
	}
	if abs == d.Path {
		return d.NewPod(dir, r)
	}
	if err := d.Prepare(); err != nil {
		return "", err
	}
	// Each level from the delegation down, made if missing, passes the
	// controllers on (cgroup.subtree_control), so that the pod's has them.
	rel, _ := filepath.Rel(d.Path, abs)
	cur := d.Path
	for _, part := range strings.Split(rel, "/") {
		if err := enable(cur, d.Controllers); err != nil {
			return "", err
		}
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	if err := enable(abs, d.Controllers); err != nil {
		return "", err
	}
	return d.makePod(filepath.Join(abs, dir), r)
}

// NewLeaf makes (or, for a restarted container, reuses) the cgroup name
// under a pod's, with limits r. oomGroup sets memory.oom.group: an OOM
// kill then takes every process of the leaf, so that a container is never
// left half-killed (the kubelet does the same since Kubernetes 1.28).
func NewLeaf(pod, name string, r Resources, oomGroup bool) (string, error) {
	dir := filepath.Join(pod, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	if err := Apply(dir, r); err != nil {
		return "", err
	}
	if oomGroup {
		err := os.WriteFile(filepath.Join(dir, "memory.oom.group"), []byte("1"), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) { // no memory controller: nothing to group
			return "", err
		}
	}
	return dir, nil
}

// OpenDir opens a cgroup directory for clone3's CLONE_INTO_CGROUP (Go's
// SysProcAttr.CgroupFD). The kernel needs a real open directory: an O_PATH
// descriptor is refused.
func OpenDir(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening cgroup %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// Enter moves process pid into the cgroup at dir (the fallback where
// CLONE_INTO_CGROUP is missing).
func Enter(dir string, pid int) error {
	return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(pid)), 0)
}

// Kill kills every process in dir and its descendants at once:
// cgroup.kill (Linux 5.14) sends SIGKILL to the whole subtree, forks in
// flight included, so neither a fork bomb nor a double-forked daemon
// escapes, as a walk over pids could let them. Older kernels get that
// walk, repeated until nothing is left.
func Kill(dir string) error {
	err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
	if !errors.Is(err, os.ErrNotExist) || !exists(dir) {
		return err
	}
	for range 100 {
		pids := procsBelow(dir)
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			unix.Kill(p, unix.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("processes are still being born in %s", dir)
}

// Populated reads cgroup.events: does dir or a descendant hold a process?
func Populated(dir string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false, err
	}
	return strings.Contains(string(data), "populated 1"), nil
}

// Remove kills whatever is left in the cgroup at dir, waits for the
// processes to be gone (a killed process leaves its cgroup only once it
// has exited; rmdir(2) fails with EBUSY until then), and removes dir and
// its descendants, deepest first. A dir already gone is no error.
func Remove(dir string) error {
	if !exists(dir) {
		return nil
	}
	if err := Kill(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		busy, err := Populated(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !busy {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s: processes still there 5 s after cgroup.kill: %v", dir, procsBelow(dir))
		}
		time.Sleep(2 * time.Millisecond)
	}
	return removeTree(dir)
}

// removeTree removes the cgroup directories below and at dir. Their
// files are the kernel's: rmdir alone removes a cgroup (unlink of its
// files is refused).
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && err != unix.ENOENT {
		return fmt.Errorf("removing cgroup %s: %w", dir, err)
	}
	return nil
}

// procsBelow lists the processes in dir and its descendants.
func procsBelow(dir string) []int {
	var pids []int
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range strings.Fields(string(data)) {
			var pid int
			fmt.Sscan(f, &pid)
			pids = append(pids, pid)
		}
		return nil
	})
	return pids
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
