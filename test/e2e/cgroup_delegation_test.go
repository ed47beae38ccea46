package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/model"
)

// freshDelegation makes, as root, a cgroup delegated to user u as systemd
// delegates user@UID.service (cgroup-v2.rst, "Delegation Containment":
// the directory and its cgroup.procs, cgroup.subtree_control and
// cgroup.threads chowned), with no controller enabled in it yet. It is
// removed, deepest first, at the end of the test.
func freshDelegation(t *testing.T, u *user.User) string {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir := filepath.Join(cgroups.Mountpoint, "podctl-e2e-delegated")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { endNestHolders(dir); rmdirTree(t, dir) })
	for _, f := range []string{"", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"} {
		if err := os.Chown(filepath.Join(dir, f), uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// endNestHolders ends the holders of the per-user namespace
// (podctl-userns, sandbox/stage/nest.go) in the cgroup tree dir: started by
// the user's podctl in its cgroup, a holder lives there until it has gone
// PODCTL_USERNS_LINGER seconds without a pod, and a cgroup with a process
// cannot be removed. Whoever removes a user's cgroup ends what runs in it
// first (systemd stopping user@UID.service does, with cgroup.kill); this
// ends only the holders, so that anything else left fails the rmdir.
func endNestHolders(dir string) {
	var pids []int
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && comm(pid) == "podctl-userns" {
				syscall.Kill(pid, syscall.SIGTERM)
				pids = append(pids, pid)
			}
		}
		return nil
	})
	for _, pid := range pids {
		for i := 0; i < 200 && !model.ProcEnded(pid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// rmdirTree removes the cgroup dir and those below it (rmdir(2) alone
// removes a cgroup).
func rmdirTree(t *testing.T, dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			rmdirTree(t, filepath.Join(dir, e.Name()))
		}
	}
	if err := syscall.Rmdir(dir); err != nil && !errors.Is(err, syscall.ENOENT) {
		t.Errorf("rmdir %s: %v", dir, err)
	}
}

// asUser runs podctl as u, born in the cgroup cg (clone3
// CLONE_INTO_CGROUP), with a login's environment and runtime its own.
func asUser(t *testing.T, u *user.User, runtime string, cg *os.File, args ...string) result {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd := exec.Command(podctl, args...)
	cmd.Dir = u.HomeDir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + u.HomeDir, "USER=" + u.Username, "XDG_RUNTIME_DIR=" + runtime}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		UseCgroupFD: true,
		CgroupFD:    int(cg.Fd()),
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running podctl %v as %s: %v", args, u.Username, err)
	}
	return r
}

// podctl run in a delegated cgroup that holds processes, podctl alone
// among them: the kernel lets controllers be enabled only in a cgroup
// without processes of its own (cgroup-v2.rst, "No Internal Process
// Constraint": writing cgroup.subtree_control fails with EBUSY), so
// podctl first moves itself into a leaf, podctl-init, as crun does, and
// the pods go below podctl/. With another process there it refuses,
// naming it. It needs root, to delegate a fresh cgroup to the user named
// by PODCTL_TEST_DELEGATEE (the VM's root stage sets it).
func TestCgroupV2InitLeaf(t *testing.T) {
	requireCgroup2(t)
	name := os.Getenv("PODCTL_TEST_DELEGATEE")
	if os.Getuid() != 0 || name == "" {
		t.Skip("needs root and PODCTL_TEST_DELEGATEE, a user to delegate a cgroup to: the VM's root stage")
	}
	leakCheck(t)
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	deleg := freshDelegation(t, u)
	cg, err := cgroups.OpenDir(deleg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cg.Close() })
	runtime, err := os.MkdirTemp("", "podctl-delegated-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	uid, _ := strconv.Atoi(u.Uid)
	if err := os.Chown(runtime, uid, -1); err != nil {
		t.Fatal(err)
	}
	podsDir := filepath.Join(runtime, "podctl", "pods")

	// Another process in the delegated cgroup: podctl must not move it.
	other := exec.Command("sleep", "1000")
	other.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cg.Fd())}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	r := asUser(t, u, runtime, cg, "run", "--rm", "--network", "none", "--rootfs", rootfs, "--", "true")
	other.Process.Kill()
	other.Wait()
	if want := "process " + strconv.Itoa(other.Process.Pid) + " is in it"; r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("with another process in %s: exit %d, %q; want an error with %q", deleg, r.code, r.stderr, want)
	}

	// podctl alone there (the command, then the supervisor it starts):
	// it steps into podctl-init, where later commands run (the kernel
	// puts no process in a cgroup with controllers enabled for its
	// children any more).
	r = asUser(t, u, runtime, cg, "run", "-d", "--name", "initleaf", "--network", "none", "--memory", "64m",
		"--rootfs", rootfs, "--", "sleep", "1000")
	initLeaf, err := cgroups.OpenDir(filepath.Join(deleg, "podctl-init"))
	if err != nil {
		t.Fatalf("podctl run -d as %s alone in %s: exit %d, %s; and %v", name, deleg, r.code, r.stderr, err)
	}
	t.Cleanup(func() {
		asUser(t, u, runtime, initLeaf, "rm", "-f", "initleaf")
		initLeaf.Close()
	})
	if r.code != 0 {
		t.Fatalf("podctl run -d as %s alone in %s: exit %d, %s", name, deleg, r.code, r.stderr)
	}
	if got := readCgroupFile(t, deleg, "cgroup.procs"); got != "" {
		t.Errorf("%s/cgroup.procs = %q, want no process of its own", deleg, got)
	}
	on := strings.Fields(readCgroupFile(t, deleg, "cgroup.subtree_control"))
	for _, c := range cgroups.Known {
		if !slices.Contains(on, c) {
			t.Errorf("%s/cgroup.subtree_control = %v, without %s", deleg, on, c)
		}
	}
	st, err := model.ReadStateFile(filepath.Join(podsDir, "initleaf"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := procCgroup(t, st.Supervisor.PID), cgroupPath(filepath.Join(deleg, "podctl-init")); got != want {
		t.Errorf("the supervisor (pid %d) is in %q, want %q", st.Supervisor.PID, got, want)
	}
	if got, want := filepath.Dir(st.Cgroup), filepath.Join(deleg, "podctl"); got != want {
		t.Errorf("the pod's cgroup %s is not in %s", st.Cgroup, want)
	}
	if got := readCgroupFile(t, filepath.Join(st.Cgroup, "initleaf"), "memory.max"); got != "67108864" {
		t.Errorf("the container's memory.max = %q, want 64 MiB", got)
	}
	if r := asUser(t, u, runtime, initLeaf, "rm", "-f", "initleaf"); r.code != 0 {
		t.Fatalf("rm -f: exit %d, %s", r.code, r.stderr)
	}
	cgroupGone(t, st.Cgroup, "rm -f")
}
