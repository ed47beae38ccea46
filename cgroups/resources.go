package cgroups

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resources are the limits of a pod or a container, as cgroup v2 files
// take them. Zero values mean "not set".
type Resources struct {
	// MemoryMax is memory.max in bytes: above it the kernel reclaims, then
	// OOM-kills inside the cgroup.
	MemoryMax int64 `json:"memoryMax,omitempty"`
	// MemorySwap is memory plus swap, docker's --memory-swap: 0 gives as
	// much swap as memory (docker's and podman's default), -1 unlimited
	// swap; memory.swap.max gets MemorySwap - MemoryMax.
	MemorySwap int64 `json:"memorySwap,omitempty"`
	// MemoryMin is memory.min, protected from reclaim (Kubernetes'
	// requests.memory).
	MemoryMin int64 `json:"memoryMin,omitempty"`
	// CPUQuota and CPUPeriod are cpu.max: at most CPUQuota µs of CPU time
	// per CPUPeriod µs (--cpus 1.5 is 150000 per 100000).
	CPUQuota  int64 `json:"cpuQuota,omitempty"`
	CPUPeriod int64 `json:"cpuPeriod,omitempty"`
	// CPUWeight is cpu.weight, 1 to 10000 (100 is the kernel's default):
	// the share of CPU time under contention.
	CPUWeight int64 `json:"cpuWeight,omitempty"`
	// PidsMax is pids.max: fork and clone fail with EAGAIN above it.
	PidsMax int64 `json:"pidsMax,omitempty"`
}

// DefaultCPUPeriod is the kernel's default cpu.max period, 100 ms.
const DefaultCPUPeriod = 100000

// IsZero: no limit asked for.
func (r Resources) IsZero() bool { return r == Resources{} }

// Controllers are the controllers r needs, with the flag that asked for
// each (for errors).
func (r Resources) Controllers() (names, flags []string) {
	add := func(c, flag string) {
		names = append(names, c)
		flags = append(flags, flag)
	}
	switch {
	case r.MemoryMax != 0:
		add("memory", "--memory")
	case r.MemorySwap != 0:
		add("memory", "--memory-swap")
	case r.MemoryMin != 0:
		add("memory", "requests.memory")
	}
	switch {
	case r.CPUQuota != 0:
		add("cpu", "--cpus")
	case r.CPUWeight != 0:
		add("cpu", "--cpu-weight")
	}
	if r.PidsMax != 0 {
		add("pids", "--pids-limit")
	}
	return names, flags
}

// Validate checks r as the flags gave it.
func (r Resources) Validate() error {
	switch {
	case r.MemoryMax < 0:
		return errors.New("--memory: must be positive")
	case r.MemoryMax > 0 && r.MemoryMax < 6<<20:
		// Below this the runtime itself cannot start (podman and docker
		// refuse under 6 MB too).
		return fmt.Errorf("--memory %d: the minimum is 6m", r.MemoryMax)
	case r.MemorySwap != 0 && r.MemoryMax == 0:
		return errors.New("--memory-swap needs --memory (it is memory plus swap)")
	case r.MemorySwap > 0 && r.MemorySwap < r.MemoryMax:
		return fmt.Errorf("--memory-swap %d is below --memory %d: it is memory plus swap, so at least --memory (-1: unlimited swap)", r.MemorySwap, r.MemoryMax)
	case r.MemorySwap < -1:
		return errors.New("--memory-swap: -1 (unlimited swap) or a size at least --memory")
	case r.CPUQuota < 0 || (r.CPUQuota > 0 && r.CPUQuota < 1000):
		return errors.New("--cpus: at least 0.01")
	case r.CPUWeight < 0 || r.CPUWeight > 10000:
		return fmt.Errorf("--cpu-weight %d: from 1 to 10000 (cpu.weight; 100 is the default)", r.CPUWeight)
	case r.PidsMax < -1:
		return fmt.Errorf("--pids-limit %d: a positive number, or -1 for none", r.PidsMax)
	}
	return nil
}

// files are the interface files and values that set r, in the order they
// are written: memory.max before memory.swap.max (the kernel checks
// nothing between them, but a reader of --explain expects it so).
func (r Resources) files() [][2]string {
	var f [][2]string
	if r.MemoryMin > 0 {
		f = append(f, [2]string{"memory.min", strconv.FormatInt(r.MemoryMin, 10)})
	}
	if r.MemoryMax > 0 {
		f = append(f, [2]string{"memory.max", strconv.FormatInt(r.MemoryMax, 10)})
		swap := strconv.FormatInt(r.MemoryMax, 10)
		switch {
		case r.MemorySwap == -1:
			swap = "max"
		case r.MemorySwap > 0:
			swap = strconv.FormatInt(r.MemorySwap-r.MemoryMax, 10)
		}
		f = append(f, [2]string{"memory.swap.max", swap})
	}
	if r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period == 0 {
			period = DefaultCPUPeriod
		}
		f = append(f, [2]string{"cpu.max", fmt.Sprintf("%d %d", r.CPUQuota, period)})
	}
	if r.CPUWeight > 0 {
		f = append(f, [2]string{"cpu.weight", strconv.FormatInt(r.CPUWeight, 10)})
	}
	switch {
	case r.PidsMax > 0:
		f = append(f, [2]string{"pids.max", strconv.FormatInt(r.PidsMax, 10)})
	case r.PidsMax == -1:
		f = append(f, [2]string{"pids.max", "max"})
	}
	return f
}

// Apply writes r into the cgroup at dir.
func Apply(dir string, r Resources) error {
	for _, kv := range r.files() {
		err := os.WriteFile(filepath.Join(dir, kv[0]), []byte(kv[1]), 0)
		if err != nil && kv[0] == "memory.swap.max" && errors.Is(err, os.ErrNotExist) && r.MemorySwap == 0 {
			// A kernel without swap accounting (CONFIG_MEMCG_SWAP off,
			// or swapaccount=0) has no such file; only an explicit
			// --memory-swap needs it.
			continue
		}
		if err != nil {
			return fmt.Errorf("setting %s to %s in %s: %w", kv[0], kv[1], dir, err)
		}
	}
	return nil
}

// ParseBytes reads a size as docker's --memory takes it: a number with an
// optional unit b, k, m, g or t (powers of 1024; "kb", "KiB" and "k" are
// the same), e.g. 512m, 1.5g, 1048576.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := float64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("kmgt", t[n-1]); i >= 0 {
			mult = math.Pow(1024, float64(i+1))
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*mult > math.MaxInt64/2 || strings.ContainsAny(t, "eEx+-_") {
		return 0, fmt.Errorf("%q is not a size (a number with an optional unit b, k, m, g or t, e.g. 512m)", s)
	}
	return int64(v * mult), nil
}

// ParseCPUs turns --cpus (a number of CPUs, e.g. 1.5) into a cpu.max
// quota per DefaultCPUPeriod.
func ParseCPUs(s string) (int64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 || v > 1<<20 || math.IsNaN(v) || strings.ContainsAny(s, "eEx_") {
		return 0, fmt.Errorf("--cpus %q: a positive number of CPUs, e.g. 0.5 or 2", s)
	}
	q := int64(math.Round(v * DefaultCPUPeriod))
	if q < 1000 {
		return 0, fmt.Errorf("--cpus %q: at least 0.01", s)
	}
	return q, nil
}

// FormatBytes prints n with a binary unit, for humans (stats, errors).
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.4g%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
