package e2e

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/test/imagebuild"
)

// TestImageLoadFullDisk: a store on a small filesystem (a 24 MB tmpfs that
// test/run-tests.sh mounts as root and names in PODCTL_SMALL_STORE) runs
// out of space in the middle of a load. The load fails with one error that
// says so, and the store is left as it was: no image, no layer, and still
// usable.
func TestImageLoadFullDisk(t *testing.T) {
	small := os.Getenv("PODCTL_SMALL_STORE")
	if small == "" {
		t.Skip("PODCTL_SMALL_STORE is not set (test/run-tests.sh mounts a small tmpfs for it, as root)")
	}
	leakCheck(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "storage.conf")
	graph, runroot := filepath.Join(small, "graph"), filepath.Join(small, "run")
	os.WriteFile(conf, []byte(fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n", graph, runroot)), 0o644)
	env := []string{"CONTAINERS_STORAGE_CONF=" + conf}
	t.Cleanup(func() { runEnv(t, env, "", "image", "prune", "-a") })

	state := func() (string, []string) {
		r := runEnv(t, env, "", "images", "--format", "json")
		if r.code != 0 {
			t.Fatalf("images: %s", r.stderr)
		}
		var list []struct{ ID string }
		json.Unmarshal([]byte(r.stdout), &list)
		var ids []string
		for _, i := range list {
			ids = append(ids, i.ID)
		}
		var layers []string
		for _, e := range listDir(filepath.Join(graph, "overlay")) {
			if len(e) == 64 {
				layers = append(layers, e)
			}
		}
		return strings.Join(ids, ","), layers
	}
	// A first, small image: the store exists and holds something.
	small1 := testImage(t, "localhost/podctl-e2e/small:1", imagebuild.Config{Env: []string{"PATH=/bin"}})
	p := filepath.Join(dir, "small.tar")
	small1.WriteOCIArchive(p)
	if r := runEnv(t, env, "", "load", "-q", "-i", p); r.code != 0 {
		t.Fatalf("load of a small image: %s", r.stderr)
	}
	imgs, layers := state()

	// Then one that cannot fit: 32 MB of random bytes in its top layer.
	blob := make([]byte, 32<<20)
	rand.Read(blob)
	big := testImage(t, "localhost/podctl-e2e/big:1", imagebuild.Config{},
		imagebuild.Entry{Path: "big", Body: string(blob)})
	big.Gzip = false
	p = filepath.Join(dir, "big.tar")
	if err := big.WriteOCIArchive(p); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, env, "", "load", "-q", "-i", p)
	lines := errorLines(r.stderr)
	if r.code == 0 || len(lines) != 1 || !strings.Contains(lines[0], "no space left on device") {
		t.Fatalf("load into a full store: code %d, want one error saying no space left; stderr:\n%s", r.code, r.stderr)
	}
	if i2, l2 := state(); i2 != imgs || strings.Join(l2, ",") != strings.Join(layers, ",") {
		t.Errorf("the failed load changed the store: images %q -> %q, layers %v -> %v", imgs, i2, layers, l2)
	}
	// Still usable: the small image runs.
	if r := runEnv(t, env, "", "run", "--rm", small1.Name, "echo", "still fine"); strings.TrimSpace(r.stdout) != "still fine" {
		t.Errorf("run from the store after the failed load: %q %s", r.stdout, r.stderr)
	}
}

// TestImageVFSDriver: with storage.conf's vfs driver (the fallback where
// overlayfs is not available) a layer is a plain directory: no mount, and a
// container still gets its own copy.
func TestImageVFSDriver(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "storage.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "graph"), filepath.Join(dir, "run"))), 0o644)
	env := []string{"CONTAINERS_STORAGE_CONF=" + conf}
	img := testImage(t, "localhost/podctl-e2e/vfs:1", imagebuild.Config{Env: []string{"PATH=/bin"}})
	p := filepath.Join(dir, "vfs.tar")
	img.WriteOCIArchive(p)
	if r := runEnv(t, env, "", "load", "-q", "-i", p); r.code != 0 {
		t.Fatalf("load into a vfs store: %s", r.stderr)
	}
	// t.TempDir's removal needs the store's files gone first (some are
	// owned by subordinate ids).
	t.Cleanup(func() { runEnv(t, env, "", "image", "prune", "-a") })
	r := runEnv(t, env, "", "run", "--rm", img.Name, "sh", "-c", "echo written > /etc/motd; cat /etc/motd; grep -c ' / ' /proc/self/mountinfo")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "written\n") {
		t.Fatalf("run from a vfs store: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := runEnv(t, env, "", "run", "--rm", img.Name, "cat", "/etc/motd"); r.code == 0 {
		t.Errorf("the second container saw the first one's /etc/motd: %q", r.stdout)
	}
}
