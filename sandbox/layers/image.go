package layers

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/images"
)

// PrepareImage makes the container's writable layer on its image, before
// the pod exists (so a missing or broken image is an error that leaves
// nothing behind), and fills the spec in from the image's configuration:
// command (Kubernetes' rules), environment, working directory, user and
// stop signal, each only where the user gave none.
func PrepareImage(pod string, userns string, c *model.ContainerSpec) error {
	return PrepareImages(pod, userns, []*model.ContainerSpec{c})
}

// PrepareImages is prepareImage for several containers at once (podctl
// apply of a pod): one call of the store helper makes every layer, which
// saves a process and an opening of the store per container. On error
// none of the layers is left.
func PrepareImages(pod string, userns string, cs []*model.ContainerSpec) error {
	// Each layer to make: a container's root, or one of its image
	// volumes (whose layer is mounted read-only).
	type slot struct {
		c              *model.ContainerSpec
		image, subPath string
		into           **images.Prepared
	}
	var want []*model.ContainerSpec
	var slots []slot
	for _, c := range cs {
		if c.Image != "" {
			want = append(want, c)
			slots = append(slots, slot{c, c.Image, "", &c.Layer})
		}
		for i := range c.ImageVolumes {
			v := &c.ImageVolumes[i]
			slots = append(slots, slot{c, v.Image, v.SubPath, &v.Layer})
		}
	}
	if len(slots) == 0 {
		return nil
	}
	var uidMap, gidMap [][3]uint32
	if userns == idmap.UserNSKeepID && os.Getuid() != 0 {
		std := idmap.Detect()
		keep, err := std.KeepID(uint32(os.Getuid()), uint32(os.Getgid()))
		if err == nil {
			uidMap, err = idmap.RelativeTo(keep.UIDs, std.UIDs)
		}
		if err == nil {
			gidMap, err = idmap.RelativeTo(keep.GIDs, std.GIDs)
		}
		if err != nil {
			return fmt.Errorf("container %s: %w", slots[0].c.Name, err)
		}
	}
	var req images.Request
	for i, s := range slots {
		explain.Printf("podctl", "makes container %s's layer on image %s in containers-storage: podctl-store's helper, in a new user namespace with the pods' id mapping, so the store's files keep the owners pods see", s.c.Name, s.image)
		r := images.Request{Op: "prepare", Image: s.image, ID: model.NewID(), SubPath: s.subPath,
			Metadata: images.Metadata{Pod: pod, Container: s.c.Name}, UIDMap: uidMap, GIDMap: gidMap}
		if i == 0 {
			req = r
		} else {
			req.More = append(req.More, r)
		}
	}
	resp, err := prepareCall(req)
	if err != nil {
		if len(slots) == 1 || resp == nil || resp.Failed == "" {
			return fmt.Errorf("container %s: %w", slots[0].c.Name, err)
		}
		return fmt.Errorf("container %s: %w", resp.Failed, err)
	}
	prepared := append([]*images.Prepared{resp.Prepared}, resp.More...)
	for i, s := range slots {
		*s.into = prepared[i]
	}
	for i, c := range want {
		if err := applyImageConfig(c); err != nil {
			var rest []model.ContainerSpec
			for _, d := range want[i:] {
				rest = append(rest, *d)
			}
			DeleteLayers(rest)
			return err
		}
	}
	return nil
}

// applyImageConfig fills c in from its prepared image's configuration;
// on error its layer is removed.
func applyImageConfig(c *model.ContainerSpec) error {
	p := c.Layer
	cfg := p.Config
	c.Args = cfg.Command(c.Command, c.Args)
	if len(c.Args) == 0 {
		DeleteLayers([]model.ContainerSpec{*c})
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
		if _, err := model.ParseSignal(cfg.StopSignal); err != nil {
			DeleteLayers([]model.ContainerSpec{*c})
			return fmt.Errorf("container %s: image %s: %w", c.Name, c.Image, err)
		}
		c.StopSignal = cfg.StopSignal
	}
	return nil
}

// DeleteLayers removes the store layers of the containers that have one.
// Failures are reported but do not stop a removal: podctl gc sweeps
// layers no pod knows.
func DeleteLayers(cs []model.ContainerSpec) error {
	var ids []string
	for i := range cs {
		ids = append(ids, cs[i].LayerIDs()...)
	}
	if len(ids) == 0 {
		return nil
	}
	req := images.Request{Op: "delete", IDs: ids}
	if _, ok, err := callKept(req); ok {
		explain.Printf("podctl", "removed the containers' layers from containers-storage with the store helper that made them, kept for it")
		return err
	}
	explain.Printf("podctl", "removes the containers' layers from containers-storage: podctl-store's helper, in a new user namespace")
	_, err := callStore(req, false)
	return err
}

// prepareCall runs a prepare request; after KeepStoreHelper, its helper
// stays for the removal.
func prepareCall(req images.Request) (*images.Response, error) {
	keep := keepNext
	keepNext = false
	return callStore(req, keep)
}

// SpecsOf lists the containers' specs.
func SpecsOf(cs []model.ContainerStatus) []model.ContainerSpec {
	out := make([]model.ContainerSpec, len(cs))
	for i := range cs {
		out[i] = cs[i].Spec
	}
	return out
}

// SweepLayers removes the layers podctl made that no pod's state knows
// (pods whose creator was killed before it saved them). A store that does
// not exist is left so (podctl gc never creates one), and so is a machine
// without podctl-store.
func SweepLayers(known []string) ([]string, error) {
	if _, err := images.Binary(images.StoreBinary); err != nil {
		return nil, nil
	}
	resp, err := callStore(images.Request{Op: "orphans", IDs: known}, false)
	if err != nil {
		return nil, err
	}
	return resp.IDs, nil
}
