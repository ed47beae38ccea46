package stage

import (
	"os"
	"strconv"

	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/nsenter"
)

// The pause stage as the first container's join stage: one exec of podctl
// fewer per pod. The pause stage makes the pod's namespaces; once it has
// forked the pause it is in all of them that a container shares, so it can
// fork that container's init itself, instead of a join stage of its own
// that would setns(2) into them (nsenter.c, stage_join(1)). It talks over a
// second socket, the join stage's conversation of sync.go less the pidfd.

// CanJoinWithPause says whether a pod's first container can start from its
// pause stage: when the pod shares its pid namespace (a container of its
// own pid namespace would unshare(CLONE_NEWPID) a second time, which the
// kernel refuses, pid_namespaces(7)) and has no cgroup, cgroupDir "" (the
// container's cgroup namespace is then rooted, as the pause's, at podctl's
// own cgroup; with one, the stage would have to be born in two cgroups).
func CanJoinWithPause(spec model.PodSpec, cgroupDir string) bool {
	return spec.SharePID && cgroupDir == ""
}

// firstJoin is the container whose join stage the pause stage becomes.
type firstJoin struct {
	name  string
	stdio [3]*os.File
	child *os.File // the stage's end of the join socket, until started
}

// pass adds the join socket and the container's stdio to the pause stage's
// descriptors, and names them in its environment (_PODCTL_JOIN_FD: the
// socket, its stdio at the three descriptors after it). It returns our end
// of the socket.
func (f *firstJoin) pass(cmd *forkexec.Cmd) (*SyncSocket, error) {
	sock, child, err := NewSyncPair("container " + f.name)
	if err != nil {
		return nil, err
	}
	f.child = child
	fd := nextStageFD(cmd)
	cmd.ExtraFiles = append(cmd.ExtraFiles, child, f.stdio[0], f.stdio[1], f.stdio[2])
	cmd.Env = append(cmd.Env, nsenter.EnvJoinFD+"="+strconv.Itoa(fd))
	return sock, nil
}

// started closes the stage's end of the join socket, which it has now (or
// never will); nil-safe.
func (f *firstJoin) started() {
	if f != nil && f.child != nil {
		f.child.Close()
		f.child = nil
	}
}

// SpawnPauseJoin is SpawnPause whose stage then starts container name,
// with stdio as the workload's standard streams (the caller closes its
// copies afterwards), as SpawnJoin's Joiner would: the returned Joiner's
// Start takes the pod's namespaces as made, and no pidfd. Only for a pod
// that CanJoinWithPause.
func SpawnPauseJoin(spec *model.PodSpec, shared *SharedNetwork, name string, stdio [3]*os.File) (*PauseSetup, *Joiner, error) {
	return spawnPause(spec, shared, nil, &firstJoin{name: name, stdio: stdio})
}
