package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Named volumes (podctl volume create, -v NAME:/path): directories that
// outlive pods, kept in $XDG_DATA_HOME/podctl/volumes/NAME/_data (podman's
// layout; /var/lib/podctl/volumes for root). Not on the runtime tmpfs: their
// data must survive a logout or a reboot. Their files belong to pod root,
// which is the calling user on the host.

// VolumeInfo is what podctl volume ls and inspect say of a volume.
type VolumeInfo struct {
	Name       string    `json:"name"`
	Mountpoint string    `json:"mountpoint"`
	Created    time.Time `json:"created"`
	// UsedBy: the pods with a container that mounts it.
	UsedBy []string `json:"usedBy"`
}

// DataDir is podctl's persistent data directory (named volumes live in
// its volumes/): /var/lib/podctl for root, $XDG_DATA_HOME/podctl (by
// default ~/.local/share/podctl) for a user. It only names the place;
// volumeRoot makes and checks it.
func DataDir() (string, error) {
	if os.Getuid() == 0 {
		return "/var/lib/podctl", nil
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory for named volumes: %w", err)
		}
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "podctl"), nil
}

// volumeRoot is where named volumes live. A user's data directory must be
// their own, as the state root must (StateRoot): XDG_DATA_HOME may name a
// shared directory.
func volumeRoot() (string, error) {
	dir, err := DataDir()
	if err != nil || os.Getuid() == 0 {
		return filepath.Join(dir, "volumes"), err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", fmt.Errorf("the data directory for named volumes: %w", err)
	}
	if err := ownDir(dir, "podctl's data directory", "set XDG_DATA_HOME to a directory of yours", 0o022); err != nil {
		return "", err
	}
	return filepath.Join(dir, "volumes"), nil
}

// volumeDir is the data directory of volume name.
func volumeDir(name string) (string, error) {
	if err := ValidateName("volume", name); err != nil {
		return "", err
	}
	root, err := volumeRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name, "_data"), nil
}

// CreateVolume makes volume name; one that exists is an error unless
// ifMissing (-v NAME:/path makes it on first use, as docker does).
func CreateVolume(name string, ifMissing bool) (string, error) {
	dir, err := volumeDir(name)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err == nil {
		if ifMissing {
			return dir, nil
		}
		return "", fmt.Errorf("volume %s already exists", name)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", fmt.Errorf("creating volume %s: %w", name, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating volume %s: %w", name, err)
	}
	return dir, nil
}

// Volumes lists the named volumes, by name, with the pods that use them.
func Volumes() ([]VolumeInfo, error) {
	root, err := volumeRoot()
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	users := volumeUsers()
	var out []VolumeInfo
	for _, e := range ents {
		dir := filepath.Join(root, e.Name(), "_data")
		fi, err := os.Stat(dir)
		if err != nil || ValidateName("volume", e.Name()) != nil {
			continue
		}
		pods := users[dir]
		if pods == nil {
			pods = []string{}
		}
		out = append(out, VolumeInfo{Name: e.Name(), Mountpoint: dir, Created: fi.ModTime().UTC(), UsedBy: pods})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InspectVolume describes one volume.
func InspectVolume(name string) (*VolumeInfo, error) {
	vs, err := Volumes()
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if vs[i].Name == name {
			return &vs[i], nil
		}
	}
	return nil, fmt.Errorf("no volume named %q (see podctl volume ls)", name)
}

// RemoveVolume deletes a volume and its data. One that a pod's container
// mounts is refused, naming the pods, unless force.
func RemoveVolume(name string, force bool) error {
	v, err := InspectVolume(name)
	if err != nil {
		return err
	}
	if len(v.UsedBy) > 0 && !force {
		return fmt.Errorf("volume %s is used by pod %v: remove the pods first (podctl rm), or podctl volume rm -f", name, v.UsedBy)
	}
	if err := os.RemoveAll(filepath.Dir(v.Mountpoint)); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	return nil
}

// volumeUsers maps a volume's directory to the pods that mount it.
func volumeUsers() map[string][]string {
	users := map[string][]string{}
	names, _ := ListPods()
	for _, pod := range names {
		st, _, err := ReadState(pod)
		if err != nil {
			continue
		}
		seen := map[string]bool{}
		for _, c := range st.Containers {
			for _, m := range c.Spec.Mounts {
				if m.Type == "bind" && !seen[m.Source] {
					seen[m.Source] = true
					users[m.Source] = append(users[m.Source], pod)
				}
			}
		}
	}
	return users
}
