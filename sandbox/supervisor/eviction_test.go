package supervisor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

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
	over, used, err := measureVolumes(dir, limits)
	if err != nil || over == nil || over.Volume != "above" || used < 2<<20 {
		t.Errorf("measureVolumes = %+v, %d, %v; want above, 2 MiB or more", over, used, err)
	}
	if over, _, err := measureVolumes(dir, limits[:1]); over != nil || err != nil {
		t.Errorf("below its limit: %+v, %v", over, err)
	}
	// A volume that cannot be measured is not evicted for, and says why.
	if over, _, err := measureVolumes(dir, []model.VolumeLimit{{Volume: "gone", SizeLimit: mib}}); over != nil || err == nil {
		t.Errorf("a missing volume: %+v, %v", over, err)
	}
}

func TestEvictionInterval(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 10 * time.Second, "200ms": 200 * time.Millisecond, "soon": 10 * time.Second, "-1s": 10 * time.Second} {
		t.Setenv("PODCTL_EVICTION_INTERVAL", v)
		if got := evictionInterval(); got != want {
			t.Errorf("PODCTL_EVICTION_INTERVAL=%q: %s, want %s", v, got, want)
		}
	}
}
