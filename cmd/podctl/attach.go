package main

import (
	"errors"
	"os"

	"github.com/podctl/podctl/sandbox"

	"github.com/urfave/cli/v2"
)

func (a *app) attachCommand() *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "connect to the output (and with -i the stdin) of a running container",
		ArgsUsage: "POD",
		Description: `As kubectl attach: the container's output from now on, until its run ends
(podctl attach then exits with its exit code). With -i your input goes to its
stdin, which it must have (stdin: true in its manifest, or podctl run -d -i);
with -t your terminal is put in raw mode for the container's pty (tty: true,
or podctl run -d -t), and ctrl-p ctrl-q detaches. A container with stdinOnce
reads end-of-file once the first session's input has ended.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "container name (default: the pod's first app container)"},
			&cli.BoolFlag{Name: "stdin", Aliases: []string{"i"}, Usage: "pass standard input to the container's stdin"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "standard input is a terminal: raw mode, window size passed on"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{errors.New("attach: name one pod: podctl attach POD [-c CONTAINER] [-i] [-t]")}
			}
			code, err := sandbox.Attach(c.Args().First(), sandbox.AttachOptions{
				Container: c.String("container"), Stdin: c.Bool("stdin"), TTY: c.Bool("tty"),
			}, os.Stdin, os.Stdout, os.Stderr)
			a.code = code
			return err
		},
	}
}
