// Package rootfs plans a container's root filesystem: the mounts of /proc,
// /sys, /dev, the masked and read-only paths, the pod's /etc files and the
// user's volumes, in the order the container's init (nsenter/init.c)
// carries them out in its own mount namespace before it pivots into the
// rootfs. It makes no system call: every path inside the rootfs is
// resolved there, by the init, from a descriptor of the root with
// openat2(2) and RESOLVE_IN_ROOT (nsenter/initfs.c), so that a symlink of
// the image's cannot point a mount outside it (CVE-2019-16884,
// CVE-2021-30465).
package rootfs

import (
	"fmt"
	"path"
	"strconv"

	"golang.org/x/sys/unix"
)

// BindFile is a host file bind-mounted into the container (the pod's
// /etc/hostname, /etc/hosts, /etc/resolv.conf).
type BindFile struct {
	Source string // on the host
	Target string // inside the rootfs
}

// Spec says what the plan builds.
type Spec struct {
	Root  string // the rootfs directory on the host (or the layer's mount point)
	Files []BindFile
	// PtsGID is the gid of the "tty" group for /dev/pts (5 in Debian's and
	// most images), or -1 when the user namespace does not map it.
	PtsGID int
	// Unmasked leaves MaskedPaths and ReadonlyPaths alone (--privileged);
	// else the caller's lists, when given, replace them (a CRI
	// container's masked_paths and readonly_paths).
	Unmasked                   bool
	MaskedPaths, ReadonlyPaths []string
	// Mounts: the user's volumes and tmpfs, in order, after everything
	// else. ReadOnly makes the root read-only once they are in place.
	Mounts   []Mount
	ReadOnly bool
	// Cwd, if set, is made (as a Dockerfile's WORKDIR) before the root
	// turns read-only, as runc makes it: a read-only root with a working
	// directory the image lacks still starts.
	Cwd string
	// CgroupV2: the host's /sys/fs/cgroup is cgroup2, so the container
	// gets its own cgroup there (CgroupV2Host tells).
	CgroupV2 bool
	// HostIPC: the pod is in the host's IPC namespace, so /dev/shm and
	// /dev/mqueue are the host's (bound), not filesystems of its own;
	// HostMqueue: the host has a /dev/mqueue to bind (HostMqueue tells).
	HostIPC, HostMqueue bool
	// HostPID: the pod is in the host's PID namespace, whose proc a user
	// namespace may not mount (proc(5)): the host's /proc is bound.
	HostPID bool
	// ImageVolumes: images mounted read-only, after the user's mounts.
	ImageVolumes []ImageVolume
}

// ImageVolume is an image's layer, mounted at Root by the time the steps
// run, of which SubPath ("" for all of it) goes on Target read-only.
type ImageVolume struct {
	Root, SubPath, Target string
}

// Step is one operation of the init's plan and its arguments (the table in
// nsenter/initplan.c says what each does).
type Step []string

// Plan lists the steps that turn the init's mount namespace (a copy of
// the host's made by unshare(CLONE_NEWNS), where the init is root of the
// pod's user namespace) into the container's root, ending with pivot_root.
func Plan(s Spec) ([]Step, error) {
	// Nothing mounted may propagate to the mount namespace the init was
	// copied from, nor back (mount_namespaces(7), "MS_PRIVATE"); then the
	// rootfs becomes a mount point, as pivot_root(2) needs.
	steps := []Step{{"private"}, {"root", s.Root}}
	steps = append(steps, kernelFS(s.CgroupV2, s.HostPID)...)
	steps = append(steps, devSteps(s.PtsGID, s.HostIPC, s.HostMqueue)...)
	for _, f := range s.Files {
		steps = append(steps, Step{"bindfile", f.Source, clean(f.Target)})
	}
	for _, m := range s.Mounts {
		if m.Type != "bind" && m.Type != "tmpfs" {
			return nil, fmt.Errorf("mount type %q on %s: podctl knows bind and tmpfs", m.Type, m.Target)
		}
		steps = append(steps, m.step())
	}
	for _, v := range s.ImageVolumes {
		steps = append(steps, Step{"imagevol", v.Root, v.SubPath, clean(v.Target)})
	}
	// Masks go over the user's mounts too, as runc applies them last: a
	// path named there is hidden wherever it lives.
	if !s.Unmasked {
		steps = append(steps, maskSteps(s.MaskedPaths, s.ReadonlyPaths)...)
	}
	if s.ReadOnly {
		if s.Cwd != "" {
			steps = append(steps, Step{"mkdir", clean(s.Cwd)})
		}
		steps = append(steps, Step{"rootro"})
	}
	// The rootfs becomes "/" and the host's old root is detached, so that
	// no path leads back to the host's filesystem.
	return withPropagation(append(steps, Step{"pivot"}), s.Mounts), nil
}

// withPropagation turns the plan of a container whose volumes ask for
// propagation into one that keeps it: "/" becomes a slave instead of
// private (the init's "slave" step, which also takes the Bidirectional
// volumes' sources while they are peers of the node's), and every other
// volume is made private itself, as runc makes a mount "rprivate" under a
// rootfsPropagation of "rslave".
func withPropagation(steps []Step, mounts []Mount) []Step {
	asked := false
	for _, m := range mounts {
		asked = asked || m.Propagation != ""
	}
	if !asked {
		return steps
	}
	for i, st := range steps {
		switch {
		case st[0] == "private":
			steps[i] = Step{"slave"}
		case st[0] == "volume" && st[4] == "":
			steps[i] = Step{"volume", st[1], st[2], st[3], "private"}
		}
	}
	return steps
}

// kernelFS mounts /proc of the pod's pid namespace and a read-only /sys
// (with the container's cgroup2 on cgroup v2 hosts). Both kinds may be
// mounted inside a user namespace only because the init is in a pid and
// a network namespace owned by it (proc(5), sysfs(5)), and only while a
// fully visible /proc is already mounted in the namespace (the kernel's
// mount_too_revealing check): the host's, copied. Where sysfs is refused
// (--network host) the init binds the host's, read-only.
func kernelFS(cgroupV2, hostPID bool) []Step {
	cg := "0"
	if cgroupV2 {
		cg = "1"
	}
	proc := mountStep("/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", "a filesystem of its own")
	if hostPID {
		// The host's /proc, with what is mounted under it, as rootless
		// podman binds it for --pid=host; the masks go over it as over
		// a proc of the pod's own.
		proc = Step{"volume", "/proc", "/proc", "0", ""}
	}
	return []Step{proc, {"sysfs", cg}}
}

// HostMqueue reports whether the host has POSIX message queues mounted at
// /dev/mqueue (mq_overview(7)), which a hostIPC container gets.
func HostMqueue() bool {
	var fs unix.Statfs_t
	return unix.Statfs("/dev/mqueue", &fs) == nil && fs.Type == mqueueMagic
}

// mqueueMagic is the mqueue filesystem's f_type (linux/magic.h).
const mqueueMagic = 0x19800202

// CgroupV2Host reports whether the host's /sys/fs/cgroup is cgroup2 (the
// init's mount namespace is a copy of the caller's, so it sees the same).
func CgroupV2Host() bool {
	var fs unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC
}

// mountStep mounts a filesystem on directory target inside the rootfs,
// which the init creates when missing; why is said with --explain.
func mountStep(target, fstype, source string, flags uintptr, data, why string) Step {
	return Step{"mount", clean(target), fstype, source, strconv.FormatUint(uint64(flags), 10), data, why, "0"}
}

// clean makes a path inside the rootfs absolute and clean.
func clean(p string) string { return path.Clean("/" + p) }
