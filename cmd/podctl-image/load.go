package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociarchive "go.podman.io/image/v5/oci/archive"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
)

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "load images from a docker-archive (docker save) or oci-archive tarball",
		Description: `Every image of the archive is loaded, with the names the archive gives it
(docker's RepoTags; OCI's org.opencontainers.image.ref.name annotation).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "the archive (default: standard input)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageError{errors.New("load: give the archive with -i FILE")}
			}
			path := c.String("input")
			if path == "" {
				// A pipe: copy it to a file first, as the archive is read
				// more than once (containers/image does the same).
				tmp, err := spool(os.Stdin)
				if err != nil {
					return err
				}
				defer os.Remove(tmp)
				path = tmp
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("load -i %s: %w", path, err)
			}
			store.EnterUserNamespace()
			s, err := openStore()
			if err != nil {
				return err
			}
			defer s.Shutdown(false)
			names, err := load(c.Context, s, &types.SystemContext{}, path, c.Bool("quiet"))
			for _, n := range names {
				fmt.Println("Loaded image:", n)
			}
			return err
		},
	}
}

func spool(r io.Reader) (string, error) {
	f, err := os.CreateTemp("", "podctl-load-*.tar")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("load: reading standard input: %w", err)
	}
	return f.Name(), nil
}

// load copies every image of the archive at path into the store.
func load(ctx context.Context, s storage.Store, sys *types.SystemContext, path string, quiet bool) ([]string, error) {
	kind, err := archiveKind(path)
	if err != nil {
		return nil, fmt.Errorf("load -i %s: %w", path, err)
	}
	if kind == "oci-archive" {
		return loadOCI(ctx, s, sys, path, quiet)
	}
	r, err := dockerarchive.NewReader(sys, path)
	if err != nil {
		return nil, fmt.Errorf("load -i %s (docker-archive): %w", path, err)
	}
	defer r.Close()
	list, err := r.List()
	if err != nil {
		return nil, fmt.Errorf("load -i %s (docker-archive): %w", path, err)
	}
	var loaded []string
	for _, refs := range list {
		if len(refs) == 0 {
			continue
		}
		var names []reference.Named
		for _, ref := range refs {
			if n := ref.DockerReference(); n != nil {
				names = append(names, n)
			}
		}
		var first reference.Named
		if len(names) > 0 {
			first = names[0]
		}
		img, err := copyIn(ctx, s, sys, refs[0], first, quiet)
		if err != nil {
			return loaded, fmt.Errorf("load -i %s: %w", path, err)
		}
		for _, n := range names[min(1, len(names)):] {
			if err := s.AddNames(img.ID, []string{n.String()}); err != nil {
				return loaded, err
			}
		}
		loaded = append(loaded, describe(img, names))
	}
	return loaded, nil
}

// loadOCI loads each image the archive's index.json lists; one named by
// an org.opencontainers.image.ref.name annotation that is a full image
// name keeps it.
func loadOCI(ctx context.Context, s storage.Store, sys *types.SystemContext, path string, quiet bool) ([]string, error) {
	refNames, err := ociRefNames(path)
	if err != nil {
		return nil, fmt.Errorf("load -i %s (oci-archive): %w", path, err)
	}
	if len(refNames) == 0 {
		refNames = []string{""}
	}
	var loaded []string
	for _, rn := range refNames {
		src, err := ociarchive.NewReference(path, rn)
		if err != nil {
			return loaded, fmt.Errorf("load -i %s (oci-archive): %w", path, err)
		}
		var name reference.Named
		if rn != "" && strings.ContainsAny(rn, "/:") {
			if r, err := images.ParseRef(rn); err == nil {
				name, _ = reference.ParseNormalizedNamed(r.String())
			}
		}
		img, err := copyIn(ctx, s, sys, src, name, quiet)
		if err != nil {
			return loaded, fmt.Errorf("load -i %s: %w", path, err)
		}
		var names []reference.Named
		if name != nil {
			names = append(names, name)
		}
		loaded = append(loaded, describe(img, names))
	}
	return loaded, nil
}

func describe(img *storage.Image, names []reference.Named) string {
	if len(names) > 0 {
		return names[0].String()
	}
	return "sha256:" + img.ID
}

// archiveKind tells a docker-archive (manifest.json) from an oci-archive
// (oci-layout, index.json) by the tar's entries; either may be compressed.
func archiveKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, _, err := compression.AutoDecompress(f)
	if err != nil {
		return "", fmt.Errorf("not an image archive: %w", err)
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			return "", fmt.Errorf("not a docker-archive (no manifest.json) nor an oci-archive (no oci-layout): %w", tarErr(err))
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "manifest.json", "repositories":
			return "docker-archive", nil
		case "oci-layout", "index.json":
			return "oci-archive", nil
		}
	}
}

func tarErr(err error) error {
	if err == io.EOF {
		return errors.New("end of archive")
	}
	return err
}

// ociRefNames reads the ref.name annotations of index.json.
func ociRefNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, _, err := compression.AutoDecompress(f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("no index.json: %w", tarErr(err))
		}
		if strings.TrimPrefix(h.Name, "./") != "index.json" {
			continue
		}
		var idx struct {
			Manifests []struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"manifests"`
		}
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&idx); err != nil {
			return nil, fmt.Errorf("index.json: %w", err)
		}
		var names []string
		for _, m := range idx.Manifests {
			if n := m.Annotations["org.opencontainers.image.ref.name"]; n != "" {
				names = append(names, n)
			}
		}
		return names, nil
	}
}
