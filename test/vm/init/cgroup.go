package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/podctl/podctl/test/vm/vmconf"
)

const cgroupRoot = "/sys/fs/cgroup"

// wantControllers are the controllers podctl's limits use, enabled down to
// the delegated subtree when the kernel has them.
var wantControllers = []string{"cpu", "memory", "pids", "io"}

// The cgroups systemd gives a user (user@.service, Delegate=yes), relative
// to the root; the test runs in a leaf below the delegated one, as a
// user's programs run in scopes that the user's own systemd makes there.
var (
	userService = fmt.Sprintf("user.slice/user-%d.slice/user@%d.service", vmconf.UID, vmconf.UID)
	sessionLeaf = userService + "/session.scope"
	// rootLeaf is where a root login's programs run under systemd: a
	// session scope in user-0.slice, nothing delegated (root needs no
	// delegation: podctl as root uses the whole hierarchy).
	rootLeaf = "user.slice/user-0.slice/session-0.scope"
)

// delegateFiles are the files of a delegated cgroup that become the
// delegatee's, besides the directory itself (cgroup-v2.rst, "Delegation":
// "cgroup.procs", "cgroup.threads" and "cgroup.subtree_control"). Its
// other interface files, the limits set on it from above, stay root's.
var delegateFiles = []string{"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"}

// delegateCgroup makes the cgroup layout of a systemd machine where the
// test user is logged in: the controllers enabled from the root down to
// user@1000.service's parent (so they are available in the delegated
// cgroup, listed in its cgroup.controllers), user@1000.service delegated,
// and a leaf session.scope under it that the user owns. It enables nothing
// in the delegated cgroup's own cgroup.subtree_control: what is enabled
// below the delegation point is the delegatee's choice, here podctl's.
// It also makes root's session leaf, rootLeaf. It returns the user's
// leaf's path.
func delegateCgroup() (string, error) {
	b, err := os.ReadFile(filepath.Join(cgroupRoot, "cgroup.controllers"))
	if err != nil {
		return "", err
	}
	var enable []string
	for _, c := range strings.Fields(string(b)) {
		if slices.Contains(wantControllers, c) {
			enable = append(enable, "+"+c)
		}
	}
	dir := cgroupRoot
	for _, name := range strings.Split(userService, "/") {
		if len(enable) > 0 {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(enable, " ")), 0); err != nil {
				return "", fmt.Errorf("enabling %v in %s: %w", enable, dir, err)
			}
		}
		dir = filepath.Join(dir, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", err
		}
	}
	for _, f := range append([]string{""}, delegateFiles...) {
		if err := os.Chown(filepath.Join(dir, f), vmconf.UID, vmconf.GID); err != nil {
			return "", err
		}
	}
	// The leaf, as the user's systemd would make it: every file the
	// user's.
	leaf := filepath.Join(cgroupRoot, sessionLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil {
		return "", err
	}
	ents, err := os.ReadDir(leaf)
	if err != nil {
		return "", err
	}
	for _, e := range append(ents, nil) {
		p := leaf
		if e != nil {
			p = filepath.Join(leaf, e.Name())
		}
		if err := os.Chown(p, vmconf.UID, vmconf.GID); err != nil {
			return "", err
		}
	}
	// Root's session, beside the user's (user.slice has the controllers
	// enabled for its children already, above).
	if err := os.MkdirAll(filepath.Join(cgroupRoot, rootLeaf), 0o755); err != nil {
		return "", err
	}
	avail, _ := os.ReadFile(filepath.Join(cgroupRoot, userService, "cgroup.controllers"))
	fmt.Printf("init: cgroup v2 at %s; /%s delegated to uid %d (controllers: %s); the test runs in /%s\n",
		cgroupRoot, userService, vmconf.UID, strings.TrimSpace(string(avail)), sessionLeaf)
	return leaf, nil
}
