// Command podctl-image is podctl's image half: the image store (images,
// rmi, image inspect, image prune), the transports (pull, load, push, login,
// logout) and the store helper that makes and removes container layers for
// podctl run and rm. podctl execs it for those commands (podctl pull ...
// runs podctl-image pull ...). It is a binary of its own because its
// libraries cost every process that links them: containers-storage about
// 6 ms more per podctl exec and 8 ms per podctl run (two Go processes each;
// measured side by side), containers/image about 5 ms of package
// initialisation and 18 MB of memory more (GODEBUG=inittrace=1); podctl's
// binary runs in every short-lived stage of every pod.
//
// The store is podman's (go.podman.io/storage, storage.conf), used inside a
// user namespace that maps the caller's subordinate ids, as podman does:
// unpacked layers keep their owners (uid 101 in the image is uid 101 in
// every pod).
package main

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	"github.com/podctl/podctl/nsenter"
	"github.com/urfave/cli/v2"
	"go.podman.io/storage/pkg/reexec"
)

// usageError is a mistake in the command line.
type usageError struct{ error }

func main() {
	// The store helper: started by podctl, in a user namespace that
	// nsenter's constructor made (as root: without one).
	if nsenter.InUserns() || len(os.Args) == 2 && os.Args[1] == images.HelperArg {
		store.Serve() // never returns
	}
	// containers-storage re-executes this binary for some of its own work
	// (layer unpacking in a chroot, its user namespace).
	if reexec.Init() {
		return
	}
	app := &cli.App{
		Name:            "podctl-image",
		Usage:           "podctl's images: the store and the transports",
		HideHelpCommand: true,
		Commands: []*cli.Command{imagesCommand(), imageCommand(), rmiCommand(),
			pullCommand(), loadCommand(), pushCommand(), loginCommand(), logoutCommand()},
		ExitErrHandler: func(*cli.Context, error) {},
	}
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
