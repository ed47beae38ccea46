// Package diskusage measures what a directory tree takes on disk, as du(1)
// and the kubelet count it, and finds a pod's sized emptyDirs that hold more
// than their limit (the supervisor's eviction, sandbox/supervisor/
// eviction.go, decides what to do about it).
package diskusage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/podctl/podctl/sandbox/model"
)

// Dir is the space the tree at root takes, as du(1) counts it and as
// the kubelet measures an emptyDir (DiskUsage, pkg/volume/util/fs): the
// allocated blocks (st_blocks, in 512-byte units, whatever the file's
// length says: a sparse file counts what it holds) of every entry,
// directories included, symlinks not followed, a file of several hard
// links once, and nothing under a mount of another filesystem.
//
// An entry removed while the walk runs is skipped. A directory that cannot
// be read (a non-root container's mode 0700 directory, owned by one of the
// caller's subordinate uids) counts its own blocks but not what it holds:
// the sum is then a lower bound, returned with the first such error.
func Dir(root string) (int64, error) {
	bytes, _, err := Usage(root)
	return bytes, err
}

// Usage is Dir's bytes and the number of inodes they take (the CRI's
// FilesystemUsage counts both), counted the same way.
func Usage(root string) (bytes, inodes int64, err error) {
	top, err := os.Lstat(root)
	if err != nil {
		return 0, 0, err
	}
	dev := top.Sys().(*syscall.Stat_t).Dev
	var total int64
	var first error
	seen := map[uint64]bool{} // inodes of several links, counted once
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			// WalkDir calls again, with the error, for a directory it
			// could not read: its own blocks were counted on the
			// first call.
			if first == nil {
				first = err
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info() // lstat(2)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Dev != dev {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if st.Nlink > 1 && !d.IsDir() {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		total += int64(st.Blocks) * 512
		inodes++
		return nil
	})
	if err != nil && first == nil {
		first = err
	}
	return total, inodes, first
}

// OverLimit returns the first of limits (in the manifest's order, as
// the kubelet goes through spec.volumes) whose volume holds more than its
// limit, and how much it holds.
func OverLimit(dir string, limits []model.VolumeLimit) (over *model.VolumeLimit, used int64, err error) {
	for i := range limits {
		n, e := Dir(filepath.Join(dir, "volumes", limits[i].Volume))
		if e != nil && err == nil {
			err = fmt.Errorf("emptyDir %s: %w", limits[i].Volume, e)
		}
		// With an error, n is what could be seen: a lower bound, so
		// above the limit is above it for sure.
		if n > limits[i].Bytes {
			return &limits[i], n, err
		}
	}
	return nil, 0, err
}
