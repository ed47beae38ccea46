package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list pods (NAME, READY, STATUS, RESTARTS, AGE, as kubectl get pods)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "also list pods that have ended"},
			&cli.BoolFlag{Name: "containers", Usage: "one line per container"},
			&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "table", Usage: "table, wide (with IP, NETWORK and PORTS, as kubectl get pods -o wide) or json"},
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "table" && format != "wide" && format != "json" {
				return usageError{fmt.Errorf("ps: --format %q: use table, wide or json", format)}
			}
			names, err := model.ListPods()
			if err != nil {
				return err
			}
			sort.Strings(names)
			var pods []*model.PodState
			for _, n := range names {
				st, _, err := model.Observe(n)
				if err != nil {
					// Being created, or interrupted: say so rather than hide it.
					if c.Bool("all") {
						fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
					}
					continue
				}
				if !c.Bool("all") && (st.Phase == model.PhaseSucceeded || st.Phase == model.PhaseFailed) {
					continue
				}
				pods = append(pods, st)
			}
			if format == "json" {
				if pods == nil {
					pods = []*model.PodState{}
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(pods)
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
			if c.Bool("containers") {
				fmt.Fprintln(w, "POD\tCONTAINER\tSTATE\tRESTARTS\tPID")
				for _, st := range pods {
					for _, ct := range st.Containers {
						name := ct.Spec.Name
						if ct.Spec.Init {
							name += " (init)"
						}
						pid := "-"
						if ct.Proc.PID > 0 && ct.State.Running != nil {
							pid = fmt.Sprint(ct.Proc.PID)
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", st.Spec.Name, name, ct.StateWord(), ct.RestartCount, pid)
					}
				}
				return w.Flush()
			}
			wide := format == "wide"
			if wide {
				fmt.Fprintln(w, "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\tIP\tNETWORK\tPORTS")
			} else {
				fmt.Fprintln(w, "NAME\tREADY\tSTATUS\tRESTARTS\tAGE")
			}
			for _, st := range pods {
				ready, total := model.ReadyCount(st)
				fmt.Fprintf(w, "%s\t%d/%d\t%s\t%d\t%s", st.Spec.Name, ready, total, model.DisplayStatus(st),
					model.Restarts(st), age(st.Created))
				if wide {
					fmt.Fprintf(w, "\t%s\t%s\t%s", orDash(st.Network.IP), networkWord(st), portList(st))
				}
				fmt.Fprintln(w)
			}
			return w.Flush()
		},
	}
}

// age prints a duration the way kubectl does: 45s, 3m12s, 2h5m, 3d.
// A time in the future (a clock stepped back) is 0s, as kubectl shows it.
func age(t time.Time) string {
	d := max(time.Since(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// networkWord is the pod's mode, marked when its helper is down.
func networkWord(st *model.PodState) string {
	m := string(st.Spec.Network.Mode)
	if m == "" {
		m = "none"
	}
	if st.Network.Down {
		m += " (down)"
	}
	return m
}

func portList(st *model.PodState) string {
	var out []string
	for _, p := range st.Spec.Network.Ports {
		out = append(out, p.String())
	}
	return orDash(strings.Join(out, ","))
}
