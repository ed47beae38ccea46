package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// newRoot is where stage 1 mounts the tmpfs that becomes the root.
const newRoot = "/newroot"

// switchRoot makes a tmpfs holding the initramfs's files the root and execs
// stage 2 from it. The kernel unpacks the initramfs into "rootfs", the
// first mount, which has no parent: pivot_root(2) fails there with EINVAL
// ("The rootfs (initial ramfs) cannot be pivot_root()ed", NOTES of
// pivot_root(2)). podctl's containers call pivot_root in their own mount
// namespace, where the old root is still rootfs, so they need a root that
// is an ordinary mount. This is what switch_root does
// (Documentation/filesystems/ramfs-rootfs-initramfs.rst): move the files,
// then mount the new root over / with MS_MOVE and chroot into it.
func switchRoot() error {
	// The kernel's uptime now, for the report of how long the move
	// takes: /proc is mounted for a moment to read it.
	stage1 := "?"
	if unix.Mount("proc", "/proc", "proc", 0, "") == nil {
		if b, err := os.ReadFile("/proc/uptime"); err == nil && len(strings.Fields(string(b))) > 0 {
			stage1 = strings.Fields(string(b))[0] + "s"
		}
		unix.Unmount("/proc", 0)
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("rootfs", newRoot, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", newRoot, err)
	}
	if err := moveTree("/", newRoot); err != nil {
		return err
	}
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("moving %s to /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return err
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	return unix.Exec("/init", []string{"/init", stage2Arg, stage1}, os.Environ())
}

// moveTree copies the contents of directory src into dst, exactly (type,
// mode with its setuid bits, owner), and removes each source entry once it
// is copied, so that the initramfs is never held twice in memory. The
// directory newRoot itself is skipped.
func moveTree(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if from == newRoot {
			continue
		}
		if err := moveEntry(from, to); err != nil {
			return fmt.Errorf("moving %s: %w", from, err)
		}
	}
	return nil
}

func moveEntry(from, to string) error {
	var st unix.Stat_t
	if err := unix.Lstat(from, &st); err != nil {
		return err
	}
	perm := st.Mode & 0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdir(to, 0o700); err != nil {
			return err
		}
		if err := moveTree(from, to); err != nil {
			return err
		}
	case unix.S_IFREG:
		if err := copyFile(from, to); err != nil {
			return err
		}
	case unix.S_IFLNK:
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		if err := unix.Symlink(target, to); err != nil {
			return err
		}
		return finishMove(from, to, st, 0, false)
	case unix.S_IFCHR, unix.S_IFBLK:
		if err := unix.Mknod(to, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unexpected file type %#o", st.Mode&unix.S_IFMT)
	}
	return finishMove(from, to, st, perm, true)
}

// finishMove gives the copy its owner, then its mode: chown(2) clears the
// set-user-ID and set-group-ID bits of an executable (for root too, since
// Linux 2.2.13), so chmod comes after it. A symbolic link has no mode.
func finishMove(from, to string, st unix.Stat_t, perm uint32, chmod bool) error {
	if err := unix.Lchown(to, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if chmod {
		if err := unix.Chmod(to, perm); err != nil {
			return err
		}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.Rmdir(from)
	}
	return unix.Unlink(from)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
