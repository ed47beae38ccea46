package main

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/cmd/internal/cliargs"
	"github.com/podctl/podctl/sandbox"
)

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

type app struct {
	cli  *cli.App
	code int // exit code of the workload, for podctl run and exec
}

func newApp() *app {
	a := &app{}
	a.cli = cliargs.Versioned(&cli.App{
		Name:  "podctl",
		Usage: "rootless Kubernetes-style pods, built directly on Linux namespaces",
		// A value is taken whole: -e K=a,b sets K to "a,b", and --mount's
		// comma-separated fields reach ParseMount (unsplit).
		DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{
			a.runCommand(), podCommand(), psCommand(), inspectCommand(), logsCommand(),
			a.execCommand(), a.attachCommand(), stopCommand(), killCommand(), rmCommand(), waitCommand(),
			topCommand(), statsCommand(), nsCommand(), gcCommand(), a.doctorCommand(), volumeCommand(),
			versionCommand(),
		},
	})
	a.cli.Commands = append(a.cli.Commands, imageCommands()...)
	explainFlag := &cli.BoolFlag{Name: "explain", Usage: "print each kernel-level step as it happens (namespaces, id maps, mounts, credentials, signals), by process role"}
	explainOn := func(c *cli.Context) error {
		if c.Bool("explain") {
			sandbox.Configure(sandbox.Settings{Explain: os.Stderr})
		}
		return nil
	}
	for _, c := range append(a.cli.Commands, podCreate(a.cli.Commands)) {
		switch c.Name {
		case "run", "exec", "stop", "rm", "create":
			c.Flags = append(c.Flags, explainFlag)
			c.Before = explainOn
		}
	}
	for _, c := range a.cli.Commands {
		// -it for -i -t, as docker, podman and kubectl accept.
		c.UseShortOptionHandling = true
	}
	return a
}

func (a *app) run(args []string) (int, error) {
	err := a.cli.Run(a.reorder(args))
	return a.code, err
}

// podCreate is the pod create command, among cmds.
func podCreate(cmds []*cli.Command) *cli.Command {
	for _, c := range cmds {
		if c.Name == "pod" {
			return c.Subcommands[0]
		}
	}
	return nil
}

// onePod returns the single POD argument of a command.
func onePod(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageError{fmt.Errorf("%s: name exactly one pod (see podctl %s --help)", c.Command.Name, c.Command.Name)}
	}
	if c.Args().First() == "" {
		return "", usageError{fmt.Errorf("%s: the pod's name is empty (see podctl %s --help)", c.Command.Name, c.Command.Name)}
	}
	return c.Args().First(), nil
}
