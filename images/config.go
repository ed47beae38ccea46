package images

import "strings"

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

// ShortID is the 12-digit form docker and podman show.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
