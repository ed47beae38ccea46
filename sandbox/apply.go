package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
)

// PodVolume is a volume of a pod made from a manifest (podctl apply): a
// directory of the pod, dir/volumes/NAME, shared by the containers that
// mount it, gone with the pod, as the kubelet keeps a pod's volumes under
// /var/lib/kubelet/pods/UID/volumes. Its files (a configMap's or a
// secret's) are written before any container starts; an emptyDir starts
// empty and writable by every uid (mode 0777, as the kubelet makes it).
type PodVolume struct {
	Name  string
	Files []VolumeFile
	Empty bool // an emptyDir
	// SizeLimit: an emptyDir's sizeLimit (the zero value: none); the pod
	// is evicted once the volume holds more (sandbox/supervisor/eviction.go).
	SizeLimit model.SizeLimit
}

// VolumeFile is one file of a PodVolume.
type VolumeFile struct {
	Path string // relative, already checked (no "..", not absolute)
	Data []byte
	Mode os.FileMode
}

// Apply makes a pod with its containers (init containers first, in order)
// and volumes, detached: podctl apply. It returns once the pod exists and
// its first container started (or, behind init containers, was accepted).
// On any error nothing of the pod is left.
func Apply(ctx context.Context, spec model.PodSpec, ctrs []model.ContainerSpec, vols []PodVolume, notices io.Writer) (err error) {
	if err := spec.Validate(); err != nil {
		return err
	}
	for _, v := range vols {
		if v.SizeLimit == (model.SizeLimit{}) {
			continue
		}
		if !v.Empty || v.SizeLimit.Bytes < 0 {
			return fmt.Errorf("pod %s: volume %s: only an emptyDir has a size limit, of 0 bytes or more", spec.Name, v.Name)
		}
		spec.VolumeLimits = append(spec.VolumeLimits, model.VolumeLimit{Volume: v.Name, SizeLimit: v.SizeLimit})
	}
	dir, lock, err := model.PodDir(spec.Name)
	if err != nil {
		return err
	}
	defer lock.Close()
	var prepared []model.ContainerSpec
	defer func() {
		if err != nil {
			layers.DeleteLayers(prepared)
			os.RemoveAll(dir)
		}
	}()
	if err := writeVolumes(dir, vols); err != nil {
		return fmt.Errorf("pod %s: %w", spec.Name, err)
	}
	for i := range ctrs {
		c := &ctrs[i]
		if err := resolvePodMounts(dir, c); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
		if err := c.ForPod(spec); err != nil {
			return err
		}
	}
	if err := podcgroup.CheckLimits(spec.Resources, ctrs); err != nil {
		return err
	}
	ptrs := make([]*model.ContainerSpec, len(ctrs))
	for i := range ctrs {
		ptrs[i] = &ctrs[i]
	}
	// The supervisor's start overlaps the making of the layers.
	sup, err := spawnSupervisor(spec.Name, lock)
	if err != nil {
		return err
	}
	if err := layers.PrepareImages(spec.Name, spec.UserNS, ptrs); err != nil {
		sup.Abort()
		return err
	}
	prepared = ctrs
	created, err := sup.Create(dir, spec, ctrs, notices)
	if created {
		return nil // the pod exists (a start error is in its state)
	}
	return err
}

// writeVolumes writes the pod's volumes into dir/volumes.
func writeVolumes(dir string, vols []PodVolume) error {
	for _, v := range vols {
		root := filepath.Join(dir, "volumes", v.Name)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
		if v.Empty {
			// chmod, not the umask-filtered mode of mkdir.
			if err := os.Chmod(root, 0o777); err != nil {
				return err
			}
			continue
		}
		for _, f := range v.Files {
			p := filepath.Join(root, f.Path)
			if !strings.HasPrefix(p, root+"/") {
				return fmt.Errorf("volume %s: path %q leaves the volume", v.Name, f.Path)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
			if err := os.Chmod(p, f.Mode); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolvePodMounts turns the mounts of pod volumes into binds of their
// directories. A subPath is made if missing, as the kubelet does; no
// component of it may be a symlink, now or at mount time (the bind opens
// its source with RESOLVE_NO_SYMLINKS): CVE-2017-1002101 was a subPath
// symlink planted by a container into its emptyDir.
func resolvePodMounts(dir string, c *model.ContainerSpec) error {
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.PodVolume == "" {
			continue
		}
		root := filepath.Join(dir, "volumes", m.PodVolume)
		if _, err := os.Stat(root); err != nil {
			return fmt.Errorf("container %s: volume %q is not a volume of the pod", c.Name, m.PodVolume)
		}
		src := root
		if m.SubPath != "" {
			src = filepath.Join(root, m.SubPath)
			if !strings.HasPrefix(src, root+"/") {
				return fmt.Errorf("container %s: subPath %q leaves volume %s", c.Name, m.SubPath, m.PodVolume)
			}
			if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
				// As writable as the volume itself (an emptyDir's 0777).
				st, err := os.Stat(root)
				if err == nil {
					err = os.MkdirAll(src, 0o755)
				}
				if err == nil {
					err = os.Chmod(src, st.Mode().Perm())
				}
				if err != nil {
					return err
				}
			}
		}
		m.Type, m.Source = "bind", src
	}
	return nil
}
