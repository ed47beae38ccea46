package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// kill -9 of podctl at every moment of a pod's creation, foreground and
// detached: whatever was made, ps tells the truth about it and gc plus
// rm -f remove all of it (the leak check).
func TestKilledDuringCreation(t *testing.T) {
	leakCheck(t)
	for i, delay := range []time.Duration{0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40} {
		for _, detach := range []bool{false, true} {
			name := fmt.Sprintf("killed-%d-%v", i, detach)
			args := []string{"run", "--name", name, "--rootfs", rootfs, "--", "sleep", "1000"}
			if detach {
				args = append([]string{"run", "-d"}, args[1:]...)
			}
			cmd := exec.Command(podctl, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			// What is left, ps reports: never an error, never a lie
			// about a running pod whose processes are gone.
			if r := run(t, "ps", "-a"); r.code != 0 {
				t.Errorf("%s: ps -a: %d %s", name, r.code, r.stderr)
			}
		}
	}
	// A detached supervisor that got its request survives its command:
	// those pods run; the others are leftovers for gc.
	run(t, "gc")
	for i := 0; i < 15; i++ {
		for _, d := range []string{"false", "true"} {
			run(t, "rm", "-f", fmt.Sprintf("killed-%d-%s", i, d))
		}
	}
	if left := listDir(stateDir()); len(left) != 0 {
		t.Errorf("left in the state directory: %v", left)
	}
}

// A corrupt or truncated state file is reported by name with its fix, and
// rm -f (or gc) removes the pod.
func TestCorruptState(t *testing.T) {
	leakCheck(t)
	for _, content := range []string{"{\"spec\": {\"name\": \"corr", "not json at all", ""} {
		podRm(t, "corrupt")
		mustRun(t, "run", "--name", "corrupt", "--rootfs", rootfs, "--", "true")
		path := filepath.Join(stateDir(), "corrupt", "state.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, "inspect", "corrupt")
		if r.code != 125 || !strings.Contains(r.stderr, "corrupt state "+path) || !strings.Contains(r.stderr, "podctl rm -f") {
			t.Errorf("inspect of %q: %d %q", content, r.code, r.stderr)
		}
		if r := run(t, "ps", "-a"); r.code != 0 {
			t.Errorf("ps -a with a corrupt state: %d %q", r.code, r.stderr)
		}
		if r := run(t, "rm", "-f", "corrupt"); r.code != 0 {
			t.Errorf("rm -f of a corrupt pod: %d %q", r.code, r.stderr)
		}
	}
}

// Without newuidmap (here: not on PATH) podctl still runs, with a single-id
// map, and says why and how to fix it, once.
func TestNoNewuidmap(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root uses an identity map, without the helpers")
	}
	leakCheck(t)
	cmd := exec.Command(podctl, "run", "--rm", "--rootfs", rootfs, "--", "sh", "-c", "cat /proc/self/uid_map")
	cmd.Env = append(os.Environ(), "PATH=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if f := strings.Fields(string(out)); strings.Count(string(out), "podctl: notice:") != 1 ||
		!strings.Contains(string(out), "not found") || !strings.Contains(string(out), "apt-get install uidmap") ||
		f[len(f)-1] != "1" {
		t.Errorf("without newuidmap: %q", out)
	}
}

// Where user namespaces cannot be made (here: user.max_user_namespaces
// lowered inside a namespace of the test's own, so that one more level is
// refused), podctl says what is missing and how to allow it, and leaves
// nothing behind.
func TestUserNamespacesDisabled(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("run rootless: the test maps its own uid back in a nested namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare (util-linux)")
	}
	leakCheck(t)
	script := fmt.Sprintf(`echo 1 > /proc/sys/user/max_user_namespaces &&
exec unshare -U --map-user=%d --map-group=%d %s run --rm --rootfs %s -- true`, os.Getuid(), os.Getgid(), podctl, rootfs)
	out, err := exec.Command("unshare", "-U", "-r", "sh", "-c", script).CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 125 {
		t.Fatalf("want exit 125, got %v: %s", err, out)
	}
	lines := errorLines(string(out))
	if len(lines) != 1 || !strings.Contains(lines[0], "unshare(CLONE_NEWUSER)") || !strings.Contains(lines[0], "user.max_user_namespaces") {
		t.Errorf("want one error naming the failed call and the sysctl: %q", out)
	}
}

// podctl doctor, where user namespaces cannot be made (as above), says so,
// with the fix, and exits 1; where they can, it exits 0.
func TestDoctor(t *testing.T) {
	leakCheck(t)
	r := run(t, "doctor", "--format", "json")
	var checks []struct{ Name, Status, Detail, Fix string }
	if err := json.Unmarshal([]byte(r.stdout), &checks); err != nil {
		t.Fatalf("doctor --format json: %v: %s", err, r.stdout)
	}
	byName := map[string]string{}
	for _, c := range checks {
		byName[c.Name] = c.Status
		if c.Status != "ok" && c.Fix == "" && c.Name != "id mapping" {
			t.Errorf("%s: %s without a fix: %s", c.Name, c.Status, c.Detail)
		}
	}
	for _, name := range []string{"kernel", "user namespaces", "id mapping", "cgroups", "podctl-store", "podctl-image", "state directory"} {
		if byName[name] == "" {
			t.Errorf("doctor does not check %s: %v", name, byName)
		}
	}
	if byName["user namespaces"] != "ok" || r.code != 0 {
		t.Errorf("doctor here: user namespaces %q, exit %d: %s", byName["user namespaces"], r.code, r.stderr)
	}
	if os.Getuid() == 0 {
		return
	}
	script := fmt.Sprintf(`echo 1 > /proc/sys/user/max_user_namespaces &&
exec unshare -U --map-user=%d --map-group=%d %s doctor`, os.Getuid(), os.Getgid(), podctl)
	out, err := exec.Command("unshare", "-U", "-r", "sh", "-c", script).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("doctor without user namespaces: want exit 1, got %v: %s", err, out)
	}
	if !strings.Contains(string(out), "fail  user namespaces") || !strings.Contains(string(out), "max_user_namespaces") {
		t.Errorf("doctor without user namespaces does not say so:\n%s", out)
	}
}

// Deleting a pod's supervisor.lock does not make podctl declare its live
// supervisor gone (issue 19 item 4: ps said SupervisorLost and gc removed
// the running pod): the lock answers "alive" while it is held, and the
// supervisor recorded in state.json, by pid and start time, when it is not.
func TestSupervisorLockDeleted(t *testing.T) {
	leakCheck(t)
	podRm(t, "nolock")
	mustRun(t, "run", "-d", "--name", "nolock", "--rootfs", rootfs, "--", "sleep", "1000")
	if err := os.Remove(filepath.Join(stateDir(), "nolock", "supervisor.lock")); err != nil {
		t.Fatal(err)
	}
	if st := state(t, "nolock"); st.Phase != model.PhaseRunning || st.Reason != "" {
		t.Errorf("with its supervisor.lock deleted: phase %s, reason %q", st.Phase, st.Reason)
	}
	if out := mustRun(t, "gc"); strings.Contains(out, "nolock") {
		t.Errorf("gc removed a running pod: %q", out)
	}
	if r := run(t, "exec", "nolock", "--", "true"); r.code != 0 {
		t.Errorf("exec after gc: %d %s", r.code, r.stderr)
	}
	st := state(t, "nolock")
	mustRun(t, "stop", "nolock")
	if st2 := state(t, "nolock"); st2.Phase != model.PhaseFailed {
		t.Errorf("after stop: phase %s, reason %q, message %q", st2.Phase, st2.Reason, st2.Message)
	}
	if syscall.Kill(st.Supervisor.PID, 0) == nil && !model.ProcEnded(st.Supervisor.PID) {
		t.Errorf("the supervisor runs on after stop")
	}
	mustRun(t, "rm", "nolock")
}

// What podctl reads back from a pod's directory is input (issue 19 item
// 2): a symlink in place of state.lock, a log or state.json is refused,
// never followed out of the state directory; names read from state.json
// are checked as strictly as the user's own. Each says "corrupt state"
// with its fix, and rm -f removes the pod.
func TestStateSymlinksAndNames(t *testing.T) {
	leakCheck(t)
	outside := t.TempDir()
	podRm(t, "stsym")
	mustRun(t, "run", "-d", "--name", "stsym", "--rootfs", rootfs, "--", "sh", "-c", "echo mine; sleep 1000")
	dir := filepath.Join(stateDir(), "stsym")
	st := state(t, "stsym")
	eventually(t, "the log", func() bool { return strings.Contains(run(t, "logs", "stsym").stdout, "mine") })

	// A dangling state.lock: stop (without its supervisor, which takes the
	// state lock itself) must not create the file it points to.
	lockTarget := filepath.Join(outside, "created-by-podctl")
	os.Remove(filepath.Join(dir, "state.lock"))
	if err := os.Symlink(lockTarget, filepath.Join(dir, "state.lock")); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
	eventually(t, "SupervisorLost", func() bool { return state(t, "stsym").Reason == "SupervisorLost" })
	if r := run(t, "stop", "stsym"); r.code != 0 {
		t.Errorf("stop with a symlinked state.lock: %d %s", r.code, r.stderr)
	}
	if _, err := os.Lstat(lockTarget); err == nil {
		t.Errorf("stop created %s through the symlinked state.lock", lockTarget)
	}

	// A log that is a symlink to another file is not read.
	secret := filepath.Join(outside, "secret.log")
	os.WriteFile(secret, []byte("2026-01-01T00:00:00Z stdout F not-the-pods\n"), 0o600)
	logFile := filepath.Join(dir, "logs", st.Containers[0].Spec.Name, "0.log")
	os.Remove(logFile)
	os.Symlink(secret, logFile)
	if r := run(t, "logs", "stsym"); r.code == 0 || strings.Contains(r.stdout, "not-the-pods") || !strings.Contains(r.stderr, "corrupt state") {
		t.Errorf("logs through a symlinked log: %d %q %q", r.code, r.stdout, r.stderr)
	}

	// A container name that climbs out of the pod's directory.
	b, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	var raw map[string]any
	json.Unmarshal(b, &raw)
	ctrs := raw["containers"].([]any)
	ctrs[0].(map[string]any)["spec"].(map[string]any)["name"] = "../../../../" + filepath.Base(outside)
	b, _ = json.Marshal(raw)
	os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600)
	for _, args := range [][]string{{"logs", "stsym"}, {"inspect", "stsym"}} {
		if r := run(t, args...); r.code == 0 || !strings.Contains(r.stderr, "corrupt state") || !strings.Contains(r.stderr, "podctl rm -f stsym") {
			t.Errorf("%v with a container named ../..: %d %q", args, r.code, r.stderr)
		}
	}
	if r := run(t, "ps", "-a"); r.code != 0 || strings.Contains(r.stdout, "../") {
		t.Errorf("ps -a with a container named ../..: %d %q %q", r.code, r.stdout, r.stderr)
	}

	// state.json itself a symlink (to a copy of a valid state).
	copyState := filepath.Join(outside, "state.json")
	os.WriteFile(copyState, b, 0o600)
	os.Remove(filepath.Join(dir, "state.json"))
	os.Symlink(copyState, filepath.Join(dir, "state.json"))
	if r := run(t, "inspect", "stsym"); r.code == 0 || !strings.Contains(r.stderr, "corrupt state") {
		t.Errorf("inspect of a symlinked state.json: %d %q", r.code, r.stderr)
	}
	mustRun(t, "rm", "-f", "stsym")
	if _, err := os.Stat(copyState); err != nil {
		t.Errorf("rm -f removed the symlinked state's target: %v", err)
	}
}

// rm -f and gc end every process of a pod whatever its state file holds
// (issue 19 item 3: with state.json truncated, rm -f failed recommending
// rm -f, gc returned 0 and left the pod, and its pause ran forever).
func TestCorruptStateOfRunningPod(t *testing.T) {
	leakCheck(t)
	for _, how := range []string{"rm", "gc"} {
		pod := "corrupt-running-" + how
		podRm(t, pod)
		// Two containers, one in a pid namespace of its own (found by
		// the pause's other namespaces, not by its pid namespace).
		mustRun(t, "pod", "create", pod, "--restart", "always", "--share-pid=false")
		mustRun(t, "run", "-d", "--pod", pod, "--name", "a", "--rootfs", rootfs, "--", "sleep", "1000")
		mustRun(t, "run", "-d", "--pod", pod, "--name", "b", "--rootfs", rootfs, "--", "sleep", "1000")
		st := state(t, pod)
		pids := []int{st.Pause.PID, st.Supervisor.PID}
		for _, c := range st.Containers {
			pids = append(pids, c.Proc.PID)
		}
		if how == "gc" {
			syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
			eventually(t, "SupervisorLost", func() bool { return state(t, pod).Reason == "SupervisorLost" })
		}
		path := filepath.Join(stateDir(), pod, "state.json")
		if err := os.WriteFile(path, []byte(`{"spec": {"name": "corr`), 0o600); err != nil {
			t.Fatal(err)
		}
		if how == "rm" {
			if r := run(t, "rm", "-f", pod); r.code != 0 {
				t.Errorf("rm -f of a running pod with a truncated state: %d %s", r.code, r.stderr)
			}
		} else if out := mustRun(t, "gc"); !strings.Contains(out, pod) {
			t.Errorf("gc left a pod with a truncated state and no supervisor: %q", out)
		}
		if _, err := os.Lstat(filepath.Join(stateDir(), pod)); err == nil {
			t.Errorf("%s: the pod's directory is left", how)
		}
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil && !model.ProcEnded(pid) {
				t.Errorf("%s: pid %d of the pod runs on", how, pid)
			}
		}
	}
}

// A supervisor that cannot read its state when it resumes from its keeper
// ends its pod instead of walking away from it (the pause re-parented to
// init, running forever). Hibernation only: awake, the supervisor keeps its
// state in memory and rewrites the file.
func TestCorruptStateResume(t *testing.T) {
	if os.Getenv("PODCTL_HIBERNATE_AFTER") == "" {
		t.Skip("needs hibernating supervisors (PODCTL_HIBERNATE_AFTER)")
	}
	leakCheck(t)
	podRm(t, "corrupt-resume")
	mustRun(t, "run", "-d", "--restart", "always", "--name", "corrupt-resume", "--rootfs", rootfs, "--", "sleep", "1000")
	st := state(t, "corrupt-resume")
	eventually(t, "hibernation", func() bool { return hibernated(st.Supervisor.PID) })
	os.WriteFile(filepath.Join(stateDir(), "corrupt-resume", "state.json"), []byte("not json"), 0o600)
	// The container's end wakes the keeper, which resumes the supervisor.
	syscall.Kill(st.Containers[0].Proc.PID, syscall.SIGKILL)
	eventually(t, "the pod's end", func() bool {
		return (syscall.Kill(st.Pause.PID, 0) != nil || model.ProcEnded(st.Pause.PID)) &&
			(syscall.Kill(st.Supervisor.PID, 0) != nil || model.ProcEnded(st.Supervisor.PID))
	})
	if r := run(t, "rm", "-f", "corrupt-resume"); r.code != 0 {
		t.Errorf("rm -f: %d %s", r.code, r.stderr)
	}
}
