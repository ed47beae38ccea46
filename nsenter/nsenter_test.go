package nsenter

// These tests drive the C constructor directly: the test binary links it
// (it is part of this package), so re-executing the binary with a stage in
// its environment runs nsenter.c as podctl would.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if InUserns() {
		// The image store helper's stage: report who we are and where,
		// on stdout, for TestUsernsStage.
		uid, _ := os.ReadFile("/proc/self/uid_map")
		user, _ := os.Readlink("/proc/self/ns/user")
		mnt, _ := os.Readlink("/proc/self/ns/mnt")
		fmt.Printf("uid=%d user=%s mnt=%s map=%s\n", os.Getuid(), user, mnt, strings.Join(strings.Fields(string(uid)), " "))
		os.Exit(0)
	}
	if os.Getenv("_PODCTL_SUPERVISE") == "resume" {
		// The keeper exec'd "the supervisor" back: report what it was
		// handed, on stdout, for TestKeeper.
		fmt.Printf("resumed %s %s\n", os.Args[1], os.Getenv(EnvKeep))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// stage starts the test binary in a constructor stage with a sync socket.
func stage(t *testing.T, name string) (*exec.Cmd, int) {
	t.Helper()
	return stageEnv(t, name)
}

// stageEnv is stage with more environment variables.
func stageEnv(t *testing.T, name string, env ...string) (*exec.Cmd, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	child := os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append([]string{EnvStage + "=" + name, EnvSyncFD + "=3"}, env...)
	cmd.ExtraFiles = []*os.File{child}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	t.Cleanup(func() { unix.Close(fds[0]) })
	return cmd, fds[0]
}

func recv(t *testing.T, fd int) string {
	t.Helper()
	b := make([]byte, 4096)
	n, _, _, _, err := unix.Recvmsg(fd, b, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func send(t *testing.T, fd int, msg string, passFD int) {
	t.Helper()
	var oob []byte
	if passFD >= 0 {
		oob = unix.UnixRights(passFD)
	}
	if err := unix.Sendmsg(fd, []byte(msg), oob, nil, 0); err != nil {
		t.Fatal(err)
	}
}

// Errors of the C stages come back over the socket, once, with errno when
// there is one, and the stage exits 1.
func TestStageErrorsReachThePeer(t *testing.T) {
	cases := []struct{ stage, send, want string }{
		{"bogus", "", "error unknown stage 'bogus'"},
		{"join", "hello", "error protocol: expected 'join', got 'hello'"},
		{"join", "join 0x0", "error protocol: 'join' came without its file descriptor"},
	}
	for _, c := range cases {
		cmd, fd := stage(t, c.stage)
		if c.send != "" {
			send(t, fd, c.send, -1)
		}
		if got := recv(t, fd); got != c.want {
			t.Errorf("stage %s: got %q, want %q", c.stage, got, c.want)
		}
		if err := cmd.Wait(); err == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("stage %s: exit %v, want 1", c.stage, err)
		}
	}
}

// writeMaps maps pod root to ourselves (all ids, as root).
func writeMaps(t *testing.T, pid int) {
	t.Helper()
	proc := fmt.Sprintf("/proc/%d/", pid)
	uidMap := fmt.Sprintf("0 %d 1", os.Getuid())
	gidMap := fmt.Sprintf("0 %d 1", os.Getgid())
	if os.Getuid() == 0 {
		uidMap, gidMap = "0 0 4294967295", "0 0 4294967295"
	} else if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(proc+"uid_map", []byte(uidMap), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(proc+"gid_map", []byte(gidMap), 0); err != nil {
		t.Fatal(err)
	}
}

// mapPause is podctl's side of the pause stage's first conversation, on
// fd with the set-up stage setupPid: the maps once it has unshared, the
// hostname, then the pause's pid and its "ready", in either order.
func mapPause(t *testing.T, fd, setupPid int) int {
	t.Helper()
	send(t, fd, "userns own", -1)
	if got := recv(t, fd); got != "unshared" {
		t.Fatalf("got %q, want unshared", got)
	}
	writeMaps(t, setupPid)
	send(t, fd, "mapped nsenter-test", -1)
	return pauseForked(t, fd)
}

// pauseForked reads, after "mapped", the pause's pid and its "ready", in
// either order, and returns the pid.
func pauseForked(t *testing.T, fd int) int {
	t.Helper()
	pid := 0
	for ready := false; pid == 0 || !ready; {
		msg := recv(t, fd)
		switch {
		case msg == "ready":
			ready = true
		case strings.HasPrefix(msg, "pid "):
			pid, _ = strconv.Atoi(msg[4:])
		default:
			t.Fatalf("unexpected %q", msg)
		}
	}
	return pid
}

// The whole life of a pause and a join, as the C constructor runs them.
// startPause runs the pause's set-up stage through the first conversation
// of sandbox/stage/sync.go up to "ready", and returns the pause's pid and the
// socket (still open: the pause waits for "recorded" on it).
func startPause(t *testing.T) (int, int) {
	t.Helper()
	setup, fd := stage(t, StagePause)
	pid := mapPause(t, fd, setup.Process.Pid)
	if err := setup.Wait(); err != nil {
		t.Fatalf("setup stage: %v", err)
	}
	return pid, fd
}

func TestPauseAndJoin(t *testing.T) {
	pid, fd := startPause(t)
	send(t, fd, "recorded", -1) // else the pause exits: see the next test
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)

	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if strings.TrimSpace(string(comm)) != "podctl-pause" {
		t.Errorf("pause comm %q", comm)
	}
	// Once ready, the pause holds no descriptor beyond stdio and (until it
	// closes it right after "ready") the sync socket.
	if fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); len(fds) > 4 {
		t.Errorf("the pause has %d descriptors open, want stdio only", len(fds))
	}

	// The init (init.c) runs a plan of podctl exec's kind (no root
	// filesystem to build): a shell that reports its namespaces.
	out := filepath.Join(t.TempDir(), "report")
	script := `for ns in user net ipc uts pid cgroup mnt; do printf '%s=%s ' $ns $(readlink /proc/self/ns/$ns); done > ` + out
	initPID, msgs := joinInit(t, pidfd, &InitPlan{Where: "container c of pod p", Exec: true, IDsMapped: 1, HomeAt: -1,
		Privileged: true, Env: []string{"PATH=/usr/bin:/bin"}, Args: []string{"sh", "-c", script}})
	var ws unix.WaitStatus
	unix.Wait4(initPID, &ws, 0, nil) // our child, thanks to CLONE_PARENT
	if len(msgs) != 1 || msgs[0] != "execing" || ws.ExitStatus() != 0 {
		t.Fatalf("init said %q, exit %v", msgs, ws)
	}
	b, _ := os.ReadFile(out)
	report := string(b)
	for _, ns := range []string{"user", "net", "ipc", "uts", "pid", "cgroup"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if !strings.Contains(report, ns+"="+want) {
			t.Errorf("init's %s namespace: report %q, pause has %s", ns, report, want)
		}
	}
	own, _ := os.Readlink("/proc/self/ns/mnt")
	pauseMnt, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if strings.Contains(report, "mnt="+own) || strings.Contains(report, "mnt="+pauseMnt) {
		t.Errorf("init shares a mount namespace: %q", report)
	}

	// A command that is not there: the shell's 127, named; a user the
	// container's /etc/passwd lacks: an error naming it. Neither runs.
	for _, c := range []struct {
		plan InitPlan
		want string
	}{
		{InitPlan{Args: []string{"no-such-command"}}, `exit 127 container c of pod p: "no-such-command": executable file not found in $PATH (/nowhere)`},
		{InitPlan{Args: []string{"/bin/true"}, UserSpec: "nobody-here", UserPart: "nobody-here"}, `error container c of pod p: --user "nobody-here": no user named "nobody-here"`},
		{InitPlan{Args: []string{"/bin/true"}, Steps: [][]string{{"unmount", "/x"}}}, `error container c of pod p: a bad plan from podctl: unknown operation 'unmount'`},
	} {
		c.plan.Where, c.plan.Exec, c.plan.IDsMapped, c.plan.HomeAt, c.plan.Privileged = "container c of pod p", true, 1, -1, true
		c.plan.Env = []string{"PATH=/nowhere"}
		initPID, msgs := joinInit(t, pidfd, &c.plan)
		unix.Wait4(initPID, &ws, 0, nil)
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], c.want) || ws.ExitStatus() != 1 {
			t.Errorf("plan %v: init said %q, exit %v; want %q", c.plan.Args, msgs, ws, c.want)
		}
	}

	// SIGTERM ends the pause with status 0.
	unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0)
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("pause after SIGTERM: %v, status %v", err, ws)
	}
}

// A join stage that podctl's constructor forked (fork_join_early; here one
// exec'd with _PODCTL_JOIN_STDIO, which has the same conversation) takes
// the workload's stdio from "stdio": three descriptors, put at 0 to 2
// before anything else; two, or more than four, are refused by name.
func TestJoinStageTakesStdio(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{2, "error protocol: 'stdio' came with 2 file descriptors, not 3 or 4"},
		{5, "error protocol: 'stdio' came with more than 4 file descriptors"},
	} {
		cmd, fd := stageEnv(t, StageJoin, "_PODCTL_JOIN_STDIO=1")
		fds := make([]int, c.n)
		for i := range fds {
			fds[i] = 2
		}
		if err := unix.Sendmsg(fd, []byte("stdio 0"), unix.UnixRights(fds...), nil, 0); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, fd); got != c.want {
			t.Errorf("%d descriptors: got %q, want %q", c.n, got, c.want)
		}
		cmd.Wait()
	}

	pid, fd := startPause(t)
	send(t, fd, "recorded", -1)
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		unix.Close(pidfd)
	}()
	join, jfd := stageEnv(t, StageJoin, "_PODCTL_JOIN_STDIO=1")
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var out, errw [2]int
	if unix.Pipe2(out[:], unix.O_CLOEXEC) != nil || unix.Pipe2(errw[:], unix.O_CLOEXEC) != nil {
		t.Fatal("pipe2")
	}
	if err := unix.Sendmsg(jfd, []byte("stdio 0"), unix.UnixRights(int(null.Fd()), out[1], errw[1]), nil, 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(out[1])
	unix.Close(errw[1])
	send(t, jfd, fmt.Sprintf("join %#x 0", unix.CLONE_NEWUSER|unix.CLONE_NEWNET|unix.CLONE_NEWIPC|unix.CLONE_NEWUTS|unix.CLONE_NEWCGROUP|unix.CLONE_NEWPID), pidfd)
	initPID, err := strconv.Atoi(strings.TrimPrefix(recv(t, jfd), "pid "))
	if err != nil {
		t.Fatal(err)
	}
	plan := &InitPlan{Where: "container c of pod p", Exec: true, IDsMapped: 1, HomeAt: -1, Privileged: true,
		Env: []string{"PATH=/usr/bin:/bin"}, Args: []string{"sh", "-c", "read x; echo out-$?; echo err >&2"}}
	b, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	send(t, jfd, string(b), -1)
	for recv(t, jfd) != "" {
	}
	join.Wait()
	var ws unix.WaitStatus
	unix.Wait4(initPID, &ws, 0, nil)
	read := func(fd int) string {
		b := make([]byte, 64)
		n, _ := unix.Read(fd, b)
		unix.Close(fd)
		return string(b[:max(n, 0)])
	}
	// read x on /dev/null fails (end-of-file): 1.
	if got, gotErr := read(out[0]), read(errw[0]); got != "out-1\n" || gotErr != "err\n" {
		t.Errorf("the workload wrote %q to stdout and %q to stderr; want \"out-1\\n\" and \"err\\n\" there", got, gotErr)
	}
}

// joinInit starts a join stage into the namespaces of pidfd and sends the
// init it forks plan; it returns the init's pid and every message it sent
// until its end of the socket closed (on exec, or on exit).
func joinInit(t *testing.T, pidfd int, plan *InitPlan) (int, []string) {
	t.Helper()
	join, jfd := stage(t, StageJoin)
	send(t, jfd, fmt.Sprintf("join %#x %#x", unix.CLONE_NEWUSER|unix.CLONE_NEWNET|unix.CLONE_NEWIPC|unix.CLONE_NEWUTS|unix.CLONE_NEWCGROUP|unix.CLONE_NEWPID, unix.CLONE_NEWNS), pidfd)
	msg := recv(t, jfd)
	initPID, err := strconv.Atoi(strings.TrimPrefix(msg, "pid "))
	if err != nil {
		t.Fatalf("join: %q", msg)
	}
	b, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	send(t, jfd, string(b), -1)
	var msgs []string
	for {
		m := recv(t, jfd)
		if m == "" {
			break
		}
		msgs = append(msgs, m)
	}
	// The join stage sleeps until its init has exec'd or exited
	// (CLONE_VFORK), then exits 0.
	if err := join.Wait(); err != nil {
		t.Fatalf("join stage: %v", err)
	}
	return initPID, msgs
}

// A pause whose podctl dies before recording it (end-of-file instead of
// "recorded") exits: nobody could ever find it to remove it.
func TestPauseExitsIfNotRecorded(t *testing.T) {
	pid, fd := startPause(t)
	unix.Shutdown(fd, unix.SHUT_RDWR) // podctl "dies": end-of-file (the fd is closed at cleanup)
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || !ws.Exited() || ws.ExitStatus() != 1 {
		t.Errorf("unrecorded pause: %v, status %v; want exit 1", err, ws)
	}
}

// TestUsernsStage: the image store helper's stage makes a user and a mount
// namespace, waits for its maps, and returns to Go as uid 0 there.
func TestUsernsStage(t *testing.T) {
	var out strings.Builder
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	child := os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{EnvStage + "=" + StageUserns, EnvSyncFD + "=3"}
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	defer unix.Close(fds[0])
	if got := recv(t, fds[0]); got != "unshared" {
		t.Fatalf("first message %q, want unshared", got)
	}
	writeMaps(t, cmd.Process.Pid)
	send(t, fds[0], "mapped", -1)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("userns stage: %v (%s)", err, out.String())
	}
	self := func(ns string) string { l, _ := os.Readlink("/proc/self/ns/" + ns); return l }
	got := out.String()
	if !strings.HasPrefix(got, "uid=0 ") {
		t.Errorf("not uid 0 in its namespace: %q", got)
	}
	if strings.Contains(got, "user="+self("user")+" ") || strings.Contains(got, "mnt="+self("mnt")+" ") {
		t.Errorf("still in the test's user or mount namespace: %q", got)
	}
	if want := fmt.Sprintf("map=0 %d 1", os.Getuid()); os.Getuid() != 0 && !strings.Contains(got, want) {
		t.Errorf("uid map: %q, want %q", got, want)
	}
}

// pauseStageJoining runs the pause stage with a join socket and the
// container's stdio (_PODCTL_JOIN_FD) through the pause's conversation, up
// to the pause recorded: it returns the stage, the join socket, the read
// end of the container's stdout and stderr, and the pause's pid.
func pauseStageJoining(t *testing.T) (*exec.Cmd, int, *os.File, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	jfds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(jfds[0]) })
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outR.Close() })
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	child, jchild := os.NewFile(uintptr(fds[1]), "child"), os.NewFile(uintptr(jfds[1]), "join")
	cmd := exec.Command("/proc/self/exe")
	// fd 3: the pause's socket; 4: the join socket, 5-7: the container's stdio.
	cmd.Env = []string{EnvStage + "=" + StagePause, EnvSyncFD + "=3", EnvPodName + "=p", EnvJoinFD + "=4"}
	cmd.ExtraFiles = []*os.File{child, jchild, null, outW, outW}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	jchild.Close()
	outW.Close()
	fd := fds[0]
	pid := mapPause(t, fd, cmd.Process.Pid)
	send(t, fd, "recorded", -1)
	t.Cleanup(func() {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
	})
	return cmd, jfds[0], outR, pid
}

// The pause stage as the first container's join stage: after the pause,
// it forks the init into the namespaces it made, with the container's
// stdio, and neither the pause nor the workload keeps a descriptor of the
// other's conversation.
func TestPauseStageJoins(t *testing.T) {
	cmd, jfd, outR, pid := pauseStageJoining(t)
	// The pause holds stdio and its own socket at most, not the join's.
	if fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); len(fds) > 4 {
		t.Errorf("the pause has %d descriptors open, want stdio only", len(fds))
	}
	send(t, jfd, fmt.Sprintf("join 0 %#x", unix.CLONE_NEWNS|unix.CLONE_NEWCGROUP), -1)
	msg := recv(t, jfd)
	initPID, err := strconv.Atoi(strings.TrimPrefix(msg, "pid "))
	if err != nil {
		t.Fatalf("join: %q", msg)
	}
	script := `for ns in user net ipc uts pid mnt; do printf '%s=%s ' $ns $(readlink /proc/self/ns/$ns); done; ls /proc/self/fd | wc -l`
	b, err := (&InitPlan{Where: "container c of pod p", Exec: true, IDsMapped: 1, HomeAt: -1,
		Privileged: true, Env: []string{"PATH=/usr/bin:/bin"}, Args: []string{"sh", "-c", script}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	send(t, jfd, string(b), -1)
	for m := recv(t, jfd); m != ""; m = recv(t, jfd) {
		if m != "execing" {
			t.Errorf("init said %q", m)
		}
	}
	// The stage sleeps until its init has exec'd (CLONE_VFORK).
	if err := cmd.Wait(); err != nil {
		t.Fatalf("pause stage: %v", err)
	}
	var ws unix.WaitStatus
	unix.Wait4(initPID, &ws, 0, nil) // our child, thanks to CLONE_PARENT
	out, _ := io.ReadAll(outR)
	report := string(out)
	for _, ns := range []string{"user", "net", "ipc", "uts", "pid"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if !strings.Contains(report, ns+"="+want) {
			t.Errorf("init's %s namespace: report %q, pause has %s", ns, report, want)
		}
	}
	pauseMnt, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if strings.Contains(report, "mnt="+pauseMnt) {
		t.Errorf("init shares the pause's mount namespace: %q", report)
	}
	// stdio and the one ls opens: nothing of either conversation.
	if f := strings.Fields(report); len(f) == 0 || f[len(f)-1] != "4" {
		t.Errorf("the workload's descriptors: %q, want 4 (stdio and ls's own)", report)
	}
}

// The pause stage is in the pod's namespaces already: namespaces to
// enter are a protocol error, reported on the join socket.
func TestPauseStageJoinRefusesSetns(t *testing.T) {
	cmd, jfd, _, _ := pauseStageJoining(t)
	send(t, jfd, fmt.Sprintf("join %#x %#x", unix.CLONE_NEWNET, unix.CLONE_NEWNS), -1)
	if got, want := recv(t, jfd), "error protocol: bad join arguments"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := cmd.Wait(); err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("pause stage: exit %v, want 1", err)
	}
}

// The per-user namespace (nsenter.c, "nest"): podctl-userns makes it and
// says its pid; once mapped (here by the test, with the caller's id at 1
// and 0 left unmapped, as podctl leaves it), a pause stage told "userns
// nest" makes the pod's user namespace inside it, and the stage's child
// left there writes the pod's maps: seen from the host, pod root is the
// caller. The holder ends by itself after _PODCTL_USERNS_LINGER seconds.
func TestPauseInPerUserNamespace(t *testing.T) {
	u0, hpid := perUserNamespace(t)
	proc := fmt.Sprintf("/proc/%d/", hpid)
	setup, fd := stage(t, StagePause)
	send(t, fd, "userns nest 0 1 1\n|0 1 1\n", int(u0.Fd()))
	u0.Close()
	if got := recv(t, fd); got != "unshared" {
		t.Fatalf("got %q, want unshared", got)
	}
	send(t, fd, "mapped nsenter-test", -1)
	pid := pauseForked(t, fd)
	defer func() {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
	}()
	if err := setup.Wait(); err != nil {
		t.Fatalf("setup stage: %v", err)
	}
	for file, id := range map[string]int{"uid_map": os.Getuid(), "gid_map": os.Getgid()} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		if got, want := strings.Join(strings.Fields(string(b)), " "), fmt.Sprintf("0 %d 1", id); got != want {
			t.Errorf("the pod's %s seen from the host: %q, want %q", file, got, want)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); unix.Kill(hpid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(proc + "stat"); strings.Contains(string(b), ") Z ") {
			break // ended; its parent, init, reaps it
		}
		if time.Now().After(deadline) {
			t.Fatal("podctl-userns still runs 10 s after it was last used, with a linger of 1 s")
		}
	}
}

// perUserNamespace starts podctl-userns (lingering 1 s), maps it as podctl
// does (the caller's ids at 1, 0 unmapped), and returns its user namespace
// and its pid.
func perUserNamespace(t *testing.T) (*os.File, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	child := os.NewFile(uintptr(fds[1]), "child")
	holder := exec.Command("/proc/self/exe")
	holder.Env = []string{EnvStage + "=" + StageUsernest, EnvSyncFD + "=3", EnvUsernsLinger + "=1"}
	holder.ExtraFiles = []*os.File{child}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	msg := recv(t, fds[0])
	unix.Close(fds[0])
	hpid, err := strconv.Atoi(strings.TrimPrefix(msg, "unshared "))
	if err != nil {
		t.Fatalf("holder said %q", msg)
	}
	if err := holder.Wait(); err != nil {
		t.Fatalf("the holder's stage: %v", err)
	}
	proc := fmt.Sprintf("/proc/%d/", hpid)
	if os.Getuid() != 0 {
		if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			t.Fatal(err)
		}
	}
	for file, id := range map[string]int{"uid_map": os.Getuid(), "gid_map": os.Getgid()} {
		if err := os.WriteFile(proc+file, []byte(fmt.Sprintf("1 %d 1", id)), 0); err != nil {
			t.Fatal(err)
		}
	}
	u0, err := os.Open(proc + "ns/user")
	if err != nil {
		t.Fatal(err)
	}
	return u0, hpid
}

// A map the per-user namespace cannot grant (its id 5 maps to nothing):
// the id map writer, a child sharing the stage's memory (CLONE_VM), says
// why on the stage's socket, and the stage fails.
func TestPerUserNamespaceBadMap(t *testing.T) {
	u0, _ := perUserNamespace(t)
	setup, fd := stage(t, StagePause)
	send(t, fd, "userns nest 0 5 1\n|0 1 1\n", int(u0.Fd()))
	u0.Close()
	// The writer runs beside the stage: its error may come before or
	// after the stage's "unshared".
	for failed := false; !failed; {
		switch got := recv(t, fd); {
		case got == "unshared":
			send(t, fd, "mapped nsenter-test", -1)
		case strings.HasPrefix(got, "error writing the pod's uid_map from the per-user namespace"):
			failed = true
		default:
			t.Fatalf("got %q, want unshared or the writer's error", got)
		}
	}
	unix.Close(fd) // a stage still waiting for "mapped" ends
	if err := setup.Wait(); err == nil {
		t.Error("the stage succeeded with a map it could not have")
	}
}
