package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestSysctlsAndGroups: podctl run --sysctl sets kernel parameters of the
// pod's own namespaces (the host's stay), a host-wide one is refused by
// name before anything is made, and --group-add gives the workload a
// supplementary group (a run without them is the control).
func TestSysctlsAndGroups(t *testing.T) {
	leakCheck(t)
	host, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	const show = "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced; id -G"
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") != "" {
		// One id mapped: setgroups(2) is denied in the pod, and said so.
		r := run(t, "run", "--rm", "--network", "none", "--group-add", "1234", "--rootfs", rootfs, "--", "true")
		if r.code == 0 || !strings.Contains(r.stderr, "/etc/subgid") {
			t.Errorf("--group-add in a single-id pod: exit %d, %q; want an error naming /etc/subgid", r.code, r.stderr)
		}
		r = run(t, "run", "--rm", "--network", "none", "--sysctl", "kernel.shm_rmid_forced=1", "--rootfs", rootfs, "--", "cat", "/proc/sys/kernel/shm_rmid_forced")
		if r.code != 0 || r.stdout != "1\n" {
			t.Errorf("--sysctl in a single-id pod: exit %d, %q (%s)", r.code, r.stdout, r.stderr)
		}
		return
	}
	r := run(t, "run", "--rm", "--network", "none", "--sysctl", "net.ipv4.ip_unprivileged_port_start=99", "--sysctl", "kernel.shm_rmid_forced=1",
		"--group-add", "1234", "-u", "1000", "--rootfs", rootfs, "--", "sh", "-c", show)
	if r.code != 0 || r.stdout != "99\n1\n1000 10 1234\n" {
		t.Errorf("run with --sysctl and --group-add: exit %d, %q (%s); want 99, 1 and groups 1000 10 1234", r.code, r.stdout, r.stderr)
	}
	r = run(t, "run", "--rm", "--network", "none", "-u", "1000", "--rootfs", rootfs, "--", "sh", "-c", show)
	if r.code != 0 || strings.HasPrefix(r.stdout, "99\n") || strings.Contains(r.stdout, "1234") {
		t.Errorf("the control, a run without them: exit %d, %q", r.code, r.stdout)
	}
	if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); string(b) != string(host) {
		t.Errorf("the host's ip_unprivileged_port_start changed: %q -> %q", host, b)
	}
	r = run(t, "run", "--rm", "--name", "sysbad", "--sysctl", "vm.swappiness=1", "--rootfs", rootfs, "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "sysctl vm.swappiness: not in a namespace of the pod's own") {
		t.Errorf("a host-wide sysctl: exit %d, %q; want 125 naming it", r.code, r.stderr)
	}
	if r := run(t, "inspect", "sysbad"); r.code == 0 {
		t.Errorf("a refused run left pod sysbad behind")
	}
}
