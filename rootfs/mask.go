package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// MaskedPaths are hidden from the container: files behind /dev/null,
// directories behind an empty read-only tmpfs. They leak the host (kernel
// memory, keys, timers, hardware) or let a workload poke it; the list is the
// union of moby's and podman's defaults.
var MaskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
	"/proc/timer_stats", "/sys/dev/block", "/sys/devices/virtual/powercap",
	"/sys/firmware", "/sys/fs/selinux",
}

// ReadonlyPaths stay visible but read-only: the kernel's knobs under /proc
// (moby's and podman's list). /sys is read-only as a whole already.
var ReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// maskPaths applies MaskedPaths and ReadonlyPaths inside root, once /proc
// and /sys are mounted there. Paths are resolved inside the rootfs by fd
// (resolve.go); one that does not exist (a kernel without it) is skipped.
func maskPaths(root int) error {
	for _, p := range MaskedPaths {
		fd, err := openIn(root, p, unix.O_PATH|unix.O_NOFOLLOW, 0)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
		var st unix.Stat_t
		err = unix.Fstat(fd, &st)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = unix.Mount("tmpfs", fdPath(fd), "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=000")
		} else if err == nil {
			// /dev/null of the mount namespace we were copied from:
			// setupDev bound the same one into the container.
			err = unix.Mount("/dev/null", fdPath(fd), "", unix.MS_BIND, "")
		}
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
		if explainf != nil {
			explainf("hidden: %s (empty read-only tmpfs, or /dev/null bound over it)", p)
		}
	}
	for _, p := range ReadonlyPaths {
		if err := bindReadonly(root, p); err != nil {
			return err
		}
	}
	return nil
}

// bindReadonly bind-mounts p onto itself and makes that mount read-only.
func bindReadonly(root int, p string) error {
	fd, err := openIn(root, p, unix.O_PATH|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	err = unix.Mount(fdPath(fd), fdPath(fd), "", unix.MS_BIND|unix.MS_REC, "")
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("making %s read-only: bind: %w", p, err)
	}
	// The descriptor named the mount below; the remount is of the new one.
	if fd, err = openIn(root, p, unix.O_PATH|unix.O_NOFOLLOW, 0); err != nil {
		return fmt.Errorf("making %s read-only: %w", p, err)
	}
	defer unix.Close(fd)
	if err := unix.Mount("", fdPath(fd), "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("making %s read-only: remount: %w", p, err)
	}
	explainMount("read-only", p, p, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
	return nil
}
