package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/diskusage"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"

	"golang.org/x/sys/unix"
)

// An emptyDir's sizeLimit, the kubelet's way: no filesystem bounds the
// volume (a write past the limit succeeds); the eviction manager measures
// each sized emptyDir every 10 s and evicts the pod whose volume holds more
// than its limit (emptyDirLimitEviction, pkg/kubelet/eviction/
// eviction_manager.go). podctl's supervisor does the same for its pod.

// ReasonEvicted is the pod's reason once it has been evicted: Kubernetes'
// word (eviction.Reason).
const ReasonEvicted = "Evicted"

// evictionGrace: the kubelet evicts for an emptyDir with a grace period of
// immediateEvictionGracePeriodSeconds (1), whatever the pod's
// terminationGracePeriodSeconds.
const evictionGrace = time.Second

// evictionInterval is how often the sized emptyDirs are measured: every
// 10 s, as the kubelet's eviction manager runs (evictionMonitoringPeriod,
// pkg/kubelet/kubelet.go). PODCTL_EVICTION_INTERVAL (a Go duration)
// overrides it, which the tests use. A measurement is an event of the
// supervisor: an interval shorter than PODCTL_HIBERNATE_AFTER keeps it
// from hibernating.
func evictionInterval() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PODCTL_EVICTION_INTERVAL")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

// armEviction schedules the next measurement of the pod's sized emptyDirs,
// after from now. A hibernating supervisor loses the timer: its keeper
// wakes it at evictAt (hibernate.go), and a resumed one measures at once.
func (s *Supervisor) armEviction(after time.Duration) {
	limits := s.St.Spec.VolumeLimits
	if len(limits) == 0 || s.stopping || s.finished {
		return
	}
	dir := s.dir
	s.evictAt = time.Now().Add(after)
	s.evictTimer = time.AfterFunc(after, func() {
		// The walk runs off the loop (a big tree takes a while) and
		// keeps the supervisor awake: hibernating would lose it.
		s.active.Add(1)
		over, used, err := diskusage.OverLimit(dir, limits)
		s.Post(func() {
			s.active.Add(-1)
			s.measured(over, used, err)
		})
	})
}

// measured acts on a measurement (loop goroutine): an eviction, or the
// next measurement.
func (s *Supervisor) measured(over *model.VolumeLimit, used int64, err error) {
	if s.stopping || s.finished {
		return
	}
	// A directory a non-root container made unreadable to us (mode 0700,
	// owned by a subordinate uid) is expected, and documented
	// (docs/kube.md): not worth a line per measurement.
	if err != nil && !errors.Is(err, fs.ErrPermission) && !s.measureLogged {
		s.measureLogged = true
		s.logf("measuring its emptyDirs: %v", err)
	}
	if over != nil {
		s.evict(over, used)
		return
	}
	s.armEviction(evictionInterval())
}

// evict ends the pod as the kubelet evicts one for an emptyDir over its
// sizeLimit: Failed, reason Evicted, with the kubelet's message (trailing
// space included: emptyDirMessageFmt); its containers get their preStop
// hook and SIGTERM, SIGKILL after evictionGrace.
func (s *Supervisor) evict(v *model.VolumeLimit, used int64) {
	s.St.Reason = ReasonEvicted
	s.St.Message = fmt.Sprintf("Usage of EmptyDir volume %q exceeds the limit %q. ", v.Volume, v.Quantity)
	s.logf("emptyDir %s holds %d bytes, more than its sizeLimit %s: evicting the pod", v.Volume, used, v.Quantity)
	explain.Printf("podctl", "emptyDir %s holds %d bytes, more than its sizeLimit (%s): the pod is evicted: SIGTERM to its containers, SIGKILL %s later", v.Volume, used, v.Quantity, evictionGrace)
	s.Stop(unix.SIGTERM, evictionGrace, nil)
}
