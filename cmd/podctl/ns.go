package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/podctl/podctl/sandbox"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func nsCommand() *cli.Command {
	return &cli.Command{
		Name:      "ns",
		Usage:     "show a running pod's processes by namespace: what each container shares with the pause, and what is its own",
		ArgsUsage: "POD",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"}},
		Description: `Each cell is the inode of a namespace (as in /proc/PID/ns/KIND). In the
table, "= pause" marks a namespace shared with the pause, and a number
marks one of the process's own; the last line, podctl's own namespaces,
shows what the host has.`,
		Action: func(c *cli.Context) error {
			pod, err := onePod(c)
			if err != nil {
				return err
			}
			rows, err := sandbox.Namespaces(c.Context, pod)
			if err != nil {
				return err
			}
			switch c.String("format") {
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			case "table":
			default:
				return usageError{fmt.Errorf("ns: --format %q: use table or json", c.String("format"))}
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
			fmt.Fprintf(w, "PROCESS\tPID\t%s\n", strings.ToUpper(strings.Join(sandbox.NamespaceKinds, "\t")))
			pause := rows[0]
			for i, r := range rows {
				cells := []string{r.Name, fmt.Sprint(r.PID)}
				for _, kind := range sandbox.NamespaceKinds {
					n := r.Inodes[kind]
					if i > 0 && r.Name != "(host)" && n == pause.Inodes[kind] {
						cells = append(cells, "= pause")
					} else {
						cells = append(cells, fmt.Sprint(n))
					}
				}
				fmt.Fprintln(w, strings.Join(cells, "\t"))
			}
			return w.Flush()
		},
	}
}
