package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildInit compiles the VM's init (test/vm/init) into dir, static
// (CGO_ENABLED=0): the initramfs has no dynamic loader for it to need
// before it has switched root.
func buildInit(dir string) (string, error) {
	out := filepath.Join(dir, "init")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./init")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./init: %v\n%s", err, b)
	}
	return out, nil
}

// buildRootfs builds the e2e suite's container rootfs into dir/rootfs the
// way the suite builds it for itself (busybox, testdata/attack.c compiled
// static, nettool), on the host, because the VM has no gcc: the e2e binary
// run with PODCTL_E2E_BUILD_ROOTFS builds it there and exits (see TestMain
// of test/e2e). It needs testdata/ in its working directory.
func buildRootfs(bin, dir string) (string, error) {
	cwd := filepath.Join(dir, "e2e")
	if err := os.CopyFS(filepath.Join(cwd, "testdata"), os.DirFS("../e2e/testdata")); err != nil {
		return "", fmt.Errorf("copying test/e2e/testdata: %w", err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	cmd := exec.Command(filepath.Join(bin, "e2e.test"))
	cmd.Dir = cwd
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PODCTL_E2E_ROOTFS=") {
			env = append(env, kv)
		}
	}
	// TMPDIR: the suite builds in a temporary directory and renames the
	// result to PODCTL_E2E_BUILD_ROOTFS, which must be on the same file
	// system.
	cmd.Env = append(env, "PODCTL="+filepath.Join(bin, "podctl"), "NETTOOL="+filepath.Join(bin, "nettool"),
		"PODCTL_E2E_BUILD_ROOTFS="+rootfs, "TMPDIR="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the e2e rootfs (%s with PODCTL_E2E_BUILD_ROOTFS): %v\n%s", cmd.Path, err, b)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin/busybox")); err != nil {
		return "", fmt.Errorf("the e2e binary built no rootfs: %w", err)
	}
	return rootfs, nil
}
