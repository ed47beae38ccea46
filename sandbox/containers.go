package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"

	"golang.org/x/sys/unix"
)

// The container operations of the pod API, one step each, as a CRI
// runtime offers them (CreateContainer, StartContainer, StopContainer,
// RemoveContainer, ExecSync, ListContainers). A caller that owns restarts
// and probes, as the kubelet does, makes its pod with RestartPolicy Never
// and its containers without probes: podctl then runs and reports, and
// starts nothing again by itself. Pods and containers are named by name
// or by id (PodSpec.ID, ContainerSpec.ID, made by Validate).

// runningPod reads pod (name or id) and refuses one whose supervisor is
// gone or that has ended. A pod of CreatePod (podctl pod create, a CRI
// sandbox) lives until it is stopped, whatever its phase says of its
// containers: one whose containers have all exited (phase Succeeded or
// Failed) still takes new ones, as the kubelet's next attempt.
func runningPod(pod string) (*model.PodState, string, error) {
	st, dir, err := model.Observe(pod)
	if err != nil {
		return nil, "", err
	}
	if !model.SupervisorAlive(dir) || st.Spec.AutoStop && model.Terminal(st.Phase) {
		return nil, "", fmt.Errorf("pod %s is not running (%s); start a new one, or see podctl ps -a", pod, st.Phase)
	}
	return st, dir, nil
}

// prepareContainer checks ctr for the running pod st and makes its layer
// (from an image), before the supervisor is asked to take it.
func prepareContainer(st *model.PodState, ctr *model.ContainerSpec) error {
	if err := ctr.Validate(); err != nil {
		return err
	}
	if err := ctr.ForPod(st.Spec); err != nil {
		return err
	}
	if err := podcgroup.CheckLimits(cgroups.Resources{}, []model.ContainerSpec{*ctr}); err != nil {
		return err
	}
	if !ctr.Resources.IsZero() && st.Cgroup == "" {
		return fmt.Errorf("pod %s has no cgroup (it was made without one), so the limits of container %s cannot be enforced in it; start a new pod", st.Spec.Name, ctr.Name)
	}
	return layers.PrepareImage(st.Spec.Name, st.Spec.UserNS, ctr)
}

// CreateContainer records ctr in the running pod without starting it
// (StartContainer does) and returns its id. Its layer is made now.
func CreateContainer(ctx context.Context, pod string, ctr model.ContainerSpec) (string, error) {
	st, dir, err := runningPod(pod)
	if err != nil {
		return "", err
	}
	if err := prepareContainer(st, &ctr); err != nil {
		return "", err
	}
	_, err = control.CallContext(ctx, dir, control.Request{Op: "add", Container: &ctr, CreateOnly: true})
	if err != nil && !added(pod, ctr) {
		layers.DeleteLayers([]model.ContainerSpec{ctr})
		return "", err
	}
	return ctr.ID, err
}

// StartContainer starts a container that CreateContainer made; it returns
// once its workload runs (or could not be started: an *model.ExecError
// says why, with the shell's exit code), or at once if the container must
// wait for the pod's init containers.
func StartContainer(ctx context.Context, pod, ctr string) error {
	st, dir, err := runningPod(pod)
	if err != nil {
		return err
	}
	c, err := model.FindContainer(st, ctr)
	if err != nil {
		return err
	}
	_, err = control.CallContext(ctx, dir, control.Request{Op: "start", Name: c.Spec.Name})
	return err
}

// StopContainer stops one container of a running pod: its preStop hook,
// its stop signal, SIGKILL once timeout has passed. It is not restarted,
// whatever the pod's restart policy. StopContainer returns once the
// container has ended; one that is not running is no error.
func StopContainer(ctx context.Context, pod, ctr string, timeout time.Duration) error {
	_, dir, c, err := podContainer(pod, ctr)
	if err != nil {
		return err
	}
	if !model.SupervisorAlive(dir) {
		return nil // the pod is gone, and its containers with it
	}
	sig := model.StopSignal(&c.Spec, unix.SIGTERM)
	_, err = control.CallContext(ctx, dir, control.Request{Op: "stop-container", Name: c.Spec.Name,
		Signal: int(sig), Timeout: timeout.Seconds()})
	return err
}

// ReopenContainerLog makes a running container's log go on in a new file
// at its path, once the caller has renamed the old one (the kubelet's
// rotation; the CRI's ReopenContainerLog).
func ReopenContainerLog(ctx context.Context, pod, ctr string) error {
	_, dir, c, err := podContainer(pod, ctr)
	if err != nil {
		return err
	}
	if c.State.Running == nil || !model.SupervisorAlive(dir) {
		return fmt.Errorf("container %s is not running: its log is not open", c.Spec.Name)
	}
	_, err = control.CallContext(ctx, dir, control.Request{Op: "reopen-log", Name: c.Spec.Name})
	return err
}

// RemoveContainer removes a container from its pod, its layer and logs
// with it; a running one is killed first (as CRI asks).
func RemoveContainer(ctx context.Context, pod, ctr string) error {
	_, dir, c, err := podContainer(pod, ctr)
	if err != nil {
		return err
	}
	name := c.Spec.Name
	if !model.SupervisorAlive(dir) {
		// A stopped pod: its containers have ended with it, and nobody
		// else writes its state. The kubelet removes a stopped
		// sandbox's containers before the sandbox.
		return forgetStopped(dir, name)
	}
	if err := StopContainer(ctx, pod, name, 0); err != nil {
		return err
	}
	_, err = control.CallContext(ctx, dir, control.Request{Op: "forget", Name: name})
	return err
}

// forgetStopped removes container name from the state of a pod that has
// ended (in dir), with its layer and logs, as the supervisor's forget does
// for a running pod. The state lock keeps a concurrent reader or gc out.
func forgetStopped(dir, name string) error {
	return model.WithStateLock(dir, func() error {
		st, err := model.ReadStateFile(dir)
		if err != nil {
			return err
		}
		for i := range st.Containers {
			if st.Containers[i].Spec.Name != name {
				continue
			}
			if err := layers.DeleteLayers([]model.ContainerSpec{st.Containers[i].Spec}); err != nil {
				return fmt.Errorf("container %s: %w", name, err)
			}
			st.Containers = append(st.Containers[:i], st.Containers[i+1:]...)
			if err := model.WriteState(dir, st); err != nil {
				return err
			}
			return os.RemoveAll(filepath.Join(dir, "logs", name))
		}
		return nil // gone already
	})
}

// ExecResult is what ExecSync collected of a command.
type ExecResult struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// ExecSync runs a command in a running container, as Exec does, with no
// input, and returns its output and exit code once it has ended; after
// timeout (0: none) it is killed and ExecSync returns an error that wraps
// context.DeadlineExceeded.
func ExecSync(ctx context.Context, pod, ctr string, args []string, timeout time.Duration) (*ExecResult, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var out, errb bytes.Buffer
	code, err := Exec(ctx, pod, ExecOptions{Container: ctr, Args: args, Stdout: &out, Stderr: &errb})
	var ee *model.ExecError
	if errors.As(err, &ee) {
		// The command could not be executed: the shell's 126 or 127.
		return &ExecResult{Stdout: out.Bytes(), Stderr: append(errb.Bytes(), ee.Msg...), ExitCode: ee.ExitCode}, nil
	}
	if err != nil {
		return nil, err
	}
	return &ExecResult{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: code}, nil
}

// Filter selects pods or containers for List: every field that is set
// must match. Labels match when each of them is among the object's own.
type Filter struct {
	ID     string
	Name   string
	Labels map[string]string
	// Running: only pods that run (ListPods) or running containers
	// (ListContainers).
	Running bool
}

func (f Filter) matches(id, name string, labels map[string]string, running bool) bool {
	if f.ID != "" && f.ID != id || f.Name != "" && f.Name != name || f.Running && !running {
		return false
	}
	for k, v := range f.Labels {
		if have, ok := labels[k]; !ok || have != v {
			return false
		}
	}
	return true
}

// ListPods returns the pods that f selects, each as Observe sees it now.
// A pod whose state cannot be read is left out.
func ListPods(ctx context.Context, f Filter) ([]*model.PodState, error) {
	names, err := model.ListPods()
	if err != nil {
		return nil, err
	}
	var out []*model.PodState
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, _, err := model.Observe(n)
		if err != nil {
			continue
		}
		if f.matches(st.Spec.ID, st.Spec.Name, st.Spec.Labels, !model.Terminal(st.Phase) && st.Phase != model.PhaseUnknown) {
			out = append(out, st)
		}
	}
	return out, nil
}

// ContainerRef is one container of ListContainers, with its pod.
type ContainerRef struct {
	Pod       *model.PodState
	Container *model.ContainerStatus
}

// ListContainers returns the containers that f selects, of the pods that
// pods selects.
func ListContainers(ctx context.Context, pods, f Filter) ([]ContainerRef, error) {
	sts, err := ListPods(ctx, pods)
	if err != nil {
		return nil, err
	}
	var out []ContainerRef
	for _, st := range sts {
		for i := range st.Containers {
			c := &st.Containers[i]
			if f.matches(c.Spec.ID, c.Spec.Name, c.Spec.Labels, c.State.Running != nil) {
				out = append(out, ContainerRef{Pod: st, Container: c})
			}
		}
	}
	return out, nil
}

// podContainer reads pod (name or id) and finds its container ctr (name
// or id; empty: the main one).
func podContainer(pod, ctr string) (*model.PodState, string, *model.ContainerStatus, error) {
	st, dir, err := model.Observe(pod)
	if err != nil {
		return nil, "", nil, err
	}
	c, err := model.FindContainer(st, ctr)
	if err != nil {
		return nil, "", nil, err
	}
	return st, dir, c, nil
}
