// Package rootfs turns a container's mount namespace into its root
// filesystem: it mounts /proc, /sys, /dev and the pod's /etc files into an
// unpacked rootfs directory and pivots into it.
//
// Every path inside the rootfs is resolved by file descriptor with
// openat2(2) and RESOLVE_IN_ROOT, so a symlink in the rootfs (which the
// image's author, or a workload, controls) cannot point a mount outside it
// (CVE-2019-16884, CVE-2021-30465); mounts then target /proc/self/fd/N,
// the very object that was checked.
package rootfs

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveFlags: stay inside the root, and refuse /proc magic links, which
// could hand out a file outside it.
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// openIn opens p (absolute inside the rootfs) relative to the rootfs fd root.
func openIn(root int, p string, flags int, mode uint32) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Mode: uint64(mode), Resolve: resolveFlags}
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	for {
		fd, err := unix.Openat2(root, rel, &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return -1, &PathError{Op: "open", Path: p, Err: err}
		}
		return fd, nil
	}
}

// mkdirAllIn makes directory p and its missing parents inside the rootfs and
// returns an O_PATH descriptor of it.
func mkdirAllIn(root int, p string) (int, error) {
	p = path.Clean("/" + p)
	fd, err := openIn(root, p, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err == nil || !errors.Is(err, unix.ENOENT) || p == "/" {
		return fd, err
	}
	parent, err := mkdirAllIn(root, path.Dir(p))
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	err = unix.Mkdirat(parent, path.Base(p), 0o755)
	if err == unix.EEXIST {
		// It exists yet did not resolve: a symlink to nothing. We do not
		// follow it to create its target; the image must be fixed.
		return -1, &PathError{Op: "mkdir", Path: p, Err: errors.New("exists but is a symlink to a missing directory")}
	}
	if err != nil {
		return -1, &PathError{Op: "mkdir", Path: p, Err: err}
	}
	return openIn(root, p, unix.O_PATH|unix.O_DIRECTORY, 0)
}

// fileIn returns an O_PATH descriptor of regular file p inside the rootfs,
// creating it (empty) and its directory when missing: a bind mount needs a
// target of the same kind as its source.
func fileIn(root int, p string) (int, error) {
	fd, err := openIn(root, p, unix.O_PATH, 0)
	if errors.Is(err, unix.ENOENT) {
		dir, derr := mkdirAllIn(root, path.Dir(p))
		if derr != nil {
			return -1, derr
		}
		unix.Close(dir)
		fd, err = openIn(root, p, unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err == nil {
			unix.Close(fd)
			fd, err = openIn(root, p, unix.O_PATH, 0)
		}
	}
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, &PathError{Op: "bind mount", Path: p, Err: errors.New("exists in the rootfs but is not a regular file")}
	}
	return fd, nil
}

// fdPath names the object behind an O_PATH descriptor for mount(2).
func fdPath(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

// PathError is a failure on a path inside the rootfs.
type PathError struct {
	Op, Path string
	Err      error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("%s %s in the rootfs: %v", e.Op, e.Path, e.Err)
}
func (e *PathError) Unwrap() error { return e.Err }
