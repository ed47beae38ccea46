// Command podctl-cri is podctl's Container Runtime Interface server:
// `podctl cri serve` execs it. It serves runtime.v1's RuntimeService and
// ImageService (package cri) on a unix socket, in the foreground, for a
// kubelet, crictl or critest.
//
// A binary of its own, as podctl-kube is: gRPC, protobuf and the CRI's
// types would cost every podctl start their package initialisation and
// pages, and none of a pod's stages needs them. The pods it makes are
// ordinary podctl pods, whose stages and supervisors run the podctl
// binary found next to this one.
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/podctl/podctl/cmd/internal/cliargs"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/cri"
	"github.com/podctl/podctl/cri/cninet"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/version"
	"golang.org/x/sys/unix"
)

type usageError struct{ error }

func main() {
	app := newApp()
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(125)
	}
}

func newApp() *cli.App {
	return cliargs.Versioned(&cli.App{
		Name:     "podctl",
		Usage:    "podctl's CRI server",
		Commands: []*cli.Command{criCommand()},
	})
}

func criCommand() *cli.Command {
	return &cli.Command{
		Name:  "cri",
		Usage: "the Container Runtime Interface: a kubelet's, crictl's and critest's runtime",
		Subcommands: []*cli.Command{{
			Name: "serve",
			Usage: "serve runtime.v1 (RuntimeService, ImageService) on a unix socket, in the foreground, until SIGTERM or SIGINT; " +
				"its pods are podctl pods (podctl ps, logs, exec see them)",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "listen", Usage: "the socket, unix:///PATH (default: $XDG_RUNTIME_DIR/podctl/cri.sock; root: /run/podctl/cri.sock)"},
				&cli.StringFlag{Name: "network", Usage: "the network of a sandbox that does not use the node's: pasta, slirp4netns, bridge or none (default: podctl run's)"},
				&cli.StringFlag{Name: "cni-conf-dir", Usage: "where the node's CNI network is configured: its first configuration (by name) is used, and the sandboxes are attached by its plugins instead of --network; \"\" for none (default: /etc/cni/net.d, rootless $XDG_CONFIG_HOME/cni/net.d, unless --network is given)"},
				&cli.StringFlag{Name: "cni-bin-dir", Value: "/opt/cni/bin:/usr/lib/cni", Usage: "where the CNI plugins are, directories separated by ':' (Debian's containernetworking-plugins: /usr/lib/cni)"},
				&cli.IntFlag{Name: "stream-port", Usage: "the port of the streaming server (exec, attach, port-forward), which listens on 127.0.0.1 only (default: one the kernel picks)"},
			},
			Action: serve,
		}},
	}
}

func serve(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError{fmt.Errorf("cri serve takes no arguments (got %q)", c.Args().First())}
	}
	path, err := cri.DefaultSocket()
	if err != nil {
		return err
	}
	if l := c.String("listen"); l != "" {
		if path, err = cri.SocketPath(l); err != nil {
			return usageError{err}
		}
	}
	mode := netsetup.Default()
	if n := c.String("network"); n != "" {
		if mode, err = netsetup.ParseMode(n); err != nil {
			return usageError{fmt.Errorf("--network: %w", err)}
		}
	}
	podctl, err := images.Binary("podctl")
	if err != nil {
		return err
	}
	sandbox.Configure(sandbox.Settings{Podctl: podctl})
	ctx, stop := signal.NotifyContext(context.Background(), unix.SIGTERM, unix.SIGINT)
	defer stop()
	port := c.Int("stream-port")
	if port < 0 || port > 65535 {
		return usageError{fmt.Errorf("--stream-port %d: a port is 1 to 65535 (or 0: any)", port)}
	}
	// A CNI configuration in the default directory serves unless
	// --network chose podctl's own network; one in a directory named
	// does, and --network with it is a contradiction.
	confDir := ""
	switch {
	case c.IsSet("cni-conf-dir"):
		confDir = c.String("cni-conf-dir")
	case !c.IsSet("network"):
		confDir = cninet.DefaultConfDir()
	}
	var cni *cninet.Network
	if confDir != "" {
		if cni, err = cninet.Load(cninet.Options{ConfDir: confDir, BinDirs: filepath.SplitList(c.String("cni-bin-dir"))}); err != nil {
			return err
		}
		// Load made the cache directory: gone again when the server is,
		// if no attachment is left in it.
		defer cni.Close()
	}
	if cni != nil && c.IsSet("network") {
		return usageError{fmt.Errorf("--network %s and a CNI configuration in %s: the sandboxes' network is one or the other (--cni-conf-dir \"\" for none)", mode, confDir)}
	}
	if cni != nil {
		fmt.Fprintf(os.Stderr, "podctl-cri: sandboxes on the %s\n", cni.Describe())
	}
	return cri.New(cri.Options{Network: mode, Version: version.Version, StreamPort: port, CNI: cni}).Serve(ctx, path)
}
