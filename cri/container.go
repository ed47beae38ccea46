package cri

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CreateContainer records a container in its sandbox's pod, its layer made
// from the image now; StartContainer starts it.
func (s *Server) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	if sandboxReady(st) != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, invalid("sandbox %s is not ready (%s): it takes no new containers", st.Spec.ID, st.Phase)
	}
	spec, limits, err := ctrSpec(req.GetConfig(), st)
	if err != nil {
		return nil, err
	}
	if limits != "" {
		s.logf("%s", limits)
	}
	if c := st.Container(spec.Name); c != nil {
		return nil, alreadyExists("container name %q attempt %d is taken in sandbox %s by container %s",
			req.Config.Metadata.Name, req.Config.Metadata.Attempt, st.Spec.ID, c.Spec.ID)
	}
	spec.ID = model.NewID()
	id, err := sandbox.CreateContainer(ctx, st.Spec.ID, spec)
	if err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

// StartContainer starts a created container; it returns once the
// workload runs.
func (s *Server) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	if err := sandbox.StartContainer(ctx, ref.Pod.Spec.ID, ref.Container.Spec.ID); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.StartContainerResponse{}, nil
}

// StopContainer stops a running container: its stop signal, SIGKILL after
// the timeout. A container that is not running, or not there, is no error
// (the CRI asks StopContainer to be idempotent, as critest checks).
func (s *Server) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if isNotFound(err) {
		return &runtimeapi.StopContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(req.Timeout) * time.Second
	if err := sandbox.StopContainer(ctx, ref.Pod.Spec.ID, ref.Container.Spec.ID, timeout); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

// RemoveContainer removes a container, killing it first if it runs; a
// missing one is no error.
func (s *Server) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if isNotFound(err) {
		return &runtimeapi.RemoveContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	err = sandbox.RemoveContainer(ctx, ref.Pod.Spec.ID, ref.Container.Spec.ID)
	if err != nil && !errors.Is(err, model.ErrNoContainer) && !errors.Is(err, model.ErrNoPod) {
		return nil, grpcError(err)
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

// ContainerStatus reports a container as its pod's state says now.
func (s *Server) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ContainerStatusResponse{Status: containerStatus(ref)}
	if req.Verbose {
		// The container's record, and its process's host pid while it
		// runs, as containerd's info has it ("pid").
		info := struct {
			*model.ContainerStatus
			PID int `json:"pid,omitempty"`
		}{ref.Container, 0}
		if ref.Container.Proc.Alive() {
			info.PID = ref.Container.Proc.PID
		}
		b, _ := json.Marshal(info)
		resp.Info = map[string]string{"info": string(b)}
	}
	return resp, nil
}

// ListContainers lists the CRI's containers that filter selects.
func (s *Server) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	refs, err := criContainers(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	f := req.Filter
	out := &runtimeapi.ListContainersResponse{}
	for _, ref := range refs {
		c := containerOf(ref)
		if !ctrSelected(ref, f.GetId(), f.GetPodSandboxId(), f.GetLabelSelector()) || f.GetState() != nil && f.State.State != c.State {
			continue
		}
		out.Containers = append(out.Containers, c)
	}
	return out, nil
}

// ReopenContainerLog: the kubelet's own rotation renames a container's
// log and calls this: the pod's supervisor, which writes the log, opens a
// new file of the same name and goes on there.
func (s *Server) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	if ref.Container.State.Running == nil {
		return nil, failedPrecondition("container %s is not running: its log is not open", req.ContainerId)
	}
	if err := sandbox.ReopenContainerLog(ctx, ref.Pod.Spec.ID, ref.Container.Spec.ID); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// ctrState is a podctl container's state in the CRI's four words.
func ctrState(c *model.ContainerStatus) runtimeapi.ContainerState {
	switch {
	case c.State.Running != nil:
		return runtimeapi.ContainerState_CONTAINER_RUNNING
	case c.State.Terminated != nil:
		return runtimeapi.ContainerState_CONTAINER_EXITED
	case c.State.Waiting != nil:
		return runtimeapi.ContainerState_CONTAINER_CREATED
	}
	return runtimeapi.ContainerState_CONTAINER_UNKNOWN
}

// imageRef is the image id a container runs, as the CRI names images.
func imageRef(c *model.ContainerSpec) string {
	if c.Layer == nil || c.Layer.ImageID == "" {
		return ""
	}
	return "sha256:" + strings.TrimPrefix(c.Layer.ImageID, "sha256:")
}

func containerOf(ref sandbox.ContainerRef) *runtimeapi.Container {
	c := ref.Container
	return &runtimeapi.Container{Id: c.Spec.ID, PodSandboxId: ref.Pod.Spec.ID, Metadata: ctrMeta(c.Spec.Labels),
		Image: &runtimeapi.ImageSpec{Image: c.Spec.Image}, ImageRef: imageRef(&c.Spec), ImageId: imageRef(&c.Spec),
		State: ctrState(c), CreatedAt: c.CreatedAt.UnixNano(),
		Labels: userLabels(c.Spec.Labels), Annotations: c.Spec.Annotations}
}

func containerStatus(ref sandbox.ContainerRef) *runtimeapi.ContainerStatus {
	c := ref.Container
	out := &runtimeapi.ContainerStatus{Id: c.Spec.ID, Metadata: ctrMeta(c.Spec.Labels), State: ctrState(c),
		CreatedAt: c.CreatedAt.UnixNano(), Image: &runtimeapi.ImageSpec{Image: c.Spec.Image},
		ImageRef: imageRef(&c.Spec), ImageId: imageRef(&c.Spec), Labels: userLabels(c.Spec.Labels),
		Annotations: c.Spec.Annotations, LogPath: c.Spec.LogPath, User: containerUser(ref)}
	switch {
	case c.State.Running != nil:
		out.StartedAt = c.State.Running.StartedAt.UnixNano()
	case c.State.Terminated != nil:
		t := c.State.Terminated
		out.StartedAt, out.FinishedAt = t.StartedAt.UnixNano(), t.FinishedAt.UnixNano()
		out.ExitCode, out.Reason, out.Message = int32(t.ExitCode), t.Reason, t.Message
	case c.State.Waiting != nil && !c.Created():
		out.Reason, out.Message = c.State.Waiting.Reason, c.State.Waiting.Message
	}
	for _, m := range c.Spec.Mounts {
		if m.Type == "bind" {
			out.Mounts = append(out.Mounts, &runtimeapi.Mount{ContainerPath: m.Target, HostPath: m.Source, Readonly: m.ReadOnly,
				RecursiveReadOnly: m.ReadOnly && !m.ReadOnlyTop, Propagation: propagationOf(m.Propagation)})
		}
	}
	for _, v := range c.Spec.ImageVolumes {
		img := &runtimeapi.ImageSpec{Image: v.Image}
		if v.Layer != nil {
			img.ImageRef = "sha256:" + strings.TrimPrefix(v.Layer.ImageID, "sha256:")
		}
		out.Mounts = append(out.Mounts, &runtimeapi.Mount{ContainerPath: v.Target, Readonly: true, Image: img, ImageSubPath: v.SubPath})
	}
	if out.StartedAt < 0 {
		out.StartedAt = 0 // a zero time.Time, as UnixNano gives it
	}
	return out
}

// ctrSelected: a list filter's id and sandbox id (each a prefix) and
// labels select ref.
func ctrSelected(ref sandbox.ContainerRef, id, podID string, labels map[string]string) bool {
	return strings.HasPrefix(ref.Container.Spec.ID, id) && strings.HasPrefix(ref.Pod.Spec.ID, podID) &&
		selects(labels, userLabels(ref.Container.Spec.Labels))
}

// criContainers are the containers of the CRI's pods.
func criContainers(ctx context.Context) ([]sandbox.ContainerRef, error) {
	pods, err := scanPods(ctx)
	if err != nil {
		return nil, err
	}
	var out []sandbox.ContainerRef
	for _, st := range pods {
		for i := range st.Containers {
			if isCRI(st.Containers[i].Spec.Labels) {
				out = append(out, sandbox.ContainerRef{Pod: st, Container: &st.Containers[i]})
			}
		}
	}
	return out, nil
}

// findContainer finds the CRI container whose id is id or starts with it.
func findContainer(ctx context.Context, id string) (sandbox.ContainerRef, error) {
	if id == "" {
		return sandbox.ContainerRef{}, invalid("container_id is empty")
	}
	if ref, ok := containerByIndex(id); ok {
		return ref, nil
	}
	refs, err := criContainers(ctx)
	if err != nil {
		return sandbox.ContainerRef{}, grpcError(err)
	}
	var found []sandbox.ContainerRef
	for _, r := range refs {
		if strings.HasPrefix(r.Container.Spec.ID, id) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return sandbox.ContainerRef{}, notFound("no container with id %q", id)
	case 1:
		return found[0], nil
	}
	return sandbox.ContainerRef{}, invalid("container id %q is ambiguous: give more of it", id)
}
