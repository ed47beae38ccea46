package nsenter

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The keeper stage (keeper.c) logs what arrives on a container's pipes in
// the CRI format, notices end-of-file, and execs the supervisor back when a
// command connects to the control socket, handing back the same
// descriptors (the ended pipe as -1).
func TestKeeper(t *testing.T) {
	dir := t.TempDir()
	lock, lf, sock := keeperFiles(t, dir)
	// A process to stand for the pause: the keeper polls its pidfd.
	_, pidfdFile := sleeper(t)
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	logPath := filepath.Join(dir, "0.log")
	log, _ := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	// A container's stdin (attach): held, and handed back as it is.
	inR, inW, _ := os.Pipe()
	defer inR.Close()

	// The child gets them as fds 3..9 (ExtraFiles), in this order.
	files := []*os.File{lock, lf, pidfdFile, outR, errR, log, inW}
	spec := "lock=3 ctl=4 pause=5 wake=0 c=web,-1,6,7,8,0,0,0 i=web,9 i=side,-1"
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{EnvStage + "=" + StageKeep, EnvKeep + "=" + spec, EnvKeepDir + "=" + dir}
	cmd.ExtraFiles = files
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outR.Close()
	errR.Close()
	inW.Close()

	long := strings.Repeat("y", 16384+10)
	fmt.Fprintf(outW, "one\ntw")
	time.Sleep(50 * time.Millisecond)
	fmt.Fprintf(outW, "o\n%s\n", long)
	fmt.Fprintf(errW, "oops\n")
	errW.Close() // end-of-file on stderr: the keeper closes it
	time.Sleep(50 * time.Millisecond)
	fmt.Fprintf(outW, "half")
	time.Sleep(50 * time.Millisecond)

	// A command connects: the keeper must exec the supervisor back.
	c, err := net.Dial("unixpacket", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	awaitResume(t, cmd, done, "a command at the control socket")
	want := fmt.Sprintf("resumed %s lock=3 ctl=4 pause=5 net=-1 wake=0 c=web,-1,6,-1,8,1,0,0 i=web,9 i=side,-1\n", dir)
	if stdout.String() != want {
		t.Errorf("handed back %q\nwant        %q", stdout.String(), want)
	}

	b, _ := os.ReadFile(logPath)
	rec := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$`)
	got := map[string][]string{} // by stream: two pipes, read in either order
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		m := rec.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a CRI record: %.60q", line)
		}
		got[m[1]] = append(got[m[1]], fmt.Sprintf("%s %d", m[2], len(m[3])))
	}
	// "tw" + "o" is one line; the long one is cut at 16 KiB; "half" is
	// cut by the exec and so goes out as P, to be continued.
	if g, w := strings.Join(got["stdout"], "|"), "F 3|F 3|P 16384|F 10|P 4"; g != w {
		t.Errorf("stdout records %s, want %s", g, w)
	}
	if g, w := strings.Join(got["stderr"], "|"), "F 4"; g != w {
		t.Errorf("stderr records %s, want %s", g, w)
	}
	// Today in UTC, as a Go reader parses it.
	m := rec.FindStringSubmatch(strings.SplitN(string(b), "\n", 2)[0])
	ts, err := time.Parse(time.RFC3339Nano, strings.Fields(m[0])[0])
	if err != nil || time.Since(ts) > time.Minute || time.Since(ts) < 0 {
		t.Errorf("timestamp %q: %v (now %s)", strings.Fields(m[0])[0], err, time.Now().UTC())
	}
	outW.Close()
}

// The death of the pod's network helper wakes the keeper too (the Go
// supervisor records it and starts a new helper), and its pidfd is handed
// back.
func TestKeeperWakesOnNetworkHelper(t *testing.T) {
	dir := t.TempDir()
	lock, lf, _ := keeperFiles(t, dir)
	var pidfds []*os.File
	var procs []*exec.Cmd
	for range 2 { // the pause, the network helper
		p, pidfd := sleeper(t)
		pidfds, procs = append(pidfds, pidfd), append(procs, p)
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{EnvStage + "=" + StageKeep, EnvKeep + "=lock=3 ctl=4 pause=5 net=6 wake=0", EnvKeepDir + "=" + dir}
	cmd.ExtraFiles = []*os.File{lock, lf, pidfds[0], pidfds[1]}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		t.Fatalf("the keeper left before the helper died: %q", stdout.String())
	case <-time.After(100 * time.Millisecond):
	}
	procs[1].Process.Kill()
	awaitResume(t, cmd, done, "the helper's death")
	if want := fmt.Sprintf("resumed %s lock=3 ctl=4 pause=5 net=6 wake=0\n", dir); stdout.String() != want {
		t.Errorf("handed back %q, want %q", stdout.String(), want)
	}
}

// keeperFiles makes what a keeper is handed besides pidfds and pipes: the
// supervisor's lock file and its listening control socket (path sock).
func keeperFiles(t *testing.T, dir string) (lock, listener *os.File, sock string) {
	t.Helper()
	lock, err := os.Create(filepath.Join(dir, "supervisor.lock"))
	if err != nil {
		t.Fatal(err)
	}
	sock = filepath.Join(dir, "control.sock")
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	listener, _ = l.File()
	l.SetUnlinkOnClose(false)
	l.Close()
	return lock, listener, sock
}

// sleeper starts a process that stands for one the keeper watches, killed
// at the end of the test, and returns it with a pidfd of it.
func sleeper(t *testing.T) (*exec.Cmd, *os.File) {
	t.Helper()
	p := exec.Command("sleep", "100")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill(); p.Wait() })
	fd, err := unix.PidfdOpen(p.Process.Pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p, os.NewFile(uintptr(fd), "pidfd")
}

// awaitResume waits for the keeper cmd (whose Wait result comes on done) to
// exec the supervisor back, as what should have woken it.
func awaitResume(t *testing.T, cmd *exec.Cmd, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("keeper: %v", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s did not wake the keeper", what)
	}
}

// A log that reaches its size wakes the keeper: the supervisor rotates it
// as it takes it back (sandbox/crilog/rotate.go).
func TestKeeperWakesOnFullLog(t *testing.T) {
	dir := t.TempDir()
	lock, lf, _ := keeperFiles(t, dir)
	_, pidfdFile := sleeper(t)
	outR, outW, _ := os.Pipe()
	defer outW.Close()
	log, _ := os.OpenFile(filepath.Join(dir, "0.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	log.WriteString(strings.Repeat("x", 900))
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{EnvStage + "=" + StageKeep, EnvKeep + "=lock=3 ctl=4 pause=5 wake=0 c=web,8,-1,-1,-1,0,0,0 c=web,-1,6,-1,7,0,0,1000", EnvKeepDir + "=" + dir}
	_, ctrPidfd := sleeper(t)
	cmd.ExtraFiles = []*os.File{lock, lf, pidfdFile, outR, log, ctrPidfd}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outR.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	fmt.Fprintf(outW, "short\n")
	select {
	case <-done:
		t.Fatalf("the keeper left below the log's size: %q", stdout.String())
	case <-time.After(100 * time.Millisecond):
	}
	go func() {
		for range 2000 {
			if _, err := fmt.Fprintf(outW, "%s\n", strings.Repeat("y", 100)); err != nil {
				return
			}
		}
	}()
	awaitResume(t, cmd, done, "a full log")
	if fi, _ := os.Stat(filepath.Join(dir, "0.log")); fi.Size() > 1000+300 {
		t.Errorf("the keeper wrote %d bytes, past 1000 by more than a record", fi.Size())
	}
	if want := fmt.Sprintf("resumed %s lock=3 ctl=4 pause=5 net=-1 wake=0 c=web,8,-1,-1,-1,0,0,0 c=web,-1,6,-1,7,0,0,1000\n", dir); stdout.String() != want {
		t.Errorf("handed back %q, want %q", stdout.String(), want)
	}
}
