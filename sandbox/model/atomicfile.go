package model

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data, whole or not at all: data goes
// to a temporary file in path's directory (named by pattern, as
// os.CreateTemp names it; mode 0600), which rename(2) then puts in place
// atomically, so a reader never sees half a file even if podctl dies
// mid-write. There is no fsync: what podctl writes this way describes
// processes or their end, and none survives a power loss.
func WriteFileAtomic(path, pattern string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
