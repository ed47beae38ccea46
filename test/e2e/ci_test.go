package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/test/imagebuild"
)

// The CI-sandbox features (issue 11): workspace volumes, tmpfs, read-only
// roots, deadlines.

func TestVolumesAndReadOnly(t *testing.T) {
	leakCheck(t)
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "in.txt"), []byte("input\n"), 0o644)
	conf := filepath.Join(t.TempDir(), "app.conf")
	os.WriteFile(conf, []byte("setting=1\n"), 0o644)

	// rw: the step reads the workspace and writes into it; what it writes
	// belongs to the calling user on the host (pod root is the caller).
	r := podRun(t, []string{"-v", ws + ":/work", "-v", conf + ":/etc/app.conf:ro"},
		sh("cat /work/in.txt /etc/app.conf && echo result > /work/out.txt && mkdir /work/dir && echo x > /work/dir/f")...)
	if r.code != 0 || r.stdout != "input\nsetting=1\n" {
		t.Fatalf("rw volume: code %d, out %q, err %s", r.code, r.stdout, r.stderr)
	}
	for _, p := range []string{"out.txt", "dir", "dir/f"} {
		fi, err := os.Stat(filepath.Join(ws, p))
		if err != nil {
			t.Fatalf("%s not written to the workspace: %v", p, err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
			t.Errorf("%s is owned by %d:%d on the host, want the caller %d:%d", p, st.Uid, st.Gid, os.Getuid(), os.Getgid())
		}
	}
	// ro: readable, not writable (recursively), and the host file untouched.
	r = podRun(t, []string{"--mount", "type=bind,source=" + ws + ",target=/work,readonly"}, sh("cat /work/in.txt; echo y > /work/in.txt; echo z > /work/dir/f; echo rc=$?")...)
	if !strings.Contains(r.stdout, "input") || !strings.Contains(r.stderr+r.stdout, "Read-only file system") {
		t.Errorf("ro volume: out %q err %q", r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "in.txt")); string(b) != "input\n" {
		t.Errorf("a ro volume was written: %q", b)
	}
	// --read-only: the root refuses writes; /tmp, /var/tmp, /run and a
	// --tmpfs (with its size) take them.
	r = podRun(t, []string{"--read-only", "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m", "--tmpfs", "/scratch2:size=2m"},
		sh("touch /etc/x 2>&1; touch /tmp/a /var/tmp/b /run/c /scratch/d /scratch2/e && echo writable; df -k /scratch /scratch2 | tail -2")...)
	if !strings.Contains(r.stdout, "Read-only file system") || !strings.Contains(r.stdout, "writable") ||
		!strings.Contains(r.stdout, " 1024 ") || !strings.Contains(r.stdout, " 2048 ") {
		t.Errorf("--read-only / --tmpfs: code %d out %q err %s", r.code, r.stdout, r.stderr)
	}
}

func TestVolumeBadInput(t *testing.T) {
	leakCheck(t)
	ws := t.TempDir()
	cases := []struct {
		flags []string
		want  []string
	}{
		{[]string{"-v", "/no/such/dir:/w"}, []string{"/no/such/dir", "no such file"}},
		{[]string{"-v", ws}, []string{"HOST-PATH:CONTAINER-PATH"}},
		{[]string{"-v", ws + ":w"}, []string{"must be absolute"}},
		{[]string{"-v", ws + ":/"}, []string{"cannot be /"}},
		{[]string{"-v", ws + ":/proc/x"}, []string{"/proc"}},
		{[]string{"-v", ws + ":/w:rwx"}, []string{`"rwx"`}},
		{[]string{"-v", "Bad_Name:/w"}, []string{"invalid volume name"}},
		{[]string{"-v", ws + ":/w", "-v", ws + ":/w"}, []string{"two mounts on /w"}},
		{[]string{"--tmpfs", "/t:exec"}, []string{`"exec"`}},
		{[]string{"--timeout", "-1s"}, []string{"--timeout"}},
		{[]string{"--mount", "type=volume,dst=/v"}, []string{"source=NAME"}},
		{[]string{"--mount", "type=bind,target=/w"}, []string{"source="}},
		{[]string{"--mount", "type=tmpfs,target=/t,size=1"}, []string{`"size"`}},
	}
	for _, c := range cases {
		r := podRun(t, c.flags, "/bin/true")
		lines := errorLines(r.stderr)
		if r.code != 125 || len(lines) != 1 {
			t.Errorf("%v: code %d, want 125 and one error; stderr %q", c.flags, r.code, r.stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%v: error %q does not mention %q", c.flags, lines[0], w)
			}
		}
	}
}

// A symlink in the image cannot take a volume outside the container's root:
// the target resolves inside it (RESOLVE_IN_ROOT), and a symlink to a
// directory that does not exist is refused rather than followed out.
func TestVolumeTargetSymlinkStaysInside(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/vollink:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}},
		imagebuild.Entry{Path: "escape", Symlink: "/../../../../../../home"},
		imagebuild.Entry{Path: "dangling", Symlink: "/../../../../../../tmp/podctl-e2e-volume-escape"}), "oci-archive")
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "marker"), []byte("m\n"), 0o644)
	// /escape leads to the image's own /home, whatever the ../ say.
	r := run(t, "run", "--rm", "-v", ws+":/escape", name, "cat", "/home/marker")
	if r.code != 0 || r.stdout != "m\n" {
		t.Errorf("the volume should appear at the symlink's target inside the root: code %d out %q err %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Lstat("/home/marker"); err == nil {
		t.Errorf("the volume reached the host's /home")
	}
	hostTarget := "/tmp/podctl-e2e-volume-escape"
	os.RemoveAll(hostTarget)
	r = run(t, "run", "--rm", "-v", ws+":/dangling", name, "true")
	if lines := errorLines(r.stderr); r.code == 0 || len(lines) != 1 || !strings.Contains(lines[0], "/dangling") {
		t.Errorf("a symlink to a missing directory as a target: code %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Lstat(hostTarget); err == nil {
		os.RemoveAll(hostTarget)
		t.Errorf("the mount target was created on the host at %s", hostTarget)
	}
}

func TestDeadline(t *testing.T) {
	leakCheck(t)
	// A sleeping step, foreground: 124 as timeout(1), and DeadlineExceeded.
	start := time.Now()
	r := run(t, "run", "--name", "deadline", "--timeout", "1s", "--rootfs", rootfs, "--", "sleep", "60")
	defer run(t, "rm", "-f", "deadline")
	if r.code != 124 {
		t.Fatalf("run --timeout 1s of sleep 60: code %d, want 124; stderr %s", r.code, r.stderr)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the deadline took %s to act", d)
	}
	var st struct {
		Phase, Reason string
	}
	json.Unmarshal([]byte(run(t, "inspect", "deadline").stdout), &st)
	if st.Phase != "Failed" || st.Reason != "DeadlineExceeded" {
		t.Errorf("inspect: phase %q reason %q, want Failed, DeadlineExceeded", st.Phase, st.Reason)
	}
	if out := run(t, "ps", "-a").stdout; !strings.Contains(out, "DeadlineExceeded") {
		t.Errorf("ps -a does not show DeadlineExceeded:\n%s", out)
	}
	// Detached: the supervisor (or its keeper, hibernated) stops it too,
	// after its second, not before and not much later (the bounds tell a
	// deadline honoured from one ignored; they are no speed claim).
	start = time.Now()
	if r := run(t, "run", "-d", "--name", "deadline-d", "--timeout", "1s", "--rootfs", rootfs, "--", "sleep", "60"); r.code != 0 {
		t.Fatalf("run -d: %s", r.stderr)
	}
	defer run(t, "rm", "-f", "deadline-d")
	r = run(t, "wait", "deadline-d", "--timeout", "20s")
	took := time.Since(start)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "143" {
		t.Errorf("wait of the detached pod: code %d, printed %q, want 0 and 143 (sleep ended by SIGTERM); %s", r.code, r.stdout, r.stderr)
	}
	if took < time.Second || took > 15*time.Second {
		t.Errorf("the detached pod's 1 s deadline acted after %s", took)
	}
	var std struct {
		Phase, Reason string
	}
	if err := json.Unmarshal([]byte(run(t, "inspect", "deadline-d").stdout), &std); err != nil {
		t.Fatalf("inspect deadline-d: %v", err)
	}
	if std.Phase != "Failed" || std.Reason != "DeadlineExceeded" {
		t.Errorf("detached pod: phase %q reason %q, want Failed, DeadlineExceeded", std.Phase, std.Reason)
	}
}

func TestResultFile(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	type result struct {
		Pod, Container, Reason, Message string
		ExitCode, Signal                int
		StartedAt, FinishedAt           time.Time
		DurationSeconds                 float64
		PeakMemoryBytes                 *int64
	}
	read := func(p string) result {
		var r result
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("result file: %v", err)
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("result file: %v: %s", err, b)
		}
		return r
	}
	cases := []struct {
		flags  []string
		cmd    []string
		code   int
		reason string
		least  float64 // seconds
	}{
		{nil, sh("sleep 0.3"), 0, "Completed", 0.3},
		{nil, sh("exit 3"), 3, "Error", 0},
		{nil, sh("kill -USR1 $$"), 128 + 10, "Error", 0},
		{[]string{"--timeout", "1s"}, sh("sleep 30"), 124, "DeadlineExceeded", 0.8}, // the deadline counts from the pod's start
	}
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("r%d.json", i))
		r := podRun(t, append([]string{"--result-file", p}, c.flags...), c.cmd...)
		if r.code != c.code {
			t.Errorf("%v: podctl run exited %d, want %d (%s)", c.cmd, r.code, c.code, r.stderr)
		}
		got := read(p)
		if got.ExitCode != c.code || got.Reason != c.reason {
			t.Errorf("%v: result exitCode %d reason %q, want %d %q", c.cmd, got.ExitCode, got.Reason, c.code, c.reason)
		}
		if got.Pod == "" || got.Container == "" || got.StartedAt.IsZero() || got.FinishedAt.Before(got.StartedAt) ||
			got.DurationSeconds < c.least || got.DurationSeconds > c.least+15 || got.PeakMemoryBytes != nil {
			t.Errorf("%v: result %+v", c.cmd, got)
		}
	}
	if r := podRun(t, []string{"--result-file", "/no/such/dir/r.json"}, "/bin/true"); r.code != 125 || !strings.Contains(r.stderr, "/no/such/dir") {
		t.Errorf("a result file in a missing directory: %d %s", r.code, r.stderr)
	}
	// Detached (docs/ci.md: "also for -d"): the supervisor writes it when
	// the pod ends, not podctl run, which has returned by then; and only
	// then (written whole: no file while the pod runs).
	p := filepath.Join(dir, "detached.json")
	podRm(t, "result-d")
	mustRun(t, "run", "-d", "--name", "result-d", "--network", "none", "--result-file", p, "--rootfs", rootfs, "--", "sh", "-c", "sleep 0.5; exit 7")
	if _, err := os.Stat(p); err == nil {
		t.Errorf("the result file exists while the pod runs")
	}
	eventually(t, "the detached pod's result file", func() bool { _, err := os.Stat(p); return err == nil })
	if got := read(p); got.ExitCode != 7 || got.Reason != "Error" || got.Pod != "result-d" || got.DurationSeconds < 0.4 {
		t.Errorf("detached: result %+v, want exit 7, Error, pod result-d, at least 0.5 s", got)
	}
}

// A flag's value is taken whole: a command line that splits slice flags
// would split -e FOO=a,b at the comma (DisableSliceFlagSeparator).
func TestEnvValueWithComma(t *testing.T) {
	leakCheck(t)
	if r := podRun(t, []string{"-e", "LIST=a,b,c"}, sh("echo $LIST")...); r.stdout != "a,b,c\n" {
		t.Errorf("-e LIST=a,b,c: %q %s", r.stdout, r.stderr)
	}
}

// A cancelled CI job: SIGHUP, SIGINT or SIGTERM to podctl run stops a step
// that runs from an image with a workspace volume; podctl exits with the
// step's code and leaves nothing behind: no process, mount, state, or
// container layer in the image store.
func TestCancelledStep(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/cancel:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}}), "oci-archive")
	before := readStore(t)
	ws := t.TempDir()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(podctl, "run", "--rm", "-v", ws+":/work", name, "sh", "-c", "echo READY; while :; do sleep 0.05; done")
		stdout, _ := cmd.StdoutPipe()
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "READY\n" {
			t.Fatalf("%v: the step did not start: %q %v %s", sig, buf, err, errb.String())
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { io.Copy(io.Discard, stdout); done <- cmd.Wait() }()
		select {
		case err := <-done:
			// sh dies of the signal: 128+N, the shell's convention.
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(sig) {
				t.Errorf("%v: podctl run ended with %v, want exit %d; stderr %s", sig, err, 128+int(sig), errb.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: podctl run did not end", sig)
		}
	}
	sameStore(t, "after three cancelled steps", before)
}

// A cancelled step that ignores its signal (docs/cli.md, docs/ci.md): the
// signal goes to it, SIGKILL follows 10 s later, and a second signal kills
// at once. The bounds tell each timer honoured from one ignored (the
// SIGKILL must not come before the 10 s, nor long after; after a second
// signal it must come well before them); they are no speed claim.
func TestSignalEscalation(t *testing.T) {
	leakCheck(t)
	start := func() (*exec.Cmd, chan error) {
		cmd := exec.Command(podctl, "run", "--rm", "--network", "none", "--rootfs", rootfs, "--",
			"sh", "-c", "trap '' TERM INT HUP; echo READY; while :; do sleep 0.05; done")
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "READY\n" {
			cmd.Process.Kill()
			t.Fatalf("the step did not start: %q %v", buf, err)
		}
		done := make(chan error, 1)
		go func() { io.Copy(io.Discard, stdout); done <- cmd.Wait() }()
		return cmd, done
	}
	end := func(what string, done chan error, cmd *exec.Cmd, from time.Time, min, max time.Duration) {
		t.Helper()
		select {
		case err := <-done:
			took := time.Since(from)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 137 {
				t.Errorf("%s: podctl run ended with %v, want exit 137 (SIGKILL)", what, err)
			}
			if took < min || took > max {
				t.Errorf("%s: SIGKILL came after %s, want between %s and %s", what, took, min, max)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%s: podctl run did not end", what)
		}
	}
	// One signal: 10 s of grace, then SIGKILL.
	cmd, done := start()
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	end("one SIGTERM", done, cmd, t0, 9*time.Second, 20*time.Second)
	// Two: the second kills at once.
	cmd, done = start()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		t.Fatalf("one SIGINT ended a step that ignores it at once: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	t1 := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	end("a second SIGINT", done, cmd, t1, 0, 5*time.Second)
}

// Named volumes: made by podctl volume create or on first use, shared by
// the containers that mount them, kept after their pods, refused removal
// while a pod uses them.
func TestNamedVolumes(t *testing.T) {
	leakCheck(t)
	t.Cleanup(func() { run(t, "volume", "rm", "-f", "e2e-vol", "e2e-vol2") })
	if r := run(t, "volume", "create", "e2e-vol"); r.code != 0 {
		t.Fatalf("volume create: %s", r.stderr)
	}
	if r := run(t, "volume", "create", "e2e-vol"); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("a second create: %d %s", r.code, r.stderr)
	}
	// Two containers of a pod share it.
	if r := run(t, "pod", "create", "--restart", "never", "volpod"); r.code != 0 {
		t.Fatalf("pod create: %s", r.stderr)
	}
	defer run(t, "rm", "-f", "volpod")
	if r := run(t, "run", "-d", "--pod", "volpod", "--name", "writer", "-v", "e2e-vol:/data", "--rootfs", rootfs, "--", "sh", "-c", "echo shared > /data/f; sleep 60"); r.code != 0 {
		t.Fatalf("writer: %d %s", r.code, r.stderr)
	}
	waitFor(t, func() bool { return run(t, "exec", "-c", "writer", "volpod", "cat", "/data/f").stdout == "shared\n" })
	if r := run(t, "run", "--pod", "volpod", "--name", "reader", "--mount", "type=volume,source=e2e-vol,target=/in,readonly", "--rootfs", rootfs, "--", "cat", "/in/f"); r.stdout != "shared\n" {
		t.Errorf("reader: %q %s", r.stdout, r.stderr)
	}
	// In use: refused, with the pod named.
	if r := run(t, "volume", "rm", "e2e-vol"); r.code == 0 || !strings.Contains(r.stderr, "volpod") {
		t.Errorf("rm of a volume in use: %d %s", r.code, r.stderr)
	}
	var v struct {
		Name, Mountpoint string
		UsedBy           []string
	}
	json.Unmarshal([]byte(run(t, "volume", "inspect", "e2e-vol").stdout), &v)
	if v.Name != "e2e-vol" || len(v.UsedBy) != 1 || v.UsedBy[0] != "volpod" {
		t.Errorf("volume inspect: %+v", v)
	}
	if b, err := os.ReadFile(filepath.Join(v.Mountpoint, "f")); err != nil || string(b) != "shared\n" {
		t.Errorf("the data on the host: %q %v", b, err)
	}
	// Made on first use; kept after the pod.
	if r := podRun(t, []string{"-v", "e2e-vol2:/cache"}, sh("echo kept > /cache/k")...); r.code != 0 {
		t.Fatalf("first use of e2e-vol2: %s", r.stderr)
	}
	if r := podRun(t, []string{"-v", "e2e-vol2:/cache"}, "cat", "/cache/k"); r.stdout != "kept\n" {
		t.Errorf("a volume's data after its pod: %q %s", r.stdout, r.stderr)
	}
	if out := run(t, "volume", "ls").stdout; !strings.Contains(out, "e2e-vol2") {
		t.Errorf("volume ls:\n%s", out)
	}
	run(t, "rm", "-f", "volpod")
	for _, name := range []string{"e2e-vol", "e2e-vol2"} {
		if r := run(t, "volume", "rm", name); r.code != 0 {
			t.Errorf("volume rm %s: %s", name, r.stderr)
		}
	}
	if out := run(t, "volume", "ls").stdout; strings.Contains(out, "e2e-vol") {
		t.Errorf("volumes left:\n%s", out)
	}
}

// --userns=keep-id: a step runs as the caller's own uid and gid, and the
// files it writes into the workspace are the caller's on the host. Without
// it, a non-root step's files belong to a subordinate id.
func TestKeepID(t *testing.T) {
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") != "" {
		r := podRun(t, []string{"--userns", "keep-id"}, "/bin/true")
		if r.code != 125 || !strings.Contains(r.stderr, "subordinate id range") {
			t.Errorf("keep-id without a subordinate range: %d %s", r.code, r.stderr)
		}
		return
	}
	leakCheck(t)
	ws := t.TempDir()
	os.Chmod(ws, 0o777) // so that the step without keep-id, uid 1000, may write too
	r := podRun(t, []string{"--userns", "keep-id", "-v", ws + ":/w"}, sh("id -u; id -g; touch /w/mine")...)
	if want := fmt.Sprintf("%d\n%d\n", os.Getuid(), os.Getgid()); r.code != 0 || r.stdout != want {
		t.Fatalf("keep-id: code %d, ids %q, want %q; %s", r.code, r.stdout, want, r.stderr)
	}
	owner := func(name string) int {
		fi, err := os.Stat(filepath.Join(ws, name))
		if err != nil {
			t.Fatal(err)
		}
		return int(fi.Sys().(*syscall.Stat_t).Uid)
	}
	if u := owner("mine"); u != os.Getuid() {
		t.Errorf("with keep-id the step's file is owned by %d, want %d", u, os.Getuid())
	}
	if os.Getuid() == 0 {
		return
	}
	if r := podRun(t, []string{"-u", "1000", "-v", ws + ":/w"}, "touch", "/w/theirs"); r.code != 0 {
		t.Fatalf("uid 1000 without keep-id: %s", r.stderr)
	}
	if u := owner("theirs"); u == os.Getuid() {
		t.Errorf("without keep-id a uid-1000 step's file should belong to a subordinate id, not to %d", u)
	}
	// From an image: the layers are seen with their own owners (a copy
	// chowned for the keep-id mapping, made once by containers-storage),
	// the step is the caller, and removing the image removes the copy.
	before := readStore(t)
	const name = "localhost/podctl-e2e/keepid:1"
	img := testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}},
		imagebuild.Entry{Path: "srv/", Dir: true, UID: 101, GID: 101})
	path := filepath.Join(t.TempDir(), "k.tar")
	img.WriteOCIArchive(path)
	if r := run(t, "load", "-q", "-i", path); r.code != 0 {
		t.Fatalf("load: %s", r.stderr)
	}
	for i := 0; i < 2; i++ {
		r = run(t, "run", "--rm", "--userns", "keep-id", "-v", ws+":/w", name, "sh", "-c",
			"id -u; stat -c %u:%g /bin/busybox /srv; touch /w/from-image; touch /etc/x 2>/dev/null || echo etc-refused")
		want := fmt.Sprintf("%d\n0:0\n101:101\netc-refused\n", os.Getuid())
		if r.code != 0 || r.stdout != want {
			t.Errorf("keep-id from an image, run %d: code %d out %q want %q; %s", i+1, r.code, r.stdout, want, r.stderr)
		}
	}
	if u := owner("from-image"); u != os.Getuid() {
		t.Errorf("keep-id from an image: the step's file is owned by %d, want %d", u, os.Getuid())
	}
	if r := run(t, "rmi", name); r.code != 0 {
		t.Errorf("rmi: %s", r.stderr)
	}
	sameStore(t, "after the keep-id image is removed", before)
}

// podctl inside a podctl pod: the outer pod must be --privileged (the
// default seccomp profile refuses the inner user namespace, masked /proc
// refuses a new proc mount, and no_new_privs stops newuidmap); the inner pod
// then maps the ids the outer one has, each to itself.
func TestNested(t *testing.T) {
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") != "" {
		t.Skip("the outer pod maps one id: nothing to nest")
	}
	leakCheck(t)
	const name = "localhost/podctl-e2e/nested:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}}), "oci-archive")
	inner := `XDG_RUNTIME_DIR=/run /podctl/podctl run --rm --rootfs /inner -- sh -c 'echo nested; id -u; wc -l < /proc/self/uid_map'`
	r := run(t, "run", "--rm", "--privileged", "-v", filepath.Dir(podctl)+":/podctl:ro", "-v", rootfs+":/inner",
		"--tmpfs", "/run", name, "sh", "-c", inner)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "nested\n0\n") {
		t.Fatalf("nested run: code %d, out %q, err %s", r.code, r.stdout, r.stderr)
	}
	// Without --privileged it is refused, and says why.
	r = run(t, "run", "--rm", "-v", filepath.Dir(podctl)+":/podctl:ro", "-v", rootfs+":/inner", "--tmpfs", "/run", name, "sh", "-c", inner)
	if r.code == 0 {
		t.Errorf("a nested pod ran without --privileged: %q", r.stdout)
	}
}

// A --rootfs directory is used in place: the mount points a run needs and
// the directory lacks are made in it, empty, and stay, with --read-only
// too (podctl run --help says so). Control: none of them is there before.
func TestRootfsMountPointsMade(t *testing.T) {
	leakCheck(t)
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := buildBusyboxRootfs(dir); err != nil {
		t.Fatal(err)
	}
	dirs := []string{"w", "wd", "t", "proc", "sys", "dev"}
	files := []string{"etc/hosts", "etc/hostname", "etc/resolv.conf"}
	for _, p := range append(dirs, files...) {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Fatalf("%s is in the rootfs before the run", p)
		}
	}
	ws := t.TempDir()
	r := run(t, "run", "--rm", "--read-only", "--network", "none", "-v", ws+":/w", "-w", "/wd", "--tmpfs", "/t",
		"--rootfs", dir, "--", "sh", "-c", "pwd; touch /x 2>/dev/null || echo read-only")
	if r.code != 0 || r.stdout != "/wd\nread-only\n" {
		t.Fatalf("run: code %d, out %q, err %s", r.code, r.stdout, r.stderr)
	}
	for _, p := range dirs {
		if entries, err := os.ReadDir(filepath.Join(dir, p)); err != nil || len(entries) != 0 {
			t.Errorf("%s in the rootfs after the run: %v, %d entries; want an empty directory", p, err, len(entries))
		}
	}
	for _, p := range files {
		if fi, err := os.Lstat(filepath.Join(dir, p)); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
			t.Errorf("%s in the rootfs after the run: %v; want an empty file", p, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "x")); err == nil {
		t.Errorf("the read-only root was written")
	}
}
