package supervisor

import (
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
)

// syncExecCard makes the exec card (stage.WriteExecCard) say what
// state.json, just written, says of the pod's main container: written once
// per run while it is Running, so that it never runs ahead of the state
// Go's path reads, and removed once that run is over. A card that cannot
// be made is no error: exec takes its Go path, which reports what is
// wrong.
func (s *Supervisor) syncExecCard() {
	c := s.St.MainContainer()
	if c == nil || c.State.Running == nil || c.Proc.PID <= 0 {
		if s.execCard.PID != 0 {
			s.removeExecCard()
		}
		return
	}
	if s.execCard == c.Proc {
		return
	}
	// Once per run, written or not (a pod with a cgroup has none): a
	// failed write is tried again at the next save.
	if err := stage.WriteExecCard(s.dir, s.St, c); err != nil {
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
	if err := stage.RemoveExecCard(s.dir); err != nil {
		s.logf("removing the exec card: %v", err)
	}
}
