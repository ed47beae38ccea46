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
