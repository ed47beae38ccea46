// Command podctl-kube reads Kubernetes manifests: podctl apply, delete,
// generate kube, configmap and secret exec it (podctl apply -f F runs
// podctl-kube apply -f F). It is a binary of its own because k8s.io/api
// (Kubernetes' own types, for strict decoding) costs every process that
// links it 11 MB of binary and 1.5 ms of start-up (measured: podctl ps,
// 200 runs, 4.0 ms without it, 5.5 ms with), which podctl's stages and
// supervisors, one set per pod, should not pay. The pods it makes are
// podctl's: their supervisor and stages run the podctl binary beside it
// (sandbox.Settings.Podctl).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/cmd/internal/cliargs"
	"github.com/podctl/podctl/images"
)

// usageError is a mistake in the command line or the manifest.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

func onePod(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageError{fmt.Errorf("%s: name exactly one pod", c.Command.Name)}
	}
	return c.Args().First(), nil
}

func main() {
	podctl, err := images.Binary("podctl")
	if err != nil {
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		os.Exit(125)
	}
	sandbox.Configure(sandbox.Settings{Podctl: podctl})
	app := newApp()
	if err := app.Run(reorder(app, os.Args)); err != nil {
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		var ee *model.ExecError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode)
		}
		os.Exit(125)
	}
}

// reorder lets flags follow the positional arguments of the leaf command
// (podctl configmap create NAME --from-file=F, kubectl's order).
func reorder(app *cli.App, args []string) []string {
	cmds, i := app.Commands, 1
	for i < len(args) {
		var found *cli.Command
		for _, c := range cmds {
			if c.Name == args[i] {
				found = c
			}
		}
		if found == nil {
			return args
		}
		i++
		if len(found.Subcommands) == 0 {
			return append(args[:i:i], cliargs.Permute(found, args[i:], -1)...)
		}
		cmds = found.Subcommands
	}
	return args
}

// newApp is podctl-kube's command line.
func newApp() *cli.App {
	return cliargs.Versioned(&cli.App{
		Name:     "podctl",
		Usage:    "podctl's Kubernetes manifests",
		Commands: kubeCommands(),
	})
}
