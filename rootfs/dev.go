package rootfs

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// hostDevices are bind-mounted from the host's /dev: inside a user namespace
// mknod(2) of a device is refused (EPERM), so binding the host's nodes is the
// only way, and it shares nothing but these harmless character devices.
var hostDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// devLinks are the conventional symlinks of /dev (see the kernel's
// Documentation/admin-guide/devices.rst, "Compulsory links").
var devLinks = [][2]string{
	{"/proc/self/fd", "fd"},
	{"/proc/self/fd/0", "stdin"},
	{"/proc/self/fd/1", "stdout"},
	{"/proc/self/fd/2", "stderr"},
	{"pts/ptmx", "ptmx"},
}

// devSteps give the container a /dev of its own: a small tmpfs with the
// host's harmless devices, a private devpts instance (so the container sees
// only its own ptys, never the host's), /dev/shm and /dev/mqueue.
func devSteps(ptsGID int, hostIPC, hostMqueue bool) []Step {
	steps := []Step{mountStep("/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k", "a filesystem of its own")}
	for _, name := range hostDevices {
		steps = append(steps, Step{"hostdev", name})
	}
	// newinstance: a devpts of our own (devpts(5)); ptmxmode lets the
	// container open pts/ptmx, which /dev/ptmx links to.
	pts := "newinstance,ptmxmode=0666,mode=0620"
	if ptsGID >= 0 {
		pts += ",gid=" + strconv.Itoa(ptsGID)
	}
	steps = append(steps, mountStep("/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, pts, "a filesystem of its own"))
	if hostIPC {
		// The host's IPC namespace is not ours to mount mqueue for
		// (mount needs CAP_SYS_ADMIN in its owner): the host's mounts of
		// POSIX shared memory and message queues are bound instead, as
		// podman does for --ipc=host.
		steps = append(steps, Step{"volume", "/dev/shm", "/dev/shm", "0", ""})
		if hostMqueue {
			steps = append(steps, Step{"volume", "/dev/mqueue", "/dev/mqueue", "0", ""})
		}
	} else {
		steps = append(steps,
			mountStep("/dev/shm", "tmpfs", "shm", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k", "a filesystem of its own"),
			// mqueue shows the POSIX message queues of the pod's IPC
			// namespace (mq_overview(7)); mounting it needs that
			// namespace to be ours.
			mountStep("/dev/mqueue", "mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", "a filesystem of its own"))
	}
	for _, l := range devLinks {
		steps = append(steps, Step{"symlink", l[0], "/dev", l[1]})
	}
	return steps
}
