package main

import (
	"errors"
	"os"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/termio"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func (a *app) execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command in a running container, in all of its namespaces",
		ArgsUsage: "POD -- CMD [ARG...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "container name (default: the pod's first app container)"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "pass standard input to the command"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the command a new pty, relayed by podctl"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set KEY=VALUE for the command"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory (default: the container's)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID] or NAME[:GROUP] (default: the container's)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return usageError{errors.New("exec: name a pod: podctl exec POD -- CMD [ARG...]")}
			}
			args := c.Args().Tail()
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			o := sandbox.ExecOptions{
				Container: c.String("container"), Args: args, Env: c.StringSlice("env"),
				User: c.String("user"), Cwd: c.String("workdir"),
				TTY: c.Bool("tty"), Stdout: os.Stdout, Stderr: os.Stderr,
			}
			if c.Bool("interactive") {
				o.Stdin = os.Stdin
			}
			if o.TTY && termio.IsTerminal(os.Stdin) {
				// Our terminal is the command's, raw, with its size
				// followed; keys such as ^C reach the command.
				var stop func()
				o.Resize, stop = windowSizes(os.Stdin)
				defer stop()
				if o.Stdin != nil {
					defer termio.Raw(os.Stdin)()
				}
			}
			code, err := sandbox.Exec(c.Context, c.Args().First(), o)
			a.code = code
			return err
		},
	}
}
