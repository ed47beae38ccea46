package supervisor

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/podcgroup"
	"github.com/podctl/podctl/sandbox/podnet"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

// Create makes the pod: the pause, its /etc files, the control socket,
// and the first of ctrs started. The error of that first start (an
// *ExecError for a workload that cannot be executed) is kept in firstErr,
// and recorded in the container's state. On an error nothing of the pod is
// left but its directory.
func (s *Supervisor) Create(ctrs []model.ContainerSpec) error {
	bridge := s.St.Spec.UsesSharedNetwork()
	if bridge {
		// The pod's user namespace is made inside the shared network's
		// (sandbox/podnet/bridge.go), and the pod leases its address first.
		// A CNI pod's lease only keeps the network: its address and its
		// plug are the plugins'.
		plug := s.St.Spec.Network.Mode == netsetup.Bridge
		shared, ip, err := podnet.JoinShared(s.St.Spec.Name, s.St.Spec.Network.AllowHostLoopback, plug, idmap.Detect())
		if err != nil {
			// JoinShared gave its lease back; a network it started for
			// this pod alone goes too (no lease left: ReleaseShared).
			podnet.ReleaseShared("")
			return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
		}
		s.shared = shared
		if plug {
			s.bridgeIP = ip
		}
		defer func() { shared.Close(); s.shared = nil }()
	}
	dir, err := podcgroup.Make(s.St.Spec.Name, s.St.Spec.CgroupParent, s.St.Spec.Resources, s.Notices)
	s.St.Cgroup = dir
	if err == nil && dir == "" && s.St.Spec.HostPID {
		// In the host's PID namespace the pause's end ends nobody: only
		// the pod's cgroup (cgroup.kill) can end every process of it.
		err = fmt.Errorf("creating pod %s: hostPID needs the pod's own cgroup, so that every process of the pod can be ended with it, and cgroup v2 is not delegated to this user (podctl doctor says how)", s.St.Spec.Name)
	}
	if err == nil {
		// The id mapping is decided on a goroutine of its own, on the
		// other CPU, while the pod's first steps and its pause's stage
		// start. Only now that the pod's cgroup is made: if this starts
		// the per-user namespace's holder, it is born in podctl's cgroup,
		// which Make may have just left for a leaf so as to enable
		// controllers there (cgroup v2 enables them only in a cgroup with
		// no process of its own; TestCgroupV2InitLeaf).
		plan := stage.PlanMapping(s.St.Spec.UserNS == idmap.UserNSKeepID && os.Getuid() != 0, s.shared != nil)
		err = s.createPod(ctrs, plan)
		plan.Close()
		if err != nil {
			s.removeCgroup()
		}
	}
	if err != nil && bridge {
		podnet.ReleaseShared(s.St.Spec.Name)
	}
	return err
}

// spawnPause starts the pod's pause stage; withPause (and a first run),
// it will be runs[0]'s join stage too.
func (s *Supervisor) spawnPause(runs []*pendingRun, withPause bool) (*stage.PauseSetup, error) {
	if !withPause || len(runs) == 0 {
		return stage.SpawnPause(&s.St.Spec, s.shared, s.cgroupOf(podcgroup.PauseLeaf))
	}
	r := runs[0]
	ps, j, err := stage.SpawnPauseJoin(&s.St.Spec, s.shared, r.c.Spec.Name, r.pipes.Child())
	r.pipes.CloseChild()
	r.j = j
	return ps, err
}

func (s *Supervisor) createPod(ctrs []model.ContainerSpec, plan *stage.MappingPlan) error {
	for _, c := range ctrs {
		s.St.Containers = append(s.St.Containers, model.ContainerStatus{Spec: c, CreatedAt: s.St.Created,
			State: model.ContainerState{Waiting: &model.StateWaiting{Reason: model.ReasonContainerCreating}}})
	}
	var err error
	if s.St.Supervisor.StartTime, err = model.ProcStartTime(os.Getpid()); err != nil {
		return err
	}
	var runs []*pendingRun
	abortFirst := func() {
		for _, r := range runs {
			r.abort()
		}
	}
	// The first of them starts from the pause's set-up stage where it can
	// (sandbox/stage/pausejoin.go): one exec fewer.
	withPause := stage.CanJoinWithPause(s.St.Spec, s.St.Cgroup)
	for i, c := range firstWave(s.St.Containers) {
		var stdin io.Reader
		if i == 0 {
			stdin = s.Stdin
		}
		r, err := s.spawnRun(c, stdin, withPause && i == 0)
		if err != nil {
			abortFirst()
			return err
		}
		runs = append(runs, r)
	}
	explain.Printf("podctl", "pod %s: state in %s, created locked (mkdir, flock, rename)", s.St.Spec.Name, s.dir)
	explain.Printf("podctl", "starts the pause's set-up stage: execve(/proc/self/exe) with _PODCTL_STAGE=pause")
	ps, err := s.spawnPause(runs, withPause)
	if err != nil {
		abortFirst()
		return err
	}
	// While the stage starts: how the pod's ids are mapped.
	if err := s.mapping(ps, plan); err != nil {
		ps.Abort()
		abortFirst()
		return err
	}
	s.St.IDMap.UIDs, s.St.IDMap.GIDs = s.ids.UIDs, s.ids.GIDs
	s.St.Network = model.NetworkState{Status: netsetup.Expected(s.St.Spec.Network), Ports: s.St.Spec.Network.Ports}
	if s.bridgeIP != "" {
		s.St.Network.IP = s.bridgeIP
	}
	if s.files, err = stage.WriteEtcFiles(s.dir, s.St.Spec, s.St.Network.Status); err != nil {
		ps.Abort()
		abortFirst()
		return err
	}
	// While the setuid helpers map the ids (~5 ms each here, side by
	// side), or the stage forks the pause: what does not need the pause,
	// the containers' images (Images), the first runs' plans, and the
	// state writer's field lists (sandbox/plainjson), so that save, once
	// the pause is known, only writes.
	images := s.awaitImages()
	meanwhile := func() {
		if images() == nil {
			for _, r := range runs {
				s.planRun(r)
			}
		}
		model.PrepareStateJSON()
	}
	if s.pause, err = ps.Finish(s.St.Spec.Hostname, s.ids, meanwhile); err != nil {
		abortFirst()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
	}
	if err := images(); err != nil {
		abortFirst()
		s.pause.Stop()
		return err
	}
	s.St.Pause = model.ProcRef{PID: s.pause.Pid, StartTime: s.pause.StartTime}
	s.St.StartTime = time.Now().UTC()
	explain.Printf("podctl", "the pause is pid %d; a pidfd names it from now on: pidfd_open(%d)", s.pause.Pid, s.pause.Pid)
	s.net.SetPause(s.pause.Pid, s.pause.Pidfd)
	if err := s.net.Start(); err != nil {
		abortFirst()
		s.pause.Stop()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, err)
	}
	if s.ctl, err = listenControl(s.dir, s); err != nil {
		abortFirst()
		s.net.Stop()
		s.pause.Stop()
		return err
	}
	// On record before any workload runs: from its first instruction
	// on, podctl commands can find the pod.
	s.save()
	var startErr error
	if len(runs) > 0 {
		// Whatever happens to them, the pod is finished after awaitReady.
		s.creating = true
		startErr = s.launchAll(runs)
		s.creating = false
	}
	// The first container joined while the pause finished starting; had
	// the pause failed, that is the error to report, not its consequence.
	if rerr := s.pause.AwaitReady(); rerr != nil {
		s.killAll(unix.SIGKILL)
		s.net.Stop()
		s.pause.Stop()
		s.ctl.close()
		return fmt.Errorf("creating pod %s: %w", s.St.Spec.Name, rerr)
	}
	// A pod with no container yet (pod create) is made once its network
	// is: a failing helper fails the creation.
	if err := s.net.Wait(); err != nil {
		s.killAll(unix.SIGKILL)
		s.pause.Stop()
		s.ctl.close()
		return err
	}
	s.watchPause()
	s.armDeadline()
	s.armEviction(evictionInterval())
	// With no init container in the way, the other containers start now.
	s.schedule()
	s.save()
	s.FirstErr = startErr
	return nil
}

// awaitImages returns a function that waits, once, for the containers'
// images (Images, if set), filling their specs in, and returns its error.
func (s *Supervisor) awaitImages() func() error {
	done := s.Images == nil
	var err error
	return func() error {
		if !done {
			done = true
			cs := make([]*model.ContainerSpec, len(s.St.Containers))
			for i := range s.St.Containers {
				cs[i] = &s.St.Containers[i].Spec
			}
			err = s.Images(cs)
		}
		return err
	}
}

// mapping tells the pause's stage how to make the pod's user namespace,
// as plan decided.
func (s *Supervisor) mapping(ps *stage.PauseSetup, plan *stage.MappingPlan) error {
	ids, nest, err := plan.Wait()
	if err != nil {
		return err
	}
	s.ids = ids
	if s.ids.Notice != "" && s.Notices != nil {
		fmt.Fprintf(s.Notices, "podctl: notice: %s\n", s.ids.Notice)
	}
	return ps.Userns(nest)
}
