package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/test/imagebuild"
)

// TestImageBadInput feeds podctl broken and hostile images. Each must give
// one error naming the image and the problem, leave the store as it was
// (no half-written image, no stray layer) and write nothing outside it.
func TestImageBadInput(t *testing.T) {
	leakCheck(t)
	// A directory a hostile layer would like to write into.
	outside := t.TempDir()
	os.Chmod(outside, 0o777)
	good := testImage(t, "localhost/podctl-e2e/bad:1", imagebuild.Config{Env: []string{"PATH=/bin"}})

	layout := func(t *testing.T, img imagebuild.Image, mutate func(blobs string)) string {
		dir := filepath.Join(t.TempDir(), "layout")
		if _, err := img.WriteOCILayout(dir); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(filepath.Join(dir, "blobs/sha256"))
		}
		return "oci:" + dir
	}
	// biggest is the largest blob: the busybox layer.
	biggest := func(blobs string) string {
		var best string
		var size int64
		for _, e := range listDir(blobs) {
			fi, _ := os.Stat(filepath.Join(blobs, e))
			if fi.Size() > size {
				best, size = filepath.Join(blobs, e), fi.Size()
			}
		}
		return best
	}
	hostile := func(entries ...imagebuild.Entry) imagebuild.Image {
		img := good
		img.Layers = append(append([][]byte{}, good.Layers...), imagebuild.Layer(entries))
		return img
	}

	cases := []struct {
		name string
		args func(t *testing.T) []string
		want []string // in the one error line
	}{
		{"truncated layer", func(t *testing.T) []string {
			return []string{"pull", layout(t, good, func(b string) {
				p := biggest(b)
				fi, _ := os.Stat(p)
				os.Truncate(p, fi.Size()/2)
			})}
		}, []string{"oci:", "sha256:"}},
		{"digest mismatch", func(t *testing.T) []string {
			return []string{"pull", layout(t, good, func(b string) {
				p := biggest(b)
				data, _ := os.ReadFile(p)
				data[len(data)/2] ^= 0xff
				os.WriteFile(p, data, 0o644)
			})}
		}, []string{"oci:", "digest"}},
		{"../ entry", func(t *testing.T) []string {
			return []string{"pull", layout(t, hostile(imagebuild.Entry{Path: "../../../../../../.." + outside + "/dotdot", Body: "escaped"}), nil)}
		}, []string{"oci:", "dotdot", "leaves the image's root"}},
		{"hardlink out of the root", func(t *testing.T) []string {
			return []string{"pull", layout(t, hostile(imagebuild.Entry{Path: "hl", Hardlink: "../../../../../../../etc/passwd"}), nil)}
		}, []string{"oci:", `"hl"`, "hard link"}},
		{"unknown transport", func(t *testing.T) []string {
			return []string{"pull", "docker-daemon:busybox:latest"}
		}, []string{"docker-daemon", "not supported"}},
		{"invalid name", func(t *testing.T) []string { return []string{"pull", "Bad/Name"} }, []string{"Bad/Name", "invalid image name"}},
		{"load of a file that is no archive", func(t *testing.T) []string {
			p := filepath.Join(t.TempDir(), "notes.txt")
			os.WriteFile(p, []byte("not a tarball\n"), 0o644)
			return []string{"load", "-i", p}
		}, []string{"notes.txt"}},
		{"missing image", func(t *testing.T) []string {
			return []string{"run", "--rm", "localhost/podctl-e2e/nope:1", "true"}
		}, []string{"localhost/podctl-e2e/nope:1", "podctl pull"}},
		{"--entrypoint with --rootfs", func(t *testing.T) []string {
			return []string{"run", "--rm", "--rootfs", rootfs, "--entrypoint", "/bin/sh", "--", "true"}
		}, []string{"--entrypoint", "--rootfs"}},
	}
	before := readStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args(t)
			r := run(t, args...)
			lines := errorLines(r.stderr)
			if r.code == 0 || len(lines) != 1 {
				t.Fatalf("podctl %v: code %d, want one error line; stderr:\n%s", args, r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("error %q does not mention %q", lines[0], w)
				}
			}
			sameStore(t, c.name, before)
			if ents := listDir(outside); len(ents) != 0 {
				t.Errorf("written outside the store: %v", ents)
			}
		})
	}

	// A symlink to a host directory, then a file through it: the file lands
	// inside the image (links resolve within the root), never on the host.
	t.Run("symlink out of the root", func(t *testing.T) {
		img := hostile(imagebuild.Entry{Path: "escape", Symlink: outside},
			imagebuild.Entry{Path: "escape/through-link", Body: "escaped"})
		img.Name = "localhost/podctl-e2e/symlink:1"
		path := filepath.Join(t.TempDir(), "a.tar")
		img.WriteOCIArchive(path)
		r := run(t, "load", "-q", "-i", path)
		if r.code == 0 {
			defer run(t, "rmi", img.Name)
		}
		if ents := listDir(outside); len(ents) != 0 {
			t.Errorf("a layer wrote through its symlink onto the host: %v (load: %d %s)", ents, r.code, r.stderr)
		}
	})

	// An entrypoint the image does not have: exit 127, the image named.
	t.Run("entrypoint missing", func(t *testing.T) {
		img := testImage(t, "localhost/podctl-e2e/noentry:1", imagebuild.Config{Entrypoint: []string{"/no/such/binary"}})
		loadImage(t, img, "oci-archive")
		mid := readStore(t)
		r := run(t, "run", "--rm", img.Name)
		lines := errorLines(r.stderr)
		if r.code != 127 || len(lines) != 1 || !strings.Contains(lines[0], img.Name) || !strings.Contains(lines[0], "/no/such/binary") {
			t.Errorf("run of an image with a missing entrypoint: code %d, stderr %q", r.code, r.stderr)
		}
		sameStore(t, "after the failed run", mid)
	})
}
