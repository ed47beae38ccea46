package main

import (
	"fmt"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/cmd/internal/cli"
)

// limitFlags are the cgroup v2 limits of a container (run) or of a whole
// pod (pod create). Where no cgroup is delegated they are refused, never
// ignored (cgroups/doc.go).
func limitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit (memory.max), e.g. 512m or 2g; the OOM killer acts above it and the container ends OOMKilled"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap (default: twice --memory; -1: unlimited swap), as docker's"},
		&cli.StringFlag{Name: "cpus", Usage: "CPU time, in CPUs (cpu.max), e.g. 0.5 or 2"},
		&cli.Int64Flag{Name: "cpu-weight", Usage: "share of CPU time under contention (cpu.weight), 1 to 10000; 100 is the default"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "most processes and threads at once (pids.max); -1 for none"},
	}
}

// limitsConfig reads them.
func limitsConfig(c *cli.Context) (cgroups.Resources, error) {
	var r cgroups.Resources
	var err error
	if v := c.String("memory"); v != "" {
		if r.MemoryMax, err = cgroups.ParseBytes(v); err != nil {
			return r, usageError{fmt.Errorf("--memory: %w", err)}
		}
		if r.MemoryMax == 0 {
			return r, usageError{fmt.Errorf("--memory 0: give a size, e.g. 512m")}
		}
	}
	switch v := c.String("memory-swap"); v {
	case "":
	case "-1":
		r.MemorySwap = -1
	default:
		if r.MemorySwap, err = cgroups.ParseBytes(v); err != nil {
			return r, usageError{fmt.Errorf("--memory-swap: %w", err)}
		}
	}
	if v := c.String("cpus"); v != "" {
		if r.CPUQuota, err = cgroups.ParseCPUs(v); err != nil {
			return r, usageError{err}
		}
	}
	if c.IsSet("cpu-weight") {
		if r.CPUWeight = c.Int64("cpu-weight"); r.CPUWeight < 1 {
			return r, usageError{fmt.Errorf("--cpu-weight %d: from 1 to 10000 (cpu.weight; 100 is the default)", r.CPUWeight)}
		}
	}
	if c.IsSet("pids-limit") {
		if r.PidsMax = c.Int64("pids-limit"); r.PidsMax == 0 {
			return r, usageError{fmt.Errorf("--pids-limit 0: a positive number, or -1 for none")}
		}
	}
	if err := r.Validate(); err != nil {
		return r, usageError{err}
	}
	return r, nil
}
