package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podctl/podctl/images"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// CreateContainer finds the image and makes the container's copy-on-write
// layer on top of it under the store ID id. A restarted container keeps its
// layer, as podman restart does; the layer goes with the container
// (DeleteContainers).
func CreateContainer(s storage.Store, image, id string, md images.Metadata, uidMap, gidMap [][3]uint32, subPath string) (*images.Prepared, error) {
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
	if len(uidMap) > 0 {
		// The layers as the pod sees them: a copy, chowned for its mapping
		// (containers-storage keeps it with the image, for the next time).
		conv := func(m [][3]uint32) []idtools.IDMap {
			var out []idtools.IDMap
			for _, r := range m {
				out = append(out, idtools.IDMap{ContainerID: int(r[0]), HostID: int(r[1]), Size: int(r[2])})
			}
			return out
		}
		opts.UIDMap, opts.GIDMap = conv(uidMap), conv(gidMap)
	}
	if _, err := s.CreateContainer(id, nil, img.ID, "", string(meta), opts); err != nil && !errors.Is(err, storage.ErrDuplicateID) {
		return nil, fmt.Errorf("image %s: creating the container's layer: %w", image, err)
	}
	root, err := rootMount(s, id, subPath)
	if err != nil {
		DeleteContainers(s, []string{id})
		return nil, fmt.Errorf("image %s: %w", image, err)
	}
	return &images.Prepared{ID: id, ImageID: img.ID, ImageName: imageName(img), Config: *cfg, Root: *root}, nil
}

// rootMount lets the store mount the container's layer here (this process
// has a mount namespace of its own), reads the mount back and unmounts it:
// the container's init repeats it in the container's mount namespace.
func rootMount(s storage.Store, id, subPath string) (*images.RootMount, error) {
	mp, err := s.Mount(id, "")
	if err != nil {
		return nil, fmt.Errorf("mounting the container's layer: %w", err)
	}
	defer s.Unmount(id, true)
	if subPath != "" {
		// Resolved inside the layer's root, as the container's init
		// will resolve it (openat2(2), RESOLVE_IN_ROOT).
		root, err := os.Open(mp)
		if err != nil {
			return nil, err
		}
		fd, err := unix.Openat2(int(root.Fd()), subPath, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
		root.Close()
		if err != nil {
			return nil, fmt.Errorf("subpath %s is not a directory in the image: %w", subPath, err)
		}
		unix.Close(fd)
	}
	m := &images.RootMount{Target: mp}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// proc(5): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE SOURCE SUPER
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 6 || len(tail) < 3 || unescape(fields[4]) != mp {
			continue
		}
		if tail[0] != "overlay" {
			return nil, fmt.Errorf("the store mounts layers with %s (a mount_program such as fuse-overlayfs?); podctl runs containers with the kernel's overlay or with vfs: set driver in storage.conf", tail[0])
		}
		m.FSType, m.Source = tail[0], unescape(tail[1])
		for _, o := range strings.Split(fields[5], ",") {
			m.Flags |= map[string]uintptr{"ro": unix.MS_RDONLY, "nodev": unix.MS_NODEV, "nosuid": unix.MS_NOSUID, "noexec": unix.MS_NOEXEC}[o]
		}
		// The super options but those the kernel adds by itself.
		var data []string
		for _, o := range strings.Split(tail[2], ",") {
			if o != "rw" && o != "ro" && !strings.HasPrefix(o, "uuid=") {
				data = append(data, o)
			}
		}
		m.Data = strings.Join(data, ",")
		m.Dir = filepath.Join(s.GraphRoot(), s.GraphDriverName())
	}
	// No mount: the driver (vfs) keeps the root as a plain directory.
	return m, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space, ...).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// DeleteContainers removes containers' layers; one already gone is no error.
func DeleteContainers(s storage.Store, ids []string) error {
	var errs []error
	for _, id := range ids {
		// Any mount of the layer was in a mount namespace that died with
		// its container; force resets the store's count.
		if _, err := s.Unmount(id, true); err != nil && !isUnknown(err) {
			errs = append(errs, fmt.Errorf("container layer %s: %w", images.ShortID(id), err))
		}
		if err := s.DeleteContainer(id); err != nil && !isUnknown(err) {
			errs = append(errs, fmt.Errorf("removing container layer %s: %w", images.ShortID(id), err))
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
		var md images.Metadata
		if json.Unmarshal([]byte(c.Metadata), &md) == nil && md.Pod != "" && !known(c.ID) {
			out = append(out, c.ID)
		}
	}
	return out, nil
}
