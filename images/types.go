package images

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Prepared is a container's layer made ready in the store, what its image
// says about running it, and how the container's init mounts it.
type Prepared struct {
	ID        string    `json:"id"` // the store's container ID
	ImageID   string    `json:"imageId"`
	ImageName string    `json:"image"` // the image's first name, or its short ID
	Config    Config    `json:"config"`
	Root      RootMount `json:"root"`
}

// RootMount is the container's root filesystem as the store's driver mounts
// it. The helper lets containers-storage mount the layer once, in its own
// mount namespace, reads the mount back from /proc/self/mountinfo and
// unmounts it; the container's init then makes the very same mount in the
// container's mount namespace, where it lives exactly as long as the
// container (nothing to unmount on any failure path). So podctl's own binary
// never links containers-storage (see cmd/podctl-image).
type RootMount struct {
	// Target is the store's mount point for the layer (the driver's
	// "merged" directory); with FSType "" it is the root itself (the vfs
	// driver keeps a plain directory).
	Target string `json:"target"`
	FSType string `json:"fstype,omitempty"` // "overlay"
	Source string `json:"source,omitempty"`
	// Flags are the per-mount flags (MS_NODEV, ...); Data the filesystem's
	// options (lowerdir=...,upperdir=...,workdir=...). Dir: where relative
	// paths in Data start (containers-storage uses short relative links
	// when the options would not fit in a page).
	Flags uintptr `json:"flags,omitempty"`
	Data  string  `json:"data,omitempty"`
	Dir   string  `json:"dir,omitempty"`
}

// Metadata tells whoever lists the store's containers (podman ps
// --external, podctl gc) which pod a layer belongs to.
type Metadata struct {
	Pod       string `json:"podctlPod"`
	Container string `json:"podctlContainer"`
}

// Request is one job for the store helper.
type Request struct {
	Op string `json:"op"` // "prepare", "delete" or "orphans"
	// prepare
	Image    string   `json:"image,omitempty"`
	ID       string   `json:"id,omitempty"`
	Metadata Metadata `json:"metadata,omitempty"`
	// delete: the layers to remove; orphans: the IDs some pod still knows
	IDs []string `json:"ids,omitempty"`
	// prepare, for a pod whose user namespace is not the store's
	// (--userns keep-id): container id -> the helper's id, each a
	// [container, helper, count] triple. containers-storage then gives the
	// container a copy of the image's layers owned for that mapping.
	UIDMap [][3]uint32 `json:"uidMap,omitempty"`
	GIDMap [][3]uint32 `json:"gidMap,omitempty"`
	// SubPath, for prepare: a directory the image must have (an image
	// volume's subpath), checked while the layer is mounted.
	SubPath string `json:"subPath,omitempty"`
	// More: further prepares in the same call (the containers of one
	// pod); all are made, or none is left.
	More []Request `json:"more,omitempty"`
}

// Response is the helper's answer.
type Response struct {
	Prepared *Prepared   `json:"prepared,omitempty"`
	More     []*Prepared `json:"more,omitempty"`   // those of Request.More, in order
	Failed   string      `json:"failed,omitempty"` // the container whose prepare failed
	IDs      []string    `json:"ids,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// HelperArg is podctl-store's argv[1] for the store helper.
const HelperArg = "__store-helper"

// The binaries of podctl's image half (see their package comments).
const (
	StoreBinary     = "podctl-store" // the store helper; images, rmi, image inspect|prune
	TransportBinary = "podctl-image" // pull, load, push, login, logout
	KubeBinary      = "podctl-kube"  // apply, delete, generate kube, configmap, secret
	CRIBinary       = "podctl-cri"   // cri serve: the CRI server (gRPC)
)

// Binary finds one of them: next to the running podctl, or in $PATH.
func Binary(name string) (string, error) {
	self, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s is not installed next to %s nor in $PATH: build it with make, or install it beside podctl", name, self)
}
