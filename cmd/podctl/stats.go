package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/podctl/podctl/sandbox"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/cmd/internal/cli"
	"golang.org/x/sys/unix"
)

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "live CPU, memory, pids and I/O of running containers, from their cgroups",
		ArgsUsage: "[POD...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-stream", Usage: "print one sample and exit"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
			&cli.DurationFlag{Name: "interval", Value: time.Second, Usage: "time between samples (CPU % is measured over it)"},
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("stats: --format %q: table or json", format)}
			}
			interval := c.Duration("interval")
			if interval <= 0 {
				return usageError{fmt.Errorf("stats: --interval %s: give a positive duration", interval)}
			}
			names := c.Args().Slice()
			prev, err := sandbox.Stats(c.Context, names)
			if err != nil {
				return err
			}
			for {
				time.Sleep(interval)
				cur, err := sandbox.Stats(c.Context, names)
				if err != nil {
					return err
				}
				rows := statsRows(prev, cur)
				if format == "json" {
					b, _ := json.Marshal(rows)
					fmt.Println(string(b))
				} else {
					printStats(os.Stdout, rows)
				}
				if c.Bool("no-stream") {
					return nil
				}
				prev = cur
			}
		},
	}
}

// statsRow is one line of podctl stats (and one object of --format json).
type statsRow struct {
	sandbox.StatsSample
	CPUPercent    float64 `json:"cpuPercent"`
	MemoryLimit   uint64  `json:"memoryLimit"` // memory.max, or the host's memory
	MemoryPercent float64 `json:"memoryPercent"`
}

func statsRows(prev, cur []sandbox.StatsSample) []statsRow {
	var total uint64
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		total = si.Totalram * uint64(si.Unit)
	}
	rows := []statsRow{}
	for _, s := range cur {
		r := statsRow{StatsSample: s, MemoryLimit: s.MemoryMax}
		if r.MemoryLimit == 0 || (total > 0 && r.MemoryLimit > total) {
			r.MemoryLimit = total
		}
		if r.MemoryLimit > 0 {
			r.MemoryPercent = float64(s.MemoryCurrent) / float64(r.MemoryLimit) * 100
		}
		for _, p := range prev {
			if p.Pod == s.Pod && p.Container == s.Container {
				r.CPUPercent = sandbox.CPUPercent(p, s)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func printStats(out io.Writer, rows []statsRow) {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "POD\tCONTAINER\tCPU %\tMEM USAGE / LIMIT\tMEM %\tPIDS\tBLOCK I/O")
	for _, r := range rows {
		pids := fmt.Sprint(r.PidsCurrent)
		if r.PidsMax > 0 {
			pids += fmt.Sprintf(" / %d", r.PidsMax)
		}
		fmt.Fprintf(w, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%s\t%s / %s\n", r.Pod, r.Container, r.CPUPercent,
			cgroups.FormatBytes(r.MemoryCurrent), cgroups.FormatBytes(r.MemoryLimit), r.MemoryPercent, pids,
			cgroups.FormatBytes(r.IOReadBytes), cgroups.FormatBytes(r.IOWriteBytes))
	}
	w.Flush()
}
