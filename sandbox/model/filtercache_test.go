package model

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A compiled program is kept on disk for the next command, read back only
// when whole, and a different capability set or profile is another entry.
func TestSeccompFilterDiskCache(t *testing.T) {
	root := t.TempDir()
	filterCacheRoot = func() (string, error) { return root, nil }
	defer func() { filterCacheRoot = StateRoot }()
	fresh := func(c *ContainerSpec) []byte {
		t.Helper()
		filterCache = sync.Map{} // as a new command would start
		b, err := SeccompFilter(c, false)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := &ContainerSpec{Caps: DefaultCaps}
	first := fresh(c)
	dir := filepath.Join(root, filterCacheDir)
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Fatalf("cache holds %d programs after one compile, want 1", len(names))
	}
	path := filepath.Join(dir, names[0].Name())
	if b, _ := os.ReadFile(path); !bytes.Equal(b, first) {
		t.Fatal("the stored program is not the compiled one")
	}
	// Read back: the stored bytes are what a command gets (marked, to see
	// that they were read and not recompiled).
	marked := append([]byte(nil), first...)
	marked[len(marked)-1] ^= 0x40
	os.WriteFile(path, marked, 0o600)
	if got := fresh(c); !bytes.Equal(got, marked) {
		t.Error("the stored program was not used")
	}
	// A stored file that is not a whole program is compiled again.
	os.WriteFile(path, first[:len(first)-3], 0o600)
	if got := fresh(c); !bytes.Equal(got, first) {
		t.Error("a truncated stored program was used")
	}
	// Another capability set: another program, another entry.
	more := &ContainerSpec{Caps: append([]string{"SYS_ADMIN"}, DefaultCaps...)}
	if got := fresh(more); bytes.Equal(got, first) {
		t.Error("SYS_ADMIN's program equals the default one")
	}
	if names, _ := os.ReadDir(dir); len(names) != 2 {
		t.Errorf("cache holds %d programs, want 2", len(names))
	}
	// A profile file: its bytes are in the key.
	prof := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`), 0o600)
	a := fresh(&ContainerSpec{Caps: DefaultCaps, Seccomp: prof})
	os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["rmdir"],"action":"SCMP_ACT_ERRNO"}]}`), 0o600)
	if b := fresh(&ContainerSpec{Caps: DefaultCaps, Seccomp: prof}); bytes.Equal(a, b) {
		t.Error("a changed profile file got the old program")
	}
}
