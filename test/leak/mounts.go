package leak

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// mountTables reads the caller's mount table and that of every mount
// namespace a podctl process holds (a pod's pause or keeper, the shared
// network's holder), as sets of "mount point  root  type  source":
// a mount added and another removed both show. Mount ids are left out
// (a remount changes them, not what is mounted).
//
// Another tool's namespaces are its own business: podman's rootless pause
// keeps a mount namespace whose mounts follow podman's containers; the
// image store's containers are compared instead (store.go).
func mountTables(ps procSet) map[string][]string {
	out := map[string][]string{"mounts of the caller's namespace": readMountinfo("/proc/self/mountinfo")}
	mine, _ := os.Readlink("/proc/self/ns/mnt")
	holder := map[string]proc{} // mount namespace -> its lowest-pid podctl process
	for _, p := range ps {
		if !p.isPodctl() {
			continue
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", p.pid))
		if err != nil || ns == mine {
			continue
		}
		if h, ok := holder[ns]; !ok || p.pid < h.pid {
			holder[ns] = p
		}
	}
	for ns, p := range holder {
		// Keyed by namespace and holder: nsfs inode numbers are reused
		// once a namespace is freed, the holder's start time is not.
		if m := readMountinfo(fmt.Sprintf("/proc/%d/mountinfo", p.pid)); m != nil {
			out[prefixMnt+ns+" held by "+p.id()] = m
		}
	}
	return out
}

// readMountinfo parses proc(5)'s mountinfo: "ID PARENT MAJ:MIN ROOT
// MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
func readMountinfo(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= len(f) {
			continue
		}
		out = append(out, strings.Join([]string{f[4], f[3], f[sep+1], f[sep+2]}, "  "))
	}
	sort.Strings(out)
	return out
}
