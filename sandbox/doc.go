// Package sandbox owns a pod's life on the host. A per-pod supervisor
// (supervisor.go; in the foreground podctl itself, else a detached process,
// supervise.go) creates the pause that holds the pod's namespaces
// (pause.go), starts containers that join them (join.go) and, inside each
// new container, the init stage builds its root filesystem and execs the
// workload (init.go). The supervisor collects exit statuses, restarts by
// the pod's restartPolicy with the kubelet's back-off (backoff.go), runs
// init containers first, writes CRI logs (crilog.go) and keeps state.json
// (state.go, status.go) in Kubernetes' terms; other commands reach it on a
// control socket (control.go) and read the state through observe.go, which
// corrects it with what is true now. exec.go joins a running container.
//
// The conversations between those processes are documented in sync.go,
// supervise.go and control.go; the locks in lock.go.
//
// The pod model: one pause process, PID 1 of the pod's pid namespace, owns
// the pod's user, network, IPC, UTS, cgroup and pid namespaces. Containers
// setns(2) into all of them and get a mount namespace of their own (and,
// with --share-pid=false, a pid namespace of their own). When the pause
// dies the kernel kills every process of its pid namespace
// (pid_namespaces(7)), so no workload of a shared pid namespace outlives its
// pod; the supervisor kills the others.
package sandbox
