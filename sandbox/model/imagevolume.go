package model

import (
	"fmt"
	"path"
	"strings"

	"github.com/podctl/podctl/images"
)

// ImageVolume is an OCI image mounted into a container, read-only (a CRI
// mount with an image: Kubernetes' image volumes, KEP-4639). Its files
// come from a layer of its own in the image store, made with the
// container's root layer and removed with it (LayerIDs).
type ImageVolume struct {
	Image string `json:"image"`
	// Target: where in the container; SubPath: the directory of the
	// image mounted there, "" for its root.
	Target  string           `json:"target"`
	SubPath string           `json:"subPath,omitempty"`
	Layer   *images.Prepared `json:"layer,omitempty"`
}

// check refuses what cannot be mounted: a target that is not absolute, a
// subpath that would leave the image (the init resolves it inside the
// image's root as well, so a symlink cannot take it out either).
func (v ImageVolume) check() error {
	if !path.IsAbs(v.Target) {
		return fmt.Errorf("image volume %s: target %q must be an absolute path in the container", v.Image, v.Target)
	}
	if _, err := images.ParseRef(v.Image); err != nil && !IsID(strings.TrimPrefix(v.Image, "sha256:")) {
		return fmt.Errorf("image volume on %s: %w", v.Target, err)
	}
	if v.SubPath != "" && (path.IsAbs(v.SubPath) || path.Clean(v.SubPath) != v.SubPath || strings.HasPrefix(v.SubPath, "..")) {
		return fmt.Errorf("image volume %s on %s: subpath %q must be a clean relative path inside the image", v.Image, v.Target, v.SubPath)
	}
	return nil
}

// LayerIDs are the image store layers of the container: its root's and
// its image volumes'.
func (c *ContainerSpec) LayerIDs() []string {
	var ids []string
	if c.Layer != nil {
		ids = append(ids, c.Layer.ID)
	}
	for _, v := range c.ImageVolumes {
		if v.Layer != nil {
			ids = append(ids, v.Layer.ID)
		}
	}
	return ids
}
