package images

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/storage"
)

// Config is what an image says about running it: the parts of the OCI
// image configuration (image-spec config.md, "config" object) that podctl
// honours. Docker's image JSON spells these fields the same way.
type Config struct {
	Entrypoint   []string `json:"entrypoint,omitempty"`
	Cmd          []string `json:"cmd,omitempty"`
	Env          []string `json:"env,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	User         string   `json:"user,omitempty"`
	StopSignal   string   `json:"stopSignal,omitempty"`
	ExposedPorts []string `json:"exposedPorts,omitempty"`
}

// manifestKey is the big-data item holding an image's manifest
// (storage.ImageDigestBigDataKey, written by every containers/image version).
const manifestKey = storage.ImageDigestBigDataKey

// ReadConfig reads the image's configuration from the store: the manifest
// names the config blob by digest, and containers/image keeps the blob as
// the image's big-data item of that name.
func ReadConfig(s storage.Store, img *storage.Image) (*Config, *v1.Image, error) {
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
	c := &Config{
		Entrypoint: ic.Config.Entrypoint, Cmd: ic.Config.Cmd, Env: ic.Config.Env,
		WorkingDir: ic.Config.WorkingDir, User: ic.Config.User, StopSignal: ic.Config.StopSignal,
	}
	for p := range ic.Config.ExposedPorts {
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	sort.Strings(c.ExposedPorts)
	return c, &ic, nil
}

// Command applies Kubernetes' rules (the Container's command and args
// fields) to the image's Entrypoint and Cmd: command replaces Entrypoint
// and drops Cmd; args replaces Cmd only.
func (c *Config) Command(command, args []string) []string {
	switch {
	case len(command) > 0:
		return append(append([]string{}, command...), args...)
	case len(args) > 0:
		return append(append([]string{}, c.Entrypoint...), args...)
	}
	return append(append([]string{}, c.Entrypoint...), c.Cmd...)
}

// MergeEnv returns the image's environment overridden by extra (KEY=VALUE,
// later wins), in a stable order: the image's keys first, then new ones.
func MergeEnv(image, extra []string) []string {
	out := append([]string{}, image...)
	index := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// imageName is the image's first name, or its short ID.
func imageName(img *storage.Image) string {
	if len(img.Names) > 0 {
		return img.Names[0]
	}
	return ShortID(img.ID)
}

// ShortID is the 12-digit form docker and podman show.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
