// Package stage starts the processes that make up a pod, as runc's
// process_linux.go (the parent's side) and init_linux.go (the child's):
//
//	pause.go       the pause: made by nsenter's C constructor, holds the pod's namespaces
//	join.go        a container's join stage (C, nsenter.c): setns into the pod, then the init;
//	               Proc, the handle on a container's process; exec's configuration
//	init.go        the init stage (Go): the container's mounts, pivot_root, credentials,
//	               capabilities, the seccomp filter, then execve of the workload
//	sync.go        the typed conversation between the supervisor and those stages
//	user.go        the workload's user and groups, from the container's own /etc
//	capset.go      capability sets and the bounding set
//	rootmount.go   the container's root from its image layer
//	cgroupclone.go clone3(CLONE_INTO_CGROUP), so a stage is born in its cgroup
//	exitwatch.go   waiting for a child's exit on its pidfd
//
// It knows nothing of supervisors or of the command line: it is given a
// model.PodSpec or ContainerSpec and what to join, and reports with errors
// that name the step and the errno.
package stage
