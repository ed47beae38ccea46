package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
)

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "copy an image into the image store",
		ArgsUsage: "NAME[:TAG|@DIGEST] | TRANSPORT:REFERENCE",
		Description: `NAME is pulled from a registry: a short name is resolved with the aliases and
unqualified-search registries of registries.conf, as podman does (mirrors
apply too). TRANSPORT is one of docker://, oci:, oci-archive:, docker-archive:,
dir: (containers-transports(5)). Prints the image ID.`,
		Flags: []cli.Flag{tlsFlag(), authFlag(), &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress, only the image ID"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{errors.New("pull: give one image, e.g. podctl pull docker.io/library/busybox")}
			}
			store.EnterUserNamespace()
			s, err := openStore()
			if err != nil {
				return err
			}
			defer s.Shutdown(false)
			img, err := pull(c.Context, s, systemContext(c), c.Args().First(), c.Bool("quiet"))
			if err != nil {
				return err
			}
			fmt.Println(img.ID)
			return nil
		},
	}
}

func openStore() (storage.Store, error) {
	o, err := store.DefaultOptions()
	if err != nil {
		return nil, err
	}
	return store.Open(o)
}

// pull copies the image named by arg into the store.
func pull(ctx context.Context, s storage.Store, sys *types.SystemContext, arg string, quiet bool) (*storage.Image, error) {
	src, isTransport, err := parseTransportRef(arg)
	if err != nil {
		return nil, err
	}
	if isTransport {
		return copyIn(ctx, s, sys, src, src.DockerReference(), quiet)
	}
	if _, err := images.ParseRef(arg); err != nil {
		return nil, err
	}
	resolved, err := shortnames.Resolve(sys, arg)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", arg, err)
	}
	var errs []error
	for _, cand := range resolved.PullCandidates {
		ref, err := docker.NewReference(cand.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		img, err := copyIn(ctx, s, sys, ref, cand.Value, quiet)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := cand.Record(); err != nil {
			return nil, err
		}
		return img, nil
	}
	return nil, resolved.FormatPullErrors(errs)
}

// copyIn copies src into the store, named name when it has one. A copy
// that fails leaves no image and no layer of its own behind (cleanAfter).
func copyIn(ctx context.Context, s storage.Store, sys *types.SystemContext, src types.ImageReference, name reference.Named, quiet bool) (*storage.Image, error) {
	// An image without a name is stored under its ID, which is its config
	// digest (podman does the same for oci: and dir: sources).
	id := ""
	if name == nil {
		var err error
		if id, err = configID(ctx, sys, src); err != nil {
			return nil, fmt.Errorf("%s: %w", transportName(src), err)
		}
	}
	dst, err := istorage.Transport.NewStoreReference(s, name, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", transportName(src), err)
	}
	before, err := layerIDs(s)
	if err != nil {
		return nil, err
	}
	if _, err := copyImage(ctx, sys, dst, src, quiet); err != nil {
		cleanAfter(s, before)
		if problem := diagnose(ctx, sys, src); problem != "" {
			return nil, fmt.Errorf("%s: %s", transportName(src), problem)
		}
		return nil, fmt.Errorf("%s: %w", transportName(src), err)
	}
	_, img, err := istorage.ResolveReference(dst)
	if err != nil {
		return nil, fmt.Errorf("%s: copied, but not found in the store: %w", transportName(src), err)
	}
	if err := checkStoredLayers(s, img, before); err != nil {
		// Unless the image was there already (then it was checked when
		// it came), it goes, with its layers.
		if !before[img.TopLayer] {
			s.DeleteImage(img.ID, true)
			cleanAfter(s, before)
		}
		return nil, fmt.Errorf("%s: %w", transportName(src), err)
	}
	return img, nil
}

// configID reads the image's config digest, the ID the store gives it.
func configID(ctx context.Context, sys *types.SystemContext, ref types.ImageReference) (string, error) {
	img, err := ref.NewImage(ctx, sys)
	if err != nil {
		return "", err
	}
	defer img.Close()
	return img.ConfigInfo().Digest.Encoded(), nil
}

// transportName is how the user would write ref.
func transportName(ref types.ImageReference) string {
	return ref.Transport().Name() + ":" + ref.StringWithinTransport()
}

func layerIDs(s storage.Store) (map[string]bool, error) {
	ls, err := s.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing the store's layers: %w", err)
	}
	ids := map[string]bool{}
	for _, l := range ls {
		ids[l.ID] = true
	}
	return ids, nil
}

// cleanAfter removes the layers a failed copy committed before it failed
// (containers/image commits each layer as soon as the ones below it are in):
// those that were not there before and that no image or container uses.
// A pull of the same layers running in another process at this very moment
// could lose one; it then fails and can be retried, while a half-written
// image in the store would stay wrong for good.
func cleanAfter(s storage.Store, before map[string]bool) {
	used := map[string]bool{}
	if imgs, err := s.Images(); err == nil {
		for _, img := range imgs {
			used[img.TopLayer] = true
			for _, l := range img.MappedTopLayers {
				used[l] = true
			}
		}
	}
	if cs, err := s.Containers(); err == nil {
		for _, c := range cs {
			used[c.LayerID] = true
		}
	}
	ls, err := s.Layers()
	if err != nil {
		return
	}
	parent := map[string]string{}
	for _, l := range ls {
		parent[l.ID] = l.Parent
	}
	// A layer is in use when it, or a layer above it, is.
	inUse := map[string]bool{}
	for id := range used {
		for l := id; l != "" && !inUse[l]; l = parent[l] {
			inUse[l] = true
		}
	}
	// Children before parents: the store refuses to delete a parent.
	left := map[string]bool{}
	for _, l := range ls {
		if !before[l.ID] && !inUse[l.ID] {
			left[l.ID] = true
		}
	}
	for progress := true; progress && len(left) > 0; {
		progress = false
		hasChild := map[string]bool{}
		for id := range left {
			hasChild[parent[id]] = true
		}
		for id := range left {
			if !hasChild[id] && s.DeleteLayer(id) == nil {
				delete(left, id)
				progress = true
			}
		}
	}
}
