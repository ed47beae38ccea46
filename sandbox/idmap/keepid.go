package idmap

import (
	"errors"
	"fmt"
	"os"
)

// UserNSKeepID is podman's --userns=keep-id: the caller's own uid and gid
// are the same numbers inside the pod, so a non-root step writes files that
// the caller owns (a CI workspace); pod root is then a subordinate id.
const UserNSKeepID = "keep-id"

// KeepID rearranges a subordinate mapping (0 = the caller, 1..N = the
// range) so that the caller's uid maps to itself: inside 0..own-1 are the
// first subordinate ids, own is the caller, own+1.. the rest.
func (m Mapping) KeepID(uid, gid uint32) (Mapping, error) {
	if !m.Helpers {
		return m, errors.New("--userns=keep-id needs a subordinate id range (/etc/subuid, /etc/subgid) and newuidmap: see podctl doctor")
	}
	var err error
	if m.UIDs, err = keepRanges(m.UIDs, uid); err != nil {
		return m, fmt.Errorf("--userns=keep-id: uids: %w", err)
	}
	if m.GIDs, err = keepRanges(m.GIDs, gid); err != nil {
		return m, fmt.Errorf("--userns=keep-id: gids: %w", err)
	}
	return m, nil
}

// keepRanges: rs is buildRanges' mapping ({0, own, 1} then the ranges).
func keepRanges(rs []Range, own uint32) ([]Range, error) {
	var subs []Range // the subordinate ranges, in order
	var total uint64
	for _, r := range rs {
		if r.Inside == 0 {
			continue
		}
		subs = append(subs, r)
		total += uint64(r.Count)
	}
	if total < uint64(own) {
		return nil, fmt.Errorf("the subordinate range has %d ids, fewer than your id %d: inside ids 0..%d cannot all be mapped", total, own, own-1)
	}
	var out []Range
	next := uint32(0) // the next inside id to map
	for _, s := range subs {
		start, count := s.Outside, s.Count
		if next < own {
			// This range (or its head) goes below the caller's id.
			n := min(count, own-next)
			out = append(out, Range{Inside: next, Outside: start, Count: n})
			next += n
			start, count = start+n, count-n
			if next == own {
				out = append(out, Range{Inside: own, Outside: own, Count: 1})
				next++
			}
		}
		if count > 0 {
			out = append(out, Range{Inside: next, Outside: start, Count: count})
			next += count
		}
	}
	if next == own { // own equals the whole range's size
		out = append(out, Range{Inside: own, Outside: own, Count: 1})
	}
	return out, nil
}

// KeepIDUser is the default user of a keep-id pod's containers: the
// caller's own ids, as podman does.
func KeepIDUser() string { return fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()) }

// RelativeTo re-expresses pod mapping k (pod id -> host id) against mapping
// std (helper id -> host id, the store helper's): pod id -> helper id, as
// containers-storage takes it. keepID builds k from std's own ranges, so
// each range of k lies within one of std.
func RelativeTo(k, std []Range) ([][3]uint32, error) {
	var out [][3]uint32
	for _, r := range k {
		found := false
		for _, s := range std {
			if r.Outside >= s.Outside && uint64(r.Outside)+uint64(r.Count) <= uint64(s.Outside)+uint64(s.Count) {
				out = append(out, [3]uint32{r.Inside, s.Inside + (r.Outside - s.Outside), r.Count})
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("host ids %d..%d are not in the store's mapping", r.Outside, r.Outside+r.Count-1)
		}
	}
	return out, nil
}
