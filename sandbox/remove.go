package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podnet"

	"golang.org/x/sys/unix"
)

// Stop ends a pod: sig (SIGTERM when 0) to each container, SIGKILL to what
// is left after timeout, then the pause. It returns once the pod has ended.
// Without a supervisor (it was killed) Stop does the killing itself. A
// negative timeout is the pod's own grace period (a manifest's
// terminationGracePeriodSeconds), else DefaultStopTimeout.
func Stop(ctx context.Context, name string, sig unix.Signal, timeout time.Duration) error {
	st, dir, err := model.Observe(name)
	if err != nil {
		return err
	}
	if timeout < 0 {
		timeout = st.Spec.Grace()
	}
	return stopPod(st, dir, sig, timeout)
}

// stopPod is Stop of the pod whose state st was read from dir.
func stopPod(st *model.PodState, dir string, sig unix.Signal, timeout time.Duration) error {
	if model.SupervisorAlive(dir) {
		explain.Printf("podctl", "asks the pod's supervisor to stop it (%s, then SIGKILL after %s), on %s", unix.SignalName(sig), timeout, filepath.Join(dir, control.SocketName))
		err := control.Call(dir, control.Request{Op: "stop", Signal: int(sig), Timeout: timeout.Seconds()}, 0)
		// The reply comes after the final state was written; the
		// supervisor exits right after it.
		werr := model.AwaitSupervisorExit(dir, 5*time.Second)
		if err != nil && werr == nil {
			// A pod that was ending on its own: its supervisor had
			// closed its socket (connection refused) and has exited
			// since, its final state written. Stopped all the same.
			return nil
		}
		if err == nil {
			err = werr
		}
		return err
	}
	if model.Terminal(st.Phase) && !st.Pause.Alive() {
		return nil // already stopped
	}
	return model.WithStateLock(dir, func() error {
		killLeftovers(st)
		st.Pause, st.Network.Helper = model.ProcRef{}, model.ProcRef{}
		return model.WriteState(dir, st)
	})
}

// stopUnreadable asks the live supervisor of a pod whose state cannot be
// read to end it at once, and waits for the supervisor to exit.
func stopUnreadable(dir string) {
	explain.Printf("podctl", "the pod's state cannot be read: asks its supervisor to end it (SIGKILL), on %s", filepath.Join(dir, control.SocketName))
	control.Call(dir, control.Request{Op: "stop", Signal: int(unix.SIGKILL)}, 5*time.Second)
	model.AwaitSupervisorExit(dir, 5*time.Second)
}

// Kill sends sig to every running container of the pod; the supervisor
// then applies the restart policy, as the kubelet does after a crash.
func Kill(ctx context.Context, name string, sig unix.Signal) error {
	st, _, err := model.Observe(name)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range st.Containers {
		if c.State.Running == nil {
			continue
		}
		if err := model.SignalProc(c.Proc, sig); err == nil {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("pod %s has no running container to signal (%s)", name, st.Phase)
	}
	return nil
}

// Remove deletes pod name. A pod that still runs is refused unless force,
// which stops it at once (SIGKILL) first.
func Remove(ctx context.Context, name string, force bool) error {
	st, dir, err := model.Observe(name)
	if errors.Is(err, model.ErrNoPod) && force {
		return nil // gone already: what rm -f asks for (another rm may have won)
	}
	if err != nil {
		if dir == "" || !model.Exists(dir) {
			return err
		}
		hasState := model.Exists(filepath.Join(dir, model.StateFile))
		if model.SupervisorAlive(dir) {
			// A creator at work holds the lock of a directory without
			// state (podDir): not ours to touch. With -f, a pod whose
			// state is corrupt: its supervisor knows its pod in memory.
			if !force || !hasState {
				return err
			}
			stopUnreadable(dir)
		}
		// A directory without state whose lock nobody holds: a creation
		// that died. With -f, a pod whose state is corrupt too.
		if hasState && !force {
			return err
		}
		return cleanupLeftovers(dir)
	}
	if model.Running(st, dir) {
		if !force {
			return fmt.Errorf("pod %s is running; stop it first (podctl stop %s) or use podctl rm -f %s", name, name, name)
		}
		if err := stopPod(st, dir, unix.SIGKILL, 0); err != nil && model.SupervisorAlive(dir) {
			return err
		}
	}
	return cleanupLeftovers(dir)
}

// GC removes every pod that no longer runs: pods that ended (Succeeded,
// Failed), pods whose supervisor was lost (their remaining processes are
// killed), pods of an earlier boot, and directories whose creation was
// interrupted. Running pods are left alone. It returns the names removed.
func GC(ctx context.Context) ([]string, error) {
	names, err := model.ListPods()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, name := range names {
		st, dir, err := model.Observe(name)
		if err != nil {
			// No state and nobody holding the lock: a creation that
			// died (podDir); a creator at work holds the lock. A state
			// that cannot be read, with no supervisor: nothing will
			// ever end this pod but us (cleanupLeftovers finds its
			// processes without it).
			if dir == "" || model.SupervisorAlive(dir) {
				continue
			}
		} else if model.SupervisorAlive(dir) || !model.Terminal(st.Phase) && st.Phase != model.PhaseUnknown {
			continue
		}
		if err := cleanupLeftovers(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	// Temporary directories of creations that died before their rename,
	// and of removals that died after theirs (cleanupLeftovers).
	root, err := model.StateRoot()
	if err == nil {
		tmps, _ := filepath.Glob(filepath.Join(root, "pods", ".creating-*"))
		gone, _ := filepath.Glob(filepath.Join(root, "pods", ".removing-*"))
		for _, d := range append(tmps, gone...) {
			if !model.SupervisorAlive(d) {
				os.RemoveAll(d)
			}
		}
	}
	// Container layers in the image store that no pod knows any more.
	var known []string
	if names, err := model.ListPods(); err == nil {
		for _, name := range names {
			if st, _, err := model.ReadState(name); err == nil {
				for _, c := range st.Containers {
					known = append(known, c.Spec.LayerIDs()...)
				}
			}
		}
	}
	if _, err := layers.SweepLayers(known); err != nil {
		errs = append(errs, fmt.Errorf("image store: %w", err))
	}
	// The shared network (--network bridge), if no running pod uses it.
	podnet.ReleaseShared("")
	return removed, errors.Join(errs...)
}
