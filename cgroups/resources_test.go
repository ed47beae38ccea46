package cgroups

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "512m": 512 << 20, "512M": 512 << 20, "512mb": 512 << 20, "512MiB": 512 << 20,
		"1.5g": 3 << 29, "64k": 64 << 10, "2t": 2 << 40, "100b": 100, "0": 0,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "-1m", "1e9", "0x10", "12q", "1..5m", "inf", "NaN", "99999999999t", "1_000"} {
		if got, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]int64{"1": 100000, "0.5": 50000, "2.25": 225000, "0.01": 1000} {
		if got, err := ParseCPUs(in); err != nil || got != want {
			t.Errorf("ParseCPUs(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "0.001", "x", "1e3", "NaN"} {
		if got, err := ParseCPUs(in); err == nil {
			t.Errorf("ParseCPUs(%q) = %d, want an error", in, got)
		}
	}
}

// The files and values written for each flag, as the kernel documents
// them (cgroup-v2.rst): swap follows docker's --memory-swap semantics.
func TestResourceFiles(t *testing.T) {
	for _, c := range []struct {
		r    Resources
		want [][2]string
	}{
		{Resources{MemoryMax: 64 << 20}, [][2]string{{"memory.max", "67108864"}, {"memory.swap.max", "67108864"}}},
		{Resources{MemoryMax: 64 << 20, MemorySwap: -1}, [][2]string{{"memory.max", "67108864"}, {"memory.swap.max", "max"}}},
		{Resources{MemoryMax: 64 << 20, MemorySwap: 64 << 20}, [][2]string{{"memory.max", "67108864"}, {"memory.swap.max", "0"}}},
		{Resources{CPUQuota: 50000}, [][2]string{{"cpu.max", "50000 100000"}}},
		{Resources{CPUQuota: 50000, CPUPeriod: 10000}, [][2]string{{"cpu.max", "50000 10000"}}},
		{Resources{CPUWeight: 300, PidsMax: 10}, [][2]string{{"cpu.weight", "300"}, {"pids.max", "10"}}},
		{Resources{PidsMax: -1}, [][2]string{{"pids.max", "max"}}},
		{Resources{MemoryMin: 1 << 20}, [][2]string{{"memory.min", "1048576"}}},
		{Resources{}, nil},
	} {
		if got := c.r.files(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.r, got, c.want)
		}
	}
}

func TestResourcesValidate(t *testing.T) {
	good := []Resources{{}, {MemoryMax: 6 << 20}, {MemoryMax: 64 << 20, MemorySwap: -1}, {CPUQuota: 1000, CPUWeight: 10000, PidsMax: -1}}
	for _, r := range good {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []Resources{{MemoryMax: 1 << 20}, {MemorySwap: 1 << 30}, {MemoryMax: 64 << 20, MemorySwap: 32 << 20},
		{MemoryMax: 64 << 20, MemorySwap: -2}, {CPUQuota: 10}, {CPUWeight: 10001}, {PidsMax: -2}}
	for _, r := range bad {
		if err := r.Validate(); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}

// ReadStats parses the kernel's formats (copied from a 6.1 kernel's
// files); what is missing reads as zero.
func TestReadStats(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"cpu.stat":       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 20\nnr_throttled 7\nthrottled_usec 9000\n",
		"memory.current": "2097152\n",
		"memory.max":     "max\n",
		"memory.events":  "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 1\n",
		"pids.current":   "4\n",
		"pids.max":       "32\n",
		"io.stat":        "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	s, err := ReadStats(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPUUsageUsec: 1500, CPUNrThrottled: 7, CPUThrottledUsec: 9000, MemoryCurrent: 2 << 20, OOMKills: 1,
		PidsCurrent: 4, PidsMax: 32, IOReadBytes: 4097, IOWriteBytes: 8194}
	if s != want {
		t.Errorf("ReadStats:\n%+v\nwant\n%+v", s, want)
	}
	if _, err := ReadStats(filepath.Join(dir, "gone")); err == nil {
		t.Error("ReadStats of a missing cgroup: no error")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1KiB", 32 << 20: "32MiB", 1536 << 20: "1.5GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzParseBytes: no input panics, and an accepted size is never negative
// and reads back the same when printed in bytes.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"512m", "1.5g", "100", "64KiB", "-1", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseBytes(%q) = %d", s, n)
		}
		if back, err := ParseBytes(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("ParseBytes(%q) = %d, which reads back as %d, %v", s, n, back, err)
		}
	})
}
