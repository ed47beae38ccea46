package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/podctl/podctl/images"
	"golang.org/x/sys/unix"
)

// storeMapping is the user namespace the image store is used in: the one
// pods get (DetectIDMapping), so that a file the store unpacked as uid 101
// is uid 101 in every pod.
func storeMapping() images.Mapping {
	ids := DetectIDMapping()
	conv := func(rs []IDRange) []specs.LinuxIDMapping {
		var out []specs.LinuxIDMapping
		for _, r := range rs {
			out = append(out, specs.LinuxIDMapping{ContainerID: r.Inside, HostID: r.Outside, Size: r.Count})
		}
		return out
	}
	return images.Mapping{UIDs: conv(ids.UIDs), GIDs: conv(ids.GIDs), Helpers: ids.Helpers}
}

// prepareImage makes the container's writable layer on its image, before
// the pod exists (so a missing or broken image is an error that leaves
// nothing behind), and fills the spec in from the image's configuration:
// command (Kubernetes' rules), environment, working directory, user and
// stop signal, each only where the user gave none.
func prepareImage(pod string, c *ContainerSpec) error {
	if c.Image == "" {
		return nil
	}
	opts, err := images.DefaultOptions()
	if err != nil {
		return err
	}
	id := make([]byte, 32)
	rand.Read(id)
	explain("podctl", "makes container %s's layer on image %s in containers-storage (%s): a helper in a new user namespace with the pods' id mapping (newuidmap), so the store's files keep the owners pods see", c.Name, c.Image, opts.GraphRoot)
	resp, err := images.Call(storeMapping(), images.Request{
		Op: "prepare", Store: opts, Image: c.Image, ID: hex.EncodeToString(id),
		Metadata: images.Metadata{Pod: pod, Container: c.Name},
	})
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	if err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	p := resp.Prepared
	c.Layer = p
	cfg := p.Config
	c.Args = cfg.Command(c.Command, c.Args)
	if len(c.Args) == 0 {
		deleteLayers([]ContainerSpec{*c})
		return fmt.Errorf("container %s: image %s has neither Entrypoint nor Cmd: give a command, podctl run %s CMD", c.Name, c.Image, c.Image)
	}
	c.Env = images.MergeEnv(cfg.Env, c.Env)
	if c.Cwd == "" {
		c.Cwd = cfg.WorkingDir
	}
	if c.User == "" {
		c.User = cfg.User
	}
	if c.StopSignal == "" && cfg.StopSignal != "" {
		if _, err := ParseSignal(cfg.StopSignal); err != nil {
			deleteLayers([]ContainerSpec{*c})
			return fmt.Errorf("container %s: image %s: %w", c.Name, c.Image, err)
		}
		c.StopSignal = cfg.StopSignal
	}
	return nil
}

// deleteLayers removes the store layers of the containers that have one.
// Failures are reported but do not stop a removal: podctl gc sweeps
// layers no pod knows.
func deleteLayers(cs []ContainerSpec) error {
	var ids []string
	var opts images.Options
	for _, c := range cs {
		if c.Layer != nil {
			ids = append(ids, c.Layer.ID)
			opts = c.Layer.Store
		}
	}
	if len(ids) == 0 {
		return nil
	}
	explain("podctl", "removes the containers' layers from containers-storage: a helper in a new user namespace")
	resp, err := images.Call(storeMapping(), images.Request{Op: "delete", Store: opts, IDs: ids})
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	return err
}

// specsOf lists the containers' specs.
func specsOf(cs []ContainerStatus) []ContainerSpec {
	out := make([]ContainerSpec, len(cs))
	for i := range cs {
		out[i] = cs[i].Spec
	}
	return out
}

// sweepLayers removes the layers podctl made that no pod's state knows
// (pods whose creator was killed before it saved them). Only a store that
// exists is looked at: podctl gc never creates one.
func sweepLayers(known []string) ([]string, error) {
	opts, err := images.DefaultOptions()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(opts.GraphRoot); err != nil {
		return nil, nil
	}
	resp, err := images.Call(storeMapping(), images.Request{Op: "orphans", Store: opts, IDs: known})
	if err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return resp.IDs, errors.New(resp.Error)
	}
	return resp.IDs, nil
}

// stopSignal is the signal podctl stop sends container c: its image's
// StopSignal in place of the default SIGTERM.
func stopSignal(c *ContainerSpec, sig unix.Signal) unix.Signal {
	if sig != unix.SIGTERM || c == nil || c.StopSignal == "" {
		return sig
	}
	if s, err := ParseSignal(c.StopSignal); err == nil {
		return s
	}
	return sig
}

// ParseSignal accepts KILL, SIGKILL or 9.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q (use a name such as TERM or a number)", s)
}

// LayerMount tells a container's init which store layer is its root.
type LayerMount struct {
	ID    string         `json:"id"`
	Image string         `json:"image"`
	Store images.Options `json:"store"`
	// UID, GID: the rootless user whose store it is (containers-storage's
	// _CONTAINERS_ROOTLESS_UID); -1 for root.
	UID int `json:"uid"`
	GID int `json:"gid"`
	// Env: the caller's HOME and XDG_* variables. containers-storage reads
	// storage.conf again on every open, from paths they decide, and the
	// init's own environment is the workload's, not the caller's.
	Env []string `json:"env,omitempty"`
}

func layerMount(c *ContainerSpec) *LayerMount {
	if c.Layer == nil {
		return nil
	}
	m := &LayerMount{ID: c.Layer.ID, Image: c.Layer.ImageName, Store: c.Layer.Store, UID: -1, GID: -1}
	if os.Getuid() != 0 {
		m.UID, m.GID = os.Getuid(), os.Getgid()
	}
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			m.Env = append(m.Env, k+"="+v)
		}
	}
	return m
}

// mountLayer is the init's half: mount the layer, in this process's own
// mount namespace, and return the root it gives.
func mountLayer(m *LayerMount) (string, error) {
	if m.UID >= 0 {
		images.MarkRootless(m.UID, m.GID)
	}
	for _, kv := range m.Env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	explain("init", "mounts its layer of image %s: overlay of the image's layers under the container's own (containers-storage %s), in its own mount namespace, so the mount ends with the container", m.Image, m.Store.GraphRoot)
	return images.Mount(m.Store, m.ID)
}
