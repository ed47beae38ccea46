package leak

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/idmap"
)

// nestHolder is the comm of the per-user namespace's holder.
const nestHolder = "podctl-userns"

// proc is one live process the oracle watches.
type proc struct {
	pid   int
	start string // starttime, field 22 of /proc/PID/stat: with the pid, a name no reuse can take
	name  string // comm
	uid   int    // real uid, as the host sees it
}

// id names the process across snapshots.
func (p proc) id() string { return fmt.Sprintf("%d/%s %s", p.pid, p.start, p.name) }

type procSet []proc

// readProcs lists the processes podctl could leave behind: the caller's
// uid; the subordinate ids a rootless pod's other users run as (a
// container's uid 1000 is host uid 100999, say, invisible to a check by
// the caller's uid alone); and any process in a pid namespace but the
// caller's (as root, a pod's processes may run as any uid at all).
// Zombies are left out (this machine's PID 1 reaps orphans late), as are
// kernel threads (children of kthreadd), the caller itself, and the holder
// of the per-user namespace (nestHolder).
//
// That holder is kept by design after the pods that used it, and ends
// itself once PODCTL_USERNS_LINGER seconds pass without a pod start
// (sandbox/stage/nest.go); TestPerUserNamespace checks that it does, and
// that nothing of the pods made in its namespace outlives them (their
// processes run as the caller's ids and are seen here as any pod's).
func readProcs() procSet {
	own := os.Getuid()
	subordinate := subordinateUIDs(own)
	myPidNS, _ := os.Readlink("/proc/self/ns/pid")
	var out procSet
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || pid == 2 {
			continue
		}
		p, ppid, state, ok := readStat(pid)
		if !ok || ppid == 2 || state == "Z" || state == "X" || p.name == nestHolder {
			continue
		}
		p.uid = realUID(pid)
		if p.uid < 0 {
			continue // gone meanwhile
		}
		ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if p.uid == own || subordinate(p.uid) || ns != "" && myPidNS != "" && ns != myPidNS {
			out = append(out, p)
		}
	}
	return out
}

// subordinateUIDs says whether a host uid is one of the caller's
// subordinate ids, as a rootless pod maps them (idmap: /etc/subuid).
// Root maps every id to itself: it has no subordinate ids, and its pods'
// processes are found by their pid namespace instead.
func subordinateUIDs(own int) func(int) bool {
	if own == 0 {
		return func(int) bool { return false }
	}
	var ranges []idmap.Range
	for _, r := range idmap.Detect().UIDs {
		if int(r.Outside) != own {
			ranges = append(ranges, r)
		}
	}
	return func(uid int) bool {
		for _, r := range ranges {
			if uint64(uid) >= uint64(r.Outside) && uint64(uid) < uint64(r.Outside)+uint64(r.Count) {
				return true
			}
		}
		return false
	}
}

// readStat reads /proc/PID/stat: the comm is in parentheses and may hold
// spaces and parentheses itself, so fields are counted from the last ')'
// (proc(5)).
func readStat(pid int) (p proc, ppid int, state string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, 0, "", false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return p, 0, "", false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 20 { // state is field 3, starttime field 22
		return p, 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return proc{pid: pid, name: s[open+1 : end], start: f[19]}, ppid, f[0], true
}

// realUID is the first field of /proc/PID/status's Uid: line, or -1.
func realUID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				uid, err := strconv.Atoi(f[0])
				if err == nil {
					return uid
				}
			}
		}
	}
	return -1
}

func (ps procSet) entries() []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s (uid %d)", p.id(), p.uid))
	}
	return out
}

// isPodctl: podctl's own long-lived processes (podctl-pause,
// podctl-keeper, a detached supervisor "podctl", the shared network's
// holder) all name themselves so.
func (p proc) isPodctl() bool { return strings.HasPrefix(p.name, "podctl") }

// descriptors lists, for the caller and each podctl process, its open
// descriptors: "N target", with the inode of sockets, pipes and the like
// left out (a control connection accepted and closed in between gives the
// same listening socket; a new descriptor still shows by its number).
// A process whose /proc/PID/fd cannot be read (another user's) has none.
func (ps procSet) descriptors() map[string][]string {
	out := map[string][]string{}
	self := proc{pid: os.Getpid(), name: "(the caller)"}
	self.start = "self"
	for _, p := range append(procSet{self}, ps...) {
		if p.pid != self.pid && !p.isPodctl() {
			continue
		}
		dir := fmt.Sprintf("/proc/%d/fd", p.pid)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		var fds []string
		for _, e := range ents {
			target, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil {
				continue // closed meanwhile (our own ReadDir's descriptor)
			}
			if p.pid == self.pid && strings.HasPrefix(target, "/proc/") {
				continue // this very listing's directory descriptor
			}
			fds = append(fds, e.Name()+" "+inodeNumber.ReplaceAllString(target, "$1"))
		}
		out[p.id()] = fds
	}
	return out
}

// inodeNumber: "socket:[1234]" becomes "socket:".
var inodeNumber = regexp.MustCompile(`^([a-z_]+:)\[\d+\]$`)
