package images

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.podman.io/storage"
)

// Prepared is a container's layer made ready in the store, and what its
// image says about running it.
type Prepared struct {
	ID        string  `json:"id"` // the store's container ID
	ImageID   string  `json:"imageId"`
	ImageName string  `json:"image"` // the image's first name, or its short ID
	Config    Config  `json:"config"`
	Store     Options `json:"store"`
}

// Metadata tells whoever lists the store's containers (podman ps
// --external, podctl gc) which pod a layer belongs to.
type Metadata struct {
	Pod       string `json:"podctlPod"`
	Container string `json:"podctlContainer"`
}

// CreateContainer finds the image and makes the container's copy-on-write
// layer on top of it under the store ID id. A restarted container keeps its
// layer, as podman restart does; the layer goes with the container (Delete).
func CreateContainer(s storage.Store, image, id string, md Metadata) (*Prepared, error) {
	img, err := Find(s, image)
	if err != nil {
		return nil, err
	}
	cfg, _, err := ReadConfig(s, img)
	if err != nil {
		return nil, err
	}
	meta, _ := json.Marshal(md)
	// Volatile: the store records the container and its layer without
	// fsync (volatile-containers.json, volatile-layers.json), as podman does
	// for --rm containers: a pod never outlives a reboot anyway, and podctl
	// gc sweeps what a crash leaves.
	opts := &storage.ContainerOptions{Volatile: true}
	if _, err := s.CreateContainer(id, nil, img.ID, "", string(meta), opts); err != nil {
		if !errors.Is(err, storage.ErrDuplicateID) {
			return nil, fmt.Errorf("image %s: creating the container's layer: %w", image, err)
		}
	}
	return &Prepared{ID: id, ImageID: img.ID, ImageName: imageName(img), Config: *cfg}, nil
}

// Mount mounts container id's root filesystem (an overlay of the image's
// layers under the container's own) and returns where. It runs in the
// container's init, uid 0 of the pod's user namespace, in the container's
// private mount namespace: the mount is the container's alone and goes away
// with its last process, so nothing is left mounted on any failure path.
// The store's own count of mounts goes stale then, which it detects
// (layers.go: "the kernel unmounted the mount point").
func Mount(o Options, id string) (string, error) {
	s, err := Open(o)
	if err != nil {
		return "", err
	}
	// No Shutdown: it would unmount the driver's home, under which the
	// container's root now is; the process execs the workload next, and
	// the store holds no lock between calls.
	mp, err := s.Mount(id, "")
	if err != nil {
		return "", fmt.Errorf("mounting the container's layer %s: %w", ShortID(id), err)
	}
	return mp, nil
}

// DeleteContainers removes containers' layers; one already gone is no error.
func DeleteContainers(s storage.Store, ids []string) error {
	var errs []error
	for _, id := range ids {
		// Any mount is in a mount namespace that died with the container;
		// force resets the store's count.
		if _, err := s.Unmount(id, true); err != nil && !isUnknown(err) {
			errs = append(errs, fmt.Errorf("container layer %s: %w", ShortID(id), err))
		}
		if err := s.DeleteContainer(id); err != nil && !isUnknown(err) {
			errs = append(errs, fmt.Errorf("removing container layer %s: %w", ShortID(id), err))
		}
	}
	return errors.Join(errs...)
}

// Orphans lists the store's containers made by podctl that no pod's state
// knows (known): the layers of pods that a crash or kill -9 left behind.
func Orphans(s storage.Store, known func(id string) bool) ([]string, error) {
	cs, err := s.Containers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		var md Metadata
		if json.Unmarshal([]byte(c.Metadata), &md) == nil && md.Pod != "" && !known(c.ID) {
			out = append(out, c.ID)
		}
	}
	return out, nil
}
