package cgroups

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats are a cgroup's counters, read from its interface files
// (cgroup-v2.rst, "Core Interface Files" and each controller's). A counter
// whose controller is not enabled reads as zero.
type Stats struct {
	CPUUsageUsec     uint64 `json:"cpuUsageUsec"`     // cpu.stat usage_usec
	CPUNrThrottled   uint64 `json:"cpuNrThrottled"`   // cpu.stat nr_throttled
	CPUThrottledUsec uint64 `json:"cpuThrottledUsec"` // cpu.stat throttled_usec
	MemoryCurrent    uint64 `json:"memoryCurrent"`    // memory.current
	MemoryMax        uint64 `json:"memoryMax"`        // memory.max; 0: "max"
	MemoryPeak       uint64 `json:"memoryPeak"`       // memory.peak (Linux 5.19)
	OOMKills         uint64 `json:"oomKills"`         // memory.events oom_kill
	PidsCurrent      uint64 `json:"pidsCurrent"`      // pids.current
	PidsMax          uint64 `json:"pidsMax"`          // pids.max; 0: "max"
	IOReadBytes      uint64 `json:"ioReadBytes"`      // io.stat rbytes, all devices
	IOWriteBytes     uint64 `json:"ioWriteBytes"`     // io.stat wbytes
}

// ReadStats reads the counters of the cgroup at dir.
func ReadStats(dir string) (Stats, error) {
	var s Stats
	if _, err := os.Stat(dir); err != nil {
		return s, err
	}
	keyed(dir, "cpu.stat", func(k string, v uint64) {
		switch k {
		case "usage_usec":
			s.CPUUsageUsec = v
		case "nr_throttled":
			s.CPUNrThrottled = v
		case "throttled_usec":
			s.CPUThrottledUsec = v
		}
	})
	s.MemoryCurrent = single(dir, "memory.current")
	s.MemoryMax = single(dir, "memory.max")
	s.MemoryPeak = single(dir, "memory.peak")
	s.OOMKills, _ = OOMKills(dir)
	s.PidsCurrent = single(dir, "pids.current")
	s.PidsMax = single(dir, "pids.max")
	// io.stat: one line per device, "MAJ:MIN rbytes=N wbytes=N ...".
	if data, err := os.ReadFile(filepath.Join(dir, "io.stat")); err == nil {
		for _, f := range strings.Fields(string(data)) {
			if v, ok := strings.CutPrefix(f, "rbytes="); ok {
				n, _ := strconv.ParseUint(v, 10, 64)
				s.IOReadBytes += n
			} else if v, ok := strings.CutPrefix(f, "wbytes="); ok {
				n, _ := strconv.ParseUint(v, 10, 64)
				s.IOWriteBytes += n
			}
		}
	}
	return s, nil
}

// OOMKills is memory.events' oom_kill: how many processes of the cgroup
// (and below) the OOM killer has killed. Counted, not guessed from an exit
// code 137, which a plain kill -9 gives as well.
func OOMKills(dir string) (uint64, error) {
	var n uint64
	found := false
	err := keyed(dir, "memory.events", func(k string, v uint64) {
		if k == "oom_kill" {
			n, found = v, true
		}
	})
	if err == nil && !found {
		err = errors.New("memory.events has no oom_kill")
	}
	return n, err
}

// single reads a one-number file; "max" and a missing file read as 0.
func single(dir, name string) uint64 {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return v
}

// keyed reads a flat-keyed file ("key value" per line).
func keyed(dir, name string, f func(string, uint64)) error {
	file, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err == nil {
			f(k, n)
		}
	}
	return sc.Err()
}
