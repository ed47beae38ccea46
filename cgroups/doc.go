// Package cgroups puts a pod's processes under cgroup v2 limits, with the
// layout the kubelet uses: one cgroup per pod, and under it one leaf per
// container (and one for the pause, one for the network helper):
//
//	<delegated>/podctl/<pod>-<id>/          memory.max, pids.max, ... of the pod
//	                               pause/
//	                               net/     pasta or slirp4netns
//	                               <ctr>/   the container's own limits
//
// cgroup v2 lets a process manage a subtree it has been given (delegated:
// its directory and its cgroup.procs, cgroup.subtree_control and
// cgroup.threads files are the user's), see the kernel's
// Documentation/admin-guide/cgroup-v2.rst, "Delegation". systemd delegates
// user@UID.service to each user; podctl finds that subtree from its own
// place in the hierarchy (delegate.go). Where there is none (cgroup v1,
// hybrid hosts, no delegation) podctl runs pods without limits after a
// notice, and refuses a pod that asks for limits: never silently
// unlimited.
//
// A process is placed in its cgroup when it is created (clone3 with
// CLONE_INTO_CGROUP, Linux 5.7; Go's SysProcAttr.UseCgroupFD), so that no
// instant of its life is spent outside its limits; cgroup.procs is the
// fallback for older kernels.
package cgroups
