package cri

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/podctl/podctl/cri/cninet"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RunPodSandbox makes a podctl pod for the sandbox: its pause and
// network, with no container yet; it returns once the pod runs.
func (s *Server) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	if h := req.RuntimeHandler; h != "" && h != handlerName {
		return nil, invalid("runtime_handler %q: podctl has one handler, %q (or none)", h, handlerName)
	}
	mode := s.opts.Network
	if s.opts.CNI != nil {
		mode = netsetup.CNI
	}
	spec, err := podSpec(req.GetConfig(), mode)
	if err != nil {
		return nil, err
	}
	if st, _, err := model.ReadState(spec.Name); err == nil {
		return nil, alreadyExists("sandbox name %s (namespace %q, name %q, uid %q, attempt %d) is taken by sandbox %s",
			spec.Name, req.Config.Metadata.Namespace, req.Config.Metadata.Name, req.Config.Metadata.Uid, req.Config.Metadata.Attempt, st.Spec.ID)
	}
	spec.ID = model.NewID()
	var notices strings.Builder
	if err := sandbox.CreatePod(ctx, spec, &notices); err != nil {
		return nil, grpcError(err)
	}
	if n := strings.TrimSpace(notices.String()); n != "" {
		s.logf("sandbox %s: %s", spec.Name, n)
	}
	if spec.Network.Mode == netsetup.CNI {
		if err := s.attachCNI(ctx, spec.Name, req.Config.PortMappings); err != nil {
			return nil, err
		}
	}
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: spec.ID}, nil
}

// attachCNI runs the CNI plugins' ADD for a sandbox just made; on an
// error its DEL undoes what they did, and the sandbox is removed.
func (s *Server) attachCNI(ctx context.Context, pod string, ports []*runtimeapi.PortMapping) error {
	st, _, err := model.ReadState(pod)
	if err == nil {
		var ip string
		if ip, err = s.opts.CNI.Add(ctx, cniSandbox(st), ports); err == nil {
			s.logf("sandbox %s: %s on %s", pod, ip, s.opts.CNI.Name())
			return nil
		}
	}
	if rerr := sandbox.Remove(context.WithoutCancel(ctx), pod, true); rerr != nil {
		s.logf("sandbox %s: removing it after its network failed: %v", pod, rerr)
	}
	return status.Errorf(codes.Unknown, "sandbox %s: %v", pod, err)
}

// cniSandbox is what the CNI plugins are told of sandbox st.
func cniSandbox(st *model.PodState) cninet.Sandbox {
	m := podMeta(st.Spec.Labels)
	sb := cninet.Sandbox{ID: st.Spec.ID, Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUid()}
	if st.Pause.Alive() {
		sb.NetNS = fmt.Sprintf("/proc/%d/ns/net", st.Pause.PID)
	}
	return sb
}

// detachCNI runs DEL for a sandbox on the CNI network, while the pod
// (and, rootless, the shared network it keeps) still runs.
func (s *Server) detachCNI(ctx context.Context, st *model.PodState) error {
	if st.Spec.Network.Mode != netsetup.CNI || s.opts.CNI == nil {
		return nil
	}
	err := s.opts.CNI.Del(ctx, cniSandbox(st))
	if err != nil && !st.Pause.Alive() {
		// Its network namespace went with its pause; rootless, the
		// shared network where the plugins run may have gone too. What
		// the plugins kept (an address lease) stays: said, not blocking.
		s.logf("sandbox %s: %v (the sandbox had ended; its attachment is forgotten)", st.Spec.Name, err)
		s.opts.CNI.Forget(cniSandbox(st))
		return nil
	}
	if err != nil {
		return status.Errorf(codes.Unknown, "sandbox %s: %v", st.Spec.Name, err)
	}
	return nil
}

// StopPodSandbox ends the sandbox's containers and its pause (the kubelet
// has stopped each container with its grace period before); the pod's
// state stays until RemovePodSandbox. Stopping a stopped or missing
// sandbox is no error (the CRI asks it be idempotent).
func (s *Server) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if isNotFound(err) {
		return &runtimeapi.StopPodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.detachCNI(ctx, st); err != nil {
		return nil, err
	}
	if err := sandbox.Stop(ctx, st.Spec.Name, unix.SIGKILL, 0); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

// RemovePodSandbox removes the sandbox and its containers (a running one
// is stopped first); a missing one is no error.
func (s *Server) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if isNotFound(err) {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.detachCNI(ctx, st); err != nil {
		return nil, err
	}
	if err := sandbox.Remove(ctx, st.Spec.Name, true); err != nil {
		return nil, grpcError(err)
	}
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// PodSandboxStatus reports the sandbox as its pod's state says now.
func (s *Server) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	st, err := findPod(ctx, req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: sandboxStatus(st)}
	cni := st.Spec.Network.Mode == netsetup.CNI && s.opts.CNI != nil
	if cni {
		resp.Status.Network.Ip = s.opts.CNI.IP(cniSandbox(st))
	}
	if req.Verbose {
		b, _ := json.Marshal(st)
		resp.Info = map[string]string{"info": string(b)}
		if cni && sandboxReady(st) == runtimeapi.PodSandboxState_SANDBOX_READY {
			// CHECK: the plugins confirm the attachment is as they made
			// it. (Info's values are JSON: crictl parses them.)
			check := "ok"
			if err := s.opts.CNI.Check(ctx, cniSandbox(st)); err != nil {
				check = err.Error()
			}
			b, _ := json.Marshal(check)
			resp.Info["cniCheck"] = string(b)
		}
	}
	return resp, nil
}

// ListPodSandbox lists the CRI's sandboxes that filter selects.
func (s *Server) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	pods, err := criPods(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	f := req.Filter
	out := &runtimeapi.ListPodSandboxResponse{}
	for _, st := range pods {
		sb := sandboxOf(st)
		if !podSelected(st, f.GetId(), f.GetLabelSelector()) || f.GetState() != nil && f.State.State != sb.State {
			continue
		}
		out.Items = append(out.Items, sb)
	}
	return out, nil
}

// sandboxReady: the pod's pause holds its namespaces and its supervisor
// watches it (Observe says Unknown when it is lost). The pod's phase, which
// is its containers' (all exited: Succeeded or Failed), does not matter: a
// sandbox is ready until it is stopped.
func sandboxReady(st *model.PodState) runtimeapi.PodSandboxState {
	if st.Phase != model.PhaseUnknown && st.Pause.Alive() {
		return runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

func sandboxOf(st *model.PodState) *runtimeapi.PodSandbox {
	return &runtimeapi.PodSandbox{Id: st.Spec.ID, Metadata: podMeta(st.Spec.Labels), State: sandboxReady(st),
		CreatedAt: st.Created.UnixNano(), Labels: userLabels(st.Spec.Labels), Annotations: st.Spec.Annotations,
		RuntimeHandler: ""}
}

func sandboxStatus(st *model.PodState) *runtimeapi.PodSandboxStatus {
	pid := runtimeapi.NamespaceMode_POD
	if !st.Spec.SharePID {
		pid = runtimeapi.NamespaceMode_CONTAINER
	}
	network := runtimeapi.NamespaceMode_POD
	if st.Spec.Network.Mode == netsetup.Host {
		network = runtimeapi.NamespaceMode_NODE
	}
	out := &runtimeapi.PodSandboxStatus{
		Id: st.Spec.ID, Metadata: podMeta(st.Spec.Labels), State: sandboxReady(st), CreatedAt: st.Created.UnixNano(),
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: &runtimeapi.NamespaceOption{
			Network: network, Pid: pid, Ipc: runtimeapi.NamespaceMode_POD}}},
		Labels: userLabels(st.Spec.Labels), Annotations: st.Spec.Annotations,
	}
	if st.Network.IP != "" {
		out.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: st.Network.IP}
	} else {
		out.Network = &runtimeapi.PodSandboxNetworkStatus{}
	}
	return out
}

// podSelected: a list filter's id (a prefix) and labels select st.
func podSelected(st *model.PodState, id string, labels map[string]string) bool {
	return strings.HasPrefix(st.Spec.ID, id) && selects(labels, userLabels(st.Spec.Labels))
}

// selects: every pair of sel is among labels.
func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if have, ok := labels[k]; !ok || have != v {
			return false
		}
	}
	return true
}

// criPods are the pods made through the CRI, as Observe sees them now.
func criPods(ctx context.Context) ([]*model.PodState, error) {
	return scanPods(ctx)
}

// findPod finds the CRI pod whose id is id, or starts with it (crictl
// takes unique prefixes, as containerd resolves them).
func findPod(ctx context.Context, id string) (*model.PodState, error) {
	if id == "" {
		return nil, invalid("pod_sandbox_id is empty")
	}
	if st := podByIndex(id); st != nil {
		return st, nil
	}
	pods, err := criPods(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	var found *model.PodState
	for _, st := range pods {
		if strings.HasPrefix(st.Spec.ID, id) {
			if found != nil {
				return nil, invalid("sandbox id %q is ambiguous: give more of it", id)
			}
			found = st
		}
	}
	if found == nil {
		return nil, notFound("no sandbox with id %q", id)
	}
	return found, nil
}
