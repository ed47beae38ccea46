package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// A mount of stage 2.
type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// mounts are what a distribution's init mounts before anything runs,
// the way systemd mounts them (its mount-setup.c): the API file systems,
// and tmpfs where programs expect one.
var mounts = []mount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	// The kernel's device nodes (devtmpfs): /dev/null, /dev/ptmx, ...
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	// A devpts instance of its own whose ptmx anyone may open
	// (Documentation/filesystems/devpts.rst); /dev/ptmx of devtmpfs
	// leads to the instance at /dev/pts. gid 5 is tty in /etc/group.
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"shm", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	// cgroup v2 alone, with systemd's options: nsdelegate makes cgroup
	// namespaces delegation boundaries, memory_recursiveprot passes
	// memory.min/low protection down the tree (cgroup-v2.rst, "Mounting").
	{"cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "nsdelegate,memory_recursiveprot"},
}

func mountAll() error {
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount -t %s %s (%s): %w", m.fstype, m.target, m.data, err)
		}
	}
	return nil
}
