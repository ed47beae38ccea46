package stage

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"golang.org/x/sys/unix"
)

// Pause is podctl's handle on a running pause process.
type Pause struct {
	Pid       int
	Pidfd     int // pidfd_open(2): signals and setns reach this process, never a recycled pid
	StartTime uint64
	sock      *SyncSocket // until the pause says "ready"
	Ready     bool
}

// AwaitReady waits for the pause to finish its start-up, and returns the
// error it reported if it could not. The caller must have recorded the
// pause in the pod's state: awaitReady tells the pause so, and until then
// the pause exits if podctl dies (nsenter.c, stage_pause_init).
func (p *Pause) AwaitReady() error {
	defer p.sock.Close()
	for !p.Ready {
		word, _, err := p.sock.RecvText()
		if err != nil {
			return err
		}
		if word != "ready" {
			return fmt.Errorf("pause: unexpected message %q", word)
		}
		p.Ready = true
	}
	// The caller has written the pause into the pod's state: from now on
	// a crash of ours leaves a pause that podctl rm and gc can find.
	return p.sock.SendText("recorded")
}

// SelfExe is what podctl re-executes for its stages. /proc/self/exe is the
// very binary that is running, even if the file was replaced on disk since.
var SelfExe = "/proc/self/exe"

// UsePodctl makes the stages (the supervisor, the pause, the joins) run
// path, podctl, when this process is one of its helpers (podctl-kube
// makes pods, but is not the binary their processes should be).
func UsePodctl(path string) { SelfExe = path }

// PauseSetup is a started pause stage that has not been given its id maps.
type PauseSetup struct {
	proc *forkexec.Process
	sock *SyncSocket
	// premapped: the pod uses the shared network's user namespace,
	// already mapped (nsenter.c, enter_shared_network).
	premapped bool
	// nest: the pod's user namespace is made in the per-user namespace
	// and mapped from there (nest.go); nil: podctl maps it.
	nest *Nest
	// joins: the stage goes on as a container's join stage once the
	// pause is forked (pausejoin.go): that Joiner waits for it, not Finish.
	joins bool
}

// SharedNetwork is what a pod of the shared network (--network bridge,
// rootless) hands its pause stage (nsenter.c, enter_shared_network and
// plug_into_bridge).
type SharedNetwork struct {
	// Userns: the shared network's user namespace, already mapped; the
	// pod's namespaces are made in it.
	Userns *os.File
	// Netns: its network namespace, where the bridge is, and Plug, what
	// the stage plugs into it (nsenter.PlugSpec); nil and "" for a pod
	// whose network the CNI plugins make.
	Netns *os.File
	Plug  string
}

// Close closes the namespaces' descriptors; nil-safe.
func (n *SharedNetwork) Close() {
	if n != nil {
		CloseFile(n.Userns)
		CloseFile(n.Netns)
	}
}

// SpawnPause starts the stage that makes the pod's namespaces. podctl does
// its own preparations while that process starts; finish completes it.
// The pause carries the pod's name in its argv, and sets the pod's
// sysctls. Unless shared is given, the stage waits for Userns.
func SpawnPause(spec *model.PodSpec, shared *SharedNetwork, cgroup *os.File) (*PauseSetup, error) {
	ps, _, err := spawnPause(spec, shared, cgroup, nil)
	return ps, err
}

// spawnPause starts the pause stage; with first, it goes on as the join
// stage of that container once the pause is forked (pausejoin.go), and
// that Joiner is returned too.
func spawnPause(spec *model.PodSpec, shared *SharedNetwork, cgroup *os.File, first *firstJoin) (*PauseSetup, *Joiner, error) {
	cmd := &forkexec.Cmd{
		Path: SelfExe,
		Args: []string{"podctl-pause-setup"},
		Env:  []string{nsenter.EnvStage + "=" + nsenter.StagePause, nsenter.EnvSyncFD + "=3", nsenter.EnvPodName + "=" + spec.Name},
		// Stdio stays /dev/null: the pause must never hold the caller's
		// terminal (CVE-2017-5226) nor keep a pipe of the caller open.
	}
	if spec.Network.Mode == netsetup.Host {
		cmd.Env = append(cmd.Env, nsenter.EnvHostNetwork+"=1")
	}
	if spec.HostIPC {
		cmd.Env = append(cmd.Env, nsenter.EnvHostIPC+"=1")
	}
	if spec.HostPID {
		cmd.Env = append(cmd.Env, nsenter.EnvHostPID+"=1")
	}
	if len(spec.Sysctls) > 0 {
		// "path=value" lines (nsenter.c, write_sysctls); Validate
		// refused newlines and paths out of /proc/sys.
		var lines strings.Builder
		for _, k := range spec.SysctlKeys() {
			fmt.Fprintf(&lines, "%s=%s\n", strings.TrimPrefix(model.SysctlPath(k), "/proc/sys/"), spec.Sysctls[k])
		}
		cmd.Env = append(cmd.Env, nsenter.EnvSysctls+"="+lines.String())
	}
	// inherit passes f as the stage's next descriptor, named by env.
	inherit := func(env string, f *os.File) {
		cmd.Env = append(cmd.Env, env+"="+strconv.Itoa(nextStageFD(cmd)))
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	if shared != nil {
		inherit(nsenter.EnvParentUserns, shared.Userns)
		if shared.Plug != "" {
			inherit(nsenter.EnvBridgeNetnsFD, shared.Netns)
			cmd.Env = append(cmd.Env, nsenter.EnvBridgePlug+"="+shared.Plug)
		}
	}
	var joinSock *SyncSocket
	if first != nil {
		var err error
		if joinSock, err = first.pass(cmd); err != nil {
			CloseFile(cgroup)
			return nil, nil, err
		}
	}
	proc, sock, err := SpawnStage("the pause", cmd, cgroup, true)
	CloseFile(cgroup)
	first.started()
	if err != nil {
		joinSock.Close()
		return nil, nil, err
	}
	ps := &PauseSetup{proc: proc, sock: sock, premapped: shared != nil, joins: first != nil}
	if first == nil {
		return ps, nil, nil
	}
	return ps, &Joiner{proc: proc, sock: joinSock, made: true}, nil
}

// nextStageFD is the descriptor number the stage gets for the next file
// appended to cmd.ExtraFiles: SpawnStage puts its sync socket at 3, before
// them.
func nextStageFD(cmd *forkexec.Cmd) int { return 4 + len(cmd.ExtraFiles) }

// Userns tells the stage how to make the pod's user namespace (nsenter.c,
// stage_pause): inside the per-user namespace nest, which maps it itself,
// or (nest nil) one of its own that Finish maps. podctl decides while the
// stage starts. A stage given the shared network's namespace needs none.
func (ps *PauseSetup) Userns(nest *Nest) error {
	if ps.premapped {
		return nil
	}
	ps.nest = nest
	if nest == nil {
		return ps.sock.SendText("userns own")
	}
	return ps.sock.sendFD([]byte("userns nest "+nest.uidMap+"|"+nest.gidMap), int(nest.userns.Fd()))
}

// Abort ends a pause stage before finish: it has forked nothing yet.
func (ps *PauseSetup) Abort() {
	ps.sock.Close()
	ps.proc.Kill()
	ps.proc.Wait()
}

// MapUserNS is podctl's side of the first steps of a stage that makes a
// user namespace (the pause's, the image store helper's; nsenter.c): wait
// for "unshared", then write the namespace's maps, or, for a stage given
// nest (Nest.Pass), leave them to it. The caller then says "mapped".
func MapUserNS(sock *SyncSocket, pid int, ids idmap.Mapping, whose string, nest *Nest) error {
	if nest == nil {
		return mapUserNS(sock, pid, ids, whose, nil)
	}
	if word, _, err := sock.RecvText(); err != nil {
		return err
	} else if word != "unshared" {
		return fmt.Errorf("%s: expected 'unshared', got %q", whose, word)
	}
	nest.explain(whose)
	return nil
}

// mapUserNS is MapUserNS that calls meanwhile, if not nil, while the
// setuid helpers run.
func mapUserNS(sock *SyncSocket, pid int, ids idmap.Mapping, whose string, meanwhile func()) error {
	if word, _, err := sock.RecvText(); err != nil {
		if strings.Contains(err.Error(), "unshare(CLONE_NEWUSER)") {
			err = fmt.Errorf("%w: this system does not let podctl create a user namespace; check sysctl user.max_user_namespaces (0 disables them) and, on Debian before 11, kernel.unprivileged_userns_clone=1; inside a container, its runtime must allow them", err)
		}
		return err
	} else if word != "unshared" {
		return fmt.Errorf("%s: expected 'unshared', got %q", whose, word)
	}
	explain.Printf("podctl", "maps %s's ids: uid_map %s, gid_map %s%s", whose, idmap.FormatRanges(ids.UIDs), idmap.FormatRanges(ids.GIDs), ids.How())
	wait, err := ids.Start(pid)
	if err == nil {
		if meanwhile != nil {
			meanwhile()
		}
		err = wait()
	}
	if err != nil {
		return fmt.Errorf("mapping ids of the user namespace of %s: %w", whose, err)
	}
	return nil
}

// Finish maps the ids of the pod's user namespace and names the pod,
// following the first conversation of sync.go, and returns once the pause
// is forked. It calls meanwhile, if not nil, while the ids are being
// mapped, or, where they are mapped already (the per-user namespace,
// premapped), once the stage has been told to go on and forks the pause:
// work that does not need the pause, off the path to the workload. On
// error nothing of the pod is left.
func (ps *PauseSetup) Finish(hostname string, ids idmap.Mapping, meanwhile func()) (p *Pause, err error) {
	proc, sock := ps.proc, ps.sock
	pausePID := 0
	defer func() {
		if err != nil {
			// The pause, if forked, is our child: killed and reaped,
			// and with it the namespaces it holds.
			Abandon(proc, sock, pausePID)
		}
	}()

	if ps.premapped || ps.nest != nil {
		if word, _, err := sock.RecvText(); err != nil {
			return nil, err
		} else if word != "unshared" {
			return nil, fmt.Errorf("the pod: expected 'unshared', got %q", word)
		}
		if ps.nest != nil {
			ps.nest.explain("the pod")
		}
		// Mapped already (by the stage's child in the per-user
		// namespace, or premapped): the stage goes on at once, and
		// meanwhile runs while it forks the pause.
		if err := sock.SendText("mapped %s", hostname); err != nil {
			return nil, err
		}
		if meanwhile != nil {
			meanwhile()
		}
	} else if err := mapUserNS(sock, proc.Pid, ids, "the pod", meanwhile); err != nil {
		return nil, err
	} else if err := sock.SendText("mapped %s", hostname); err != nil {
		return nil, err
	}
	// "pid" comes from the setup stage, "ready" from the pause it forked:
	// two processes, so either may arrive first. We return at "pid": the
	// namespaces exist from then on, and a container may join them while
	// the pause finishes its own exec (awaitReady collects "ready").
	ready := false
	for pausePID == 0 {
		word, rest, err := sock.RecvText()
		if err != nil {
			return nil, err
		}
		switch word {
		case "pid":
			if pausePID, err = strconv.Atoi(rest); err != nil {
				return nil, fmt.Errorf("pause setup sent a bad pid %q", rest)
			}
		case "ready":
			ready = true
		default:
			return nil, fmt.Errorf("pause setup: unexpected message %q", word)
		}
	}
	if !ps.joins {
		if err := proc.Wait(); err != nil {
			return nil, fmt.Errorf("pause setup stage: %w", err)
		}
	}
	p = &Pause{Pid: pausePID, sock: sock, Ready: ready}
	// The pause is our child (CLONE_PARENT) and not yet reaped, so this
	// pidfd cannot name another process.
	if p.Pidfd, err = unix.PidfdOpen(pausePID, 0); err != nil {
		return nil, fmt.Errorf("pidfd_open of the pause %d: %w", pausePID, err)
	}
	unix.CloseOnExec(p.Pidfd)
	if p.StartTime, err = model.ProcStartTime(pausePID); err != nil {
		unix.Close(p.Pidfd)
		return nil, fmt.Errorf("reading the start time of the pause %d: %w", pausePID, err)
	}
	return p, nil
}

// Stop kills the pause and with it every process of the pod (the kernel
// kills a pid namespace when its init dies), then reaps it. The caller must
// have reaped the pod's processes that are its own children first: the
// pause cannot finish exiting while one of them is an unreaped zombie.
func (p *Pause) Stop() error {
	if p.sock != nil { // nil in a supervisor resumed from its keeper
		p.sock.Close()
	}
	if err := unix.PidfdSendSignal(p.Pidfd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("killing the pause %d: %w", p.Pid, err)
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(p.Pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		// ECHILD: not our child (a pod made by an earlier command).
		if err != nil && err != unix.ECHILD {
			return fmt.Errorf("reaping the pause %d: %w", p.Pid, err)
		}
		break
	}
	return unix.Close(p.Pidfd)
}
