package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/podctl/podctl/sandbox/control"
	"github.com/podctl/podctl/sandbox/crilog"
	"github.com/podctl/podctl/sandbox/layers"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/supervisor"

	"golang.org/x/sys/unix"
)

// RunIO is where a foreground run sends the containers' output and its
// notices, and the signals that stop it.
type RunIO struct {
	Stdin io.Reader // podctl run -i: the container's stdin (else /dev/null)
	// Resize: the window size of the container's tty, with Stdin.
	Resize         <-chan WindowSize
	Stdout, Stderr io.Writer
	Notices        io.Writer
	// Signals: the first one received stops the pod (the signal goes to
	// the containers, SIGKILL follows after StopGrace); a second one kills
	// it at once.
	Signals <-chan os.Signal
}

// CreatePod makes a pod with no container yet (podctl pod create); its
// detached supervisor keeps it until podctl stop or rm.
func CreatePod(ctx context.Context, spec model.PodSpec, notices io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if err := podcgroup.CheckLimits(spec.Resources, nil); err != nil {
		return err
	}
	dir, lock, err := model.PodDir(spec.Name)
	if err != nil {
		return err
	}
	defer lock.Close()
	created, err := startDetached(dir, lock, spec, nil, notices)
	if !created {
		os.RemoveAll(dir)
	}
	return err
}

// Run runs ctr in a new pod of its own (podctl run without --pod); the pod
// ends with its containers. Detached, it returns once the container has
// started; in the foreground, it returns the exit code of the container
// (128+N for a death by signal N) once the pod has ended.
func Run(ctx context.Context, spec model.PodSpec, ctr model.ContainerSpec, detach bool, o RunIO) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	spec.AutoStop = true
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	if ctr.Name == "" {
		ctr.Name = spec.Name
	}
	if err := ctr.Validate(); err != nil {
		return 0, err
	}
	if err := ctr.ForPod(spec); err != nil {
		return 0, err
	}
	if err := podcgroup.CheckLimits(spec.Resources, []model.ContainerSpec{ctr}); err != nil {
		return 0, err
	}
	dir, lock, err := model.PodDir(spec.Name)
	if err != nil {
		return 0, err
	}
	defer lock.Close()
	var sup *spawnedSupervisor
	if detach {
		// Its start overlaps the making of the layer.
		if sup, err = spawnSupervisor(spec.Name, lock); err != nil {
			os.RemoveAll(dir)
			return 0, err
		}
	}
	if detach {
		// Before the pod exists: the layer goes with the pod's state
		// from here on, so every failure to make the pod removes both.
		if err := layers.PrepareImage(spec.Name, spec.UserNS, &ctr); err != nil {
			sup.Abort()
			os.RemoveAll(dir)
			return 0, err
		}
		created, err := sup.Create(dir, spec, []model.ContainerSpec{ctr}, o.Notices)
		if !created {
			os.RemoveAll(dir)
			layers.DeleteLayers([]model.ContainerSpec{ctr})
		}
		return 0, err
	}
	if spec.Remove {
		// This process removes the layer when the pod ends: the store
		// helper that makes it stays for that (briefly: layers.KeepStoreHelper).
		layers.KeepStoreHelper()
	}
	// In the foreground the layer is made beside the pod's first steps
	// (its namespaces, its pause), and the supervisor waits for it only
	// where the container's plan needs it; a missing image still fails
	// the pod, and every failure removes the layer with the pod's state.
	// The store helper must not be born in the delegation's root beside
	// this command, which the pod's cgroup would make leave it: it leaves
	// first, as before a detached supervisor.
	if ctr.Image != "" || len(ctr.ImageVolumes) > 0 {
		if err := podcgroup.LeaveRoot(); err != nil {
			os.RemoveAll(dir)
			return 0, err
		}
	}
	pending := layers.StartPrepare(spec.Name, spec.UserNS, []*model.ContainerSpec{&ctr})
	s := supervisor.New(dir, spec)
	s.Stdout, s.Stderr, s.Notices, s.Stdin, s.Resize = o.Stdout, o.Stderr, o.Notices, o.Stdin, o.Resize
	s.Images = pending.Finish
	if err := s.Create([]model.ContainerSpec{ctr}); err != nil {
		os.RemoveAll(dir)
		pending.Discard()
		layers.DeleteLayers(layers.SpecsOf(s.St.Containers))
		return 0, err
	}
	stopSignals := make(chan struct{})
	defer close(stopSignals)
	go func() {
		stops := 0
		for {
			select {
			case sig := <-o.Signals:
				grace := model.StopGrace
				if stops++; stops > 1 {
					grace = 0
				}
				s.Post(func() { s.Stop(sig.(unix.Signal), grace, nil) })
			case <-ctx.Done():
				// The caller gave up on the run: the pod stops, as
				// on a first signal.
				s.Post(func() { s.Stop(unix.SIGTERM, model.StopGrace, nil) })
				ctx = context.Background() // once
			case <-stopSignals:
				return
			}
		}
	}()
	s.Run()
	if s.FirstErr != nil {
		// An *ExecError carries its exit code (126, 127); any other
		// start failure is podctl's own (125), not the kubelet's 128.
		return 0, s.FirstErr
	}
	code := 0
	if m := s.St.MainContainer(); m != nil && m.State.Terminated != nil {
		code = m.State.Terminated.ExitCode
	}
	if s.St.Reason == supervisor.ReasonDeadlineExceeded {
		code = supervisor.ExitDeadline
	}
	return code, nil
}

// RunInPod adds ctr to the running pod (podctl run --pod). Detached, it
// returns once the container has started (or, behind init containers, has
// been accepted); in the foreground it prints the container's output and
// returns its exit code once it has ended for good.
func RunInPod(ctx context.Context, pod string, ctr model.ContainerSpec, detach bool, o RunIO) (int, error) {
	st, dir, err := runningPod(pod)
	if err != nil {
		return 0, err
	}
	if err := prepareContainer(st, &ctr); err != nil {
		return 0, err
	}
	if detach {
		_, err := control.CallContext(ctx, dir, control.Request{Op: "add", Container: &ctr})
		if err != nil && !added(pod, ctr) {
			layers.DeleteLayers([]model.ContainerSpec{ctr})
		}
		return 0, err
	}
	// Follow the container's log while the supervisor runs it; the reply
	// to the add request comes when it has ended for good.
	ended := make(chan struct{})
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		path := ctr.LogFile(dir, 0)
		for !model.Exists(path) {
			select {
			case <-ended:
				if !model.Exists(path) {
					return
				}
			case <-time.After(20 * time.Millisecond):
			}
		}
		crilog.Follow(path, crilog.ReadOptions{Tail: -1, Open: logOpener(dir, &ctr)}, o.Stdout, o.Stderr, func() bool {
			select {
			case <-ended:
				return true
			default:
				return false
			}
		})
	}()
	go func() {
		for {
			select {
			case sig := <-o.Signals:
				control.Call(dir, control.Request{Op: "stop", Signal: int(sig.(unix.Signal)), Timeout: model.StopGrace.Seconds()}, 0)
			case <-ended:
				return
			}
		}
	}()
	r, err := control.CallContext(ctx, dir, control.Request{Op: "add", Container: &ctr, Wait: true})
	if err != nil && !added(pod, ctr) {
		layers.DeleteLayers([]model.ContainerSpec{ctr})
	}
	close(ended)
	<-followed
	if ctr.Remove {
		control.Call(dir, control.Request{Op: "forget", Name: ctr.Name}, 5*time.Second)
	}
	if err != nil {
		return 0, err
	}
	if r.Terminated == nil {
		return 0, errors.New("the pod ended before the container did")
	}
	return r.Terminated.ExitCode, nil
}

// added reports whether the pod's state holds ctr (with ctr's layer): once
// it does, the layer goes with the container, whatever became of the
// request that added it.
func added(pod string, ctr model.ContainerSpec) bool {
	st, _, err := model.ReadState(pod)
	if err != nil {
		return false
	}
	c := st.Container(ctr.Name)
	return c != nil && c.Spec.Layer != nil && ctr.Layer != nil && c.Spec.Layer.ID == ctr.Layer.ID
}
