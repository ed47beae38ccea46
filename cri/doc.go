// Package cri is podctl's Container Runtime Interface server: the gRPC
// services runtime.v1.RuntimeService and runtime.v1.ImageService of
// k8s.io/cri-api, on a unix socket, so that a kubelet, crictl or critest
// drive podctl as they drive containerd or CRI-O.
//
// It is a thin layer over the pod API (package sandbox), called
// in-process: a CRI sandbox is a podctl pod (its pause holds the
// namespaces, a detached supervisor of its own watches it), a CRI
// container is a container of that pod. The server keeps nothing in
// memory that matters: every answer is read back from the pods' state, so
// a server stopped and started again finds every sandbox and container as
// it was, and podctl ps, logs, exec, inspect and gc see them as any pod.
// Under CRI the kubelet restarts containers and runs probes, so pods are
// made with restartPolicy Never and no probes: podctl runs and reports.
//
// The files, one concern each:
//
//	server.go       the socket, the gRPC server, its shutdown
//	runtime.go      Version, Status, RuntimeConfig, UpdateRuntimeConfig
//	names.go        CRI metadata <-> podctl names and reserved labels
//	podconfig.go    PodSandboxConfig -> model.PodSpec
//	sandbox.go      RunPodSandbox, Stop, Remove, Status, List
//	ctrconfig.go    ContainerConfig -> model.ContainerSpec
//	container.go    CreateContainer, Start, Stop, Remove, Status, List
//	exec.go         ExecSync
//	stream.go       Exec, Attach and the streaming server (httpserver.go)
//	portforward.go  PortForward: a stream to a port in the sandbox
//	stats.go        the stats RPCs, from the pods' cgroups
//	resources.go    UpdateContainerResources: new limits in a running container's cgroup
//	image.go        the ImageService, through podctl-store and podctl-image
//	errors.go       podctl's errors as gRPC status codes
//
// This binary of its own (cmd/podctl-cri) carries gRPC and the CRI types,
// which podctl's start-up path must not pay for.
package cri
