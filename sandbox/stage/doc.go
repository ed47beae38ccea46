// Package stage starts the processes that make up a pod, as runc's
// process_linux.go (the parent's side) and init_linux.go (the child's):
//
//	pause.go       the pause: made by nsenter's C constructor, holds the pod's namespaces
//	join.go        a container's join stage (C, nsenter.c): setns into the pod, then the init
//	               (C, init.c); Proc, the handle on a container's process; exec's configuration
//	init.go        the init's plan: every decision about the container's mounts, layer,
//	               environment, capabilities and seccomp filter, made here for init.c to carry out
//	sync.go        the conversations between the supervisor and those stages
//	cgroupclone.go clone3(CLONE_INTO_CGROUP), so a stage is born in its cgroup
//	exitwatch.go   waiting for a child's exit on its pidfd
//	earlyjoin.go   podctl exec's join stage, forked by nsenter's constructor
//	execcard.go    the exec card: exec's plain form decided once per run, for nsenter/execfast.c
//
// It knows nothing of supervisors or of the command line: it is given a
// model.PodSpec or ContainerSpec and what to join, and reports with errors
// that name the step and the errno.
package stage
