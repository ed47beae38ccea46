package sandbox

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// killLeftovers kills whatever still runs of a pod whose supervisor is
// gone: its containers (they may have a pid namespace of their own) and
// its pause (whose death kills the rest of a shared pid namespace).
func killLeftovers(st *PodState) {
	if st.BootID != bootID() {
		return // every pid in it belongs to another boot
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.Proc.PID > 0 {
			explain("podctl", "SIGKILL to what is left of container %s (pid %d, start time checked): pidfd_send_signal", c.Spec.Name, c.Proc.PID)
		}
		signalProc(c.Proc, unix.SIGKILL)
		if c.State.Running != nil {
			c.markUnknown()
		}
	}
	signalProc(st.Pause, unix.SIGKILL)
	// The network helper is the dead supervisor's child, not the pod's:
	// the pause's death does not end it.
	signalProc(st.Network.Helper, unix.SIGKILL)
	// Killed processes that are not our children are reaped by their
	// parent (init, here); wait until they are gone.
	deadline := time.Now().Add(2 * time.Second)
	for (st.Pause.alive() || st.Network.Helper.alive() || anyAlive(st)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Then the pod's cgroup, with cgroup.kill for anything that escaped
	// the pids above (a daemon a container double-forked).
	if st.Cgroup != "" {
		explain("podctl", "removes what is left of the pod's cgroup: cgroup.kill, rmdir %s", st.Cgroup)
		if err := removeStaleCgroup(st.Cgroup); err == nil {
			st.Cgroup = ""
		}
	}
}

func anyAlive(st *PodState) bool {
	for _, c := range st.Containers {
		if c.Proc.alive() {
			return true
		}
	}
	return false
}

// cleanupLeftovers kills what may be left of the pod in dir and removes
// the directory, holding the state lock so that no writer races us.
func cleanupLeftovers(dir string) error {
	return withStateLock(dir, func() error {
		if st, err := readStateFile(dir); err == nil {
			killLeftovers(st)
			if err := deleteLayers(specsOf(st.Containers)); err != nil {
				return fmt.Errorf("removing the pod's container layers (the pod's state is kept; try again, or podctl gc): %w", err)
			}
		}
		explain("podctl", "removes the pod's state, logs and control socket: rm -r %s", dir)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing %s: %w", dir, err)
		}
		return nil
	})
}
