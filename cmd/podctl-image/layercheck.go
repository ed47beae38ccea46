package main

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// Hostile layers. containers-storage never writes outside a layer: it
// resolves every entry inside the layer's root (a "../../etc/x" entry
// lands at /etc/x of the layer) and refuses hard links that leave it. podctl
// goes further and refuses such an image outright, naming the entry: an
// image built honestly never has one (CVE-2019-14271-style tar tricks,
// NOTES.md section 4).

// entryProblem says what is wrong with one tar entry, if anything.
func entryProblem(h *tar.Header) string {
	if leaves(h.Name) {
		return fmt.Sprintf("entry %q leaves the image's root (a ../ path)", h.Name)
	}
	if h.Typeflag == tar.TypeLink && leaves(h.Linkname) {
		return fmt.Sprintf("entry %q is a hard link to %q, outside the image's root", h.Name, h.Linkname)
	}
	return ""
}

// leaves: a relative path with a ".." component climbing above its start.
func leaves(p string) bool {
	p = strings.TrimPrefix(p, "/")
	return p == ".." || strings.HasPrefix(path.Clean(p), "../")
}

// scanTar returns the first problem of a layer's tar stream.
func scanTar(r io.Reader) (string, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if p := entryProblem(h); p != "" {
			return p, nil
		}
	}
}

// checkStoredLayers reads back (from the store's own record of each tar,
// tar-split) the layers of img that were not in the store before, and
// refuses the image if one has a hostile entry.
func checkStoredLayers(s storage.Store, img *storage.Image, before map[string]bool) error {
	for l := img.TopLayer; l != "" && !before[l]; {
		layer, err := s.Layer(l)
		if err != nil {
			return err
		}
		rc, err := s.Diff(layer.Parent, l, &storage.DiffOptions{Compression: ptr(archive.Uncompressed)})
		if err != nil {
			return fmt.Errorf("layer %s: reading it back: %w", layer.CompressedDigest, err)
		}
		problem, err := scanTar(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("layer %s: reading it back: %w", layer.CompressedDigest, err)
		}
		if problem != "" {
			return fmt.Errorf("layer %s: %s", layerName(layer), problem)
		}
		l = layer.Parent
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func layerName(l *storage.Layer) string {
	if l.CompressedDigest != "" {
		return l.CompressedDigest.String()
	}
	return l.UncompressedDigest.String()
}

// diagnose looks through a local source's layers (archives, layouts: no
// network) for the hostile entry that made its unpacking fail, so that the
// error can name it; "" when it finds none.
func diagnose(ctx context.Context, sys *types.SystemContext, ref types.ImageReference) string {
	if ref.Transport().Name() == "docker" {
		return ""
	}
	img, err := ref.NewImage(ctx, sys)
	if err != nil {
		return ""
	}
	defer img.Close()
	src, err := ref.NewImageSource(ctx, sys)
	if err != nil {
		return ""
	}
	defer src.Close()
	for i, info := range img.LayerInfos() {
		rc, _, err := src.GetBlob(ctx, info, none.NoCache)
		if err != nil {
			return ""
		}
		d, _, err := compression.AutoDecompress(rc)
		if err != nil {
			rc.Close()
			return ""
		}
		problem, _ := scanTar(d)
		d.Close()
		rc.Close()
		if problem != "" {
			return fmt.Sprintf("layer %d (%s): %s", i+1, info.Digest, problem)
		}
	}
	return ""
}
