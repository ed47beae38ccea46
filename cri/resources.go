package cri

import (
	"context"
	"path/filepath"

	"github.com/podctl/podctl/cgroups"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// UpdateContainerResources writes a running container's new limits
// (memory.max, cpu.max, cpu.weight) into its cgroup, the kubelet's
// in-place resize. A pod without a cgroup (cgroup v2 not delegated) has
// nothing to write to: the call succeeds and the server says so, as
// CreateContainer's limits are dropped there. The container's recorded
// spec keeps the limits it was created with.
func (s *Server) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	r := resourcesOf(req.Linux)
	if err := r.Validate(); err != nil {
		return nil, invalid("linux: %v", err)
	}
	if ref.Pod.Cgroup == "" {
		s.logf("container %s: its new resource limits are not enforced: pod %s has no cgroup", req.ContainerId, ref.Pod.Spec.Name)
		return &runtimeapi.UpdateContainerResourcesResponse{}, nil
	}
	if ref.Container.State.Running == nil {
		return nil, invalid("container %s is not running (%s): it has no cgroup to update", req.ContainerId, ref.Container.StateWord())
	}
	if err := cgroups.Apply(filepath.Join(ref.Pod.Cgroup, ref.Container.Spec.Name), r); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}
