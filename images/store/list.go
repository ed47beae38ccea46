package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/podctl/podctl/images"
	"go.podman.io/storage"
)

// Summary is one image as podctl images lists it.
type Summary struct {
	ID      string    `json:"id"`
	Names   []string  `json:"names"`
	Digest  string    `json:"digest,omitempty"`
	Created time.Time `json:"created"`
	Size    int64     `json:"size"`
	// Containers: how many containers (podctl's, podman's) use it.
	Containers int `json:"containers"`
}

// List summarises the store's images, newest first.
func List(s storage.Store) ([]Summary, error) {
	imgs, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("listing the image store: %w", err)
	}
	users := map[string]int{}
	if cs, err := s.Containers(); err == nil {
		for _, c := range cs {
			users[c.ImageID]++
		}
	}
	var out []Summary
	for _, img := range imgs {
		size, _ := s.ImageSize(img.ID)
		out = append(out, Summary{ID: img.ID, Names: img.Names, Digest: string(img.Digest),
			Created: img.Created, Size: size, Containers: users[img.ID]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Details is podctl image inspect's answer.
type Details struct {
	Summary
	Layers []string  `json:"layers"` // bottom first
	Config *v1.Image `json:"config"`
}

// Inspect describes one image.
func Inspect(s storage.Store, name string) (*Details, error) {
	img, err := Find(s, name)
	if err != nil {
		return nil, err
	}
	_, ic, err := ReadConfig(s, img)
	if err != nil {
		return nil, err
	}
	size, _ := s.ImageSize(img.ID)
	d := &Details{Summary: Summary{ID: img.ID, Names: img.Names, Digest: string(img.Digest), Created: img.Created, Size: size}, Config: ic}
	for l := img.TopLayer; l != ""; {
		d.Layers = append([]string{l}, d.Layers...)
		layer, err := s.Layer(l)
		if err != nil {
			break
		}
		l = layer.Parent
	}
	return d, nil
}

// Remove removes an image, or, when it is named by one of several names,
// only that name (podman rmi's "untagged"). It returns what was done.
func Remove(s storage.Store, name string) (string, error) {
	img, err := Find(s, name)
	if err != nil {
		return "", err
	}
	if r, err := images.ParseRef(name); err == nil && len(img.Names) > 1 && !strings.HasPrefix(img.ID, name) {
		for _, n := range img.Names {
			if nameMatches(n, r) {
				if err := s.RemoveNames(img.ID, []string{n}); err != nil {
					return "", err
				}
				return "Untagged: " + n, nil
			}
		}
	}
	if _, err := s.DeleteImage(img.ID, true); err != nil {
		if errors.Is(err, storage.ErrImageUsedByContainer) {
			return "", fmt.Errorf("image %s is used by %s: remove them first (podctl rm POD; podman rm for podman's)", name, usersOf(s, img.ID))
		}
		if errors.Is(err, storage.ErrNotAnImage) || errors.Is(err, storage.ErrImageUnknown) {
			// Removed by another process between Find and here (two
			// rmi at once): gone, as the caller wanted, but not by us.
			return "", fmt.Errorf("image %q is not in the store (%s): removed meanwhile: %w", name, s.GraphRoot(), storage.ErrImageUnknown)
		}
		return "", fmt.Errorf("removing image %s: %w", name, err)
	}
	return "Deleted: " + img.ID, nil
}

// usersOf names the containers that use image id.
func usersOf(s storage.Store, id string) string {
	cs, _ := s.Containers()
	var who []string
	for _, c := range cs {
		if c.ImageID != id {
			continue
		}
		var md images.Metadata
		if json.Unmarshal([]byte(c.Metadata), &md) == nil && md.Pod != "" {
			who = append(who, fmt.Sprintf("container %s of podctl pod %s", md.Container, md.Pod))
		} else {
			who = append(who, "container "+images.ShortID(c.ID)+" (not podctl's)")
		}
	}
	return strings.Join(who, ", ")
}

// Prune removes images no container uses: with all, every such image;
// otherwise only those without a name (replaced by a newer pull or load).
func Prune(s storage.Store, all bool) ([]string, error) {
	list, err := List(s)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, img := range list {
		if img.Containers > 0 || !all && len(img.Names) > 0 {
			continue
		}
		if _, err := s.DeleteImage(img.ID, true); err != nil {
			errs = append(errs, fmt.Errorf("image %s: %w", images.ShortID(img.ID), err))
			continue
		}
		removed = append(removed, img.ID)
	}
	return removed, errors.Join(errs...)
}
