// Package idmap decides a pod's user namespace mapping: the caller's own
// ids and, where /etc/subuid and /etc/subgid give a range and newuidmap
// exists, the subordinate ids (idmap.go), rearranged for --userns keep-id
// (keepid.go); and writes it for a new namespace.
package idmap

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"

	"github.com/podctl/podctl/sandbox/forkexec"
)

// Range is one line of a uid_map or gid_map: Count ids starting at Inside
// in the pod are the ids starting at Outside on the host
// (user_namespaces(7), "User and group ID mappings").
type Range struct {
	Inside, Outside, Count uint32
}

// Mapping is how a pod's user namespace maps ids.
type Mapping struct {
	UIDs, GIDs []Range
	// Helpers: write the maps with newuidmap/newgidmap (setuid root, from
	// the uidmap package), which may map the subordinate ranges that
	// /etc/subuid and /etc/subgid grant. Without them an unprivileged
	// process may map only its own id (and must deny setgroups first).
	Helpers bool
	// Single: only pod root is mapped; setgroups(2) is denied in the pod.
	Single bool
	// Notice explains a fallback to the user; empty when nothing fell back.
	Notice string
}

// subIDRange is one line of /etc/subuid or /etc/subgid.
type subIDRange struct{ start, count uint32 }

// parseSubIDs returns the ranges of the file (subuid(5) format,
// "name_or_id:start:count") that belong to the user named name or with id id.
func parseSubIDs(path, name string, id uint32) ([]subIDRange, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []subIDRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != strconv.FormatUint(uint64(id), 10)) {
			continue
		}
		start, err1 := strconv.ParseUint(parts[1], 10, 32)
		count, err2 := strconv.ParseUint(parts[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			continue
		}
		out = append(out, subIDRange{uint32(start), uint32(count)})
	}
	return out, sc.Err()
}

// buildRanges maps pod root to the caller's own id and ids 1..N to the
// subordinate ranges, in file order.
func buildRanges(own uint32, subs []subIDRange) []Range {
	r := []Range{{Inside: 0, Outside: own, Count: 1}}
	next := uint32(1)
	for _, s := range subs {
		r = append(r, Range{Inside: next, Outside: s.start, Count: s.count})
		next += s.count
	}
	return r
}

// Detect decides the mapping for a pod made by the current user.
//
// Root: an identity mapping of all ids, so files keep their owners and pod
// root is host root, as in rootful podman without --userns. The pod is still
// confined by its other namespaces.
// Unprivileged: pod root = the caller, ids 1..N = the caller's ranges in
// /etc/subuid and /etc/subgid, written by newuidmap/newgidmap. Without a
// range or without the helpers, a single-id mapping, with a notice.
func Detect() Mapping { return detectedIDMapping() }

// detectedIDMapping: the answer is the same for the whole life of a podctl
// process, which asks several times (podctl run IMAGE: the spec's checks,
// the store helper that makes the layer, the pod, the helper that removes
// it), so /etc/subuid, /etc/subgid, the user database, /proc/self/status
// and $PATH are read once.
var detectedIDMapping = sync.OnceValue(detectIDMapping)

func detectIDMapping() Mapping {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	if uid == 0 {
		// Root of the initial user namespace: all ids. Root of a nested
		// one (podctl in a podctl pod): the ids that namespace has, each
		// mapped to itself (user_namespaces(7): a child may only map ids
		// its parent maps).
		return Mapping{UIDs: ownIDs("/proc/self/uid_map"), GIDs: ownIDs("/proc/self/gid_map")}
	}
	single := Mapping{
		UIDs:   []Range{{0, uid, 1}},
		GIDs:   []Range{{0, gid, 1}},
		Single: true,
	}
	name := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	subu, _ := parseSubIDs("/etc/subuid", name, uid)
	subg, _ := parseSubIDs("/etc/subgid", name, uid)
	if len(subu) == 0 || len(subg) == 0 {
		single.Notice = fmt.Sprintf("no subordinate id range for user %s in /etc/subuid or /etc/subgid: "+
			"pods map only root (to uid %d); fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s", name, uid, name)
		return single
	}
	status := ProcStatus()
	if tracer := status["TracerPid"]; tracer != "" && tracer != "0" {
		// Under strace -f (ptrace(2)), execve of a setuid program runs
		// without its privileges, so newuidmap could not write the map.
		single.Notice = fmt.Sprintf("podctl is being traced (strace?): setuid newuidmap cannot work under ptrace, so this pod maps only root (to uid %d)", uid)
		return single
	}
	if status["NoNewPrivs"] == "1" {
		// no_new_privs (a container runtime's, or a sandbox's) stops an
		// execve from gaining privileges: newuidmap's setuid bit is ignored.
		single.Notice = fmt.Sprintf("podctl runs with no_new_privs, so the setuid newuidmap cannot work: this pod maps only root (to uid %d)", uid)
		return single
	}
	for _, helper := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(helper); err != nil {
			single.Notice = fmt.Sprintf("%s not found: pods map only root (to uid %d); fix: apt-get install uidmap", helper, uid)
			return single
		}
	}
	return Mapping{UIDs: buildRanges(uid, subu), GIDs: buildRanges(gid, subg), Helpers: true}
}

// ownIDs reads a map of our own namespace and returns the identity mapping
// of the ids it maps (all of them, for the initial namespace).
func ownIDs(path string) []Range {
	all := []Range{{0, 0, 4294967295}}
	rs, err := ReadMap(path)
	var out []Range
	for _, r := range rs {
		if r.Count > 0 {
			out = append(out, Range{Inside: r.Inside, Outside: r.Inside, Count: r.Count})
		}
	}
	if err != nil || len(out) == 0 {
		return all
	}
	return out
}

// Size is the number of uids mapped.
func (m Mapping) Size() uint64 {
	var n uint64
	for _, r := range m.UIDs {
		n += uint64(r.Count)
	}
	return n
}

// Apply writes the maps of process pid, which has just made its user
// namespace and waits for them.
func (m Mapping) Apply(pid int) error {
	wait, err := m.Start(pid)
	if err != nil {
		return err
	}
	return wait()
}

// Start is Apply in two halves: it starts the setuid helpers, and wait
// waits for them, so that the caller can work while they run (each is
// the exec of a setuid program, ~5 ms on a small VM). Without helpers the
// maps are written before Start returns.
func (m Mapping) Start(pid int) (wait func() error, err error) {
	if !m.Helpers {
		return func() error { return nil }, m.write(pid)
	}
	// The two helpers are independent; run them side by side.
	u, err := startHelper("newuidmap", pid, m.UIDs)
	if err != nil {
		return nil, err
	}
	g, gerr := startHelper("newgidmap", pid, m.GIDs)
	return func() error {
		if gerr == nil {
			gerr = g.wait()
		}
		if uerr := u.wait(); uerr != nil {
			return fmt.Errorf("%v (check /etc/subuid)", uerr)
		}
		if gerr != nil {
			return fmt.Errorf("%v (check /etc/subgid)", gerr)
		}
		return nil
	}, nil
}

// write writes the maps of pid's user namespace itself (root, or one id).
func (m Mapping) write(pid int) error {
	proc := fmt.Sprintf("/proc/%d/", pid)
	if m.Single {
		// An unprivileged writer of gid_map must deny setgroups first
		// (user_namespaces(7), since Linux 3.19, CVE-2014-8989).
		if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			return fmt.Errorf("writing %ssetgroups: %w", proc, err)
		}
	}
	if err := os.WriteFile(proc+"uid_map", []byte(formatMap(m.UIDs)), 0); err != nil {
		return fmt.Errorf("writing %suid_map: %w", proc, err)
	}
	if err := os.WriteFile(proc+"gid_map", []byte(formatMap(m.GIDs)), 0); err != nil {
		return fmt.Errorf("writing %sgid_map: %w", proc, err)
	}
	return nil
}

// helper is a running newuidmap or newgidmap.
type helper struct {
	args   []string
	proc   *forkexec.Process
	pipes  *forkexec.Pipes
	stderr strings.Builder
}

// startHelper starts name (newuidmap or newgidmap, found in PATH) to write
// ranges into the maps of pid. It goes through forkexec, not os/exec, which
// would clone a child of its own first (sandbox/forkexec).
func startHelper(name string, pid int, ranges []Range) (*helper, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h := &helper{args: append([]string{name}, helperArgs(pid, ranges)...)}
	cmd := &forkexec.Cmd{Path: path, Args: h.args}
	if h.pipes, err = forkexec.NewPipes(cmd, nil, nil, &h.stderr); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h.proc, err = forkexec.Start(cmd)
	h.pipes.Started()
	if err != nil {
		h.pipes.Wait()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return h, nil
}

// wait waits for the helper, and says how it failed.
func (h *helper) wait() error {
	err := h.proc.Wait()
	h.pipes.Wait()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(h.args, " "), err, strings.TrimSpace(h.stderr.String()))
	}
	return nil
}

func helperArgs(pid int, rs []Range) []string {
	args := []string{strconv.Itoa(pid)}
	for _, r := range rs {
		args = append(args, strconv.FormatUint(uint64(r.Inside), 10),
			strconv.FormatUint(uint64(r.Outside), 10), strconv.FormatUint(uint64(r.Count), 10))
	}
	return args
}

func formatMap(rs []Range) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d %d %d\n", r.Inside, r.Outside, r.Count)
	}
	return b.String()
}

// FormatRanges writes ranges as uid_map(5) lines do, joined by "; ".
func FormatRanges(rs []Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d %d %d", r.Inside, r.Outside, r.Count))
	}
	return strings.Join(parts, "; ")
}

// How says who writes the maps, for --explain.
func (m Mapping) How() string {
	switch {
	case m.Helpers:
		return " (with the setuid helpers newuidmap and newgidmap, which may map /etc/subuid ranges)"
	case m.Single:
		return " (written to /proc/PID/uid_map and gid_map directly: one id, setgroups denied first, as user_namespaces(7) requires)"
	}
	return " (written to /proc/PID/uid_map and gid_map directly, by root: every id maps to itself)"
}

// ProcStatus reads the "Key: value" lines of /proc/self/status.
func ProcStatus() map[string]string {
	m := map[string]string{}
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
