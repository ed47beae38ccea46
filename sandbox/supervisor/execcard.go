package supervisor

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
)

// writeExecCard writes the exec card of the pod's main container c, which
// has just started (stage.ExecCard), where podctl exec can use one: pods
// without a cgroup (an exec'd process must be born in the container's
// cgroup, which only Go's path does). A card that cannot be made is no
// error: exec takes its Go path, which reports what is wrong.
func (s *Supervisor) writeExecCard(c *model.ContainerStatus) {
	if c != s.St.MainContainer() || s.St.Cgroup != "" || cgroups.DetectMode() == cgroups.Unified {
		return
	}
	b, err := stage.ExecCard(s.St, c)
	if err == nil {
		err = model.WriteFileAtomic(filepath.Join(s.dir, model.ExecCardFile), ".exec-card-*", b)
	}
	if err != nil {
		s.logf("writing the exec card of container %s: %v", c.Spec.Name, err)
	}
}

// removeExecCard removes the exec card once the main container c's run
// has ended. (A card left behind names a process that is gone: the
// constructor checks its start time and falls back to Go.)
func (s *Supervisor) removeExecCard(c *model.ContainerStatus) {
	if c != s.St.MainContainer() {
		return
	}
	if err := os.Remove(filepath.Join(s.dir, model.ExecCardFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.logf("removing the exec card of container %s: %v", c.Spec.Name, err)
	}
}
