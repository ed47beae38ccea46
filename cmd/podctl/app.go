package main

import (
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/urfave/cli/v2"
)

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

type app struct {
	cli  *cli.App
	code int // exit code of the workload, for podctl run
}

func newApp() *app {
	a := &app{}
	a.cli = &cli.App{
		Name:  "podctl",
		Usage: "rootless Kubernetes-style pods, built directly on Linux namespaces",
		// One error message, printed once by main, instead of urfave's
		// usage dump.
		OnUsageError: func(c *cli.Context, err error, sub bool) error {
			return usageError{fmt.Errorf("%v (see podctl --help)", err)}
		},
		HideHelpCommand: true,
		Commands:        []*cli.Command{a.runCommand(), psCommand(), rmCommand()},
	}
	return a
}

func (a *app) run(args []string) (int, error) {
	err := a.cli.Run(args)
	return a.code, err
}

func (a *app) runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a new one-container pod, in the foreground",
		ArgsUsage: "-- CMD [ARG...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rootfs", Usage: "directory holding the container's unpacked root filesystem", Required: true},
			&cli.StringFlag{Name: "name", Usage: "pod name (a DNS label); generated when omitted"},
			&cli.BoolFlag{Name: "rm", Usage: "remove the pod's state when it ends"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set KEY=VALUE in the container (KEY alone passes podctl's value)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container (created if missing)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID] or NAME[:GROUP] of the rootfs to run as"},
			&cli.StringFlag{Name: "hostname", Usage: "the pod's hostname (default: the pod name)"},
		},
		OnUsageError: func(c *cli.Context, err error, sub bool) error {
			return usageError{fmt.Errorf("run: %v (see podctl run --help)", err)}
		},
		Action: func(c *cli.Context) error {
			code, err := sandbox.Run(sandbox.RunOptions{
				Name:     c.String("name"),
				Hostname: c.String("hostname"),
				Rootfs:   c.String("rootfs"),
				Remove:   c.Bool("rm"),
				Args:     c.Args().Slice(),
				Env:      c.StringSlice("env"),
				Cwd:      c.String("workdir"),
				User:     c.String("user"),
				Stdio:    [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
				Notices:  os.Stderr,
			})
			a.code = code
			return err
		},
	}
}

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list pods",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "also list pods that have ended"}},
		Action: func(c *cli.Context) error {
			names, err := sandbox.ListPods()
			if err != nil {
				return err
			}
			sort.Strings(names)
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "NAME\tSTATUS\tPAUSE PID\tAGE")
			for _, n := range names {
				st, _, err := sandbox.ReadState(n)
				if err != nil {
					fmt.Fprintf(w, "%s\tUnknown (%v)\t-\t-\n", n, err)
					continue
				}
				status := sandbox.Status(st)
				if status != "Running" && !c.Bool("all") {
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", n, status, st.PausePID, time.Since(st.Created).Round(time.Second))
			}
			return w.Flush()
		},
	}
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove pods",
		ArgsUsage: "POD...",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running pod first"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{fmt.Errorf("rm: name at least one pod")}
			}
			for _, n := range c.Args().Slice() {
				if err := sandbox.Remove(n, c.Bool("force")); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
