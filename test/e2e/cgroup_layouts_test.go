package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/model"
)

// The cgroup layouts beside TestCgroupV2Layout's (a rootless pod without
// a network helper): a network helper's leaf, a pod whose supervisor was
// lost, a delegation podctl must first step out of. The VM (test/vm) runs
// them as its test user and again as root.

// cgroupPath is how /proc/PID/cgroup names dir: its path below the mount,
// for a reader in the initial cgroup namespace (cgroups(7)).
func cgroupPath(dir string) string { return "0::" + strings.TrimPrefix(dir, cgroups.Mountpoint) }

// procCgroup is pid's cgroup v2 line in /proc/PID/cgroup.
func procCgroup(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatalf("the cgroup of pid %d: %v", pid, err)
	}
	return strings.TrimSpace(string(b))
}

// live: pid runs (a zombie has ended: its parent has not reaped it yet).
func live(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// cgroupGone fails unless the pod's cgroup directory has been removed.
func cgroupGone(t *testing.T, dir, after string) {
	t.Helper()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		procs, _ := exec.Command("find", dir, "-name", "cgroup.procs", "-exec", "cat", "{}", "+").Output()
		t.Errorf("the pod's cgroup %s is still there after %s (%v); processes in it: %q", dir, after, err, procs)
	}
}

// A pod's network helper (pasta, slirp4netns) is born in the pod's _net
// leaf, alone there, and counts against the pod's own limits (cgroup v2
// charges a leaf's usage to every ancestor: cgroup-v2.rst, "Resource
// Distribution Models"); rm takes it and the cgroup away.
func TestCgroupV2NetworkHelper(t *testing.T) {
	requireCgroup2(t)
	leakCheck(t)
	for _, mode := range []string{"pasta", "slirp4netns"} {
		t.Run(mode, func(t *testing.T) {
			pod := "cgnet-" + mode[:5]
			podRm(t, pod)
			mustRun(t, "pod", "create", pod, "--network", mode, "--memory", "128m", "--pids-limit", "64")
			mustRun(t, "run", "-d", "--pod", pod, "--name", "app", "--memory", "32m", "--pids-limit", "8",
				"--rootfs", rootfs, "--", "sleep", "1000")
			st := state(t, pod)
			helper := st.Network.Helper.PID
			if helper == 0 || st.Cgroup == "" {
				t.Fatalf("no helper (%d) or no cgroup (%q) in the state", helper, st.Cgroup)
			}
			net := filepath.Join(st.Cgroup, "_net")
			if got := procCgroup(t, helper); got != cgroupPath(net) {
				t.Errorf("%s (pid %d) is in %q, want the pod's _net leaf %q", mode, helper, got, cgroupPath(net))
			}
			if got := readCgroupFile(t, net, "cgroup.procs"); got != strconv.Itoa(helper) {
				t.Errorf("_net/cgroup.procs = %q, want the helper %d alone", got, helper)
			}
			for file, want := range map[string]string{"memory.max": "134217728", "pids.max": "64"} {
				if got := readCgroupFile(t, st.Cgroup, file); got != want {
					t.Errorf("pod %s = %q, want %q", file, got, want)
				}
			}
			// The helper's tasks and memory are the pod's: the pod's
			// pids.current is its leaves' sum, _net's among them.
			sum := 0
			for _, leaf := range []string{"_net", "_pause", "app"} {
				n, _ := strconv.Atoi(readCgroupFile(t, filepath.Join(st.Cgroup, leaf), "pids.current"))
				if n == 0 {
					t.Errorf("%s/pids.current is 0", leaf)
				}
				sum += n
			}
			if got, _ := strconv.Atoi(readCgroupFile(t, st.Cgroup, "pids.current")); got != sum {
				t.Errorf("pod pids.current %d, its leaves' sum %d", got, sum)
			}
			if mem, _ := strconv.ParseInt(readCgroupFile(t, net, "memory.current"), 10, 64); mem == 0 {
				t.Errorf("_net/memory.current is 0: the helper's memory is not charged to the pod")
			}
			mustRun(t, "rm", "-f", pod)
			if live(helper) {
				t.Errorf("%s (pid %d) still runs after rm -f", mode, helper)
			}
			cgroupGone(t, st.Cgroup, "rm -f")
		})
	}
}

// startEscapee starts a process of the test's own and moves it into
// cgroup dir: a process in the pod's cgroup that is in none of the pod's
// namespaces and in no pid its state records, as one that got out of the
// pod's namespaces would be. Only the cgroup finds it. It returns a
// channel that gets its wait status once it has ended.
func startEscapee(t *testing.T, dir string) (int, <-chan error) {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	if err := cgroups.Enter(dir, cmd.Process.Pid); err != nil {
		t.Fatalf("moving pid %d into %s: %v", cmd.Process.Pid, dir, err)
	}
	return cmd.Process.Pid, done
}

// rm -f and gc of a pod whose supervisor was killed end every process of
// the pod with cgroup.kill (cgroup-v2.rst: "Writing "1" to the file
// causes the cgroup and all descendant cgroups to be killed"), the ones
// podctl cannot find by pid or namespace included, and remove its
// cgroups.
func TestCgroupV2LostSupervisor(t *testing.T) {
	requireCgroup2(t)
	leakCheck(t)
	for _, how := range []string{"rm", "gc"} {
		t.Run(how, func(t *testing.T) {
			pod := "cglost-" + how
			podRm(t, pod)
			mustRun(t, "run", "-d", "--name", pod, "--network", "pasta", "--pids-limit", "32",
				"--rootfs", rootfs, "--", "sh", "-c", "sleep 1000 & exec sleep 1000")
			st := state(t, pod)
			escapee, ended := startEscapee(t, filepath.Join(st.Cgroup, pod))
			syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
			eventually(t, "SupervisorLost", func() bool { return state(t, pod).Phase == model.PhaseUnknown })
			pids := map[string]int{"pause": st.Pause.PID, "network helper": st.Network.Helper.PID,
				"container": ctr(t, st, pod).Proc.PID}
			if how == "rm" {
				mustRun(t, "rm", "-f", pod)
			} else if out := mustRun(t, "gc"); !strings.Contains(out, pod) {
				t.Errorf("gc did not remove %s: %q", pod, out)
			}
			select {
			case err := <-ended:
				if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Errorf("the process moved into the pod's cgroup ended with %v, want SIGKILL", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("the process moved into the pod's cgroup (pid %d) still runs 5 s after %s", escapee, how)
			}
			for what, pid := range pids {
				if live(pid) {
					t.Errorf("the pod's %s (pid %d) still runs after %s", what, pid, how)
				}
			}
			cgroupGone(t, st.Cgroup, how)
		})
	}
}

// --network bridge: a pod has no helper of its own (its _net leaf stays
// empty); the shared network's holder and pasta serve every pod of the
// user and are in none of their cgroups, so rm of one pod (cgroup.kill
// of its cgroup) leaves them to the others; they go with the last pod.
func TestCgroupV2Bridge(t *testing.T) {
	requireCgroup2(t)
	leakCheck(t)
	var cgs []string
	for _, pod := range []string{"cgbr-a", "cgbr-b"} {
		podRm(t, pod)
		mustRun(t, "run", "-d", "--name", pod, "--network", "bridge", "--pids-limit", "16", "--rootfs", rootfs, "--", "sleep", "1000")
		st := state(t, pod)
		if st.Network.Helper.PID != 0 {
			t.Errorf("%s has a network helper of its own, pid %d", pod, st.Network.Helper.PID)
		}
		if got := readCgroupFile(t, filepath.Join(st.Cgroup, "_net"), "cgroup.procs"); got != "" {
			t.Errorf("%s's _net leaf holds %q", pod, got)
		}
		cgs = append(cgs, st.Cgroup)
	}
	// The shared network's processes (rootless; root's bridge is the
	// host's and has none).
	var shared map[string]model.ProcRef
	if os.Getuid() != 0 {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(stateDir()), "network", "network.json"))
		if err != nil {
			t.Fatal(err)
		}
		var n struct{ Holder, Pasta model.ProcRef }
		if err := json.Unmarshal(b, &n); err != nil || n.Holder.PID == 0 || n.Pasta.PID == 0 {
			t.Fatalf("network.json %s: %v", b, err)
		}
		shared = map[string]model.ProcRef{"holder": n.Holder, "pasta": n.Pasta}
		for what, p := range shared {
			got := procCgroup(t, p.PID)
			for _, cg := range cgs {
				if strings.HasPrefix(got+"/", cgroupPath(cg)+"/") {
					t.Errorf("the shared network's %s (pid %d) is in a pod's cgroup: %s", what, p.PID, got)
				}
			}
		}
	}
	mustRun(t, "rm", "-f", "cgbr-a")
	cgroupGone(t, cgs[0], "rm -f")
	for what, p := range shared {
		if !live(p.PID) {
			t.Errorf("the shared network's %s (pid %d) ended with the first pod's rm -f", what, p.PID)
		}
	}
	mustRun(t, "rm", "-f", "cgbr-b")
	cgroupGone(t, cgs[1], "rm -f")
	for what, p := range shared {
		eventually(t, "the shared network's "+what+" to end with its last pod", func() bool { return !live(p.PID) })
	}
}
