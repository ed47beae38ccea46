package images

import (
	"fmt"
	"strings"
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

// The grammar of github.com/distribution/reference, checked by hand: its
// regular expressions would cost every podctl process a millisecond of
// compilation at start-up.

// validPath: lower-case components joined by '/', each made of [a-z0-9]
// runs joined by one '.', one '_', "__" or any number of '-' (the
// grammar's path-component).
func validPath(p string) bool {
	for _, comp := range strings.Split(p, "/") {
		if comp == "" || !alnum(comp[0]) || !alnum(comp[len(comp)-1]) {
			return false
		}
		for i := 0; i < len(comp); i++ {
			if alnum(comp[i]) {
				continue
			}
			j := i
			for j < len(comp) && !alnum(comp[j]) {
				j++
			}
			sep := comp[i:j]
			if sep != "." && sep != "_" && sep != "__" && strings.Trim(sep, "-") != "" {
				return false
			}
			i = j - 1
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validTag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(alnum(c) || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// lowerHex: n lower-case hex digits, n between min and max.
func lowerHex(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// validDigest: sha256: and 64 hex digits.
func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	return ok && lowerHex(h, 64, 64)
}

// IsID says whether s is an image ID or a prefix of one (at least 6 hex
// digits, "sha256:" optional), as podman accepts.
func IsID(s string) bool { return lowerHex(strings.TrimPrefix(s, "sha256:"), 6, 64) }

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
		if !validDigest(r.Digest) {
			return bad("the digest after '@' must be sha256: and 64 hex digits")
		}
	}
	if colon := strings.LastIndex(rest, ":"); colon > strings.LastIndex(rest, "/") {
		r.Tag = rest[colon+1:]
		rest = rest[:colon]
		if !validTag(r.Tag) {
			return bad(fmt.Sprintf("tag %q: letters, digits, '_', '.' and '-', at most 128", r.Tag))
		}
	}
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Domain, rest = first, after
		if !validDomain(r.Domain) {
			return bad(fmt.Sprintf("registry %q: a host name (letters, digits, '-', '.'-separated) or [IPv6], with an optional :port", r.Domain))
		}
	}
	if !validPath(rest) {
		return bad("the repository must be lower-case letters, digits and separators ('/', '.', '_', '-')")
	}
	r.Path = rest
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Suffix is ":tag" or "@digest".
func (r Ref) Suffix() string {
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
	return d + "/" + p + r.Suffix()
}

// validDomain checks a registry as the distribution grammar has it: host
// name components of letters, digits and inner '-', separated by '.', or
// an IPv6 address in brackets; then an optional ":port". (FuzzParseRef
// found " .0/x" accepted, a blank in a store name.)
func validDomain(d string) bool {
	host := d
	if i := strings.LastIndex(d, ":"); i >= 0 && i > strings.LastIndex(d, "]") {
		port := d[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = d[:i]
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		in := host[1 : len(host)-1]
		return in != "" && strings.Trim(in, "0123456789abcdefABCDEF:.") == ""
	}
	for _, c := range strings.Split(host, ".") {
		if c == "" || c[0] == '-' || c[len(c)-1] == '-' {
			return false
		}
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
