package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/podctl/podctl/sandbox"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func topCommand() *cli.Command {
	return &cli.Command{
		Name:      "top",
		Usage:     "list the processes of a pod, by container",
		ArgsUsage: "POD",
		Action: func(c *cli.Context) error {
			pod, err := onePod(c)
			if err != nil {
				return err
			}
			procs, err := sandbox.Top(c.Context, pod)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
			fmt.Fprintln(w, "CONTAINER\tPID\tHOST PID\tUID\tCOMMAND")
			for _, p := range procs {
				uid := "?"
				if p.UID >= 0 {
					uid = fmt.Sprint(p.UID)
				}
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", p.Container, p.PodPID, p.HostPID, uid, p.Command)
			}
			return w.Flush()
		},
	}
}
