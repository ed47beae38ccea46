// Package e2e runs the podctl binary end to end, as the user running the
// tests (the suite's runner, test/run-tests.sh, makes that an unprivileged
// user with a /etc/subuid range), and checks the kernel state it leaves:
// namespace inodes, id maps, mounts, processes.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/test/leak"
)

var (
	podctl string // the binary under test ($PODCTL)
	rootfs string // a busybox rootfs built by TestMain
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(envOrphans); spec != "" {
		os.Exit(orphansHelper(spec))
	}
	podctl = os.Getenv("PODCTL")
	if podctl == "" {
		fmt.Fprintln(os.Stderr, "e2e: set PODCTL to the podctl binary to test (make test does)")
		os.Exit(2)
	}
	// The once-per-user notice of a host without cgroup limits is the
	// subject of TestCgroupUnavailable alone, in a state root of its own.
	if root, err := model.StateRoot(); err == nil && os.MkdirAll(root, 0o700) == nil {
		os.WriteFile(filepath.Join(root, "notice-cgroups"), nil, 0o600)
	}
	// PODCTL_E2E_ROOTFS: a rootfs built beforehand (the VM harness,
	// test/vm, builds it on the host: the VM has no gcc).
	if rootfs = os.Getenv("PODCTL_E2E_ROOTFS"); rootfs != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "e2e-rootfs-")
	if err != nil {
		panic(err)
	}
	rootfs = filepath.Join(dir, "rootfs")
	if err := buildBusyboxRootfs(rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the busybox rootfs:", err)
		os.Exit(2)
	}
	// The attack suite's hostile workload, built static into the rootfs.
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(rootfs, "bin/attack"), "testdata/attack.c").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building testdata/attack.c (gcc and libc6-dev needed): %v\n%s", err, out)
		os.Exit(2)
	}
	// The network tests' workload (test/nettool), static; run-tests.sh
	// builds it and names it in $NETTOOL.
	if err := installNettool(filepath.Join(rootfs, "bin/nettool")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	// PODCTL_E2E_BUILD_ROOTFS: only build the rootfs, there (the VM
	// harness, before it packs it into the VM's initramfs).
	if to := os.Getenv("PODCTL_E2E_BUILD_ROOTFS"); to != "" {
		err := os.Rename(rootfs, to)
		os.RemoveAll(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBusyboxRootfs makes a minimal rootfs from Debian's busybox-static:
// /bin/busybox, a symlink per applet, and /etc/passwd and /etc/group with a
// non-root user "alice" (1000) who is a member of "wheel" (10).
func buildBusyboxRootfs(dir string) error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox not found (apt-get install busybox-static): %w", err)
	}
	for _, d := range []string{"bin", "etc", "tmp", "root", "home/alice"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		return err
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return err
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd":  "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
		"etc/group":   "root:x:0:\ntty:x:5:\nwheel:x:10:alice\nalice:x:1000:\nnogroup:x:65534:\n",
		"bin/notexec": "#!/bin/sh\necho should not run\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs podctl with args and waits for it.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, nil, "", args...)
}

// runEnv is run with extra environment variables and standard input.
func runEnv(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(podctl, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatalf("running podctl %v: %v", args, err)
	}
	return r
}

// podRun is run of "podctl run --rm --rootfs ROOTFS [flags] -- cmd...".
func podRun(t *testing.T, flags []string, cmd ...string) result {
	t.Helper()
	args := append([]string{"run", "--rm", "--rootfs", rootfs}, flags...)
	args = append(args, "--")
	return run(t, append(args, cmd...)...)
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

// stateDir is where podctl keeps its pods (sandbox.StateRoot decides).
func stateDir() string {
	root, err := model.StateRoot()
	if err != nil {
		panic(err)
	}
	return filepath.Join(root, "pods")
}

func listDir(d string) []string {
	ents, _ := os.ReadDir(d)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// leakCheck fails the test if podctl left anything behind once the test
// is over: the leak oracle (test/leak) compares the whole machine as it
// was before the test with how it is after (processes by uid, subordinate
// id and pid namespace; mount tables; descriptors; the state root, volumes,
// the image store, cgroups, network links and tables). What the kernel
// tears down asynchronously (a killed pod's pid namespace) gets 2 s.
func leakCheck(t *testing.T) {
	t.Helper()
	before := leak.Take(leak.Options{})
	t.Cleanup(func() {
		for _, l := range leak.Settle(before, leak.Options{}, 2*time.Second) {
			t.Errorf("leak: %s", l)
		}
	})
}

// errorLines are the lines podctl printed as errors.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "podctl:") && !strings.HasPrefix(l, "podctl: notice:") {
			out = append(out, l)
		}
	}
	return out
}

// installNettool copies $NETTOOL to dst, or builds test/nettool there when
// run from the source tree.
func installNettool(dst string) error {
	if src := os.Getenv("NETTOOL"); src != "" {
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("$NETTOOL: %w", err)
		}
		return os.WriteFile(dst, b, 0o755)
	}
	cmd := exec.Command("go", "build", "-o", dst, "../nettool")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building test/nettool (or set $NETTOOL to it): %v\n%s", err, out)
	}
	return nil
}

// hibernated says whether the supervisor of pid has handed its pod to the
// keeper (hibernate.go): same pid, another name.
func hibernated(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b)) == "podctl-keeper"
}
