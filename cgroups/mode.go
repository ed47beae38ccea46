package cgroups

import "golang.org/x/sys/unix"

// Mountpoint is where the cgroup hierarchy is mounted on every distribution
// podctl knows (systemd's choice, and the kernel documentation's).
const Mountpoint = "/sys/fs/cgroup"

// Mode is how the host mounts cgroups.
type Mode int

const (
	// Unified: cgroup v2 alone at /sys/fs/cgroup (every distribution
	// since 2021).
	Unified Mode = iota
	// Hybrid: the controllers are bound to cgroup v1 hierarchies, and a
	// cgroup2 mount at /sys/fs/cgroup/unified holds none of them.
	Hybrid
	// Legacy: cgroup v1 only.
	Legacy
	// Missing: nothing mounted at /sys/fs/cgroup.
	Missing
)

func (m Mode) String() string {
	switch m {
	case Unified:
		return "cgroup v2 (unified)"
	case Hybrid:
		return "hybrid (cgroup v1 controllers; the cgroup v2 at " + Mountpoint + "/unified has none)"
	case Legacy:
		return "cgroup v1 only"
	}
	return "no cgroup file system at " + Mountpoint
}

// DetectMode tells the mode from the file system types at the mountpoints,
// as systemd and runc do (statfs(2) f_type: CGROUP2_SUPER_MAGIC for v2,
// a tmpfs holding v1 hierarchies otherwise).
func DetectMode() Mode {
	var fs unix.Statfs_t
	if unix.Statfs(Mountpoint, &fs) != nil {
		return Missing
	}
	if fs.Type == unix.CGROUP2_SUPER_MAGIC {
		return Unified
	}
	if unix.Statfs(Mountpoint+"/unified", &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid
	}
	if fs.Type == unix.TMPFS_MAGIC {
		return Legacy
	}
	return Missing
}
