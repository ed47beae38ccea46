package rootfs

import (
	"fmt"
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

// setupDev gives the container a /dev of its own: a small tmpfs with the
// host's harmless devices, a private devpts instance (so the container sees
// only its own ptys, never the host's), /dev/shm and /dev/mqueue.
func setupDev(root int, ptsGID int) error {
	if err := mountAt(root, "/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	dev, err := openIn(root, "/dev", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dev)

	for _, name := range hostDevices {
		fd, err := unix.Openat(dev, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return fmt.Errorf("creating /dev/%s: %w", name, err)
		}
		unix.Close(fd)
		target, err := unix.Openat(dev, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening /dev/%s: %w", name, err)
		}
		err = unix.Mount("/dev/"+name, fdPath(target), "", unix.MS_BIND, "")
		unix.Close(target)
		if err != nil {
			return fmt.Errorf("bind-mounting the host's /dev/%s: %w", name, err)
		}
		explainMount("the host's device, which a user namespace may not create (mknod)", "/dev/"+name, "/dev/"+name, "", unix.MS_BIND, "")
	}

	// newinstance: a devpts of our own (devpts(5)); ptmxmode lets the
	// container open pts/ptmx, which /dev/ptmx links to.
	pts := "newinstance,ptmxmode=0666,mode=0620"
	if ptsGID >= 0 {
		pts += ",gid=" + strconv.Itoa(ptsGID)
	}
	if err := mountAt(root, "/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, pts); err != nil {
		return err
	}
	if err := mountAt(root, "/dev/shm", "tmpfs", "shm", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return err
	}
	// mqueue shows the POSIX message queues of the pod's IPC namespace
	// (mq_overview(7)); mounting it needs that namespace to be ours.
	if err := mountAt(root, "/dev/mqueue", "mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	for _, l := range devLinks {
		if err := unix.Symlinkat(l[0], dev, l[1]); err != nil {
			return fmt.Errorf("symlink /dev/%s -> %s: %w", l[1], l[0], err)
		}
	}
	return nil
}
