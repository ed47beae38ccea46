package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/test/leak"
)

// The leak oracle's positive control against a real pod: between two
// snapshots a detached pod is made, and the oracle must name its pause,
// its workload (running as uid 1000 of the pod: a subordinate id of the
// user rootless, found by its pid namespace as root, where the uid is not
// the caller's), and its state directory; once the pod is removed, it must
// name nothing. Every other e2e test relies on this oracle (leakCheck).
func TestLeakOracleSeesAPod(t *testing.T) {
	before := leak.Take(leak.Options{})
	podRm(t, "oracle")
	args := []string{"run", "-d", "--name", "oracle", "--network", "none", "--rootfs", rootfs}
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") == "" {
		args = append(args, "-u", "1000") // a user without a range has no uid 1000 to map
	}
	mustRun(t, append(args, "--", "sleep", "1000")...)
	pid := ctr(t, state(t, "oracle"), "oracle").Proc.PID
	uid := -1
	eventually(t, "the workload's uid", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
				fmt.Sscan(f[1], &uid)
			}
		}
		return uid >= 0
	})
	diff := strings.Join(leak.Diff(before, leak.Take(leak.Options{})), "\n")
	for _, want := range []string{
		"podctl-pause",
		fmt.Sprintf("%d/", pid), fmt.Sprintf("sleep (uid %d)", uid),
		"pods/oracle/",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("the oracle missed %q; it said:\n%s", want, diff)
		}
	}
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") == "" && uid == os.Getuid() {
		t.Errorf("the workload runs as the caller's uid %d; the control wants a subordinate or other id", uid)
	}
	mustRun(t, "rm", "-f", "oracle")
	if d := leak.Settle(before, leak.Options{}, 5*time.Second); len(d) > 0 {
		t.Errorf("the pod is removed, yet the oracle says: %q", d)
	}
}
