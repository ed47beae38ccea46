package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/podctl/podctl/sandbox"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func (a *app) doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check what podctl needs from this machine and user, with a fix for each problem",
		Description: `Kernel, no_new_privs and seccomp imposed on podctl (a CI runner's), user
namespaces (actually tried), the id mapping (/etc/subuid, newuidmap), cgroups,
unprivileged ports, network helpers, podctl-net, podctl-store and podctl-image, the image
policy, the state directory. Exit code 1 when pods cannot run here.`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Usage: "json for machine-readable output"}},
		Action: func(c *cli.Context) error {
			checks := sandbox.Doctor()
			failed := false
			for _, ch := range checks {
				failed = failed || ch.Status == "fail"
			}
			if c.String("format") == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				enc.Encode(checks)
			} else {
				w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				for _, ch := range checks {
					fmt.Fprintf(w, "%s\t%s\t%s\n", ch.Status, ch.Name, ch.Detail)
					if ch.Fix != "" && ch.Status != "ok" {
						fmt.Fprintf(w, "\t\tfix: %s\n", ch.Fix)
					}
				}
				w.Flush()
			}
			if failed {
				fmt.Fprintln(os.Stderr, "podctl: pods cannot run here; see the fixes above")
				a.code = 1
			}
			return nil
		},
	}
}
