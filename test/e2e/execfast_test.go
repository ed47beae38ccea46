package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// execBothWays runs `podctl exec POD -- cmd...` twice, under
// GODEBUG=inittrace=1, which makes the Go runtime print a line per package
// initializer as it starts: once as it is (the C fast path, nsenter/
// execfast.c, when it applies) and once with _PODCTL_NO_FAST_EXEC (Go's
// path). It returns both results without those lines, and whether Go
// started in each.
func execBothWays(t *testing.T, pod string, cmd ...string) (fast, slow result, fastGo, slowGo bool) {
	t.Helper()
	return execBothWaysIn(t, "", pod, cmd...)
}

// execBothWaysIn is execBothWays with stdin given to `exec -i` (a pipe):
// none when "".
func execBothWaysIn(t *testing.T, stdin, pod string, cmd ...string) (fast, slow result, fastGo, slowGo bool) {
	t.Helper()
	args := append([]string{"exec", pod, "--"}, cmd...)
	if stdin != "" {
		args = append([]string{"exec", "-i", pod, "--"}, cmd...)
	}
	fast = runEnv(t, []string{"GODEBUG=inittrace=1"}, stdin, args...)
	slow = runEnv(t, []string{"GODEBUG=inittrace=1", "_PODCTL_NO_FAST_EXEC=1"}, stdin, args...)
	fast.stderr, fastGo = withoutInitTrace(fast.stderr)
	slow.stderr, slowGo = withoutInitTrace(slow.stderr)
	return fast, slow, fastGo, slowGo
}

// needsExecCard skips a test of the exec card where no card is written:
// where cgroup v2 is the host's hierarchy, pods may have a cgroup, and
// exec takes Go's path (nsenter.c, fork_join_early; stage.WriteExecCard).
func needsExecCard(t *testing.T) {
	t.Helper()
	if cgroupV2Host() {
		t.Skip("cgroup v2 is the host's hierarchy: no exec card is written")
	}
}

// withoutInitTrace drops inittrace's lines ("init PACKAGE @...") from s,
// and says whether there were any.
func withoutInitTrace(s string) (string, bool) {
	var keep []string
	traced := false
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(l, "init ") && strings.Contains(l, " @") {
			traced = true
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, ""), traced
}

// The plain `podctl exec POD -- CMD` runs with no Go runtime, from the
// pod's exec card, and what the command gets and what podctl reports are
// exactly what Go's path gives: identity, directory, environment,
// capabilities, no_new_privs, seccomp, descriptors, namespaces, exit codes
// and messages. The control of each: Go's path started its runtime.
func TestExecFastPath(t *testing.T) {
	needsExecCard(t)
	leakCheck(t)
	podRm(t, "fastx")
	mustRun(t, "run", "-d", "--name", "fastx", "--network", "none", "-e", "FOO=bar baz", "-w", "/tmp",
		"--rootfs", rootfs, "--", "sleep", "1000")
	for _, cmd := range [][]string{
		sh(`id; pwd; env | sort; grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; ls /proc/self/fd; ` +
			`readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/net /proc/self/ns/ipc /proc/self/ns/uts /proc/self/ns/user /proc/self/ns/cgroup; ` +
			`grep -E '^Sig(Ign|Blk)' /proc/self/status; ulimit -n; cat /proc/self/cmdline | tr '\0' ' '`),
		sh("echo out; echo err >&2; exit 3"),
		sh("kill -TERM $$"),
		{"no-such-command"},
		{"/etc/passwd"},
		{"echo", "with  spaces", "", "$HOME", "-e"},
		{"-i", "cat"},
		{"-i", "sh", "-c", "ls -l /proc/self/fd/0 | cut -c1-10; wc -c"},
	} {
		stdin := ""
		if cmd[0] == "-i" {
			stdin, cmd = "input from a pipe\n", cmd[1:]
		}
		fast, slow, fastGo, slowGo := execBothWaysIn(t, stdin, "fastx", cmd...)
		if !slowGo {
			t.Fatalf("control: with _PODCTL_NO_FAST_EXEC the Go runtime did not start (no inittrace lines)")
		}
		if fastGo {
			t.Errorf("%q: the Go runtime started: the fast path was not taken", cmd)
		}
		if fast != slow {
			t.Errorf("%q: the fast path gave\n%+v\nGo's path\n%+v", cmd, fast, slow)
		}
	}
}

// The exec card is read back as untrusted input: a card that does not
// parse, names another process, is not a regular file of ours, or is a
// symlink sends podctl down Go's path, which works and reads state.json;
// none of them makes podctl hang or run anything else. The control: the
// card as the supervisor wrote it is taken.
func TestExecCardUntrusted(t *testing.T) {
	needsExecCard(t)
	leakCheck(t)
	podRm(t, "cardx")
	mustRun(t, "run", "-d", "--name", "cardx", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	path := filepath.Join(stateDir(), "cardx", "exec.card")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	restore := func() {
		os.Remove(path)
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(path) })
	check := func(what string, wantGo bool) {
		t.Helper()
		r := runEnv(t, []string{"GODEBUG=inittrace=1"}, "", "exec", "cardx", "--", "echo", "ran")
		stderr, startedGo := withoutInitTrace(r.stderr)
		if r.code != 0 || r.stdout != "ran\n" || stderr != "" {
			t.Errorf("%s: exec gave %d %q %q", what, r.code, r.stdout, stderr)
		}
		if startedGo != wantGo {
			t.Errorf("%s: the Go runtime started: %v, want %v", what, startedGo, wantGo)
		}
	}
	check("control: the supervisor's card", false)

	// edit is the card with its line starting with key changed: the last
	// number one more, or the value replaced.
	edit := func(key, value string) []byte {
		for _, l := range bytes.Split(good, []byte("\n")) {
			if !bytes.HasPrefix(l, []byte(key+" ")) {
				continue
			}
			f := strings.Fields(string(l))
			if value == "" {
				n, _ := strconv.ParseUint(f[len(f)-1], 10, 64)
				f[len(f)-1] = strconv.FormatUint(n+1, 10)
			} else {
				f = []string{key, value}
			}
			return bytes.Replace(good, l, []byte(strings.Join(f, " ")), 1)
		}
		t.Fatalf("no %s line in the card", key)
		return nil
	}
	for _, c := range []struct {
		what string
		make func() error
	}{
		{"a card whose start time is not the process's", func() error { return os.WriteFile(path, edit("pid", ""), 0o600) }},
		{"a card whose pause start time is not the pause's", func() error { return os.WriteFile(path, edit("pause", ""), 0o600) }},
		{"a card of another binary (a supervisor older than an upgrade)", func() error { return os.WriteFile(path, edit("exe", ""), 0o600) }},
		{"a card of another pod", func() error { return os.WriteFile(path, edit("pod", "cardy"), 0o600) }},
		{"a card of another boot", func() error {
			return os.WriteFile(path, edit("boot", "00000000-0000-0000-0000-000000000000"), 0o600)
		}},
		{"a card too large", func() error {
			return os.WriteFile(path, append(edit("plan", strconv.Itoa(len(good)+41<<10)), make([]byte, 41<<10)...), 0o600)
		}},
		{"garbage", func() error { return os.WriteFile(path, []byte("podctl-exec-card 1\nboot x\n"), 0o600) }},
		{"a card one byte short", func() error { return os.WriteFile(path, good[:len(good)-1], 0o600) }},
		{"an empty file", func() error { return os.WriteFile(path, nil, 0o600) }},
		{"a FIFO", func() error { return syscall.Mkfifo(path, 0o600) }},
		{"a symlink to a good card", func() error {
			os.WriteFile(path+".real", good, 0o600)
			t.Cleanup(func() { os.Remove(path + ".real") })
			return os.Symlink(path+".real", path)
		}},
		{"a directory", func() error { return os.Mkdir(path, 0o700) }},
	} {
		os.Remove(path)
		if err := c.make(); err != nil {
			t.Fatal(err)
		}
		check(c.what, true)
		restore()
		check("control after "+c.what, false)
	}
}

// The card lives as long as the main container's run: gone once it has
// ended, when exec refuses as before, through Go's path.
func TestExecCardEndsWithTheRun(t *testing.T) {
	needsExecCard(t)
	leakCheck(t)
	podRm(t, "cardend")
	mustRun(t, "run", "-d", "--name", "cardend", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	path := filepath.Join(stateDir(), "cardend", "exec.card")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("control: no card while the container runs: %v", err)
	}
	mustRun(t, "stop", "cardend")
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the card is still there after the container stopped: %v", err)
	}
	r := run(t, "exec", "cardend", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("exec into a stopped pod: %d %q", r.code, r.stderr)
	}
}

// A container with a seccomp profile file of the user's gets no card: Go's
// path reads the file at each exec (edited, it gives another filter;
// deleted, a refusal), which a card written at the start could not follow.
func TestExecCardNotWithProfileFile(t *testing.T) {
	needsExecCard(t)
	leakCheck(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	profile := dir + "/no-mkdir.json"
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`), 0o644)
	for _, c := range []struct {
		name string
		opts []string
		card bool
	}{
		{"cardprof0", nil, true}, // the control
		{"cardprof1", []string{"--security-opt", "seccomp=" + profile}, false},
	} {
		podRm(t, c.name)
		mustRun(t, append(append([]string{"run", "-d", "--name", c.name, "--network", "none"}, c.opts...),
			"--rootfs", rootfs, "--", "sleep", "1000")...)
		_, err := os.Stat(filepath.Join(stateDir(), c.name, "exec.card"))
		if (err == nil) != c.card {
			t.Errorf("%s: card there: %v, want %v", c.name, err == nil, c.card)
		}
	}
	os.Remove(profile)
	r := run(t, "exec", "cardprof1", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "seccomp profile") {
		t.Errorf("exec with the profile deleted: %d %q", r.code, r.stderr)
	}
}

// A restarted main container gets a card for its new run: the old card is
// gone with the old run (never naming it), and the new one is taken.
func TestExecCardFollowsRestarts(t *testing.T) {
	needsExecCard(t)
	leakCheck(t)
	podRm(t, "cardrs")
	mustRun(t, "run", "-d", "--restart", "always", "--name", "cardrs", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	path := filepath.Join(stateDir(), "cardrs", "exec.card")
	cardPID := func() string {
		b, _ := os.ReadFile(path)
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "pid" {
				return f[1]
			}
		}
		return ""
	}
	first := cardPID()
	if first == "" {
		t.Fatal("control: no card for the first run")
	}
	mustRun(t, "kill", "-s", "KILL", "cardrs")
	var second string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if second = cardPID(); second != "" && second != first {
			break
		}
	}
	if second == "" || second == first {
		t.Fatalf("the card did not follow the restart: pid %q, then %q", first, second)
	}
	r := runEnv(t, []string{"GODEBUG=inittrace=1"}, "", "exec", "cardrs", "--", "echo", "ran")
	stderr, startedGo := withoutInitTrace(r.stderr)
	if r.code != 0 || r.stdout != "ran\n" || stderr != "" || startedGo {
		t.Errorf("exec into the second run: %d %q %q, Go started: %v", r.code, r.stdout, stderr, startedGo)
	}
}
