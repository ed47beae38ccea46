package store

import (
	"encoding/json"
	"fmt"
	"sort"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/podctl/podctl/images"
	"go.podman.io/storage"
)

// manifestKey is the big-data item holding an image's manifest
// (storage.ImageDigestBigDataKey, written by every containers/image version).
const manifestKey = storage.ImageDigestBigDataKey

// ReadConfig reads the image's configuration from the store: the manifest
// names the config blob by digest, and containers/image keeps the blob as
// the image's big-data item of that name.
func ReadConfig(s storage.Store, img *storage.Image) (*images.Config, *v1.Image, error) {
	raw, err := s.ImageBigData(img.ID, manifestKey)
	if err != nil {
		return nil, nil, fmt.Errorf("image %s: reading its manifest: %w", imageName(img), err)
	}
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Config.Digest == "" {
		return nil, nil, fmt.Errorf("image %s: its manifest (%s) names no config blob; podctl reads OCI and Docker schema 2 images", imageName(img), m.MediaType)
	}
	blob, err := s.ImageBigData(img.ID, m.Config.Digest)
	if err != nil {
		return nil, nil, fmt.Errorf("image %s: reading its config %s: %w", imageName(img), m.Config.Digest, err)
	}
	var ic v1.Image
	if err := json.Unmarshal(blob, &ic); err != nil {
		return nil, nil, fmt.Errorf("image %s: its config %s is not valid JSON: %w", imageName(img), m.Config.Digest, err)
	}
	c := &images.Config{
		Entrypoint: ic.Config.Entrypoint, Cmd: ic.Config.Cmd, Env: ic.Config.Env,
		WorkingDir: ic.Config.WorkingDir, User: ic.Config.User, StopSignal: ic.Config.StopSignal,
	}
	for p := range ic.Config.ExposedPorts {
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	sort.Strings(c.ExposedPorts)
	return c, &ic, nil
}

// imageName is the image's first name, or its short ID.
func imageName(img *storage.Image) string {
	if len(img.Names) > 0 {
		return img.Names[0]
	}
	return images.ShortID(img.ID)
}
