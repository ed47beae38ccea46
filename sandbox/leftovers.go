package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podnet"

	"golang.org/x/sys/unix"
)

// killLeftovers kills whatever still runs of a pod whose supervisor is
// gone: its containers (they may have a pid namespace of their own) and
// its pause (whose death kills the rest of a shared pid namespace).
func killLeftovers(st *model.PodState) {
	if st.BootID != model.BootID() {
		return // every pid in it belongs to another boot
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.Proc.PID > 0 {
			explain.Printf("podctl", "SIGKILL to what is left of container %s (pid %d, start time checked): pidfd_send_signal", c.Spec.Name, c.Proc.PID)
		}
		model.SignalProc(c.Proc, unix.SIGKILL)
		if c.State.Running != nil {
			c.MarkUnknown()
		}
	}
	model.SignalProc(st.Pause, unix.SIGKILL)
	// The network helper is the dead supervisor's child, not the pod's:
	// the pause's death does not end it.
	model.SignalProc(st.Network.Helper, unix.SIGKILL)
	// Killed processes that are not our children are reaped by their
	// parent (init, here); wait until they are gone.
	deadline := time.Now().Add(2 * time.Second)
	for (st.Pause.Alive() || st.Network.Helper.Alive() || model.AnyAlive(st)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Then the pod's cgroup, with cgroup.kill for anything that escaped
	// the pids above (a daemon a container double-forked).
	if st.Cgroup != "" {
		explain.Printf("podctl", "removes what is left of the pod's cgroup: cgroup.kill, rmdir %s", st.Cgroup)
		if err := removeStaleCgroup(st.Cgroup); err == nil {
			st.Cgroup = ""
		}
	}
}

// cleanupLeftovers kills what may be left of the pod in dir and removes
// the directory, holding the state lock so that no writer races us.
func cleanupLeftovers(dir string) error {
	var shared string // the pod, if it had a lease in the shared network
	err := model.WithStateLock(dir, func() error {
		if !model.Exists(dir) {
			return nil // removed by another rm or gc while we waited for the lock
		}
		// What the state records, and then what /proc still shows of the
		// pod (model.KillUnrecorded): the state may be corrupt, or wrong.
		st, err := model.ReadStateFile(dir)
		if n := model.KillUnrecorded(dir); n > 0 {
			explain.Printf("podctl", "SIGKILL to %d processes of the pod that its state did not account for, found in /proc by the pause's namespaces", n)
		}
		if err == nil {
			killLeftovers(st)
			if err := layers.DeleteLayers(layers.SpecsOf(st.Containers)); err != nil {
				return fmt.Errorf("removing the pod's container layers (the pod's state is kept; try again, or podctl gc): %w", err)
			}
			if st.Spec.UsesSharedNetwork() {
				shared = st.Spec.Name
			}
		}
		explain.Printf("podctl", "removes the pod's state, logs and control socket: rm -r %s", dir)
		// Renamed out of the way first, atomically, still under the lock:
		// the lock file is in the directory, so a concurrent rm that
		// opened it after a plain rm -r unlinked it would make a new one
		// there (rmdir then fails, "directory not empty") and lock that
		// instead. Once renamed, its open finds no directory: removed.
		gone := filepath.Join(filepath.Dir(dir), ".removing-"+filepath.Base(dir)+"-"+model.RandomHex(4))
		if err := os.Rename(dir, gone); err != nil {
			return fmt.Errorf("removing %s: %w", dir, err)
		}
		if err := os.RemoveAll(gone); err != nil {
			return fmt.Errorf("removing %s (was %s; podctl gc removes it): %w", gone, dir, err)
		}
		return nil
	})
	// A shared-network pod's lease goes with it, and the network with its
	// last pod: a lease younger than a minute whose pod has no state would
	// pass for a pod being created and keep the holder and its pasta
	// running. (After the pod's lock is let go: the network's lock is
	// never taken while holding a pod's.)
	if err == nil && shared != "" {
		podnet.ReleaseShared(shared)
	}
	if err != nil && errors.Is(err, os.ErrNotExist) && !model.Exists(dir) {
		return nil // its lock file went with the directory: another removal won
	}
	return err
}

// removeStaleCgroup removes the cgroup of a pod whose supervisor is gone
// (rm, gc). It must be podctl's: under a delegation's podctl directory.
func removeStaleCgroup(dir string) error {
	if dir == "" {
		return nil
	}
	if filepath.Base(filepath.Dir(dir)) != "podctl" || !strings.HasPrefix(dir, cgroups.Mountpoint+"/") {
		return errors.New("refusing to remove " + dir + ": not a pod cgroup of podctl")
	}
	return cgroups.Remove(dir)
}
