// Command podctl-store is podctl's image store: the store helper that makes,
// and removes, the container layers of podctl run, rm and gc, and the
// commands that read or change the store (images, rmi, image inspect, image
// prune). podctl starts the helper (sandbox/layers/storehelper.go) and execs this
// binary for those commands.
//
// The store is podman's (go.podman.io/storage, storage.conf), used inside a
// user namespace that maps the caller's subordinate ids as pods do:
// unpacked layers keep their owners (uid 101 in the image is uid 101 in
// every pod).
//
// Why a binary of its own, measured here side by side:
//   - linked into podctl, containers-storage made every podctl exec 6 ms and
//     every podctl run 8 ms slower (its package initialisation, in each of
//     the two Go processes of each: the command and the container's init);
//   - linked with containers/image (podctl-image, the transports), the
//     helper took 6 ms to start instead of 1.5 ms, twice per podctl run
//     --rm IMAGE (make and remove the layer): 71 ms instead of 61 ms.
package main

import (
	"fmt"
	"github.com/podctl/podctl/cmd/internal/cliargs"
	"os"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	"github.com/podctl/podctl/nsenter"
	"github.com/sirupsen/logrus"
	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"
)

// usageError is a mistake in the command line.
type usageError struct{ error }

func main() {
	if nsenter.InUserns() {
		// The constructor's work is done: what this process starts (the
		// re-executions below) must not run its stage again, nor inherit
		// its socket.
		os.Unsetenv(nsenter.EnvStage)
		os.Unsetenv(nsenter.EnvSyncFD)
		unix.Close(nsenter.SyncFD())
	}
	// containers-storage re-executes this binary for some of its own work
	// (chowning a copy of layers for a --userns keep-id pod, its user
	// namespace for the commands below).
	if reexec.Init() {
		return
	}
	// containers-storage logs its choices at info level ("using prior
	// storage driver"); a podctl command says only what went wrong.
	logrus.SetLevel(logrus.WarnLevel)
	// The store helper: started by podctl, in a user namespace that
	// nsenter's constructor made (as root: without one).
	if nsenter.InUserns() || len(os.Args) == 2 && os.Args[1] == images.HelperArg {
		store.Serve() // never returns
	}
	app := newApp()
	if err := app.Run(os.Args); err != nil {
		// Every failure is podctl's own: 125, as podman and docker exit.
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		os.Exit(125)
	}
}

// newApp is podctl-store's command line.
func newApp() *cli.App {
	return cliargs.Versioned(&cli.App{
		Name:     "podctl-store",
		Usage:    "podctl's image store",
		Commands: []*cli.Command{imagesCommand(), imageCommand(), rmiCommand()},
	})
}
