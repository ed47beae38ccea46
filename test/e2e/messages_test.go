package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// Messages between podctl's processes carry what the user gave, whatever
// its size (issue 19 item 5: a 60 kB environment variable failed as
// "unexpected end of JSON input", a pod of 300 containers as "message too
// long"): the init's configuration (run in the foreground), the detached
// supervisor's request (run -d), the control socket's add (run --pod) and
// exec. A string execve(2) would refuse is refused before anything starts,
// naming it.
func TestLargeMessages(t *testing.T) {
	leakCheck(t)
	big := strings.Repeat("b", 60000)
	if r := podRun(t, []string{"-e", "BIG=" + big}, sh(`echo ${#BIG}`)...); r.code != 0 || strings.TrimSpace(r.stdout) != "60000" {
		t.Errorf("run with a 60 kB variable: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	podRm(t, "msgs")
	mustRun(t, "run", "-d", "--name", "msgs", "-e", "BIG="+big, "--rootfs", rootfs, "--", "sleep", "1000")
	if r := run(t, "exec", "msgs", "--", "sh", "-c", `echo ${#BIG}`); strings.TrimSpace(r.stdout) != "60000" {
		t.Errorf("run -d with a 60 kB variable: the container sees %q bytes (%s)", r.stdout, r.stderr)
	}
	twice := "BIG2=" + big + big
	r := run(t, "run", "--rm", "--pod", "msgs", "--rootfs", rootfs, "-e", twice, "--", "sh", "-c", `echo ${#BIG2}`)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "120000" {
		t.Errorf("run --pod with a 120 kB variable: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, "exec", "-e", "BIG3="+big, "msgs", "--", "sh", "-c", `echo ${#BIG3}`)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "60000" {
		t.Errorf("exec with a 60 kB variable: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "rm", "-f", "msgs")

	// Too long for execve: a manifest can hold it (podctl's own command
	// line could not), and is refused by the field's path.
	huge := writeManifest(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - name: c
    image: %s
    command: ["true"]
    env:
    - {name: HUGE, value: %q}
`, kubeImage, strings.Repeat("h", 140000)))
	r = run(t, "apply", "-f", huge)
	if r.code == 0 || !strings.Contains(r.stderr, "spec.containers[0].env[0].value") || !strings.Contains(r.stderr, "MAX_ARG_STRLEN") {
		t.Errorf("apply of a 140 kB variable: exit %d, %q", r.code, r.stderr)
	}
}

// A pod of 300 containers is applied, runs, and is removed: its spec is
// far larger than one datagram.
func TestApplyManyContainers(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	const n = 300
	manifest := manyContainers(t, "many", n)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	start := time.Now()
	mustRun(t, "apply", "-f", manifest)
	t.Logf("apply of %d containers: %v", n, time.Since(start))
	st := state(t, "many")
	running := 0
	for _, c := range st.Containers {
		if c.State.Running != nil {
			running++
		}
	}
	if len(st.Containers) != n || running != n {
		t.Errorf("%d containers, %d running, want %d", len(st.Containers), running, n)
	}
	// More than the keeper holds (nsenter.MaxKept): idle, the supervisor
	// stays awake and watching.
	time.Sleep(3 * time.Second)
	if syscall.Kill(st.Supervisor.PID, 0) != nil || model.ProcEnded(st.Supervisor.PID) || hibernated(st.Supervisor.PID) {
		t.Errorf("the supervisor of a pod of %d containers exited or hibernated while idle", n)
	}
	start = time.Now()
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)
	t.Logf("delete: %v", time.Since(start))
}

// A pod of many containers hibernates and is still supervised: the keeper
// holds a bounded number of containers (nsenter.MaxKept), and a supervisor
// with more stays awake instead (it used to hand the keeper a list it could
// not parse, and the keeper exited: SupervisorLost).
func TestKeeperManyContainers(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	const n = 40
	manifest := manyContainers(t, "manykept", n)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "-f", manifest)
	st := state(t, "manykept")
	// Long enough for a supervisor to hibernate (PODCTL_HIBERNATE_AFTER
	// in the hibernate stage; 2 s by default).
	time.Sleep(3 * time.Second)
	if syscall.Kill(st.Supervisor.PID, 0) != nil || model.ProcEnded(st.Supervisor.PID) {
		t.Fatalf("the supervisor of a pod of %d containers exited while idle", n)
	}
	victim := ctr(t, st, "c39")
	syscall.Kill(victim.Proc.PID, syscall.SIGKILL)
	eventually(t, "the restart of c39", func() bool {
		c := ctr(t, state(t, "manykept"), "c39")
		return c.RestartCount == 1 && c.State.Running != nil
	})
	if st := state(t, "manykept"); st.Phase != model.PhaseRunning {
		t.Errorf("phase %s, reason %q", st.Phase, st.Reason)
	}
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)
}

// manyContainers writes a manifest of pod name with n containers c0, c1...
// that sleep.
func manyContainers(t *testing.T, name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n", name)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: c%d, image: %s, command: [sleep, \"1000\"]}\n", i, kubeImage)
	}
	return writeManifest(t, b.String())
}
