package supervisor

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
)

// syncExecCard makes the exec card (stage.ExecCard) say what state.json,
// just written, says of the pod's main container: written once per run
// while it is Running, so that it never runs ahead of the state Go's path
// reads, and removed once that run is over. Where no card can be used
// (stage.Cardable; cgroup v2 as the host's hierarchy, where the
// constructor forks no stage) none is written. A card that cannot be
// made is no error: exec takes its Go path, which reports what is wrong.
func (s *Supervisor) syncExecCard() {
	c := s.St.MainContainer()
	running := c != nil && c.State.Running != nil && c.Proc.PID > 0
	if !running {
		if s.execCard.PID != 0 {
			s.removeExecCard()
		}
		return
	}
	if s.execCard == c.Proc || !stage.Cardable(s.St, &c.Spec) || cgroups.DetectMode() == cgroups.Unified {
		return
	}
	b, err := stage.ExecCard(s.St, c)
	if err == nil {
		err = model.WriteFileAtomic(filepath.Join(s.dir, model.ExecCardFile), ".exec-card-*", b)
	}
	if err != nil {
		s.logf("writing the exec card of container %s: %v", c.Spec.Name, err)
		return
	}
	s.execCard = c.Proc
}

// removeExecCard removes the exec card once the main container's run has
// ended (terminated, before the state says so: a card may lag behind the
// state, never run ahead of it), also one that a supervisor before a
// hibernation wrote. A card left behind names a process that is gone: the
// constructor checks its start time and falls back to Go.
func (s *Supervisor) removeExecCard() {
	s.execCard = model.ProcRef{}
	if err := os.Remove(filepath.Join(s.dir, model.ExecCardFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.logf("removing the exec card: %v", err)
	}
}
