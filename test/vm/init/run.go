package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// testEnv is the environment of a login of the stage's user, and what
// the end-to-end suite needs to find podctl and its rootfs in the VM.
func testEnv(root bool, extra []string) []string {
	user, home, uid := vmconf.User, vmconf.Home, vmconf.UID
	if root {
		user, home, uid = "root", "/root", 0
	}
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + home,
		"USER=" + user,
		"LOGNAME=" + user,
		fmt.Sprintf("XDG_RUNTIME_DIR=/run/user/%d", uid),
		"PODCTL=/opt/podctl/podctl",
		"PODCTL_E2E_ROOTFS=/opt/rootfs",
		"PODCTL_TEST_CGROUP2=1",
		"CRICTL=/opt/podctl/crictl", // TestCgroupV2CRI
	}
	// A real kubelet and the example's binary, when PODCTL_VM_BIN had
	// them (TestCgroupV2Kubelet).
	for _, f := range []string{"KUBELET=/opt/podctl/kubelet", "WEBPROXY=/opt/podctl/webproxy"} {
		if _, err := os.Stat(f[strings.Index(f, "=")+1:]); err == nil {
			env = append(env, f)
		}
	}
	if root {
		// The user a root test may delegate a cgroup of its own to
		// (TestCgroupV2InitLeaf).
		env = append(env, "PODCTL_TEST_DELEGATEE="+vmconf.User)
	}
	// The host's variables win over these defaults.
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(s string) bool { return strings.HasPrefix(s, k+"=") })
		env = append(env, kv)
	}
	return env
}

// runStages runs the stages in order and returns the first exit code that
// was not 0 (and the first error), after every stage has run: a failure
// of the rootless stage does not hide what the root stage finds.
func runStages(cfg *vmconf.Config, userLeaf string) (int, error) {
	code := 0
	var firstErr error
	for _, st := range cfg.Stages {
		leaf, home := userLeaf, vmconf.Home
		if st.Root {
			leaf, home = filepath.Join(cgroupRoot, rootLeaf), "/root"
		}
		start := time.Now()
		c, err := runTest(st, testEnv(st.Root, cfg.Env), leaf, home)
		fmt.Printf("\ninit: stage %s ran for %.1fs, exit %d\n", st.Name, time.Since(start).Seconds(), c)
		if code == 0 && c != 0 {
			code = c
		}
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}
	return code, firstErr
}

// runTest starts a stage's command as its user, in a session of its
// own (no controlling terminal: the console stays the init's), born in the
// cgroup leaf (clone3 CLONE_INTO_CGROUP: clone(2)), with the console as
// its stdout and stderr so that its output streams to the host as it is
// written. It returns the command's exit code (128+N when signal N killed
// it).
func runTest(st vmconf.Stage, env []string, leaf, home string) (int, error) {
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
	// Groups empty: setgroups(0), no supplementary groups.
	cred := &syscall.Credential{Uid: vmconf.UID, Gid: vmconf.GID, Groups: []uint32{}}
	if st.Root {
		cred = &syscall.Credential{Groups: []uint32{}}
	}
	attr := &os.ProcAttr{
		Dir:   home,
		Env:   env,
		Files: []*os.File{devnull, os.Stdout, os.Stderr},
		Sys: &syscall.SysProcAttr{
			Credential:  cred,
			Setsid:      true,
			UseCgroupFD: true,
			CgroupFD:    cg,
		},
	}
	fmt.Printf("\n%s stage=%s %s\n", vmconf.Start, st.Name, strings.Join(st.Argv, " "))
	p, err := os.StartProcess(st.Argv[0], st.Argv, attr)
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
