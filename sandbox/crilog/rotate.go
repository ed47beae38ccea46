package crilog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Rotation, as the kubelet's container log manager does it, in a scheme a
// reader can follow without the kubelet's timestamps: the live file is
// Path; when it is full it becomes Path.1, Path.1 becomes Path.2, and so
// on up to Path.(MaxFiles-1), whose old content is gone (rename(2) over
// it). A reader (reader.go) reads Path.(N) ... Path.1, Path in that order.
// The kubelet compresses all but the newest rotated file; podctl keeps
// them plain, so the keeper (nsenter/keeper.c) needs no compressor and
// podctl logs no decompressor.

// Rotated is the name of the k-th newest rotated file of the log at path
// (k ≥ 1).
func Rotated(path string, k int) string {
	return path + "." + strconv.Itoa(k)
}

// A rotation renames every file one place down, one rename(2) at a time,
// and a reader finds the file after the one it has read by looking at the
// names (reader.go): a reader that looked in the middle of a rotation would
// see a gap, or a name that moved on before it opened it, and skip a whole
// file of the container's output. So the rotation holds flock(2) on the
// log's directory, exclusively, and a reader holds it shared while it looks
// at the names and opens the next file.
//
// lockDir takes that lock on dir with how (LOCK_EX|LOCK_NB, LOCK_SH); the
// returned function releases it.
//
// A blocking flock interrupted by a signal restarts: Go installs its
// signal handlers with SA_RESTART (flock(2) returns ERESTARTSYS).
func lockDir(dir *os.File, how int) (func(), error) {
	if err := unix.Flock(int(dir.Fd()), how); err != nil {
		dir.Close()
		return nil, err
	}
	return func() { dir.Close() }, nil // closing the last descriptor releases the lock
}

// rotate moves the live file aside and opens a new one; l.mu is held.
// While a reader holds the directory's lock, for the few microseconds of
// its look at the names, the rotation waits for the next record: the
// writer never blocks on a reader.
func (l *File) rotate() error {
	if l.Limits.MaxFiles < 2 {
		return fmt.Errorf("rotating container log %s: MaxFiles %d keeps no rotated file", l.Path, l.Limits.MaxFiles)
	}
	dir, err := os.OpenFile(filepath.Dir(l.Path), os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("rotating container log %s: %w", l.Path, err)
	}
	unlock, err := lockDir(dir, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rotating container log %s: flock: %w", l.Path, err)
	}
	defer unlock()
	for k := l.Limits.MaxFiles - 1; k > 1; k-- {
		if err := os.Rename(Rotated(l.Path, k-1), Rotated(l.Path, k)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotating container log %s: %w", l.Path, err)
		}
	}
	if err := os.Rename(l.Path, Rotated(l.Path, 1)); err != nil {
		return fmt.Errorf("rotating container log %s: %w", l.Path, err)
	}
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		// The old file, now Path.1, takes the records until the next try.
		return fmt.Errorf("rotating container log %s: %w", l.Path, err)
	}
	l.f.Close()
	l.f, l.size = f, 0
	return nil
}

// Reopen goes on in a new file at Path: the kubelet rotates a container's
// log by renaming it and asking the runtime to reopen it (the CRI's
// ReopenContainerLog), as logrotate's create does. A file at Path (not
// renamed after all) is appended to.
func (l *File) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("reopening container log %s: %w", l.Path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("reopening container log %s: %w", l.Path, err)
	}
	l.f.Close()
	l.f, l.size = f, st.Size()
	return nil
}

// RemoveRotated removes the rotated files of the log at path (the live
// file is the caller's to remove).
func RemoveRotated(path string) {
	for k := 1; ; k++ {
		if err := os.Remove(Rotated(path, k)); errors.Is(err, os.ErrNotExist) {
			return
		}
	}
}
