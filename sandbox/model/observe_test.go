package model

import (
	"os"
	"path/filepath"
	"testing"
)

// A reader that read state.json just before the supervisor recorded the
// pod's end and exited must report that end, not a lost pod: observe
// reads the file again once it finds the supervisor gone.
func TestObserveAfterTheSupervisorsLastWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	state := func(phase string, c ContainerState) *PodState {
		return &PodState{Spec: PodSpec{Name: "p"}, BootID: BootID(), Phase: phase,
			Containers: []ContainerStatus{{Spec: ContainerSpec{Name: "c"}, State: c}}}
	}
	stale := state(PhaseRunning, ContainerState{Running: &StateRunning{}})
	last := state(PhaseFailed, ContainerState{Terminated: &StateTerminated{ExitCode: 3, Reason: "Error"}})
	if err := WriteState(dir, last); err != nil {
		t.Fatal(err)
	}
	observe(stale, dir)
	if c := stale.Containers[0]; stale.Phase != PhaseFailed || c.State.Terminated == nil || c.State.Terminated.ExitCode != 3 {
		t.Errorf("observed phase %s, container %+v; want the supervisor's last record (Failed, exit 3)", stale.Phase, c.State.Terminated)
	}

	// Control: with no record of the end on disk, the pod is lost.
	if err := WriteState(dir, state(PhaseRunning, ContainerState{Running: &StateRunning{}})); err != nil {
		t.Fatal(err)
	}
	lost := state(PhaseRunning, ContainerState{Running: &StateRunning{}})
	observe(lost, dir)
	if c := lost.Containers[0]; lost.Reason != "PodLost" || c.State.Terminated == nil || c.State.Terminated.ExitCode != 137 {
		t.Errorf("a pod whose processes are gone unrecorded: reason %q, container %+v", lost.Reason, c.State.Terminated)
	}
}
