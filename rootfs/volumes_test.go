package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A volume source swapped for a symlink after podctl resolved it (the race
// of CVE-2021-30465, on the host side) is refused, not followed.
func TestOpenSourceRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(filepath.Join(real, "ws"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := openSource(filepath.Join(real, "ws"))
	if err != nil {
		t.Fatalf("a plain path: %v", err)
	}
	unix.Close(fd)
	// The workspace's parent becomes a symlink to somewhere else.
	elsewhere := filepath.Join(dir, "elsewhere")
	os.MkdirAll(filepath.Join(elsewhere, "ws"), 0o755)
	if err := os.Rename(real, real+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, real); err != nil {
		t.Fatal(err)
	}
	if fd, err := openSource(filepath.Join(real, "ws")); err == nil {
		unix.Close(fd)
		t.Fatal("a path through a symlink was opened")
	} else if !strings.Contains(err.Error(), "symlink") {
		t.Errorf("error %q does not say why", err)
	}
}
