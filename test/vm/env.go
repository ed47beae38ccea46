package vm

import (
	"os"
	"strings"
)

// hostOnlyEnv are the PODCTL_* variables that describe the host (its
// paths and programs) and so are not passed on to the VM; the init sets
// PODCTL and PODCTL_E2E_ROOTFS to the VM's own paths.
var hostOnlyEnv = []string{"PODCTL", "PODCTL_E2E_ROOTFS", "PODCTL_E2E_BUILD_ROOTFS", "PODCTL_SMALL_STORE", "PODCTL_TEST_PODMAN"}

// forwardedEnv is the PODCTL_* variables of the host's environment that
// the tests in the VM get too (PODCTL_HIBERNATE_AFTER, ...), but this
// package's own PODCTL_VM_*.
func forwardedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "PODCTL_") || strings.HasPrefix(k, "PODCTL_VM_") {
			continue
		}
		host := false
		for _, h := range hostOnlyEnv {
			host = host || k == h
		}
		if !host {
			env = append(env, kv)
		}
	}
	return env
}
