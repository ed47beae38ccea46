package main

import (
	"os"
	"syscall"

	"github.com/podctl/podctl/images"
	"github.com/urfave/cli/v2"
)

// The image commands are podctl-image's (cmd/podctl-image: the image store
// and the transports, whose libraries podctl's own binary must not carry).
// podctl execs it with the same command line.

var imageUsage = map[string]string{
	"images": "list the images of the store (podman's, shared)",
	"image":  "manage images: ls, rm, inspect, prune, pull, load, push",
	"rmi":    "remove images (or one of an image's several names)",
	"pull":   "copy an image into the store from a registry or an archive",
	"load":   "load images from a docker-archive or oci-archive tarball",
	"push":   "copy an image of the store to a registry or an archive",
	"login":  "keep a registry's credentials in auth.json",
	"logout": "forget a registry's credentials",
}

// imageCommands are the commands handed over to podctl-image.
func imageCommands() []*cli.Command {
	var out []*cli.Command
	for _, name := range []string{"images", "image", "rmi", "pull", "load", "push", "login", "logout"} {
		out = append(out, imageCommand(name))
	}
	return out
}

func imageCommand(name string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           imageUsage[name] + " (podctl-image)",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			bin, err := images.Binary()
			if err != nil {
				return err
			}
			args := append([]string{"podctl-image", name}, c.Args().Slice()...)
			// exec, not a child: podctl-image's exit status and signals
			// are the command's own.
			return syscall.Exec(bin, args, os.Environ())
		},
	}
}
