package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// TestE2EInVM runs the end-to-end tests that PODCTL_VM_RUN selects
// (default: the cgroup v2 tests) in a VM whose kernel has cgroup v2 alone,
// as an unprivileged user to whom a cgroup subtree is delegated, then
// those PODCTL_VM_ROOT_RUN selects (the same by default) as root, and
// fails if any fails, if none passed, or if the VM gave no result in
// time.
func TestE2EInVM(t *testing.T) {
	bin := os.Getenv("PODCTL_VM_BIN")
	if bin == "" {
		t.Skip("PODCTL_VM_BIN is not set: it names the directory with podctl, its helpers, e2e.test and nettool to test in the VM (test/run-tests.sh sets it)")
	}
	run := envOr("PODCTL_VM_RUN", "^TestCgroupV2")
	rootRun := envOr("PODCTL_VM_ROOT_RUN", "^TestCgroupV2")
	timeout, err := time.ParseDuration(envOr("PODCTL_VM_TIMEOUT", "12m"))
	if err != nil {
		t.Fatalf("PODCTL_VM_TIMEOUT: %v", err)
	}
	// The VM must end before go test's own -timeout kills this test
	// without a word about the VM.
	if d, ok := t.Deadline(); ok && time.Until(d)-time.Minute < timeout {
		timeout = time.Until(d) - time.Minute
		t.Logf("VM timeout cut to %s by go test's -timeout", timeout.Round(time.Second))
	}
	if timeout < 2*time.Minute {
		t.Fatalf("the VM would have %s, too little (PODCTL_VM_TIMEOUT, go test -timeout)", timeout)
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Fatalf("qemu-system-x86_64 not found (%s): %v", installHint, err)
	}
	kernel, err := findKernel()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range podctlFiles {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Fatalf("PODCTL_VM_BIN: %v", err)
		}
	}

	t0 := time.Now()
	work := t.TempDir()
	initBin, err := buildInit(work)
	if err != nil {
		t.Fatal(err)
	}
	rootfs, err := buildRootfs(bin, work)
	if err != nil {
		t.Fatal(err)
	}
	modules, moduleFiles, err := kernelModules(kernel, work)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := makeHomeDisk(work)
	if err != nil {
		t.Fatal(err)
	}
	// The guest's budget inside the host's: each stage's test binary's
	// own timeout (which prints the stuck goroutines) first, then the
	// init's watchdog, then qemu is killed.
	stages := []vmconf.Stage{{Name: "rootless", Argv: []string{"-test.run", run}}}
	if rootRun != "none" {
		stages = append(stages, vmconf.Stage{Name: "root", Root: true, Argv: []string{"-test.run", rootRun}})
	}
	for i := range stages {
		stages[i].Argv = append([]string{"/opt/podctl/e2e.test", "-test.v", "-test.count=1",
			"-test.timeout=" + (timeout * 2 / 3 / time.Duration(len(stages))).Round(time.Second).String()}, stages[i].Argv...)
	}
	shell := os.Getenv("PODCTL_VM_SHELL")
	if shell != "" {
		stages = []vmconf.Stage{{Name: "shell", Argv: []string{"/bin/sh", "-c", shell}}}
	}
	cfg := vmconf.Config{
		Stages:   stages,
		Env:      forwardedEnv(),
		Modules:  modules,
		Disks:    []vmconf.Disk{homeDisk},
		Watchdog: timeout * 5 / 6,
	}
	tr, err := guestTree(guestInputs{bin: bin, init: initBin, rootfs: rootfs, modules: moduleFiles, cfg: cfg})
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(work, "initramfs.cpio")
	size, err := writeInitramfs(tr, initrd)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(rootfs) // packed: the copy on disk is not needed any more
	t.Logf("initramfs: %d entries, %.1f MB, built in %s; kernel %s; -test.run %q (rootless), %q (root); environment passed on: %q",
		len(tr), float64(size)/1e6, time.Since(t0).Round(time.Millisecond), kernel, run, rootRun, cfg.Env)

	r, err := boot(qemu, kernel, initrd, disk, timeout, os.Stdout)
	if r != nil && r.started > 0 && r.ended > 0 {
		t.Logf("VM: init ready %.1fs after qemu started (kernel uptime %s), tests started at %.1fs, ran %.1fs; %d passed %v, %d failed %v",
			r.booted.Seconds(), r.guestUptime, r.started.Seconds(), (r.ended - r.started).Seconds(),
			len(r.passed), r.passed, len(r.failed), r.failed)
	}
	if err != nil || r.exit < 0 {
		t.Fatalf("the VM gave no result (%v); its console:\n%s", err, consoleTail(r))
	}
	if r.initError != "" {
		t.Fatalf("the VM's init failed: %s; its console:\n%s", r.initError, consoleTail(r))
	}
	if shell != "" {
		// A look around, not a test: it neither passes nor fails.
		t.Skipf("PODCTL_VM_SHELL ran in the VM instead of the e2e tests, and exited %d", r.exit)
	}
	if r.exit != 0 {
		t.Errorf("the e2e tests in the VM exited %d (failed: %v)", r.exit, r.failed)
	}
	// A run in which nothing passed proves nothing, even if it exited 0.
	if r.passLines == 0 {
		t.Errorf("no test passed in the VM: does -test.run %q match any test of test/e2e?", run)
	}
	for _, st := range stages {
		if !slices.ContainsFunc(r.passed, func(p string) bool { return strings.HasPrefix(p, st.Name+"/") }) {
			t.Errorf("no test passed in the VM's %s stage (%q)", st.Name, st.Argv[len(st.Argv)-1])
		}
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func writeInitramfs(tr tree, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	size, err := tr.write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return size, err
}

// consoleTail is the VM's console outside the test's output, its last
// lines: the kernel's and the init's messages.
func consoleTail(r *vmRun) string {
	if r == nil {
		return "(none)"
	}
	lines := r.console
	if n := len(lines); n > 80 {
		lines = slices.Concat([]string{fmt.Sprintf("... (%d lines before)", n-80)}, lines[n-80:])
	}
	return strings.Join(lines, "\n")
}
