package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// mustRun runs podctl and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("podctl %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// state reads a pod's state as podctl's commands see it (observed).
func state(t *testing.T, pod string) *model.PodState {
	t.Helper()
	st, _, err := model.Observe(pod)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// eventually polls cond for up to 10 s; what it waits for is the pod's
// own doing (a restart, an exit), not a timing claim.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func ctr(t *testing.T, st *model.PodState, name string) *model.ContainerStatus {
	t.Helper()
	c, err := model.FindContainer(st, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// podRm removes a pod at the end of a test, whatever happened.
func podRm(t *testing.T, pod string) {
	t.Cleanup(func() { run(t, "rm", "-f", pod) })
}

// A detached pod outlives the command that made it: podctl run -d returns,
// the supervisor and pause keep it, and ps tells the truth at each step.
func TestDetachedRunStopRemove(t *testing.T) {
	leakCheck(t)
	podRm(t, "bg")
	if out := mustRun(t, "run", "-d", "--name", "bg", "--rootfs", rootfs, "--", "sleep", "1000"); strings.TrimSpace(out) != "bg" {
		t.Errorf("run -d printed %q, want the pod name", out)
	}
	st := state(t, "bg")
	if st.Phase != model.PhaseRunning || st.Condition("Ready") != "True" || st.Condition("Initialized") != "True" {
		t.Fatalf("phase %s, conditions %+v", st.Phase, st.Conditions)
	}
	c := ctr(t, st, "bg")
	if c.State.Running == nil || c.State.Running.StartedAt.IsZero() || c.Proc.PID <= 0 {
		t.Fatalf("container state %+v", c.State)
	}
	// The supervisor is a process of its own, not the command we ran;
	// every podctl process is named by its role (ps, strace -f).
	if st.Supervisor.PID <= 0 || syscall.Kill(st.Supervisor.PID, 0) != nil {
		t.Fatalf("no live supervisor in %+v", st.Supervisor)
	}
	for pid, want := range map[int]string{st.Supervisor.PID: "podctl-supervis|podctl-keeper", st.Pause.PID: "podctl-pause"} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if got := strings.TrimSpace(string(b)); !strings.Contains("|"+want+"|", "|"+got+"|") {
			t.Errorf("pid %d is named %q, want %s", pid, got, want)
		}
	}
	ps := mustRun(t, "ps")
	if !regexp.MustCompile(`(?m)^bg\s+1/1\s+Running\s+0\s+\d+s$`).MatchString(ps) {
		t.Errorf("ps:\n%s", ps)
	}
	if r := run(t, "rm", "bg"); r.code != 125 || !strings.Contains(r.stderr, "is running") {
		t.Errorf("rm of a running pod: exit %d, %q", r.code, r.stderr)
	}
	mustRun(t, "stop", "bg")
	st = state(t, "bg")
	c = ctr(t, st, "bg")
	// SIGTERM killed sleep: 128+15, reason Error, as the kubelet says.
	if st.Phase != model.PhaseFailed || c.State.Terminated == nil || c.State.Terminated.ExitCode != 143 ||
		c.State.Terminated.Reason != "Error" || c.State.Terminated.Signal != 15 {
		t.Errorf("after stop: phase %s, state %+v", st.Phase, c.State.Terminated)
	}
	if st.Pause.PID != 0 || st.Condition("Ready") != "False" {
		t.Errorf("after stop: pause %+v, ready %s", st.Pause, st.Condition("Ready"))
	}
	if ps := mustRun(t, "ps"); strings.Contains(ps, "bg") {
		t.Errorf("ps without -a lists an ended pod:\n%s", ps)
	}
	if ps := mustRun(t, "ps", "-a"); !strings.Contains(ps, "bg") {
		t.Errorf("ps -a does not list the ended pod:\n%s", ps)
	}
	mustRun(t, "rm", "bg")
	if r := run(t, "inspect", "bg"); r.code != 125 || !strings.Contains(r.stderr, `no pod named "bg"`) {
		t.Errorf("inspect after rm: %d %q", r.code, r.stderr)
	}
}

// Containers of a pod share its network, IPC and UTS namespaces (the
// pause's inodes) and, by default, its pid namespace with the pause as
// PID 1; each has its own mount namespace. --share-pid=false gives each
// its own pid namespace, where the workload is PID 1.
func TestPodSharesNamespaces(t *testing.T) {
	leakCheck(t)
	for _, share := range []bool{true, false} {
		pod := fmt.Sprintf("shared-%v", share)
		podRm(t, pod)
		mustRun(t, "pod", "create", pod, fmt.Sprintf("--share-pid=%v", share))
		mustRun(t, "run", "-d", "--pod", pod, "--name", "a", "--rootfs", rootfs, "--", "sleep", "1000")
		mustRun(t, "run", "-d", "--pod", pod, "--name", "b", "--rootfs", rootfs, "--", "sleep", "1000")
		st := state(t, pod)
		pause := strconv.Itoa(st.Pause.PID)
		ns := map[string][]string{}
		for _, name := range []string{"a", "b"} {
			out := mustRun(t, "exec", "-c", name, pod, "--", "sh", "-c",
				"for n in net ipc uts pid mnt; do readlink /proc/self/ns/$n; done; cat /proc/1/comm")
			ns[name] = strings.Fields(out)
			if len(ns[name]) != 6 {
				t.Fatalf("exec in %s: %q", name, out)
			}
			// exec joins the container's own mount namespace.
			if want := nsInode(t, strconv.Itoa(ctr(t, st, name).Proc.PID), "mnt"); ns[name][4] != want {
				t.Errorf("%s: exec's mnt %s, the container's %s", name, ns[name][4], want)
			}
		}
		for i, n := range []string{"net", "ipc", "uts"} {
			if p := nsInode(t, pause, n); ns["a"][i] != p || ns["b"][i] != p {
				t.Errorf("%s: %s namespaces %s, %s; pause %s", pod, n, ns["a"][i], ns["b"][i], p)
			}
		}
		if ns["a"][4] == ns["b"][4] {
			t.Errorf("%s: containers share a mount namespace %s", pod, ns["a"][4])
		}
		pidPause := nsInode(t, pause, "pid")
		if share {
			if ns["a"][3] != pidPause || ns["b"][3] != pidPause || ns["a"][5] != "podctl-pause" {
				t.Errorf("shared pid: %v %v, pause %s", ns["a"], ns["b"], pidPause)
			}
		} else {
			if ns["a"][3] == pidPause || ns["a"][3] == ns["b"][3] || ns["a"][5] != "sleep" {
				t.Errorf("own pid namespaces: %v %v, pause %s", ns["a"], ns["b"], pidPause)
			}
		}
		top := mustRun(t, "top", pod)
		if !regexp.MustCompile(`(?m)^a\s+\d+\s+\d+\s+0\s+sleep 1000$`).MatchString(top) ||
			!regexp.MustCompile(`(?m)^\(pause\)\s+1\s+\d+\s+0\s+podctl-pause `+regexp.QuoteMeta(pod)+`$`).MatchString(top) {
			t.Errorf("top %s:\n%s", pod, top)
		}
		mustRun(t, "rm", "-f", pod)
	}
}

// Restart policies with real exit codes, and Kubernetes' crash back-off:
// the first restart is immediate, the next waits 10 s (CrashLoopBackOff).
func TestRestartPolicies(t *testing.T) {
	leakCheck(t)
	cases := []struct {
		policy, script string
		restarts       bool
		phase          string
	}{
		{"never", "exit 3", false, model.PhaseFailed},
		{"on-failure", "exit 0", false, model.PhaseSucceeded},
		{"on-failure", "exit 3", true, model.PhaseRunning},
		{"always", "exit 0", true, model.PhaseRunning},
	}
	for i, c := range cases {
		pod := fmt.Sprintf("restart-%d", i)
		podRm(t, pod)
		mustRun(t, "pod", "create", "--restart", c.policy, pod)
		mustRun(t, "run", "-d", "--pod", pod, "--name", "w", "--rootfs", rootfs, "--", "sh", "-c", "echo run; "+c.script)
		code, _ := strconv.Atoi(strings.Fields(c.script)[1])
		if !c.restarts {
			eventually(t, pod+" terminated", func() bool { return ctr(t, state(t, pod), "w").State.Terminated != nil })
			st := state(t, pod)
			w := ctr(t, st, "w")
			if w.State.Terminated.ExitCode != code || w.RestartCount != 0 || st.Phase != c.phase {
				t.Errorf("%s/%s: phase %s, restarts %d, terminated %+v", c.policy, c.script, st.Phase, w.RestartCount, w.State.Terminated)
			}
			continue
		}
		// Restarted once right away, then waiting out the back-off.
		eventually(t, pod+" in back-off", func() bool {
			w := ctr(t, state(t, pod), "w")
			return w.RestartCount == 1 && w.State.Waiting != nil
		})
		st := state(t, pod)
		w := ctr(t, st, "w")
		if w.State.Waiting.Reason != "CrashLoopBackOff" || !strings.Contains(w.State.Waiting.Message, "back-off 10s") ||
			w.LastState.Terminated == nil || w.LastState.Terminated.ExitCode != code || st.Phase != c.phase {
			t.Errorf("%s/%s: phase %s, state %+v, last %+v", c.policy, c.script, st.Phase, w.State.Waiting, w.LastState.Terminated)
		}
		if ps := mustRun(t, "ps"); !regexp.MustCompile(`(?m)^` + pod + `\s+0/1\s+CrashLoopBackOff\s+1\s`).MatchString(ps) {
			t.Errorf("ps:\n%s", ps)
		}
		// Both runs logged, each in its own file; --previous reads the first.
		if out := mustRun(t, "logs", "--previous", pod); out != "run\n" {
			t.Errorf("logs --previous: %q", out)
		}
		mustRun(t, "rm", "-f", pod)
	}
}

// A failed init container is retried under restartPolicy OnFailure, as
// the kubelet does (docs/architecture.md), and the app container starts
// once the retry succeeds. The init container fails on its first run only
// (a mark in a volume says it ran).
func TestInitContainerRetried(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	podRm(t, "init-retry")
	mustRun(t, "pod", "create", "--network", "none", "--restart", "on-failure", "init-retry")
	mustRun(t, "run", "-d", "--pod", "init-retry", "--init", "--name", "flaky", "-v", dir+":/w", "--rootfs", rootfs, "--",
		"sh", "-c", "if [ -e /w/tried ]; then echo second; else touch /w/tried; echo first; exit 1; fi")
	mustRun(t, "run", "-d", "--pod", "init-retry", "--name", "app", "--rootfs", rootfs, "--", "sleep", "1000")
	eventually(t, "the app container running after the init container's retry", func() bool {
		return ctr(t, state(t, "init-retry"), "app").State.Running != nil
	})
	f := ctr(t, state(t, "init-retry"), "flaky")
	if f.RestartCount != 1 || f.State.Terminated == nil || f.State.Terminated.ExitCode != 0 ||
		f.LastState.Terminated == nil || f.LastState.Terminated.ExitCode != 1 {
		t.Errorf("the init container: %d restarts, state %+v, last %+v; want 1, exit 0 after exit 1", f.RestartCount, f.State, f.LastState)
	}
	if out := mustRun(t, "logs", "--previous", "init-retry", "-c", "flaky"); out != "first\n" {
		t.Errorf("the failed run's log: %q", out)
	}
	if out := mustRun(t, "logs", "init-retry", "-c", "flaky"); out != "second\n" {
		t.Errorf("the retry's log: %q", out)
	}
}

// The kubelet's crash back-off (docs/architecture.md): the first restart at
// once, the second 10 s after the exit before it. Each run writes a line to
// its own CRI log (logs/w/N.log), whose timestamp says when it started;
// the bounds tell the 10 s honoured from skipped or doubled, not a speed.
// The hibernating stage runs this too: the keeper must wake for the
// back-off deadline.
func TestRestartBackOffSchedule(t *testing.T) {
	leakCheck(t)
	podRm(t, "backoff")
	mustRun(t, "pod", "create", "--network", "none", "--restart", "always", "backoff")
	mustRun(t, "run", "-d", "--pod", "backoff", "--name", "w", "--rootfs", rootfs, "--", "sh", "-c", "echo run; exit 1")
	restarts := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for ctr(t, state(t, "backoff"), "w").RestartCount < n {
			if time.Now().After(deadline) {
				t.Fatalf("no restart %d within 30 s: %+v", n, ctr(t, state(t, "backoff"), "w").State)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Each run's first line; a run's log is kept until the one after
	// the next (the previous run's file stays), so each is read in time.
	started := func(n int) time.Time {
		t.Helper()
		var b []byte
		eventually(t, fmt.Sprintf("run %d's log line", n), func() bool {
			b, _ = os.ReadFile(filepath.Join(stateDir(), "backoff", "logs", "w", fmt.Sprintf("%d.log", n)))
			return len(b) > 0
		})
		ts, err := time.Parse(time.RFC3339Nano, strings.Fields(string(b))[0])
		if err != nil {
			t.Fatalf("run %d's log: %v: %q", n, err, b)
		}
		return ts
	}
	restarts(1)
	r0, r1 := started(0), started(1)
	restarts(2)
	r2 := started(2)
	if gap := r1.Sub(r0); gap > 5*time.Second {
		t.Errorf("the first restart came %s after the first run, want at once", gap)
	}
	if gap := r2.Sub(r1); gap < 9*time.Second || gap > 15*time.Second {
		t.Errorf("the second restart came %s after the first, want the 10 s back-off", gap)
	}
}

// Init containers run one at a time, in order, each to completion, before
// any app container; a failing one fails the pod under restartPolicy Never
// and the app container never starts. (i1 sleeps 3 s so that it still runs
// while i2 and app are added, even on a loaded 2-CPU machine: with 0.3 s
// it once ended first.)
func TestInitContainers(t *testing.T) {
	leakCheck(t)
	podRm(t, "init-ok")
	mustRun(t, "pod", "create", "init-ok")
	mustRun(t, "run", "-d", "--pod", "init-ok", "--init", "--name", "i1", "--rootfs", rootfs, "--", "sh", "-c", "sleep 3; echo one")
	mustRun(t, "run", "-d", "--pod", "init-ok", "--init", "--name", "i2", "--rootfs", rootfs, "--", "sh", "-c", "echo two")
	st := state(t, "init-ok")
	if i2 := ctr(t, st, "i2"); i2.State.Waiting == nil || st.Condition("Initialized") != "False" {
		t.Errorf("i2 started while i1 ran: %+v", i2.State)
	}
	mustRun(t, "run", "-d", "--pod", "init-ok", "--name", "app", "--rootfs", rootfs, "--", "sleep", "1000")
	if ps := mustRun(t, "ps"); !regexp.MustCompile(`init-ok\s+0/1\s+Init:0/2`).MatchString(ps) {
		t.Errorf("ps while initializing:\n%s", ps)
	}
	mustRun(t, "wait", "init-ok", "--for", "condition=Ready", "--timeout", "10s")
	st = state(t, "init-ok")
	i1, i2, app := ctr(t, st, "i1"), ctr(t, st, "i2"), ctr(t, st, "app")
	if i1.State.Terminated == nil || i2.State.Terminated == nil || app.State.Running == nil {
		t.Fatalf("states: %+v %+v %+v", i1.State, i2.State, app.State)
	}
	if i2.State.Terminated.StartedAt.Before(i1.State.Terminated.FinishedAt) ||
		app.State.Running.StartedAt.Before(i2.State.Terminated.FinishedAt) {
		t.Errorf("out of order: i1 %v-%v, i2 %v-%v, app %v", i1.State.Terminated.StartedAt, i1.State.Terminated.FinishedAt,
			i2.State.Terminated.StartedAt, i2.State.Terminated.FinishedAt, app.State.Running.StartedAt)
	}
	if out := mustRun(t, "logs", "init-ok", "-c", "i1"); out != "one\n" {
		t.Errorf("init container's log: %q", out)
	}
	if r := run(t, "run", "-d", "--pod", "init-ok", "--init", "--name", "late", "--rootfs", rootfs, "--", "true"); r.code != 125 ||
		!strings.Contains(r.stderr, "before its first app container") {
		t.Errorf("init container after the app started: %d %q", r.code, r.stderr)
	}
	mustRun(t, "rm", "-f", "init-ok")

	podRm(t, "init-fail")
	mustRun(t, "pod", "create", "--restart", "never", "init-fail")
	mustRun(t, "run", "-d", "--pod", "init-fail", "--init", "--name", "bad", "--rootfs", rootfs, "--", "sh", "-c", "sleep 0.3; exit 5")
	mustRun(t, "run", "-d", "--pod", "init-fail", "--name", "app", "--rootfs", rootfs, "--", "sleep", "1000")
	eventually(t, "init-fail Failed", func() bool { return state(t, "init-fail").Phase == model.PhaseFailed })
	st = state(t, "init-fail")
	if app := ctr(t, st, "app"); app.State.Waiting == nil || app.RestartCount != 0 {
		t.Errorf("the app container ran after a failed init: %+v", app.State)
	}
	if ps := mustRun(t, "ps", "-a"); !regexp.MustCompile(`init-fail\s+0/1\s+Init:Error`).MatchString(ps) {
		t.Errorf("ps:\n%s", ps)
	}
}

var criLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (stdout|stderr) (F|P) `)

// Output goes to a log file in the CRI format, one record per line.
func TestLogsCRIFormat(t *testing.T) {
	leakCheck(t)
	podRm(t, "logs")
	long := strings.Repeat("x", 20000)
	mustRun(t, "run", "--name", "logs", "--rootfs", rootfs, "--", "sh", "-c",
		"echo err1 >&2; sleep 0.2; echo out1; echo out2; printf '"+long+"\\n'; printf tail")
	raw, err := os.ReadFile(filepath.Join(stateDir(), "logs", "logs", "logs", "0.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Records per stream, in order (the two streams are two pipes, so
	// their interleaving is the scheduler's).
	recs := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if !criLine.MatchString(l) {
			t.Fatalf("not a CRI log line: %.80q", l)
		}
		f := strings.SplitN(l, " ", 4)
		recs[f[1]] = append(recs[f[1]], f[2]+" "+fmt.Sprint(len(f[3])))
	}
	// (err1 comes first, 0.2 s ahead, so that --tail 1 below is "tail".)
	// The 20000-byte line is cut at 16 KiB into a P record and an F one;
	// output without a final newline is an F record.
	if got, want := strings.Join(recs["stdout"], "|"), "F 4|F 4|P 16384|F 3616|F 4"; got != want {
		t.Errorf("stdout records %s, want %s", got, want)
	}
	if got, want := strings.Join(recs["stderr"], "|"), "F 4"; got != want {
		t.Errorf("stderr records %s, want %s", got, want)
	}
	if out := mustRun(t, "logs", "logs"); out != "out1\nout2\n"+long+"\ntail\n" {
		t.Errorf("logs: %.100q", out)
	}
	r := run(t, "logs", "logs", "--tail", "1", "--timestamps")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z tail\n$`).MatchString(r.stdout) {
		t.Errorf("logs --tail 1 --timestamps: %q", r.stdout)
	}
	if r := run(t, "logs", "logs"); r.stderr != "err1\n" {
		t.Errorf("stderr lines must come back on stderr: %q", r.stderr)
	}

	// -f follows a running container to its end.
	podRm(t, "follow")
	mustRun(t, "run", "-d", "--name", "follow", "--rootfs", rootfs, "--", "sh", "-c", "echo a; sleep 0.5; echo b")
	if out := mustRun(t, "logs", "-f", "follow"); out != "a\nb\n" {
		t.Errorf("logs -f: %q", out)
	}
}

// exec runs in the container: its namespaces (a tmpfs it mounted is
// visible), its user, environment and working directory; exit codes pass
// through; -t gives a pty, not the caller's terminal.
func TestExec(t *testing.T) {
	leakCheck(t)
	podRm(t, "ex")
	mustRun(t, "run", "-d", "--name", "ex", "-u", "alice", "-w", "/home/alice", "-e", "FOO=bar", "--rootfs", rootfs,
		"--", "sh", "-c", "echo ready")
	// An own mount, made by pod root in the container's mount namespace.
	podRm(t, "ex2")
	mustRun(t, "run", "-d", "--name", "ex2", "--cap-add", "SYS_ADMIN", "--rootfs", rootfs, "--", "sh", "-c",
		"mount -t tmpfs none /root && echo secret > /root/x && exec sleep 1000")
	eventually(t, "the mount", func() bool { return run(t, "exec", "ex2", "--", "cat", "/root/x").stdout == "secret\n" })
	if r := run(t, "exec", "ex2", "--", "sh", "-c", "exit 9"); r.code != 9 {
		t.Errorf("exit code: %d", r.code)
	}
	if r := run(t, "exec", "ex2", "--", "nosuchcmd"); r.code != 127 || !strings.Contains(r.stderr, "nosuchcmd") {
		t.Errorf("missing command: %d %q", r.code, r.stderr)
	}
	// A pty of the container's own devpts, owned by the command's user.
	if r := run(t, "exec", "-t", "-u", "1000", "ex2", "--", "sh", "-c", "test -t 0 && test -t 1 && tty && stat -c %u /dev/pts/0"); r.code != 0 ||
		strings.Fields(r.stdout)[0] != "/dev/pts/0" || strings.Fields(r.stdout)[1] != "1000" {
		t.Errorf("exec -t: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "exec", "ex2", "--", "sh", "-c", "test -t 0 || echo notty"); strings.TrimSpace(r.stdout) != "notty" {
		t.Errorf("exec without -t: %q", r.stdout)
	}
	// The first pod's container has ended: exec is refused by name.
	eventually(t, "ex ended", func() bool { return state(t, "ex").Phase == model.PhaseSucceeded })
	if r := run(t, "exec", "ex", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("exec into an ended pod: %d %q", r.code, r.stderr)
	}
	mustRun(t, "rm", "ex")
	podRm(t, "ex3")
	mustRun(t, "run", "-d", "--name", "ex3", "-u", "alice", "-w", "/home/alice", "-e", "FOO=bar", "--rootfs", rootfs, "--", "sleep", "1000")
	out := mustRun(t, "exec", "ex3", "--", "sh", "-c", `id -u; pwd; echo $FOO; hostname`)
	if strings.Join(strings.Fields(out), " ") != "1000 /home/alice bar ex3" {
		t.Errorf("exec's user, cwd, env, hostname: %q", out)
	}
	if out := mustRun(t, "exec", "-u", "0", "-w", "/tmp", "-e", "FOO=baz", "ex3", "--", "sh", "-c", `id -u; pwd; echo $FOO`); strings.Join(strings.Fields(out), " ") != "0 /tmp baz" {
		t.Errorf("exec -u -w -e: %q", out)
	}
}

// stop sends SIGTERM and, after the grace period, SIGKILL: a workload that
// ignores SIGTERM ends with 137 once the grace period is over.
func TestStopGracePeriod(t *testing.T) {
	leakCheck(t)
	podRm(t, "stubborn")
	mustRun(t, "run", "-d", "--name", "stubborn", "--rootfs", rootfs, "--", "sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done")
	eventually(t, "trap set", func() bool { return run(t, "logs", "stubborn").stdout == "up\n" })
	start := time.Now()
	mustRun(t, "stop", "-t", "1", "stubborn")
	took := time.Since(start)
	c := ctr(t, state(t, "stubborn"), "")
	if c.State.Terminated == nil || c.State.Terminated.ExitCode != 137 {
		t.Fatalf("state after stop: %+v", c.State)
	}
	// Not a speed claim: SIGKILL must not come before the grace period,
	// and must come at its end, not at the default 30 s's (an ignored -t
	// would pass the first bound alone). The upper bound leaves 10x room.
	if took < 900*time.Millisecond {
		t.Errorf("stop -t 1 took %s: SIGKILL came before the grace period", took)
	}
	if took > 10*time.Second {
		t.Errorf("stop -t 1 took %s: the grace period was not 1 s (the default is 30 s)", took)
	}
	if r := run(t, "stop", "stubborn"); r.code != 0 {
		t.Errorf("stop of a stopped pod: %d %q", r.code, r.stderr)
	}
	// kill -s: the signal reaches the workload; restart policy Never ends it.
	podRm(t, "killme")
	mustRun(t, "run", "-d", "--name", "killme", "--rootfs", rootfs, "--", "sleep", "1000")
	mustRun(t, "kill", "-s", "USR1", "killme")
	eventually(t, "killme ended", func() bool { return state(t, "killme").Phase == model.PhaseFailed })
	if c := ctr(t, state(t, "killme"), ""); c.State.Terminated.Signal != 10 || c.State.Terminated.ExitCode != 138 {
		t.Errorf("after kill -s USR1: %+v", c.State.Terminated)
	}
}

// A pod of an earlier boot (docs/architecture.md): its processes are gone
// and state.json names another boot_id. Every reader calls it Failed,
// NodeRebooted, and gc removes it. The reboot is played by killing the
// pod's supervisor and pause and writing another boot id in its state.
func TestNodeRebooted(t *testing.T) {
	leakCheck(t)
	podRm(t, "rebooted")
	mustRun(t, "run", "-d", "--name", "rebooted", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	st := state(t, "rebooted")
	syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
	eventually(t, "the supervisor gone", func() bool { return !model.SupervisorAlive(filepath.Join(stateDir(), "rebooted")) })
	syscall.Kill(st.Pause.PID, syscall.SIGKILL)
	pid := ctr(t, st, "").Proc.PID
	eventually(t, "the pod's processes gone", func() bool {
		return syscall.Kill(st.Pause.PID, 0) != nil && syscall.Kill(pid, 0) != nil
	})
	file := filepath.Join(stateDir(), "rebooted", "state.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	raw["bootID"] = "00000000-0000-4000-8000-000000000000"
	b, _ = json.Marshal(raw)
	if err := os.WriteFile(file+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Rename(file+".tmp", file)
	st = state(t, "rebooted")
	if st.Phase != model.PhaseFailed || st.Reason != "NodeRebooted" {
		t.Errorf("a pod of an earlier boot: phase %q reason %q, want Failed, NodeRebooted", st.Phase, st.Reason)
	}
	if ps := mustRun(t, "ps", "-a"); !regexp.MustCompile(`(?m)^rebooted\s+\S+\s+NodeRebooted\s`).MatchString(ps) {
		t.Errorf("ps -a:\n%s", ps)
	}
	if out := mustRun(t, "gc"); !strings.Contains(out, "rebooted") {
		t.Errorf("gc did not remove the earlier boot's pod: %q", out)
	}
	if _, err := os.Stat(filepath.Join(stateDir(), "rebooted")); !os.IsNotExist(err) {
		t.Errorf("state left after gc: %v", err)
	}
}

// kill -9 of the supervisor: ps says Unknown (SupervisorLost) while the pod's
// processes run unwatched; rm -f and gc remove every leftover. kill -9 of
// the pause: the supervisor records Failed (PauseExited) and exits.
func TestSupervisorOrPauseKilled(t *testing.T) {
	leakCheck(t)
	for _, how := range []string{"rm", "gc"} {
		pod := "lost-" + how
		podRm(t, pod)
		mustRun(t, "run", "-d", "--name", pod, "--rootfs", rootfs, "--", "sleep", "1000")
		st := state(t, pod)
		syscall.Kill(st.Supervisor.PID, syscall.SIGKILL)
		eventually(t, "Unknown", func() bool { return state(t, pod).Phase == model.PhaseUnknown })
		st = state(t, pod)
		if st.Reason != "SupervisorLost" || !strings.Contains(st.Message, "podctl rm -f "+pod) {
			t.Errorf("reason %q, message %q", st.Reason, st.Message)
		}
		if ps := mustRun(t, "ps"); !regexp.MustCompile(`(?m)^` + pod + `\s+\S+\s+SupervisorLost\s`).MatchString(ps) {
			t.Errorf("ps:\n%s", ps)
		}
		if syscall.Kill(st.Pause.PID, 0) != nil {
			t.Fatal("the pause died with the supervisor; it should run on, unwatched")
		}
		if how == "rm" {
			mustRun(t, "rm", "-f", pod)
		} else if out := mustRun(t, "gc"); !strings.Contains(out, pod) {
			t.Errorf("gc did not remove %s: %q", pod, out)
		}
		if _, err := os.Stat(filepath.Join(stateDir(), pod)); !os.IsNotExist(err) {
			t.Errorf("%s: state left: %v", pod, err)
		}
	}

	podRm(t, "pause-killed")
	mustRun(t, "run", "-d", "--name", "pause-killed", "--rootfs", rootfs, "--", "sleep", "1000")
	st := state(t, "pause-killed")
	syscall.Kill(st.Pause.PID, syscall.SIGKILL)
	eventually(t, "Failed", func() bool { return state(t, "pause-killed").Phase == model.PhaseFailed })
	st = state(t, "pause-killed")
	if st.Reason != "PauseExited" || !strings.Contains(st.Message, "SIGKILL") {
		t.Errorf("reason %q, message %q", st.Reason, st.Message)
	}
	if c := ctr(t, st, ""); c.State.Terminated == nil || c.State.Terminated.ExitCode != 137 {
		t.Errorf("container after the pause died: %+v", c.State)
	}
	eventually(t, "the supervisor's exit", func() bool { return syscall.Kill(st.Supervisor.PID, 0) != nil })
	mustRun(t, "rm", "pause-killed")

	// With --restart always: the pod ends with its pause; nothing is
	// restarted into its dead namespaces (issue 19 item 8: each container
	// showed StartError, setns EPERM, restartCount 1, and the SIGKILL that
	// ended it was lost).
	podRm(t, "pause-killed-restart")
	mustRun(t, "run", "-d", "--restart", "always", "--name", "pause-killed-restart", "--rootfs", rootfs, "--", "sleep", "1000")
	mustRun(t, "run", "-d", "--pod", "pause-killed-restart", "--name", "second", "--rootfs", rootfs, "--", "sleep", "1000")
	st = state(t, "pause-killed-restart")
	syscall.Kill(st.Pause.PID, syscall.SIGKILL)
	eventually(t, "the supervisor's exit", func() bool { return syscall.Kill(st.Supervisor.PID, 0) != nil })
	st = state(t, "pause-killed-restart")
	if st.Phase != model.PhaseFailed || st.Reason != "PauseExited" {
		t.Errorf("with --restart always: phase %s, reason %q, message %q", st.Phase, st.Reason, st.Message)
	}
	for _, c := range st.Containers {
		if c.RestartCount != 0 || c.State.Terminated == nil || c.State.Terminated.ExitCode != 137 || c.LastState.Terminated != nil {
			t.Errorf("container %s after the pause died: restarts %d, state %+v, last %+v", c.Spec.Name, c.RestartCount, c.State.Terminated, c.LastState.Terminated)
		}
	}
	mustRun(t, "rm", "pause-killed-restart")
}

// 20 concurrent run -d on different names all succeed; on one name, exactly
// one wins; 20 concurrent rm -f leave no state and no process.
func TestConcurrentRunRemove(t *testing.T) {
	leakCheck(t)
	const n = 20
	var wg sync.WaitGroup
	codes := make([]int, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			codes[i] = run(t, "run", "-d", "--name", fmt.Sprintf("conc-%d", i), "--rootfs", rootfs, "--", "sleep", "1000").code
		}(i)
		go func(i int) {
			defer wg.Done()
			codes[n+i] = run(t, "run", "-d", "--name", "conc-same", "--rootfs", rootfs, "--", "sleep", "1000").code
		}(i)
	}
	wg.Wait()
	t.Cleanup(func() {
		for i := 0; i < n; i++ {
			run(t, "rm", "-f", fmt.Sprintf("conc-%d", i))
		}
		run(t, "rm", "-f", "conc-same")
	})
	winners := 0
	for i, c := range codes {
		switch {
		case i < n && c != 0:
			t.Errorf("run -d conc-%d: exit %d", i, c)
		case i >= n && c == 0:
			winners++
		case i >= n && c != 125:
			t.Errorf("a loser for conc-same exited %d, want 125", c)
		}
	}
	if winners != 1 {
		t.Errorf("%d winners for one name, want 1", winners)
	}
	var pods []model.PodState
	if err := json.Unmarshal([]byte(mustRun(t, "ps", "--format", "json")), &pods); err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, p := range pods {
		if p.Phase == model.PhaseRunning && strings.HasPrefix(p.Spec.Name, "conc-") {
			running++
		}
	}
	if running != n+1 {
		t.Errorf("%d conc- pods running, want %d", running, n+1)
	}
	for i := 0; i < n+1; i++ {
		wg.Add(2)
		name := fmt.Sprintf("conc-%d", i)
		if i == n {
			name = "conc-same"
		}
		go func() { defer wg.Done(); run(t, "rm", "-f", name) }()
		go func() { defer wg.Done(); run(t, "rm", "-f", "conc-same") }()
	}
	wg.Wait()
	if left, _ := model.ListPods(); len(left) != 0 {
		t.Errorf("pods left after concurrent rm: %v", left)
	}
}

// wait blocks until the condition or phase holds, and tells a timeout
// apart (exit 1) from a pod that ended without it.
func TestWait(t *testing.T) {
	leakCheck(t)
	podRm(t, "waiter")
	mustRun(t, "run", "-d", "--name", "waiter", "--rootfs", rootfs, "--", "sh", "-c", "sleep 0.3; exit 4")
	mustRun(t, "wait", "waiter", "--for", "condition=Ready")
	if out := mustRun(t, "wait", "waiter"); out != "4\n" {
		t.Errorf("wait printed %q, want the exit code 4", out)
	}
	if r := run(t, "wait", "waiter", "--for", "phase=Succeeded"); r.code != 125 || !strings.Contains(r.stderr, "ended") {
		t.Errorf("wait for a phase that cannot come: %d %q", r.code, r.stderr)
	}
	podRm(t, "waiter2")
	mustRun(t, "run", "-d", "--name", "waiter2", "--rootfs", rootfs, "--", "sleep", "1000")
	if r := run(t, "wait", "waiter2", "--timeout", "200ms"); r.code != 1 || !strings.Contains(r.stderr, "timed out") {
		t.Errorf("wait --timeout: %d %q", r.code, r.stderr)
	}
}

// Mistakes about pods and containers get one clear error each.
func TestLifecycleBadInput(t *testing.T) {
	leakCheck(t)
	podRm(t, "bad")
	mustRun(t, "pod", "create", "bad")
	mustRun(t, "run", "-d", "--pod", "bad", "--name", "c1", "--rootfs", rootfs, "--", "sleep", "1000")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"exec", "nopod", "--", "true"}, `no pod named "nopod"`},
		{[]string{"exec", "-c", "nope", "bad", "--", "true"}, `no container "nope" (it has: c1)`},
		{[]string{"logs", "-c", "nope", "bad"}, `no container "nope"`},
		{[]string{"logs", "--previous", "bad"}, "no previous run"},
		{[]string{"run", "-d", "--pod", "bad", "--name", "c1", "--rootfs", rootfs, "--", "true"}, `already has a container named "c1"`},
		{[]string{"run", "-d", "--pod", "nopod", "--rootfs", rootfs, "--", "true"}, `no pod named "nopod"`},
		{[]string{"run", "-d", "--pod", "bad", "--restart", "always", "--rootfs", rootfs, "--", "true"}, "--restart applies to a new pod"},
		{[]string{"run", "--init", "--rootfs", rootfs, "--", "true"}, "--init needs --pod"},
		{[]string{"pod", "create", "bad"}, `"bad" already exists`},
		{[]string{"pod", "create", "--restart", "sometimes", "x"}, `--restart "sometimes"`},
		{[]string{"stop", "nopod"}, `no pod named "nopod"`},
		{[]string{"kill", "-s", "NOPE", "bad"}, `unknown signal "NOPE"`},
		{[]string{"wait", "--for", "condition=Happy", "bad"}, "Initialized, ContainersReady and Ready"},
		{[]string{"ps", "--format", "xml"}, `--format "xml"`},
		{[]string{"inspect", "bad/nope"}, `no container "nope"`},
	} {
		r := run(t, c.args...)
		lines := errorLines(r.stderr)
		if r.code != 125 || len(lines) != 1 || !strings.Contains(lines[0], c.says) {
			t.Errorf("podctl %s: exit %d, %q; want one error with %q", strings.Join(c.args, " "), r.code, r.stderr, c.says)
		}
	}
	mustRun(t, "stop", "-t", "0", "bad")
	if r := run(t, "exec", "bad", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("exec into a stopped pod: %d %q", r.code, r.stderr)
	}
	if r := run(t, "run", "-d", "--pod", "bad", "--rootfs", rootfs, "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("run into a stopped pod: %d %q", r.code, r.stderr)
	}
}

// A foreground run into a pod prints the container's output and exits with
// its code; the foreground pod's own output gets name prefixes once it has
// several containers.
func TestForegroundIntoPod(t *testing.T) {
	leakCheck(t)
	p := startPod(t, "fg", `echo READY; read x; echo bye; exit 0`)
	p.readUntil(t, "READY")
	r := run(t, "run", "--rm", "--pod", "fg", "--name", "side", "--rootfs", rootfs, "--", "sh", "-c", "echo from-side; exit 6")
	if r.code != 6 || r.stdout != "from-side\n" {
		t.Errorf("run --pod: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if st := state(t, "fg"); len(st.Containers) != 1 {
		t.Errorf("--rm container still recorded: %+v", st.Containers)
	}
	// The first pod's own foreground output carries the side container's
	// lines, prefixed by its name.
	lines := p.readUntil(t, "side | from-side")
	if len(lines) != 0 {
		t.Errorf("unexpected lines before the prefixed one: %q", lines)
	}
	// While the pod has several containers, the first one's lines are
	// prefixed too (side was --rm: it is gone; side2 stays).
	mustRun(t, "run", "-d", "--pod", "fg", "--name", "side2", "--rootfs", rootfs, "--", "sleep", "1000")
	p.stdin.Write([]byte("x\n"))
	if lines := p.readUntil(t, "fg | bye"); len(lines) != 0 {
		t.Errorf("lines before bye: %q", lines)
	}
	// The pod of a podctl run ends with its command: side2 is stopped.
	if code := p.finish(t); code != 0 {
		t.Errorf("exit %d: %s", code, p.stderr)
	}
}

// strace -f of a foreground run ends: podctl daemonizes nothing. Under
// ptrace the setuid newuidmap cannot work, so podctl maps one id and says
// why, once.
func TestStraceEnds(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	leakCheck(t)
	cmd := exec.Command(strace, "-f", "-o", os.DevNull, podctl, "run", "--rm", "--rootfs", rootfs, "--", "echo", "traced")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "traced\n") {
		t.Fatalf("strace -f podctl run: %v: %s", err, out)
	}
	if os.Getuid() != 0 && os.Getenv("PODCTL_EXPECT_SINGLE_MAP") == "" && strings.Count(string(out), "being traced") != 1 {
		t.Errorf("want one notice about tracing: %s", out)
	}
}

// An idle detached supervisor hands its pod to the keeper (nsenter/
// keeper.c) by exec'ing it in place: same pid, far less memory. The keeper
// goes on logging the containers' output, and execs the Go supervisor back
// for exec, stop and container exits.
func TestIdleSupervisorHibernates(t *testing.T) {
	leakCheck(t)
	t.Setenv("PODCTL_HIBERNATE_AFTER", "100ms")
	podRm(t, "hib")
	mustRun(t, "run", "-d", "--name", "hib", "--rootfs", rootfs, "--", "sh", "-c",
		"i=0; while [ $i -lt 20 ]; do echo line $i; i=$((i+1)); sleep 0.05; done; exec sleep 1000")
	sup := state(t, "hib").Supervisor.PID
	asleep := func() bool { return hibernated(sup) }
	eventually(t, "the keeper", asleep)
	// Output written while the keeper holds the pipes reaches the log.
	eventually(t, "all 20 lines", func() bool { return strings.Count(mustRun(t, "logs", "hib"), "\n") == 20 })
	if out := mustRun(t, "logs", "hib", "--tail", "1"); out != "line 19\n" {
		t.Errorf("last line %q", out)
	}
	eventually(t, "the keeper again", asleep)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", sup))
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			if kb, _ := strconv.Atoi(strings.Fields(l)[1]); kb == 0 || kb > 1024 {
				t.Errorf("keeper VmRSS %d kB, want under 1 MiB", kb)
			} else {
				t.Logf("keeper VmRSS %d kB", kb)
			}
		}
	}
	// A command wakes the supervisor (same pid), which answers.
	if out := mustRun(t, "exec", "hib", "--", "echo", "woken"); out != "woken\n" {
		t.Errorf("exec through a hibernating supervisor: %q", out)
	}
	if st := state(t, "hib"); st.Supervisor.PID != sup || st.Phase != model.PhaseRunning {
		t.Errorf("after wake-up: supervisor %d (was %d), phase %s", st.Supervisor.PID, sup, st.Phase)
	}
	eventually(t, "the keeper once more", asleep)
	// The container's exit wakes it too, and it records the status.
	mustRun(t, "kill", "-s", "TERM", "hib")
	eventually(t, "the pod's end", func() bool { return state(t, "hib").Phase == model.PhaseFailed })
	if c := ctr(t, state(t, "hib"), ""); c.State.Terminated == nil || c.State.Terminated.ExitCode != 143 {
		t.Errorf("container after kill via the keeper: %+v", c.State)
	}
	mustRun(t, "rm", "hib")
}

// podctl ns: the inodes it prints are /proc's, and it marks what each
// container shares with the pause ("= pause") and what is its own.
func TestNsTable(t *testing.T) {
	leakCheck(t)
	podRm(t, "nstab")
	mustRun(t, "pod", "create", "nstab", "--share-pid=false")
	mustRun(t, "run", "-d", "--pod", "nstab", "--name", "web", "--rootfs", rootfs, "--", "sleep", "1000")
	st := state(t, "nstab")
	out := mustRun(t, "ns", "nstab")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "PROCESS PID USER NET IPC UTS PID MNT CGROUP" {
		t.Fatalf("ns:\n%s", out)
	}
	inode := func(pid int, kind string) string {
		l := nsInode(t, strconv.Itoa(pid), kind)
		return l[strings.IndexByte(l, '[')+1 : len(l)-1]
	}
	kinds := []string{"user", "net", "ipc", "uts", "pid", "mnt", "cgroup"}
	pause := strings.Fields(lines[1])
	web := strings.Join(strings.Fields(lines[2]), " ")
	for i, k := range kinds {
		if pause[2+i] != inode(st.Pause.PID, k) {
			t.Errorf("pause %s: %s, /proc says %s", k, pause[2+i], inode(st.Pause.PID, k))
		}
	}
	webPID := ctr(t, st, "web").Proc.PID
	want := fmt.Sprintf("web %d = pause = pause = pause = pause %s %s %s", webPID, inode(webPID, "pid"), inode(webPID, "mnt"), inode(webPID, "cgroup"))
	if web != want {
		t.Errorf("web row %q\nwant    %q", web, want)
	}
	if r := run(t, "ns", "nope"); r.code != 125 || !strings.Contains(r.stderr, `no pod named "nope"`) {
		t.Errorf("ns of no pod: %d %q", r.code, r.stderr)
	}
}

// --explain prints the kernel-level steps, by role, in the order they
// happen (the structure is tested, not the words).
func TestExplain(t *testing.T) {
	leakCheck(t)
	r := run(t, "run", "--explain", "--rm", "--rootfs", rootfs, "--", "true")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	// Each step: the role that does it and the system call it names, in
	// causal order (podctl writes the id maps while the set-up stage
	// makes the other namespaces: those two lines come in either order).
	if !strings.Contains(r.stderr, "[pause-setup] the pod's namespaces") || !strings.Contains(r.stderr, "unshare(CLONE_NEWNS|CLONE_NEWNET") {
		t.Errorf("no unshare of the pod's namespaces:\n%s", r.stderr)
	}
	steps := []struct{ role, call, or string }{
		{"[pause-setup]", "unshare(CLONE_NEWUSER)", ""},
		{"[podctl]", "uid_map 0 ", ""},
		{"[pause-setup]", "sethostname(", ""},
		// The pause stage goes on as the join stage (no setns) where the
		// pod has no cgroup (sandbox/stage/pausejoin.go); else a join
		// stage of its own enters the pod.
		{"[join]", "setns(pidfd", "no setns"},
		{"[join]", "unshare(CLONE_NEWNS|CLONE_NEWCGROUP)", ""},
		{"[init]", `mount("proc", "/proc", "proc"`, ""},
		{"[init]", "hidden: /proc/keys", ""},
		{"[init]", "pivot_root", ""},
		{"[init]", "PR_CAPBSET_DROP", ""},
		{"[init]", "setresuid(", ""},
		{"[init]", "PR_SET_NO_NEW_PRIVS", ""},
		{"[init]", "seccomp(SECCOMP_SET_MODE_FILTER)", ""},
		{"[init]", `execve("/bin/true"`, ""},
		{"[podctl]", "exited: code 0", ""},
		{"[podctl]", "SIGKILL to the pause", ""},
	}
	i := 0
	for _, l := range lines {
		st := steps[min(i, len(steps)-1)]
		if i < len(steps) && strings.HasPrefix(l, st.role) && (strings.Contains(l, st.call) || st.or != "" && strings.Contains(l, st.or)) {
			i++
		}
	}
	if i < len(steps) {
		t.Errorf("explain output lacks, in order, %s %s (after %d steps):\n%s", steps[i].role, steps[i].call, i, r.stderr)
	}
	// PODCTL_EXPLAIN_TIMES=1: every line, the C stages' and the init's
	// too, starts with the milliseconds since podctl's first line, on one
	// clock: the workload's execve comes after the pause's clone.
	r = runEnv(t, []string{"PODCTL_EXPLAIN_TIMES=1"}, "", "run", "--explain", "--rm", "--rootfs", rootfs, "--", "true")
	stamp := regexp.MustCompile(`^ *([0-9]+\.[0-9]{3}) (\[[a-z-]+\])`)
	at := map[string]float64{}
	roles := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		m := stamp.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("PODCTL_EXPLAIN_TIMES=1: a line without its time: %q", l)
			continue
		}
		roles[m[2]] = true
		ms, _ := strconv.ParseFloat(m[1], 64)
		for _, k := range []string{"clone(CLONE_PARENT)", `execve("/bin/true"`} {
			if strings.Contains(l, k) {
				at[k] = ms
			}
		}
	}
	if !roles["[podctl]"] || !roles["[pause-setup]"] || !roles["[init]"] || at[`execve("/bin/true"`] <= at["clone(CLONE_PARENT)"] {
		t.Errorf("PODCTL_EXPLAIN_TIMES=1: roles %v, pause's clone at %v ms, workload's execve at %v ms:\n%s", roles, at["clone(CLONE_PARENT)"], at[`execve("/bin/true"`], r.stderr)
	}
	// The join's line names the pause's namespaces, inodes as in /proc.
	podRm(t, "expl")
	mustRun(t, "run", "-d", "--name", "expl", "--rootfs", rootfs, "--", "sleep", "1000")
	pause := strconv.Itoa(state(t, "expl").Pause.PID)
	r = run(t, "exec", "--explain", "expl", "--", "true")
	if net := nsInode(t, pause, "net"); !strings.Contains(r.stderr, net) || !strings.Contains(r.stderr, "[join]") || !strings.Contains(r.stderr, "mnt:[") {
		t.Errorf("exec --explain does not name the pod's %s and the container's mount namespace:\n%s", net, r.stderr)
	}
}

// A pod podctl names is named to its maker (issue 19): run -d without
// --name prints the generated name, the one ps lists; an empty --name and
// an empty pod name are refused (exit 125, nothing made).
func TestGeneratedPodName(t *testing.T) {
	leakCheck(t)
	out := mustRun(t, "run", "-d", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	name := strings.TrimSpace(out)
	if !regexp.MustCompile(`^pod-[0-9a-f]{6}$`).MatchString(name) {
		t.Fatalf("run -d without --name printed %q, want the generated pod-XXXXXX", out)
	}
	podRm(t, name)
	if ps := mustRun(t, "ps"); !strings.Contains(ps, name) {
		t.Errorf("ps does not list %s:\n%s", name, ps)
	}
	before := listDir(stateDir())
	for _, args := range [][]string{
		{"run", "-d", "--name", "", "--rootfs", rootfs, "--", "true"},
		{"pod", "create", ""},
	} {
		if r := run(t, args...); r.code != 125 || len(errorLines(r.stderr)) != 1 {
			t.Errorf("%q: exit %d, %q; want 125 and one error", args, r.code, r.stderr)
		}
	}
	if after := listDir(stateDir()); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("a refused empty name made a pod: %v -> %v", before, after)
	}
}

// Concurrent rm -f of one pod (issue 19): every one succeeds, as rm -f of
// a pod that is gone does (like podman's); none reports a lock file that
// vanished or a pod "still being created". Repeated, since a race is.
func TestConcurrentRemove(t *testing.T) {
	leakCheck(t)
	if r := run(t, "rm", "-f", "never-was"); r.code != 0 {
		t.Errorf("rm -f of a missing pod: exit %d, %q", r.code, r.stderr)
	}
	for round := 0; round < 3; round++ {
		podRm(t, "rm-race")
		mustRun(t, "run", "-d", "--name", "rm-race", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
		var wg sync.WaitGroup
		results := make([]result, 4)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = run(t, "rm", "-f", "rm-race")
			}(i)
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 {
				t.Errorf("round %d, rm -f #%d: exit %d, %q", round, i, r.code, r.stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(stateDir(), "rm-race")); !os.IsNotExist(err) {
			t.Errorf("round %d: the pod's state is left: %v", round, err)
		}
	}
}
