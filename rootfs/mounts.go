package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Mount is a mount the user asked for: -v HOST:CTR[:ro] (a bind mount) or
// --tmpfs PATH[:OPTIONS].
type Mount struct {
	Type     string `json:"type"`             // "bind" or "tmpfs"
	Source   string `json:"source,omitempty"` // bind: an absolute host path without symlinks (podctl resolved them)
	Volume   string `json:"volume,omitempty"` // bind: the named volume Source is the directory of
	Target   string `json:"target"`           // inside the container
	ReadOnly bool   `json:"readOnly,omitempty"`
	Options  string `json:"options,omitempty"` // tmpfs: size=64m,mode=1777, ...
	// PodVolume and SubPath: a volume of a pod made from a manifest (and a
	// path in it); podctl resolves them into Source before the pod starts.
	PodVolume string `json:"podVolume,omitempty"`
	SubPath   string `json:"subPath,omitempty"`
}

// bindVolume bind-mounts a host path into the rootfs, race-free on both
// sides (CVE-2019-16884, CVE-2021-30465 were races on such paths):
//   - the source is opened with RESOLVE_NO_SYMLINKS: podctl resolved its
//     symlinks when the user named it, so a component that became a symlink
//     since (swapped to redirect the mount) is refused, not followed;
//   - the mount is cloned from that very descriptor (open_tree(2),
//     OPEN_TREE_CLONE|AT_RECURSIVE), made read-only on the detached copy when
//     asked (mount_setattr(2): no remount that would have to repeat the
//     host mount's locked nosuid/nodev flags), and moved onto a target
//     resolved inside the rootfs (RESOLVE_IN_ROOT) with move_mount(2).
func bindVolume(root int, m Mount) error {
	src, err := openSource(m.Source)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return fmt.Errorf("volume %s: %w", m.Source, err)
	}
	var target int
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		target, err = mkdirAllIn(root, m.Target)
	} else {
		target, err = fileIn(root, m.Target)
	}
	if err != nil {
		return fmt.Errorf("volume %s: %w", m.Source, err)
	}
	defer unix.Close(target)
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("volume %s: open_tree: %w", m.Source, err)
	}
	defer unix.Close(tree)
	if m.ReadOnly {
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
			return fmt.Errorf("volume %s: read-only: %w", m.Source, err)
		}
	}
	if err := unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("volume %s on %s: move_mount: %w", m.Source, m.Target, err)
	}
	if explainf != nil {
		ro := ""
		if m.ReadOnly {
			ro = ", mount_setattr(MOUNT_ATTR_RDONLY) on the copy"
		}
		explainf("a volume: open(%q, RESOLVE_NO_SYMLINKS), open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)%s, move_mount onto %s (resolved in the root)", m.Source, ro, m.Target)
	}
	return nil
}

// openSource opens a volume's host path, which podctl resolved when the
// user named it, refusing any symlink on the way (RESOLVE_NO_SYMLINKS): one
// there now was put there since.
func openSource(p string) (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if errors.Is(err, unix.ELOOP) {
		return -1, fmt.Errorf("volume %s: the host path now goes through a symlink, and podctl follows none there (was it replaced?)", p)
	}
	if err != nil {
		return -1, fmt.Errorf("volume %s: %w", p, err)
	}
	return fd, nil
}

// tmpfsVolume mounts a fresh tmpfs (--tmpfs, and the writable directories
// of --read-only).
func tmpfsVolume(root int, m Mount) error {
	data := "mode=1777"
	if m.Options != "" {
		data += "," + m.Options
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if m.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	return mountAt(root, m.Target, "tmpfs", "tmpfs", flags, data)
}

// readOnlyRoot makes the container's root mount read-only (--read-only),
// leaving the mounts on it (/proc, /dev, volumes, tmpfs) as they are.
// root is a descriptor of the root mount itself.
func readOnlyRoot(root int) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(root, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return fmt.Errorf("making the root read-only: mount_setattr: %w", err)
	}
	if explainf != nil {
		explainf("the root filesystem becomes read-only, its submounts stay as they are: mount_setattr(MOUNT_ATTR_RDONLY)")
	}
	return nil
}
