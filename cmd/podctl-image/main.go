// Command podctl-image moves images into and out of the image store: pull,
// load, push, login, logout (the transports of go.podman.io/image/v5).
// podctl execs it for those commands (podctl pull ... runs podctl-image
// pull ...). It is a binary of its own because containers/image costs every
// process that links it about 5 ms of package initialisation and 18 MB of
// memory (GODEBUG=inittrace=1: 269 packages), which neither podctl's stages
// nor the store helper of every podctl run (podctl-store) should pay.
//
// The store is podman's (go.podman.io/storage, storage.conf), used inside a
// user namespace that maps the caller's subordinate ids, as podman does:
// unpacked layers keep their owners (uid 101 in the image is uid 101 in
// every pod).
package main

import (
	"fmt"
	"github.com/podctl/podctl/cmd/internal/cliargs"
	"os"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/sirupsen/logrus"
	"go.podman.io/storage/pkg/reexec"
)

// usageError is a mistake in the command line.
type usageError struct{ error }

func main() {
	// containers-storage re-executes this binary for some of its own work
	// (layer unpacking in a chroot, its user namespace).
	if reexec.Init() {
		return
	}
	// containers-storage logs its choices at info level ("using prior
	// storage driver"); a podctl command says only what went wrong.
	logrus.SetLevel(logrus.WarnLevel)
	app := newApp()
	if err := app.Run(os.Args); err != nil {
		// Every failure is podctl's own: 125, as podman and docker exit.
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		os.Exit(125)
	}
}

// tlsFlag, authFlag: podman's names for the registry options.
func tlsFlag() cli.Flag {
	return &cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "require HTTPS and a verified certificate from the registry (registries.conf may mark a registry insecure instead)"}
}

func authFlag() cli.Flag {
	return &cli.StringFlag{Name: "authfile", Usage: "credentials file (default: $XDG_RUNTIME_DIR/containers/auth.json, as podman)", EnvVars: []string{"REGISTRY_AUTH_FILE"}}
}

// newApp is podctl-image's command line.
func newApp() *cli.App {
	return cliargs.Versioned(&cli.App{
		Name:  "podctl-image",
		Usage: "podctl's image transports",
		Commands: []*cli.Command{pullCommand(), loadCommand(), pushCommand(), loginCommand(), logoutCommand(),
			// podctl image pull|load|push
			{Name: "image", Usage: "pull, load and push, as podctl image subcommands", Subcommands: []*cli.Command{pullCommand(), loadCommand(), pushCommand()}}},
	})
}
