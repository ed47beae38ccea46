package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The compiled seccomp programs, kept on disk between commands: compiling
// the default profile costs a start ~0.6 ms of CPU and ~190 kB of heap
// (each page a fault on a small VM), and every run, exec and container
// start needs it. A program is stored under the hash of all it was made
// from: the profile's bytes (or "default"), the capabilities, --port-bypass,
// and the identity of the running binary (device, inode, size and mtime of
// /proc/self/exe), so that a new podctl, whose compiler may differ, never
// reads an old one's programs.
//
// The directory is in the caller's own state root (0700, checked by
// StateRoot), so no other user can plant a program there; a file is
// written whole or not at all (WriteFileAtomic), and one read back that is
// not a whole program (a multiple of 8 bytes, 1 to BPF_MAXINSNS
// instructions) is ignored and recompiled. The kernel checks every program
// it loads (seccomp_check_filter).

const (
	filterCacheDir = "seccomp-cache"
	// maxCachedFilters bounds the directory: beyond it, a store empties
	// it first (each podctl build and each set of capabilities adds one).
	maxCachedFilters = 32
	bpfMaxInsns      = 4096 // BPF_MAXINSNS, linux/bpf_common.h
)

// filterCacheRoot is the state root the cache lives in (a variable so
// that a test, as root too, can put it elsewhere).
var filterCacheRoot = StateRoot

// filterKey is the hash a program made from material (SeccompFilter's
// key) is stored under, with the running binary's identity, or "" when
// the binary cannot be identified (then nothing is cached on disk).
func filterKey(material string) string {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "podctl-seccomp-2\x00%d\x00%d\x00%d\x00%d.%d\x00%s", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, material)
	return hex.EncodeToString(h.Sum(nil))
}

// cachedFilter is the stored program of key, or nil.
func cachedFilter(key string) []byte {
	if key == "" {
		return nil
	}
	root, err := filterCacheRoot()
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(root, filterCacheDir, key))
	if err != nil || len(b) == 0 || len(b)%8 != 0 || len(b)/8 > bpfMaxInsns {
		return nil
	}
	return b
}

// storeFilter keeps prog under key; a failure only costs the next command
// a compile.
func storeFilter(key string, prog []byte) {
	if key == "" {
		return
	}
	root, err := filterCacheRoot()
	if err != nil {
		return
	}
	dir := filepath.Join(root, filterCacheDir)
	if err := PrivateDir(dir, "seccomp program cache", "remove it"); err != nil {
		return
	}
	if names, err := os.ReadDir(dir); err == nil && len(names) >= maxCachedFilters {
		for _, n := range names {
			os.Remove(filepath.Join(dir, n.Name()))
		}
	}
	WriteFileAtomic(filepath.Join(dir, key), ".filter-*", prog)
}
