package cri

import (
	"context"
	"encoding/json"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The names the CRI's Version reports.
const (
	runtimeName = "podctl"
	// apiVersion is the CRI's own version string: "0.1.0", as every
	// runtime answers (the kubelet checks only RuntimeApiVersion).
	apiVersion        = "0.1.0"
	runtimeAPIVersion = "v1"
	// handlerName is the one runtime handler: podctl itself.
	handlerName = "podctl"
)

// Version says which runtime and CRI version serve.
func (s *Server) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: apiVersion, RuntimeName: runtimeName,
		RuntimeVersion: s.opts.Version, RuntimeApiVersion: runtimeAPIVersion}, nil
}

// Status reports RuntimeReady (the state directory is usable) and
// NetworkReady (the pods' network mode can run here), and the handler
// and its features.
func (s *Server) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	runtime := &runtimeapi.RuntimeCondition{Type: runtimeapi.RuntimeReady, Status: true}
	if _, err := model.StateRoot(); err != nil {
		runtime.Status, runtime.Reason, runtime.Message = false, "StateDirUnusable", err.Error()
	}
	network := &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}
	if s.opts.CNI != nil {
		if err := s.opts.CNI.Ready(ctx); err != nil {
			network.Status, network.Reason, network.Message = false, "NetworkPluginNotReady", err.Error()
		} else {
			network.Message = s.opts.CNI.Describe()
		}
	} else if err := s.opts.Network.Available(); err != nil {
		network.Status, network.Reason, network.Message = false, "NetworkHelperMissing", err.Error()
	}
	resp := &runtimeapi.StatusResponse{
		Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{runtime, network}},
		RuntimeHandlers: []*runtimeapi.RuntimeHandler{
			{Name: "", Features: handlerFeatures()},
			{Name: handlerName, Features: handlerFeatures()},
		},
		// Merge and Strict (ctrconfig.go, groupsOf).
		Features: &runtimeapi.RuntimeFeatures{SupplementalGroupsPolicy: true},
	}
	if req.Verbose {
		cfg := map[string]string{"network": string(s.opts.Network)}
		if s.opts.CNI != nil {
			cfg["network"], cfg["cniConfig"] = string(netsetup.CNI), s.opts.CNI.File()
		}
		b, _ := json.Marshal(cfg)
		resp.Info = map[string]string{"config": string(b)}
	}
	return resp, nil
}

// handlerFeatures: read-only mounts made recursive when asked
// (mountOf), and user namespaces: every rootless pod has one of its own
// (podconfig.go, usernsOf).
func handlerFeatures() *runtimeapi.RuntimeHandlerFeatures {
	return &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: true}
}

// RuntimeConfig tells the kubelet podctl's cgroup driver: cgroupfs (podctl
// makes the pods' cgroups itself, under the user's delegated subtree; it
// does not ask systemd for units).
func (s *Server) RuntimeConfig(ctx context.Context, req *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{
		CgroupDriver: runtimeapi.CgroupDriver_CGROUPFS}}, nil
}

// UpdateRuntimeConfig takes the node's pod CIDR, which podctl's own
// network modes do not use (each pod's address comes from its helper); it
// is logged and accepted, as containerd accepts it without CNI templates.
func (s *Server) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	if c := req.GetRuntimeConfig().GetNetworkConfig().GetPodCidr(); c != "" {
		s.logf("the node's pod CIDR is %s; podctl's network modes give pods their helper's addresses", c)
	}
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}
