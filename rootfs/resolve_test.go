package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// newRoot makes a rootfs with symlinks that try to leave it.
func newRoot(t *testing.T) (string, int, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root + "/etc", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(outside, "secret"), []byte("host"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("inside"), 0o644)
	links := map[string]string{
		"abs":      outside,          // absolute, to the host
		"up":       "../../outside",  // relative, climbing out
		"etc/loop": "../../../../..", // deep climb
		"proc-fd":  "/proc/self/fd/0",
		"dev":      "/outside-dir",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return root, fd, outside
}

func readFD(t *testing.T, fd int) string {
	t.Helper()
	f, err := os.Open(fdPath(fd))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 64)
	n, _ := f.Read(b)
	return string(b[:n])
}

// Symlinks resolve as if the rootfs were "/": none reaches the host file.
func TestOpenInStaysInRoot(t *testing.T) {
	_, root, _ := newRoot(t)
	for _, p := range []string{"/abs/secret", "/up/secret", "/etc/loop/outside/secret", "../../outside/secret"} {
		fd, err := openIn(root, p, unix.O_RDONLY, 0)
		if err == nil {
			got := readFD(t, fd)
			unix.Close(fd)
			t.Errorf("%s opened a file holding %q; it must not resolve outside the root", p, got)
		} else if !errors.Is(err, unix.ENOENT) {
			t.Errorf("%s: %v, want ENOENT", p, err)
		}
	}
	// ".." at the root stays at the root.
	fd, err := openIn(root, "/etc/loop/etc/hosts", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if got := readFD(t, fd); got != "inside" {
		t.Errorf("got %q, want the rootfs's own /etc/hosts", got)
	}
	// Magic links of /proc are refused outright.
	if _, err := openIn(root, "/proc-fd", unix.O_RDONLY, 0); err == nil {
		t.Error("a /proc magic link was followed")
	}
}

// Missing directories are made inside the rootfs, even through a symlink
// that points outside it.
func TestMkdirAllInStaysInRoot(t *testing.T) {
	dir, root, _ := newRoot(t)
	// /dev is a symlink to a missing /outside-dir: refused, by name.
	_, err := mkdirAllIn(root, "/dev/pts")
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != "/dev" {
		t.Errorf("got %v, want an error naming /dev", err)
	}
	if _, err := os.Stat("/outside-dir"); err == nil {
		t.Fatal("mkdirAllIn created /outside-dir on the host")
	}
	if _, err := mkdirAllIn(root, "/abs/new"); err == nil {
		t.Error("mkdirAllIn went through an absolute symlink")
	}
	if _, err := os.Stat(filepath.Join(dir, "../outside/new")); err == nil {
		t.Error("mkdirAllIn followed an absolute symlink out of the rootfs")
	}
	// A plain missing path is made, inside.
	fd, err := mkdirAllIn(root, "/a/b/c")
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if fi, err := os.Stat(filepath.Join(dir, "a/b/c")); err != nil || !fi.IsDir() {
		t.Errorf("a/b/c not made: %v", err)
	}
}

// A bind target must be a regular file: a directory in its place is an
// error naming the path.
func TestFileIn(t *testing.T) {
	dir, root, _ := newRoot(t)
	fd, err := fileIn(root, "/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if _, err := os.Stat(filepath.Join(dir, "etc/resolv.conf")); err != nil {
		t.Errorf("target not created: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "etc/hostname"), 0o755)
	_, err = fileIn(root, "/etc/hostname")
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != "/etc/hostname" {
		t.Errorf("got %v, want a PathError for /etc/hostname", err)
	}
}
