package store

import (
	"fmt"
	"sort"
	"strings"

	"github.com/podctl/podctl/images"
	"go.podman.io/storage"
)

// Find looks up a local image the way podman does: by ID or ID prefix, by
// its full name, and a short name also as localhost/NAME, as docker.io's
// NAME, and as any registry's .../NAME with the same tag; two different
// images matching a short name is an error that lists them.
func Find(s storage.Store, name string) (*storage.Image, error) {
	if images.IsID(name) {
		if img, err := s.Image(strings.TrimPrefix(name, "sha256:")); err == nil {
			return img, nil
		}
	}
	r, err := images.ParseRef(name)
	if err != nil {
		return nil, err
	}
	imgs, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("listing the image store: %w", err)
	}
	found := map[string]*storage.Image{}
	for i := range imgs {
		img := &imgs[i]
		for _, n := range img.Names {
			if nameMatches(n, r) {
				found[img.ID] = img
			}
		}
		if r.Digest != "" && hasDigest(img, r.Digest) && repoMatches(img, r) {
			found[img.ID] = img
		}
	}
	switch len(found) {
	case 1:
		for _, img := range found {
			return img, nil
		}
	case 0:
		return nil, fmt.Errorf("image %q is not in the store (%s): %w; get it with podctl pull %s, or podctl load -i FILE",
			name, s.GraphRoot(), storage.ErrImageUnknown, name)
	}
	var names []string
	for _, img := range found {
		names = append(names, strings.Join(img.Names, ", "))
	}
	sort.Strings(names)
	return nil, fmt.Errorf("short name %q matches several images (%s): name it in full", name, strings.Join(names, "; "))
}

// nameMatches says whether the store name n is what the user meant by r:
// the full name, and for a short name also localhost/NAME and any
// registry's .../NAME, with the same tag or digest (podman's rules).
func nameMatches(n string, r images.Ref) bool {
	if n == r.String() {
		return true
	}
	return r.Domain == "" && (n == "localhost/"+r.Path+r.Suffix() || strings.HasSuffix(n, "/"+r.Path+r.Suffix()))
}

func hasDigest(img *storage.Image, d string) bool {
	if string(img.Digest) == d {
		return true
	}
	for _, x := range img.Digests {
		if string(x) == d {
			return true
		}
	}
	return false
}

// repoMatches: NAME@DIGEST must also name the image's repository.
func repoMatches(img *storage.Image, r images.Ref) bool {
	full := strings.TrimSuffix(r.String(), r.Suffix())
	for _, n := range append(append([]string{}, img.Names...), img.NamesHistory...) {
		repo := n
		if i := strings.IndexAny(n[strings.LastIndex(n, "/")+1:], ":@"); i >= 0 {
			repo = n[:strings.LastIndex(n, "/")+1+i]
		}
		if repo == full || r.Domain == "" && strings.HasSuffix(repo, "/"+r.Path) {
			return true
		}
	}
	return false
}
