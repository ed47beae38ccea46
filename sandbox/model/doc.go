// Package model is the pod model and its state on disk, at the bottom of
// podctl's layers (as runc's libcontainer/configs): every other package of
// sandbox/ imports it, and it imports none of them but the leaves idmap
// and seccomp.
//
//	spec.go        PodSpec and ContainerSpec: what a pod is asked to be, and their validation
//	status.go      ContainerStatus, phases and reasons, in Kubernetes' terms
//	backoff.go     the kubelet's crash back-off between a container's restarts
//	state.go       PodState (state.json): the state root, pod directories, names, log paths
//	lock.go        the two flock(2) locks of a pod's directory
//	observe.go     Observe: state.json corrected with what /proc says is alive now
//	proc.go        process references (pid and start time) and their checks
//	caps.go        capability names and sets, and the seccomp program a container gets
//	mounts.go      mounts of a container (-v, --tmpfs, --mount): parsing and checks
//	namedvolume.go named volumes (podctl volume): directories that outlive pods
//	volumelimit.go a pod volume's sizeLimit (a manifest's emptyDir)
//	probespec.go   probes and lifecycle handlers, as a manifest gives them
//	netstate.go    NetworkState: the pod's address and its network helper
//	signal.go      stop signals
//	userspec.go    the syntax of -u USER[:GROUP]
//	wire.go        what podctl's processes send each other: ExecError, the message bound
//
// Three words for three things: a mount is a path a container sees
// (rootfs.Mount), a named volume is a directory of the user's that outlives
// pods (namedvolume.go), and a pod volume is one of a manifest's volumes,
// kept in the pod's own directory (emptyDir, configMap, secret).
package model
