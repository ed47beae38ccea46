package cri

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The stats RPCs read the pods' cgroups (cgroup v2: cpu.stat,
// memory.current, pids.current), as podctl stats does. A pod made where
// cgroup v2 is not delegated to the user has no cgroup: its stats are
// zeros with a timestamp, which the kubelet accepts (it then has nothing
// to evict on).

// ctrStats samples one container.
func ctrStats(ref sandbox.ContainerRef) *runtimeapi.ContainerStats {
	c, st := ref.Container, ref.Pod
	now := time.Now().UnixNano()
	var s cgroups.Stats
	if st.Cgroup != "" && c.State.Running != nil {
		s, _ = cgroups.ReadStats(filepath.Join(st.Cgroup, c.Spec.Name))
	}
	attrs := &runtimeapi.ContainerAttributes{Id: c.Spec.ID, Metadata: ctrMeta(c.Spec.Labels),
		Labels: userLabels(c.Spec.Labels), Annotations: c.Spec.Annotations}
	return &runtimeapi.ContainerStats{Attributes: attrs, Cpu: cpuUsage(now, s), Memory: memoryUsage(now, s),
		WritableLayer: layerUsage(now, &c.Spec)}
}

func cpuUsage(now int64, s cgroups.Stats) *runtimeapi.CpuUsage {
	return &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: s.CPUUsageUsec * 1000}}
}

func memoryUsage(now int64, s cgroups.Stats) *runtimeapi.MemoryUsage {
	return &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: &runtimeapi.UInt64Value{Value: s.MemoryCurrent},
		UsageBytes: &runtimeapi.UInt64Value{Value: s.MemoryCurrent}}
}

// layerUsage is what the container wrote to its own layer: the overlay's
// upper directory (its rootfs directory holds nothing of the container's).
func layerUsage(now int64, c *model.ContainerSpec) *runtimeapi.FilesystemUsage {
	u := &runtimeapi.FilesystemUsage{Timestamp: now, FsId: &runtimeapi.FilesystemIdentifier{},
		UsedBytes: &runtimeapi.UInt64Value{}, InodesUsed: &runtimeapi.UInt64Value{}}
	if c.Layer == nil {
		return u
	}
	for _, opt := range strings.Split(c.Layer.Root.Data, ",") {
		if dir, ok := strings.CutPrefix(opt, "upperdir="); ok {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(c.Layer.Root.Dir, dir)
			}
			u.FsId.Mountpoint = dir
			u.UsedBytes.Value, u.InodesUsed.Value = diskUsage(dir)
		}
	}
	return u
}

// ContainerStats samples one container.
func (s *Server) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	ref, err := findContainer(ctx, req.ContainerId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: ctrStats(ref)}, nil
}

// ListContainerStats samples the containers that filter selects.
func (s *Server) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	refs, err := criContainers(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	f := req.Filter
	out := &runtimeapi.ListContainerStatsResponse{}
	for _, ref := range refs {
		if !ctrSelected(ref, f.GetId(), f.GetPodSandboxId(), f.GetLabelSelector()) {
			continue
		}
		out.Stats = append(out.Stats, ctrStats(ref))
	}
	return out, nil
}

// podStats samples a pod's cgroup and each of its containers.
func podStats(st *model.PodState) *runtimeapi.PodSandboxStats {
	now := time.Now().UnixNano()
	var s cgroups.Stats
	if st.Cgroup != "" {
		s, _ = cgroups.ReadStats(st.Cgroup)
	}
	linux := &runtimeapi.LinuxPodSandboxStats{Cpu: cpuUsage(now, s), Memory: memoryUsage(now, s),
		Process: &runtimeapi.ProcessUsage{Timestamp: now, ProcessCount: &runtimeapi.UInt64Value{Value: s.PidsCurrent}}}
	for i := range st.Containers {
		linux.Containers = append(linux.Containers, ctrStats(sandbox.ContainerRef{Pod: st, Container: &st.Containers[i]}))
	}
	return &runtimeapi.PodSandboxStats{Linux: linux, Attributes: &runtimeapi.PodSandboxAttributes{Id: st.Spec.ID,
		Metadata: podMeta(st.Spec.Labels), Labels: userLabels(st.Spec.Labels), Annotations: st.Spec.Annotations}}
}

// PodSandboxStats samples one sandbox.
func (s *Server) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: podStats(st)}, nil
}

// ListPodSandboxStats samples the sandboxes that filter selects.
func (s *Server) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	pods, err := criPods(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	f := req.Filter
	out := &runtimeapi.ListPodSandboxStatsResponse{}
	for _, st := range pods {
		if !podSelected(st, f.GetId(), f.GetLabelSelector()) {
			continue
		}
		out.Stats = append(out.Stats, podStats(st))
	}
	return out, nil
}
