package diskusage

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/model"
)

// Dir counts allocated blocks as du does: a hard link once, a
// symlink's target not at all, a sparse file's hole not at all.
func TestDirUsage(t *testing.T) {
	const mib = 1 << 20
	outside := t.TempDir()
	big := filepath.Join(outside, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte{1}, 4*mib), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "vol")
	for _, d := range []string{"a/b", "c"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(root, "a/b/data")
	if err := os.WriteFile(data, bytes.Repeat([]byte{1}, mib), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(data, filepath.Join(root, "c/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(big, filepath.Join(root, "c/sym")); err != nil {
		t.Fatal(err)
	}
	sparse, err := os.Create(filepath.Join(root, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	sparse.Truncate(16 * mib)
	sparse.Close()

	got, err := Dir(root)
	if err != nil {
		t.Fatal(err)
	}
	// The 1 MiB of data once, and a few blocks of directories.
	if got < mib || got >= mib+256<<10 {
		t.Errorf("Dir = %d, want 1 MiB and a little (the hard link once, no symlink target, no hole)", got)
	}
	if du, err := exec.LookPath("du"); err == nil {
		out, err := exec.Command(du, "-s", "-B1", root).Output()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
		if got != want {
			t.Errorf("Dir = %d, du -s -B1 = %d", got, want)
		}
	}
	// More data: more usage, by at least what was written.
	if err := os.WriteFile(filepath.Join(root, "c/more"), bytes.Repeat([]byte{2}, 2*mib), 0o644); err != nil {
		t.Fatal(err)
	}
	if more, err := Dir(root); err != nil || more < got+2*mib {
		t.Errorf("after 2 MiB more: %d, %v; was %d", more, err, got)
	}
	if _, err := Dir(filepath.Join(root, "nonexistent")); err == nil {
		t.Error("Dir of a missing directory: no error")
	}
}

// A directory the caller cannot read: what was seen is a lower bound,
// returned with the error.
func TestDirUsageUnreadable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads a mode 0 directory")
	}
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "seen"), bytes.Repeat([]byte{1}, 1<<20), 0o644)
	hidden := filepath.Join(root, "hidden")
	os.Mkdir(hidden, 0o755)
	os.WriteFile(filepath.Join(hidden, "unseen"), bytes.Repeat([]byte{1}, 1<<20), 0o644)
	os.Chmod(hidden, 0)
	t.Cleanup(func() { os.Chmod(hidden, 0o755) })
	got, err := Dir(root)
	if err == nil || !os.IsPermission(err) {
		t.Errorf("err = %v, want a permission error", err)
	}
	if got < 1<<20 || got >= 2<<20 {
		t.Errorf("Dir = %d, want the readable 1 MiB and a little", got)
	}
}

// The first volume over its limit, in the pod's order, is the one named.
func TestMeasureVolumes(t *testing.T) {
	dir := t.TempDir()
	write := func(vol string, n int) {
		d := filepath.Join(dir, "volumes", vol)
		os.MkdirAll(d, 0o777)
		if err := os.WriteFile(filepath.Join(d, "f"), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("below", 512<<10)
	write("above", 2<<20)
	write("also", 3<<20)
	mib := model.SizeLimit{Bytes: 1 << 20, Quantity: "1Mi"}
	limits := []model.VolumeLimit{{Volume: "below", SizeLimit: mib}, {Volume: "above", SizeLimit: mib}, {Volume: "also", SizeLimit: mib}}
	over, used, err := OverLimit(dir, limits)
	if err != nil || over == nil || over.Volume != "above" || used < 2<<20 {
		t.Errorf("OverLimit = %+v, %d, %v; want above, 2 MiB or more", over, used, err)
	}
	if over, _, err := OverLimit(dir, limits[:1]); over != nil || err != nil {
		t.Errorf("below its limit: %+v, %v", over, err)
	}
	// A volume that cannot be measured is not evicted for, and says why.
	if over, _, err := OverLimit(dir, []model.VolumeLimit{{Volume: "gone", SizeLimit: mib}}); over != nil || err == nil {
		t.Errorf("a missing volume: %+v, %v", over, err)
	}
}
