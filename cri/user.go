package cri

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerUser is the identity a running container's process has, as the
// kubelet reads ContainerStatus.user: its uid, gid and supplementary
// groups (the primary gid among them, as containerd reports them), in the
// pod's user namespace. podctl reads them from the process itself
// (/proc/PID/status, proc(5)), which shows host ids: they are mapped back
// through the pod's uid and gid maps. nil while nothing runs, or where
// the process is gone or an id is not the pod's.
func containerUser(ref sandbox.ContainerRef) *runtimeapi.ContainerUser {
	c := ref.Container
	if c.State.Running == nil || !c.Proc.Alive() {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Proc.PID))
	if err != nil || !c.Proc.Alive() { // the pid may have been reused meanwhile
		return nil
	}
	uids, gids, groups := statusIDs(b, "Uid:"), statusIDs(b, "Gid:"), statusIDs(b, "Groups:")
	if len(uids) == 0 || len(gids) == 0 {
		return nil
	}
	m := ref.Pod.IDMap
	// inside maps a host id back into the pod's user namespace. A pod
	// with no map (podctl as root without one) sees the host's ids.
	inside := func(uids bool, host uint32) (int64, bool) {
		ranges := m.GIDs
		if uids {
			ranges = m.UIDs
		}
		if len(ranges) == 0 {
			return int64(host), true
		}
		for _, r := range ranges {
			if host >= r.Outside && host-r.Outside < r.Count {
				return int64(r.Inside + host - r.Outside), true
			}
		}
		return 0, false
	}
	uid, ok1 := inside(true, uids[0])
	gid, ok2 := inside(false, gids[0])
	if !ok1 || !ok2 {
		return nil
	}
	u := &runtimeapi.LinuxContainerUser{Uid: uid, Gid: gid, SupplementalGroups: []int64{gid}}
	for _, g := range groups {
		if in, ok := inside(false, g); ok && !slices.Contains(u.SupplementalGroups, in) {
			u.SupplementalGroups = append(u.SupplementalGroups, in)
		}
	}
	return &runtimeapi.ContainerUser{Linux: u}
}

// statusIDs are the numbers of a /proc/PID/status line ("Uid:\t1\t1\t1\t1").
func statusIDs(status []byte, key string) []uint32 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key)
		if !ok {
			continue
		}
		var ids []uint32
		for _, f := range strings.Fields(rest) {
			if n, err := strconv.ParseUint(f, 10, 32); err == nil {
				ids = append(ids, uint32(n))
			}
		}
		return ids
	}
	return nil
}
