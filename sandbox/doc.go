// Package sandbox is podctl's pod API: the operations that the command
// line (cmd/podctl) and the manifests (kube/) call, and that a CRI server
// is to call. It sits on top of the packages that do the work, and none of
// them imports it:
//
//	sandbox             the pod API (this package)
//	sandbox/supervisor  the per-pod supervisor: create, restart, probes, logs, stop
//	sandbox/podnet      the pod's network glue: helper lifecycle, bridge, --port-bypass
//	sandbox/layers      container layers, through the podctl-store helper
//	sandbox/handler     a probe's or hook's action; sandbox/diskusage: du, as the kubelet counts
//	sandbox/stage       the processes that build a pod: pause, join, init
//	sandbox/control     the control-socket protocol between the API and a supervisor
//	sandbox/model       the pod model and its state on disk
//	sandbox/crilog, idmap, explain, termio, seccomp: leaves used by the above
//
// docs/architecture.md draws the layers and the processes. The files here,
// one operation (or family) each:
//
//	run.go      Run, RunInPod, CreatePod: a pod's start, in the foreground or detached
//	apply.go    Apply: a pod of a manifest, with its pod volumes
//	exec.go     Exec: a process joined to a running container
//	attach.go   Attach: a running container's stdio over the control socket
//	pty.go      the relay of a foreground tty between podctl's terminal and a pty
//	logs.go     Logs: a container's CRI log, printed or followed
//	remove.go   Stop, Kill, Remove, GC
//	wait.go     Wait: until a pod reaches a condition
//	stats.go    Stats: cgroup counters of running pods
//	top.go      Top: the processes of a pod
//	ns.go       Namespaces: the namespaces of a pod's processes
//	doctor.go   Doctor: what this machine allows, and the fixes
package sandbox
