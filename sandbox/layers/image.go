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
	return StartPrepare(pod, userns, cs).Finish(cs)
}

// Pending is a preparation of containers' images under way (StartPrepare).
type Pending struct {
	done chan struct{}
	resp *images.Response
	err  error
	// removed: Finish failed and removed the layers itself.
	removed bool
}

// slot is one layer to make: a container's root, or one of its image
// volumes (whose layer is mounted read-only).
type slot struct {
	c              *model.ContainerSpec
	image, subPath string
	into           **images.Prepared
}

// slotsOf lists the layers cs need, in the order of the store's request.
func slotsOf(cs []*model.ContainerSpec) (slots []slot) {
	for _, c := range cs {
		if c.Image != "" {
			slots = append(slots, slot{c, c.Image, "", &c.Layer})
		}
		for i := range c.ImageVolumes {
			v := &c.ImageVolumes[i]
			slots = append(slots, slot{c, v.Image, v.SubPath, &v.Layer})
		}
	}
	return slots
}

// StartPrepare starts making the layers of cs on a goroutine of its own,
// so that the pod's first steps (its namespaces, its pause) run beside the
// store helper; Finish takes the result. cs is only read here.
func StartPrepare(pod string, userns string, cs []*model.ContainerSpec) *Pending {
	p := &Pending{done: make(chan struct{})}
	slots := slotsOf(cs)
	if len(slots) == 0 {
		close(p.done)
		return p
	}
	req, err := prepareRequest(pod, userns, slots)
	if err != nil {
		p.err = err
		close(p.done)
		return p
	}
	keep := keepNext // read here: the goroutine must not race KeepStoreHelper
	keepNext = false
	go func() {
		defer close(p.done)
		p.resp, p.err = callStore(req, keep)
		if p.err != nil {
			if len(slots) == 1 || p.resp == nil || p.resp.Failed == "" {
				p.err = fmt.Errorf("container %s: %w", slots[0].c.Name, p.err)
			} else {
				p.err = fmt.Errorf("container %s: %w", p.resp.Failed, p.err)
			}
		}
	}()
	return p
}

// prepareRequest is the store's request for slots.
func prepareRequest(pod, userns string, slots []slot) (images.Request, error) {
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
			return images.Request{}, fmt.Errorf("container %s: %w", slots[0].c.Name, err)
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
	return req, nil
}

// Finish waits for the layers and fills cs in: each layer, and from each
// image's configuration the command, environment, working directory, user
// and stop signal where none was given. cs are the containers StartPrepare
// was given, or copies of them in the same order. On error none of the
// layers is left.
func (p *Pending) Finish(cs []*model.ContainerSpec) error {
	<-p.done
	if p.err != nil || p.resp == nil {
		return p.err
	}
	slots := slotsOf(cs)
	prepared := p.prepared()
	if len(prepared) != len(slots) {
		p.Discard()
		p.removed = true
		return fmt.Errorf("the image store helper made %d layers, not %d", len(prepared), len(slots))
	}
	for i, s := range slots {
		*s.into = prepared[i]
	}
	for _, c := range cs {
		if c.Image == "" {
			continue
		}
		if err := applyImageConfig(c); err != nil {
			// None is left, and no container names one.
			for _, s := range slots {
				*s.into = nil
			}
			p.Discard()
			p.removed = true
			return err
		}
	}
	// The layers are the containers' now: they go with them
	// (DeleteLayers), not with Discard.
	p.removed = true
	return nil
}

// prepared lists the layers the store helper made, in request order.
func (p *Pending) prepared() []*images.Prepared {
	var out []*images.Prepared
	for _, pr := range append([]*images.Prepared{p.resp.Prepared}, p.resp.More...) {
		if pr != nil {
			out = append(out, pr)
		}
	}
	return out
}

// Discard, for a pod that will not be made, waits for the store helper
// and removes the layers it made, unless Finish gave them to containers
// (they then go with the containers: DeleteLayers) or removed them.
func (p *Pending) Discard() {
	<-p.done
	if p.removed || p.err != nil || p.resp == nil {
		return
	}
	var ids []string
	for _, pr := range p.prepared() {
		ids = append(ids, pr.ID)
	}
	deleteIDs(ids)
}

// applyImageConfig fills c in from its prepared image's configuration.
func applyImageConfig(c *model.ContainerSpec) error {
	cfg := c.Layer.Config
	c.Args = cfg.Command(c.Command, c.Args)
	if len(c.Args) == 0 {
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
	return deleteIDs(ids)
}

// deleteIDs removes the store layers ids, with the kept helper if any.
func deleteIDs(ids []string) error {
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
