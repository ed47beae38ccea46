package supervisor

import (
	"os"

	"github.com/podctl/podctl/sandbox/podcgroup"
)

// The pod's cgroup is sandbox/podcgroup's; its directory is the pod's
// state (St.Cgroup), and what fails here is the supervisor's to log.

// killLeaf kills what container name left in its cgroup.
func (s *Supervisor) killLeaf(name string) {
	if err := podcgroup.KillLeaf(s.St.Cgroup, name); err != nil {
		s.logf("%v", err)
	}
}

// removeCgroup kills what is left of the pod and removes its cgroup.
func (s *Supervisor) removeCgroup() {
	if err := podcgroup.Remove(s.St.Cgroup); err != nil {
		s.logf("%v", err)
		return
	}
	s.St.Cgroup = ""
}

// cgroupOf opens the pod's leaf name for CLONE_INTO_CGROUP; nil without a
// cgroup (or, after an error, which the start then reports by itself
// failing to find its limits: none were asked for podctl's own leaves).
func (s *Supervisor) cgroupOf(name string) *os.File {
	f, err := podcgroup.Open(s.St.Cgroup, name)
	if err != nil {
		s.logf("%v", err)
	}
	return f
}
