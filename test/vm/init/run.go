package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// testEnv is the environment of a login of the test user, and what the
// end-to-end suite needs to find podctl and its rootfs in the VM.
func testEnv(extra []string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + vmconf.Home,
		"USER=" + vmconf.User,
		"LOGNAME=" + vmconf.User,
		fmt.Sprintf("XDG_RUNTIME_DIR=/run/user/%d", vmconf.UID),
		"PODCTL=/opt/podctl/podctl",
		"PODCTL_E2E_ROOTFS=/opt/rootfs",
		"PODCTL_TEST_CGROUP2=1",
	}
	// The host's variables win over these defaults.
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(s string) bool { return strings.HasPrefix(s, k+"=") })
		env = append(env, kv)
	}
	return env
}

// runTest starts the test command as the test user, in a session of its
// own (no controlling terminal: the console stays the init's), born in the
// cgroup leaf (clone3 CLONE_INTO_CGROUP: clone(2)), with the console as
// its stdout and stderr so that its output streams to the host as it is
// written. It returns the command's exit code (128+N when signal N killed
// it).
func runTest(cfg *vmconf.Config, leaf string) (int, error) {
	cg, err := unix.Open(leaf, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 255, err
	}
	defer unix.Close(cg)
	devnull, err := os.Open("/dev/null")
	if err != nil {
		return 255, err
	}
	defer devnull.Close()
	attr := &os.ProcAttr{
		Dir:   vmconf.Home,
		Env:   testEnv(cfg.Env),
		Files: []*os.File{devnull, os.Stdout, os.Stderr},
		Sys: &syscall.SysProcAttr{
			// Groups empty: setgroups(0), no supplementary groups.
			Credential:  &syscall.Credential{Uid: vmconf.UID, Gid: vmconf.GID, Groups: []uint32{}},
			Setsid:      true,
			UseCgroupFD: true,
			CgroupFD:    cg,
		},
	}
	fmt.Printf("\n%s %s\n", vmconf.Start, strings.Join(cfg.Argv, " "))
	p, err := os.StartProcess(cfg.Argv[0], cfg.Argv, attr)
	if err != nil {
		return 255, err
	}
	return reapUntil(p.Pid)
}

// reapUntil reaps every child of the init until pid exits, and returns
// pid's exit code. As PID 1 the init inherits every orphan (podctl's
// detached supervisors among them); reaping them at once keeps the tests'
// count of live processes true.
func reapUntil(pid int) (int, error) {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 255, fmt.Errorf("wait4: %w", err)
		}
		if got != pid {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ws.ExitStatus(), nil
	}
}
