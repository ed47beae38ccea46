package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	istorage "go.podman.io/image/v5/storage"
)

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "copy an image of the store to a registry or an archive",
		ArgsUsage: "IMAGE [DESTINATION]",
		Description: `DESTINATION is a registry name, or TRANSPORT:REFERENCE (docker://,
oci:, oci-archive:, docker-archive:, dir:); by default IMAGE's own name.`,
		Flags: []cli.Flag{tlsFlag(), authFlag(), &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress"},
			&cli.StringFlag{Name: "digestfile", Usage: "write the digest of the pushed manifest to this file (for pulls by digest)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return usageError{errors.New("push: podctl push IMAGE [DESTINATION]")}
			}
			image, dest := c.Args().Get(0), c.Args().Get(1)
			if dest == "" {
				dest = image
			}
			store.EnterUserNamespace()
			s, err := openStore()
			if err != nil {
				return err
			}
			defer s.Shutdown(false)
			img, err := store.Find(s, image)
			if err != nil {
				return err
			}
			src, err := istorage.Transport.NewStoreReference(s, nil, img.ID)
			if err != nil {
				return err
			}
			dst, isTransport, err := parseTransportRef(dest)
			if err != nil {
				return err
			}
			if !isTransport {
				r, err := images.ParseRef(dest)
				if err != nil {
					return err
				}
				named, err := reference.ParseNormalizedNamed(r.String())
				if err != nil {
					return err
				}
				if dst, err = docker.NewReference(named); err != nil {
					return err
				}
			}
			man, err := copyImage(c.Context, systemContext(c), dst, src, c.Bool("quiet"))
			if err != nil {
				return fmt.Errorf("push %s to %s: %w", image, transportName(dst), err)
			}
			if f := c.String("digestfile"); f != "" {
				d, err := manifest.Digest(man)
				if err != nil {
					return err
				}
				return os.WriteFile(f, []byte(d.String()), 0o644)
			}
			return nil
		},
	}
}
