package crilog

import "golang.org/x/sys/unix"

// The reserve: container output never takes the last space of the
// filesystem its log is on. On a small XDG_RUNTIME_DIR tmpfs a pod's logs
// share the filesystem with podctl's own state (state.json, locks,
// ConfigMaps), and a log that filled it made `run -d` and `configmap
// create` fail with ENOSPC (issue 19). So a record is written only while
// more than the reserve is available: a tenth of the filesystem, as the
// kubelet's default hard eviction threshold (nodefs.available<10%), and
// at most ReserveMax. Below it records are dropped, and counted; writing
// resumes by itself once space is freed.
//
// statfs(2) is asked every checkEvery bytes of records rather than for
// each record: output overshoots into the reserve by at most that much.
const (
	ReserveMax = 32 << 20
	checkEvery = 64 << 10
)

// roomCheck is one log's view of its filesystem's free space.
type roomCheck struct {
	since   int64 // bytes of records since the last statfs
	checked bool
	low     bool  // the last statfs found no more than the reserve
	dropped int64 // bytes of records not written
}

// Reserve is how many bytes of a filesystem of total bytes logs leave free.
func Reserve(total int64) int64 {
	return min(total/10, ReserveMax)
}

// fits says whether a record of n bytes may be written to fd, counting it
// as dropped if not.
func (r *roomCheck) fits(fd int, n int64) bool {
	r.since += n
	if !r.checked || r.since >= checkEvery {
		var st unix.Statfs_t
		if unix.Fstatfs(fd, &st) == nil {
			bs := int64(st.Bsize)
			r.low = int64(st.Bavail)*bs <= Reserve(int64(st.Blocks)*bs)+n
		}
		r.checked, r.since = true, 0
	}
	if r.low {
		r.dropped += n
	}
	return !r.low
}
