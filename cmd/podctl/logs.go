package main

import (
	"os"

	"github.com/podctl/podctl/sandbox"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print a container's output (kept in the Kubernetes CRI log format)",
		ArgsUsage: "POD",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "container name (default: the pod's first app container)"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing while the container runs"},
			&cli.BoolFlag{Name: "previous", Aliases: []string{"p"}, Usage: "the container's previous run"},
			&cli.BoolFlag{Name: "timestamps", Usage: "prefix each line with its RFC3339Nano timestamp"},
			&cli.IntFlag{Name: "tail", Value: -1, Usage: "only the last N lines"},
		},
		Action: func(c *cli.Context) error {
			pod, err := onePod(c)
			if err != nil {
				return err
			}
			return sandbox.Logs(c.Context, pod, sandbox.LogsOptions{
				Container: c.String("container"), Follow: c.Bool("follow"), Previous: c.Bool("previous"),
				Timestamps: c.Bool("timestamps"), Tail: c.Int("tail"),
			}, os.Stdout, os.Stderr)
		},
	}
}
