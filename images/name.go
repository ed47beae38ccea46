package images

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.podman.io/storage"
)

// Ref is an image name as a user writes it, split the way docker's
// reference grammar splits it (github.com/distribution/reference): an
// optional registry host, a repository path, a tag or a digest.
type Ref struct {
	Domain string // "" for a short name such as busybox
	Path   string // library/busybox, or busybox for a short name
	Tag    string
	Digest string // sha256:...
}

var (
	// pathRE: lower-case components joined by '/', each made of [a-z0-9]
	// with single '.', '_', '__' or '-' runs between (the reference
	// grammar's path-component).
	pathRE   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	idRE     = regexp.MustCompile(`^(?:sha256:)?[a-f0-9]{6,64}$`)
)

// ParseRef parses NAME[:TAG][@DIGEST]. The registry is the first
// component when it holds a '.' or a ':' or is "localhost", as docker decides.
func ParseRef(s string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("invalid image name %q: %s", s, why)
	}
	if s == "" {
		return bad("it is empty")
	}
	var r Ref
	rest := s
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		r.Digest = rest[at+1:]
		rest = rest[:at]
		if !digestRE.MatchString(r.Digest) {
			return bad("the digest after '@' must be sha256: and 64 hex digits")
		}
	}
	if colon := strings.LastIndex(rest, ":"); colon > strings.LastIndex(rest, "/") {
		r.Tag = rest[colon+1:]
		rest = rest[:colon]
		if !tagRE.MatchString(r.Tag) {
			return bad(fmt.Sprintf("tag %q: letters, digits, '_', '.' and '-', at most 128", r.Tag))
		}
	}
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Domain, rest = first, after
	}
	if !pathRE.MatchString(rest) {
		return bad("the repository must be lower-case letters, digits and separators ('/', '.', '_', '-')")
	}
	r.Path = rest
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// suffix is ":tag" or "@digest".
func (r Ref) suffix() string {
	if r.Digest != "" {
		return "@" + r.Digest
	}
	return ":" + r.Tag
}

// String is the name as the store records it (registry always named).
func (r Ref) String() string {
	d, p := r.Domain, r.Path
	if d == "" {
		d = "docker.io"
	}
	if d == "docker.io" && !strings.Contains(p, "/") {
		p = "library/" + p
	}
	return d + "/" + p + r.suffix()
}

// Find looks up a local image the way podman does: by ID or ID prefix, by
// its full name, and a short name also as localhost/NAME, as docker.io's
// NAME, and as any registry's .../NAME with the same tag; two different
// images matching a short name is an error that lists them.
func Find(s storage.Store, name string) (*storage.Image, error) {
	if idRE.MatchString(name) {
		if img, err := s.Image(strings.TrimPrefix(name, "sha256:")); err == nil {
			return img, nil
		}
	}
	r, err := ParseRef(name)
	if err != nil {
		return nil, err
	}
	imgs, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("listing the image store: %w", err)
	}
	want := map[string]bool{r.String(): true}
	if r.Domain == "" {
		want["localhost/"+r.Path+r.suffix()] = true
	}
	found := map[string]*storage.Image{}
	for i := range imgs {
		img := &imgs[i]
		for _, n := range img.Names {
			if want[n] || r.Domain == "" && strings.HasSuffix(n, "/"+r.Path+r.suffix()) {
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
func repoMatches(img *storage.Image, r Ref) bool {
	full := strings.TrimSuffix(r.String(), r.suffix())
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
