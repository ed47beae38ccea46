package stage

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/model"

	"golang.org/x/sys/unix"
)

// lastCap is the highest capability this kernel knows.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
		return n
	}
	return len(model.CapNames) - 1
}

// dropBounding removes every capability but keep from this thread's
// bounding set, so that no execve, not even of a file with capabilities,
// gives them back. It must run as pod root (it needs CAP_SETPCAP), before
// the switch of user.
func dropBounding(keep []string) error {
	for c := 0; c <= lastCap(); c++ {
		if c < len(model.CapNames) && slices.Contains(keep, model.CapNames[c]) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// setCaps sets this thread's effective, permitted and inheritable sets to
// keep for a workload that runs as uid 0 (pod root), and empties them for
// any other user, as podman does; ambient capabilities are cleared.
func setCaps(keep []string, uid uint32) error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	var data [2]unix.CapUserData
	if uid == 0 {
		for c, name := range model.CapNames {
			if slices.Contains(keep, name) {
				data[c/32].Effective |= 1 << (c % 32)
			}
		}
		for i := range data {
			data[i].Permitted, data[i].Inheritable = data[i].Effective, data[i].Effective
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities: %w", err)
	}
	return nil
}
