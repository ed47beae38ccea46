package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// BindFile is a host file bind-mounted into the container (the pod's
// /etc/hostname, /etc/hosts, /etc/resolv.conf).
type BindFile struct {
	Source string // on the host
	Target string // inside the rootfs
}

// Spec says what Setup builds.
type Spec struct {
	Root  string // the unpacked rootfs directory on the host
	Files []BindFile
	// PtsGID is the gid of the "tty" group for /dev/pts (5 in Debian's and
	// most images), or -1 when the user namespace does not map it.
	PtsGID int
	// Unmasked leaves MaskedPaths and ReadonlyPaths alone (--privileged).
	Unmasked bool
	// Mounts: the user's volumes and tmpfs, in order, after everything
	// else. ReadOnly makes the root read-only once they are in place.
	Mounts   []Mount
	ReadOnly bool
	// Cwd, if set, is made (as a Dockerfile's WORKDIR) before the root
	// turns read-only, as runc makes it: a read-only root with a working
	// directory the image lacks still starts.
	Cwd string
	// Explain, if set, is told each mount and pivot_root (--explain).
	Explain func(format string, args ...any)
}

// Setup runs in the container's own, fresh mount namespace (a copy of the
// host's made by unshare(CLONE_NEWNS)), as root of the pod's user namespace.
// It mounts the container's filesystems into Root and pivots into it; on
// return the process's root and cwd are the container's "/".
func Setup(s Spec) error {
	explainf = s.Explain
	// Nothing we mount may propagate to the mount namespace we were copied
	// from, and nothing mounted there later may reach us
	// (mount_namespaces(7), "MS_PRIVATE").
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	explainMount("in its own mount namespace, no propagation either way", "", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	// pivot_root(2) needs the new root to be a mount point.
	if err := unix.Mount(s.Root, s.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting the rootfs %s onto itself: %w", s.Root, err)
	}
	explainMount("the rootfs becomes a mount point, as pivot_root needs", s.Root, s.Root, "", unix.MS_BIND|unix.MS_REC, "")
	root, err := unix.Open(s.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the rootfs %s: %w", s.Root, err)
	}
	defer unix.Close(root)

	if err := mountKernelFS(root); err != nil {
		return err
	}
	if !s.Unmasked {
		if err := maskPaths(root); err != nil {
			return err
		}
	}
	if err := setupDev(root, s.PtsGID); err != nil {
		return err
	}
	for _, f := range s.Files {
		if err := bindFile(root, f); err != nil {
			return err
		}
	}
	for _, m := range s.Mounts {
		var err error
		switch m.Type {
		case "bind":
			err = bindVolume(root, m)
		case "tmpfs":
			err = tmpfsVolume(root, m)
		default:
			err = fmt.Errorf("mount type %q: podctl knows bind and tmpfs", m.Type)
		}
		if err != nil {
			return err
		}
	}
	if s.ReadOnly {
		if s.Cwd != "" {
			fd, err := mkdirAllIn(root, s.Cwd)
			if err != nil {
				return fmt.Errorf("working directory %s: %w", s.Cwd, err)
			}
			unix.Close(fd)
		}
		if err := readOnlyRoot(root); err != nil {
			return err
		}
	}
	return pivot(root)
}

// mountKernelFS mounts /proc of the pod's pid namespace and a read-only
// /sys. Both kinds may be mounted inside a user namespace only because this
// process is in a pid and a network namespace owned by it (proc(5),
// sysfs(5)), and only while a fully visible /proc is already mounted in the
// namespace (the kernel's mount_too_revealing check): the host's, copied.
func mountKernelFS(root int) error {
	if err := mountAt(root, "/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	err := mountAt(root, "/sys", "sysfs", "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	if errors.Is(err, unix.EPERM) {
		// A network namespace not owned by our user namespace (podctl run
		// --network host, or one a host imposes): sysfs(5) refuses a new
		// instance, so the host's /sys goes in, read-only, as rootless
		// podman does: a detached recursive copy (open_tree(2)), made
		// read-only as a whole (mount_setattr(2)), then attached.
		fd, ferr := mkdirAllIn(root, "/sys")
		if ferr != nil {
			return ferr
		}
		defer unix.Close(fd)
		tree, terr := unix.OpenTree(unix.AT_FDCWD, "/sys", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err = terr; err == nil {
			defer unix.Close(tree)
			attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}
			if err = unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err == nil {
				err = unix.MoveMount(tree, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
			}
		}
		if err != nil {
			return fmt.Errorf("bind-mounting the host's /sys: %w", err)
		}
		explainMount("the host's, read-only (its network namespace is not the pod's to mount sysfs for)", "/sys", "/sys", "bind", unix.MS_RDONLY, "")
		return nil
	}
	if err != nil {
		return err
	}
	mountCgroup(root)
	return nil
}

// mountCgroup mounts the container's cgroup, read-only, on /sys/fs/cgroup,
// where a workload reads its own limits (the Go runtime and the JVM size
// themselves from cpu.max and memory.max). The container's own cgroup
// namespace is rooted at its cgroup, so the mount shows that cgroup as its
// root and nothing above it (cgroup_namespaces(7)); read-only, as runc
// mounts it for a container without CAP_SYS_ADMIN. Only on a cgroup v2
// host (the host's /sys/fs/cgroup, still visible here before pivot_root,
// tells): on hybrid and v1 hosts the container has no cgroup of its own.
// A refusal is not fatal: the workload runs, without that view.
func mountCgroup(root int) {
	var fs unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &fs) != nil || fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return
	}
	if err := mountAt(root, "/sys/fs/cgroup", "cgroup2", "cgroup2", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		explainMount("not mounted: "+err.Error(), "cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_RDONLY, "")
	}
}

// mountAt mounts a filesystem on directory target inside the rootfs,
// creating the directory when missing.
func mountAt(root int, target, fstype, source string, flags uintptr, data string) error {
	fd, err := mkdirAllIn(root, target)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(source, fdPath(fd), fstype, flags, data); err != nil {
		return fmt.Errorf("mount -t %s %s %s (options %q): %w", fstype, source, target, data, err)
	}
	explainMount("a filesystem of its own", source, target, fstype, flags, data)
	return nil
}

func bindFile(root int, f BindFile) error {
	fd, err := fileIn(root, f.Target)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(f.Source, fdPath(fd), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mounting %s on %s: %w", f.Source, f.Target, err)
	}
	explainMount("the pod's file, shared by its containers", f.Source, f.Target, "", unix.MS_BIND, "")
	return nil
}

// pivot makes the rootfs the process's root with pivot_root(2), then
// detaches the old root, which pivot_root(".", ".") stacked beneath the new
// one, so that no path leads back to the host's filesystem.
func pivot(root int) error {
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("chdir to the rootfs: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into the rootfs: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root after pivot_root: %w", err)
	}
	if explainf != nil {
		explainf("the rootfs becomes /, and the host's old root is detached: pivot_root(\".\", \".\"), umount2(\".\", MNT_DETACH)")
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("chdir / after pivot_root: %w", err)
	}
	return nil
}
