package idmap

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// The per-user user namespace (sandbox/stage/nest.go) is mapped once by
// newuidmap and newgidmap; each pod's user namespace is then made inside
// it and mapped from there, with no setuid helper.

// NestParent is the per-user namespace's own mapping, made from the
// user's standard mapping d (Detect with Helpers): its ids 1..N are the
// subordinate ranges, in the order a pod maps them, and N+1 is the user's
// own id. Its id 0 stays unmapped: a map of a parent's id 0 needs
// CAP_SETFCAP over that parent's parent (the kernel's verify_root_map,
// Linux 5.12), so a pod's root could not be mapped from inside it if the
// user were its 0.
func NestParent(d Mapping) (uids, gids []Range) {
	return nestRanges(d.UIDs), nestRanges(d.GIDs)
}

func nestRanges(rs []Range) []Range {
	var out []Range
	next := uint32(1)
	var own uint32
	for _, r := range rs {
		if r.Inside == 0 && r.Count == 1 {
			own = r.Outside
			continue
		}
		out = append(out, Range{Inside: next, Outside: r.Outside, Count: r.Count})
		next += r.Count
	}
	return append(out, Range{Inside: next, Outside: own, Count: 1})
}

// NestMap is pod mapping rs (pod id -> host id) as uid_map(5) lines
// relative to the per-user namespace whose mapping is parent (its id ->
// host id): what a process in that namespace writes for the pod.
func NestMap(rs, parent []Range) (string, error) {
	rel, err := RelativeTo(rs, parent)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rel {
		fmt.Fprintf(&b, "%d %d %d\n", r[0], r[1], r[2])
	}
	return b.String(), nil
}

// ParseMap reads a uid_map or gid_map file's lines (proc(5)).
func ParseMap(text string) ([]Range, error) {
	var out []Range
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Range
		if n, err := fmt.Sscan(line, &r.Inside, &r.Outside, &r.Count); n != 3 || err != nil {
			return nil, fmt.Errorf("not a map line: %q", line)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadMap parses /proc/PID/uid_map or gid_map (as this process sees it:
// host ids, from the initial user namespace).
func ReadMap(path string) ([]Range, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMap(string(b))
}

// SameRanges says whether a and b are the same set of lines, in any order
// (the kernel sorts a map of more than five lines).
func SameRanges(a, b []Range) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(rs []Range) []Range {
		c := append([]Range(nil), rs...)
		sort.Slice(c, func(i, j int) bool { return c[i].Inside < c[j].Inside })
		return c
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}
