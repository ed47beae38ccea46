// Package nsenter holds the small C part of podctl: a constructor that runs
// before the Go runtime starts and does what a multi-threaded process cannot,
// namely unshare and setns of user namespaces (user_namespaces(7)).
//
// The constructor is inert unless the environment names a stage (EnvStage)
// and a sync socket (EnvSyncFD). Package sandbox/stage starts those stages
// and speaks the protocol that sandbox/stage/sync.go documents; initplan.go
// writes the plan that the container's init (init.c) carries out, and
// keepspec.go is the hand-over between a hibernating supervisor and the
// keeper (keeper.c); bridgeplug.c plugs a pod into the shared bridge
// network, from the pause stage or (root) from podctl. Importing this
// package (cmd/podctl through sandbox, and cmd/podctl-store) is what links
// the constructor into a binary.
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -Werror -O2
#include "nsenter.h"
*/
import "C"

import "sync"

// Environment variables read by the constructor. They carry almost no
// configuration: the stage name, the number of the inherited sync socket,
// and whether the pause keeps the host's network namespace.
const (
	EnvStage  = "_PODCTL_STAGE"
	EnvSyncFD = "_PODCTL_SYNC_FD"
	// EnvHostNetwork, set for the pause stage, keeps the host's network
	// namespace (podctl run --network host).
	EnvHostNetwork = "_PODCTL_HOST_NETWORK"
	// EnvHostIPC, set for the pause stage, keeps the host's IPC namespace
	// (a CRI sandbox's hostIPC).
	EnvHostIPC = "_PODCTL_HOST_IPC"
	// EnvHostPID, set for the pause stage, keeps the host's PID namespace
	// (a CRI sandbox's hostPID).
	EnvHostPID = "_PODCTL_HOST_PID"
	// EnvPodName, set for the pause stage, is the pod's name: the pause
	// carries it as its argv[1], so that podctl rm -f and gc can find a
	// pod's pause in /proc when its state file no longer says
	// (sandbox/unrecorded.go). (The name, not the state directory: a
	// host path is none of the pod's business, and its ps shows PID 1.)
	EnvPodName = "_PODCTL_POD_NAME"
	// EnvJoinFD, set for the pause stage, makes it go on as the join
	// stage of the pod's first container once the pause is forked: the
	// join conversation's socket, the container's stdio at the three
	// descriptors after it.
	EnvJoinFD = "_PODCTL_JOIN_FD"
	// EnvSysctls, set for the pause stage, are the pod's sysctls as
	// "path=value" lines, path under /proc/sys: the pause writes them in
	// the pod's namespaces (not secret: any sysctl reader sees them).
	EnvSysctls = "_PODCTL_SYSCTLS"
)

// Stages the constructor understands.
const (
	StagePause = "pause"
	StageJoin  = "join"
	// StageKeep is an idle pod supervisor (keeper.c); it reads
	// EnvKeep and EnvKeepDir, not EnvSyncFD.
	StageKeep = "keep"
	// StageUserns is the image store helper (podctl-store): a user and a
	// mount namespace mapped as a pod's, then Go (InUserns).
	StageUserns = "userns"
	// StageNetns holds a user's shared pod network (--network bridge);
	// StageNetconf enters it (fds 3 and 4: its user and network
	// namespaces) to configure it from Go (InNetconf).
	StageNetns   = "netns"
	StageNetconf = "netconf"
	// StageUsernest is podctl-userns, the holder of the per-user user
	// namespace that pods are made in (sandbox/stage/nest.go); it exits
	// after EnvUsernsLinger seconds without a pod start (SIGUSR1).
	StageUsernest   = "usernest"
	EnvUsernsLinger = "_PODCTL_USERNS_LINGER"
	// EnvNestUserns, set for the userns stage, is the inherited fd of
	// that namespace; EnvNestUIDMap and EnvNestGIDMap are the maps of the
	// namespace the stage makes inside it, relative to it. (The pause
	// stage gets both in its "userns" message instead.)
	EnvNestUserns = "_PODCTL_NEST_USERNS_FD"
	EnvNestUIDMap = "_PODCTL_NEST_UID_MAP"
	EnvNestGIDMap = "_PODCTL_NEST_GID_MAP"
	// StagePorts forwards a bridge pod's published ports (fd 3: the
	// pause's pidfd; 4 and up: listening sockets of the host's).
	StagePorts = "ports"
	// StageCNI execs a CNI plugin (argv[1]) in the shared network's user
	// and network namespaces (fds 3 and 4), for a rootless CRI server.
	StageCNI = "cni"
	// EnvParentUserns, set for the pause stage, is the inherited fd of the
	// user namespace the pod's must be a child of (the shared network's).
	EnvParentUserns = "_PODCTL_PARENT_USERNS_FD"
	EnvKeep         = "_PODCTL_KEEP"
	EnvKeepDir      = "_PODCTL_KEEP_DIR"
)

// ExecNS is CLOCK_MONOTONIC, in ns, when this process's C constructor ran:
// just after its execve and libc's start, before the Go runtime's.
func ExecNS() int64 { return int64(C.podctl_exec_ns) }

// SyncFD is the sync socket a stage that goes on in Go inherited, or -1.
func SyncFD() int { return int(C.podctl_sync_fd) }

// InUserns reports whether the constructor made this process uid 0 of a
// new user namespace for the image store (StageUserns).
func InUserns() bool { return C.podctl_stage == C.PODCTL_STAGE_USERNS }

// InNetconf reports whether the constructor put this process into a shared
// pod network's user and network namespaces (StageNetconf).
func InNetconf() bool { return C.podctl_stage == C.PODCTL_STAGE_NETCONF }

// InPorts reports whether the constructor put this process into a pod's
// user and network namespaces to forward its published ports (StagePorts).
func InPorts() bool { return C.podctl_stage == C.PODCTL_STAGE_PORTS }

// earlyJoin guards the join stage the constructor forked: taken once.
var earlyJoin struct {
	sync.Mutex
	taken bool
}

// TakeEarlyJoin returns the join stage that the constructor forked for
// `podctl exec` (nsenter.c, fork_join_early), once: its pid, a pidfd of
// it and our end of its sync socket (both close-on-exec), all the
// caller's from now on: it must close both and reap the pid. ok is false where none was forked
// (another command, cgroup v2, a failed fork, _PODCTL_NO_EARLY_JOIN) or
// it was taken already. The stage waits for "stdio" first
// (sandbox/stage/sync.go).
func TakeEarlyJoin() (pid, pidfd, sock int, ok bool) {
	earlyJoin.Lock()
	defer earlyJoin.Unlock()
	if earlyJoin.taken || C.podctl_early_join_pid < 0 {
		return 0, -1, -1, false
	}
	earlyJoin.taken = true
	return int(C.podctl_early_join_pid), int(C.podctl_early_join_pidfd), int(C.podctl_early_join_fd), true
}
