// Package sandbox owns a pod's life on the host: it creates the pause that
// holds the pod's namespaces (pause.go), starts containers that join them
// (join.go) and, inside each new container, runs the init stage that builds
// its root filesystem and execs the workload (init.go). The conversations
// between those processes are documented in sync.go; pod state on disk in
// state.go.
//
// The pod model: one pause process, PID 1 of the pod's pid namespace, owns
// the pod's user, network, IPC, UTS, cgroup and pid namespaces. Containers
// setns(2) into all of them and get a mount namespace of their own. When the
// pause dies the kernel kills every process of the pod (pid_namespaces(7)),
// so no workload outlives its pod.
package sandbox
