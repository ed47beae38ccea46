package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// envOrphans makes the test binary countOrphans' helper: a child
// subreaper (PR_SET_CHILD_SUBREAPER, prctl(2)) that runs the command named
// there and then says how many processes it left behind. The arguments
// are separated by the byte 0x1f, ASCII's unit separator (an environment
// value cannot hold NUL).
const envOrphans = "E2E_COUNT_ORPHANS"

// orphansHelper runs in the helper process (TestMain): every process the
// command leaves behind is re-parented to us rather than to init, so each
// one shows up here, as a child, live or as a zombie, once the command has
// exited.
func orphansHelper(spec string) int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "PR_SET_CHILD_SUBREAPER:", err)
		return 2
	}
	args := strings.Split(spec, "\x1f")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Run() // its exit code is not the question
	// An orphan that exits at once still becomes our zombie: give it the
	// time to get there.
	time.Sleep(300 * time.Millisecond)
	n := 0
	for {
		pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			break
		}
		n++
	}
	// Those still running.
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, p := range strings.Fields(string(b)) {
			n++
			if pid, err := strconv.Atoi(p); err == nil {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
	}
	fmt.Printf("orphans %d\n", n)
	return 0
}

// countOrphans runs args under orphansHelper and returns how many
// processes they left behind.
func countOrphans(t *testing.T, args ...string) int {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envOrphans+"="+strings.Join(args, "\x1f"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the orphan counter: %v", err)
	}
	var n int
	if _, err := fmt.Sscanf(string(out), "orphans %d", &n); err != nil {
		t.Fatalf("the orphan counter said %q", out)
	}
	return n
}

// podctl exec forks its join stage before its Go runtime starts
// (nsenter.c, fork_join_early). When the command does not use it (its
// help, a pod that is not there) podctl ends and reaps it before it exits,
// and when it does, the stage is gone too: none of podctl's processes is
// left for its caller to find. The control: a shell that leaves its child
// behind is seen.
func TestExecLeavesNoOrphan(t *testing.T) {
	leakCheck(t)
	podRm(t, "orphans")
	mustRun(t, "run", "-d", "--name", "orphans", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	if n := countOrphans(t, "/bin/sh", "-c", "sleep 0.1 & exit 0"); n != 1 {
		t.Fatalf("control: a shell that left a sleep behind: %d orphans counted, want 1", n)
	}
	for _, args := range [][]string{
		{"exec", "--help"},
		{"exec", "no-such-pod", "--", "true"},
		{"exec", "orphans", "--", "true"},
		{"exec", "orphans", "--", "no-such-command"},
		{"exec", "-i", "orphans", "--", "true"},
		{"exec", "-c", "no-such-container", "orphans", "--", "true"},
	} {
		if n := countOrphans(t, append([]string{podctl}, args...)...); n != 0 {
			t.Errorf("podctl %s left %d processes behind", strings.Join(args, " "), n)
		}
	}
}

// The join stage forked for podctl exec (and the container's init, cloned
// in its memory until its execve) shows "podctl-join" as its command line,
// not the caller's: /proc/PID/cmdline needs no ptrace right (proc(5)), so
// any process in the container could read a `-e SECRET=...` there. The
// stage rewrites it first thing after the fork, before it hears from
// podctl and so before it enters any namespace of the pod; from the host it
// may be read in between, so what counts is that it changes to
// podctl-join and never back. It is caught by polling podctl's children
// right after its start; the control: podctl's own command line, read the
// same way, holds the secret.
func TestExecStageHidesCommandLine(t *testing.T) {
	if cgroupV2Host() {
		t.Skip("cgroup v2 is the host's hierarchy: podctl exec forks no early stage (nsenter.c, fork_join_early)")
	}
	const secret = "SECRET=hunter2-e2e"
	hidden, controls := 0, 0
	for i := 0; i < 100 && hidden < 3; i++ {
		cmd := exec.Command(podctl, "exec", "-e", secret, "no-such-pod", "--", "true")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Start returns once the child is in execve (vfork(2)), before
		// the kernel has set the new image's argument area: until then
		// the file reads empty (fs/proc/base.c, get_mm_cmdline).
		var own []byte
		for deadline := time.Now().Add(time.Second); len(own) == 0 && time.Now().Before(deadline); {
			own, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		}
		var seen []string
		for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
			f := strings.Fields(string(b))
			if len(f) == 0 {
				if len(seen) > 0 {
					break // gone
				}
				continue
			}
			line, err := os.ReadFile("/proc/" + f[0] + "/cmdline")
			if err != nil || len(line) == 0 {
				continue
			}
			got := strings.TrimRight(string(line), "\x00")
			if len(seen) == 0 || seen[len(seen)-1] != got {
				seen = append(seen, got)
			}
		}
		cmd.Wait()
		// (Empty again if podctl was already a zombie when read.)
		if len(own) > 0 {
			if !strings.Contains(string(own), secret) {
				t.Fatalf("control: podctl's own command line %q lacks %q: the reading is wrong", own, secret)
			}
			controls++
		}
		for j, got := range seen {
			if got == "podctl-join" {
				hidden++
				if j != len(seen)-1 {
					t.Errorf("the forked join stage's command line went from podctl-join back to %q", seen[j+1:])
				}
				break
			}
		}
	}
	if controls == 0 {
		t.Fatalf("control: podctl's own command line was never read")
	}
	if hidden == 0 {
		t.Fatalf("never saw podctl exec's forked join stage with podctl-join as its command line in 100 runs")
	}
}

// cgroupV2Host: /sys/fs/cgroup is cgroup2 (cgroups.Unified).
func cgroupV2Host() bool {
	var fs unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC
}

// A signal that podctl exec's caller ignores is not ignored by the
// workload (it would be across execve, signal(7)): an exec'd join stage
// had Go's dispositions, the forked one resets them (nsenter.c,
// early_join_child). The control: the caller's own child has them ignored.
func TestExecWorkloadSignalsDefault(t *testing.T) {
	leakCheck(t)
	podRm(t, "sigs")
	mustRun(t, "run", "-d", "--name", "sigs", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	script := `trap "" PIPE USR1; grep SigIgn /proc/self/status; exec "$0" exec sigs -- grep SigIgn /proc/self/status`
	out, err := exec.Command("/bin/sh", "-c", script, podctl).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out)
	}
	// SIGUSR1 10, SIGPIPE 13: bits 9 and 12.
	var caller, workload uint64
	fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(lines[0], "SigIgn:")), "%x", &caller)
	fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(lines[1], "SigIgn:")), "%x", &workload)
	if want := uint64(1<<9 | 1<<12); caller&want != want {
		t.Fatalf("control: the caller's child ignores %#x, want %#x among them", caller, want)
	}
	// (SIGHUP and SIGINT, which a caller may ignore too, e.g. as a
	// background job, stay ignored, as Go's exec keeps them.)
	if workload&(1<<9|1<<12) != 0 {
		t.Errorf("the workload ignores signals %#x; want neither SIGUSR1 nor SIGPIPE", workload)
	}
}
