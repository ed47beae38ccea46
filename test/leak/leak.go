// Package leak is the leak oracle of podctl's tests and benchmark: it takes
// a snapshot of everything podctl could leave behind on this machine, and
// compares two snapshots whole, as sets, so that one thing added and
// another removed do not cancel out.
//
// What it sees (each file one concern):
//   - procs.go: every live process of the caller's uid, of its subordinate
//     ids (/etc/subuid, what a rootless pod's processes run as) and of any
//     pid namespace but the caller's; the descriptors of every podctl
//     process that lives through the comparison (pause, supervisor,
//     keeper, network holder) and of the caller itself;
//   - mounts.go: the caller's mount table and that of every mount namespace
//     a podctl process holds, as sets of (mount point, root, type, source);
//   - files.go: the whole state root (pods, ConfigMaps, Secrets, the shared
//     network's leases), the named volumes, podctl's entries in the temp
//     directory, and the pod cgroups under the delegated subtree;
//   - store.go: the image store's images, layers and containers;
//   - netstate.go: the host's network links, named network namespaces and,
//     as root, its nftables tables.
//
// One place: every e2e test calls it through leakCheck (test/e2e), and the
// benchmark's end check through the leakcheck command beside this package.
package leak

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Snapshot is what podctl could leave behind, by aspect: each aspect is a
// multiset of entries (sorted strings). Aspects whose name starts with one
// of the per-process prefixes below belong to one process (or to the mount
// namespace it holds) and are compared only when that process lives in
// both snapshots.
type Snapshot struct {
	Aspects map[string][]string `json:"aspects"`
}

const (
	aspectProcs = "processes"    // added entries only: a process that ended is no leak
	aspectTmp   = "temp entries" // added entries only: a test may remove its own
	prefixFDs   = "descriptors of "
	prefixMnt   = "mounts of "
)

// Options tune what a snapshot leaves out.
type Options struct {
	// ExceptTemp names entries of the temp directory that are the
	// caller's own, made between the two snapshots (the benchmark's work
	// directory).
	ExceptTemp []string
}

// Take reads everything it can. What it cannot read (another user's
// /proc entries, a store that was never made) is simply absent, in both
// snapshots alike.
func Take(o Options) Snapshot {
	s := Snapshot{Aspects: map[string][]string{}}
	add := func(aspect string, entries []string) {
		sort.Strings(entries)
		s.Aspects[aspect] = entries
	}
	procs := readProcs()
	add(aspectProcs, procs.entries())
	for k, v := range procs.descriptors() {
		add(prefixFDs+k, v)
	}
	for k, v := range mountTables(procs) {
		add(k, v)
	}
	add(aspectTmp, tempEntries(o.ExceptTemp))
	for k, v := range trees() {
		add(k, v)
	}
	for k, v := range imageStore() {
		add(k, v)
	}
	for k, v := range network() {
		add(k, v)
	}
	return s
}

// Diff lists what differs between before and after, one line per aspect.
func Diff(before, after Snapshot) []string {
	var out []string
	var names []string
	for k := range after.Aspects {
		names = append(names, k)
	}
	for k := range before.Aspects {
		if _, ok := after.Aspects[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		b, inBefore := before.Aspects[k]
		a, inAfter := after.Aspects[k]
		perProcess := strings.HasPrefix(k, prefixFDs) || strings.HasPrefix(k, prefixMnt)
		if perProcess && (!inBefore || !inAfter) {
			continue // the process is new (a process leak) or ended
		}
		added, removed := setDiff(b, a)
		if k == aspectProcs || k == aspectTmp {
			removed = nil
		}
		if len(added) > 0 {
			out = append(out, fmt.Sprintf("%s: added %s", k, strings.Join(added, ", ")))
		}
		if len(removed) > 0 {
			out = append(out, fmt.Sprintf("%s: removed %s", k, strings.Join(removed, ", ")))
		}
	}
	return out
}

// setDiff compares two sorted multisets.
func setDiff(before, after []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || i < len(before) && before[i] < after[j]:
			removed = append(removed, before[i])
			i++
		case i == len(before) || after[j] < before[i]:
			added = append(added, after[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// Settle takes snapshots until one equals before or the timeout ends, and
// returns the last difference: what the kernel tears down asynchronously
// (a pid namespace after its init is killed, a cgroup after its last
// process) gets that long to go.
func Settle(before Snapshot, o Options, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		d := Diff(before, Take(o))
		if len(d) == 0 || time.Now().After(deadline) {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
}
