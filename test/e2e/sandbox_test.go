package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// livePod is a foreground podctl run driven by a test: the workload prints
// lines and waits on its standard input.
type livePod struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr *bytes.Buffer
	name   string
}

func startPod(t *testing.T, name string, script string) *livePod {
	t.Helper()
	cmd := exec.Command(podctl, "run", "-i", "--rm", "--name", name, "--rootfs", rootfs, "--", "/bin/sh", "-c", script)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &livePod{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), stderr: &errb, name: name}
	t.Cleanup(func() {
		p.stdin.Close()
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// readUntil returns the workload's lines before the line "marker".
func (p *livePod) readUntil(t *testing.T, marker string) []string {
	t.Helper()
	var out []string
	for p.lines.Scan() {
		if p.lines.Text() == marker {
			return out
		}
		out = append(out, p.lines.Text())
	}
	t.Fatalf("pod ended before printing %q; got %q; stderr: %s", marker, out, p.stderr.String())
	return nil
}

// finish closes the workload's stdin and returns podctl's exit code.
func (p *livePod) finish(t *testing.T) int {
	t.Helper()
	p.stdin.Close()
	for p.lines.Scan() {
	}
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// pausePID reads the pause's pid from the pod's state.
func pausePID(t *testing.T, pod string) int {
	t.Helper()
	st, _, err := model.ReadState(pod)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pause.PID <= 0 {
		t.Fatalf("pod %s has no pause pid in its state", pod)
	}
	return st.Pause.PID
}

func nsInode(t *testing.T, pid, ns string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%s/ns/%s", pid, ns))
	if err != nil {
		t.Fatalf("readlink of %s's %s namespace: %v", pid, ns, err)
	}
	return l
}

// The workload shares the pause's user, net, ipc, uts and pid namespaces,
// and has a mount namespace and a cgroup namespace of its own (rooted at
// its own cgroup, as runc and crun do); PID 1 is the pause.
func TestNamespacesShared(t *testing.T) {
	leakCheck(t)
	nss := []string{"user", "net", "ipc", "uts", "pid", "cgroup", "mnt"}
	p := startPod(t, "ns-test", `for n in user net ipc uts pid cgroup mnt; do readlink /proc/self/ns/$n; done
cat /proc/1/comm; echo $$; echo END; read x; exit 0`)
	lines := p.readUntil(t, "END")
	if len(lines) != len(nss)+2 {
		t.Fatalf("unexpected output %q", lines)
	}
	pause := strconv.Itoa(pausePID(t, "ns-test"))
	for i, ns := range nss {
		inPause := nsInode(t, pause, ns)
		onHost := nsInode(t, "self", ns)
		if ns == "mnt" || ns == "cgroup" {
			if lines[i] == inPause || lines[i] == onHost {
				t.Errorf("%s namespace of the workload %s must differ from the pause's %s and the host's %s", ns, lines[i], inPause, onHost)
			}
			continue
		}
		if lines[i] != inPause {
			t.Errorf("%s namespace: workload %s, pause %s", ns, lines[i], inPause)
		}
		if lines[i] == onHost {
			t.Errorf("%s namespace of the workload is the host's (%s)", ns, onHost)
		}
	}
	if lines[7] != "podctl-pause" {
		t.Errorf("PID 1 in the pod is %q, want podctl-pause", lines[7])
	}
	if lines[8] == "1" {
		t.Errorf("the workload is PID 1; the pause should be")
	}
	if code := p.finish(t); code != 0 {
		t.Errorf("exit code %d; stderr %s", code, p.stderr)
	}
}

// subRange is the first /etc/subuid (or subgid) range of the test user.
func subRange(t *testing.T, file string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("no %s: %v", file, err)
	}
	me := strconv.Itoa(os.Getuid())
	name := os.Getenv("USER")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 3 && (f[0] == name || f[0] == me) {
			return f[1], f[2]
		}
	}
	t.Skipf("no range for %s in %s", name, file)
	return "", ""
}

// A rootless pod maps root to the caller and 1..N to the caller's
// subordinate range, seen from the host (the pause's maps), both when its
// maps are written by newuidmap and newgidmap (PODCTL_USERNS_LINGER=0)
// and when it is made inside the per-user namespace and mapped from there
// (the default; sandbox/stage/nest.go). Inside the pod, /proc/self/uid_map
// shows the ids of its parent namespace (proc(5)): the host's, or the
// per-user namespace's (the subordinate ids at 1..N, the caller at N+1).
func TestIDMapUsesSubordinateRange(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root pods use an identity map (TestRootIdentityMap)")
	}
	leakCheck(t)
	ustart, ucount := subRange(t, "/etc/subuid")
	gstart, gcount := subRange(t, "/etc/subgid")
	rows := func(m string) string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(m), "\n") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(out, "; ")
	}
	for _, linger := range []string{"0", "5"} {
		env := []string{"PODCTL_USERNS_LINGER=" + linger}
		if r := runEnv(t, env, "", "run", "-d", "--name", "idmap", "--network", "none", "--rootfs", rootfs, "--", "sleep", "300"); r.code != 0 {
			t.Fatalf("linger %s: run -d: %d %s", linger, r.code, r.stderr)
		}
		pause := pausePID(t, "idmap")
		for _, m := range []struct {
			file, start, count string
			own                int
		}{{"uid_map", ustart, ucount, os.Getuid()}, {"gid_map", gstart, gcount, os.Getgid()}} {
			host, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pause, m.file))
			if want := fmt.Sprintf("0 %d 1; 1 %s %s", m.own, m.start, m.count); err != nil || rows(string(host)) != want {
				t.Errorf("linger %s: the pod's %s seen from the host: %q (%v), want %q", linger, m.file, rows(string(host)), err, want)
			}
			inside := run(t, "exec", "idmap", "--", "cat", "/proc/self/"+m.file)
			want := fmt.Sprintf("0 %d 1; 1 %s %s", m.own, m.start, m.count)
			if linger != "0" {
				n, _ := strconv.Atoi(m.count)
				want = fmt.Sprintf("0 %d 1; 1 1 %s", n+1, m.count)
			}
			if got := rows(inside.stdout); got != want {
				t.Errorf("linger %s: the pod's %s seen inside: %q, want %q", linger, m.file, got, want)
			}
		}
		if r := run(t, "exec", "idmap", "--", "id", "-u"); strings.TrimSpace(r.stdout) != "0" {
			t.Errorf("linger %s: the workload's uid is %q, want 0", linger, r.stdout)
		}
		run(t, "rm", "-f", "idmap")
	}
}

func TestHostnameEnvCwdUser(t *testing.T) {
	leakCheck(t)
	r := podRun(t, []string{"--network", "none", "--name", "envtest", "-e", "GREETING=hello world", "-e", "PATH=/bin", "-w", "/srv/work", "-u", "alice"},
		sh(`hostname; cat /etc/hostname; echo "$GREETING"; echo $PATH; pwd; id -u; id -g; id -G; echo $HOME; grep envtest /etc/hosts`)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []string{"envtest", "envtest", "hello world", "/bin", "/srv/work", "1000", "1000", "1000 10", "/home/alice", "127.0.1.1\tenvtest"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	r = podRun(t, []string{"--hostname", "other", "-u", "1234:4321"}, sh("hostname; id -u; id -g")...)
	if got := strings.Fields(r.stdout); strings.Join(got, " ") != "other 1234 4321" || r.code != 0 {
		t.Errorf("got %q (exit %d, %s), want other 1234 4321", r.stdout, r.code, r.stderr)
	}
}

func TestExitCodesAndSignals(t *testing.T) {
	leakCheck(t)
	for script, want := range map[string]int{
		"exit 0":      0,
		"exit 7":      7,
		"kill -9 $$":  137,
		"kill -15 $$": 143,
	} {
		if r := podRun(t, nil, sh(script)...); r.code != want {
			t.Errorf("%q: exit %d, want %d (stderr %s)", script, r.code, want, r.stderr)
		}
	}
}

// SIGTERM to podctl reaches the workload, whose own exit code comes back.
func TestSignalForwarded(t *testing.T) {
	leakCheck(t)
	p := startPod(t, "sigtest", `trap 'exit 42' TERM; echo READY; while :; do sleep 0.05; done`)
	p.readUntil(t, "READY")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.finish(t); code != 42 {
		t.Errorf("exit %d, want 42; stderr %s", code, p.stderr)
	}
}

// A double-forked orphan is re-parented to the pause, which reaps it.
func TestOrphansReaped(t *testing.T) {
	leakCheck(t)
	r := podRun(t, nil, sh(`sh -c 'sleep 0.2 & exit 0'; sleep 1; ps -o stat,ppid,comm | grep -c '^Z' || true`)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("zombies in the pod: %q (exit %d, %s)", r.stdout, r.code, r.stderr)
	}
}

// SIGTERM to the pause ends the pod: the kernel kills the pid namespace.
func TestPauseExitsOnSIGTERM(t *testing.T) {
	leakCheck(t)
	p := startPod(t, "pause-term", `echo READY; while :; do sleep 1; done`)
	p.readUntil(t, "READY")
	syscall.Kill(pausePID(t, "pause-term"), syscall.SIGTERM)
	done := make(chan int, 1)
	go func() { done <- p.finish(t) }()
	select {
	case code := <-done:
		if code != 137 {
			t.Errorf("exit %d, want 137 (workload killed with its pid namespace)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pod did not end after SIGTERM to the pause")
	}
}

// The pause must stay tiny: it sheds the pages of the podctl binary it
// touched while starting (nsenter.c, shed_file_pages); about 300 kB here.
func TestPauseIsSmall(t *testing.T) {
	leakCheck(t)
	p := startPod(t, "pause-rss", `echo READY; read x; exit 0`)
	p.readUntil(t, "READY")
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pausePID(t, "pause-rss")))
	if err != nil {
		t.Fatal(err)
	}
	var rss int
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			rss, _ = strconv.Atoi(strings.Fields(l)[1])
		}
	}
	t.Logf("pause VmRSS %d kB", rss)
	if rss == 0 || rss >= 512 {
		t.Errorf("pause VmRSS %d kB, want under 512 kB", rss)
	}
	// What it keeps of the binary's data (.data, a private writable
	// mapping of the file) are the pages it wrote: the clean ones that
	// fault-around mapped are dropped (nsenter.c, shed_clean_data_pages).
	if clean := cleanDataPages(t, pausePID(t, "pause-rss")); clean != 0 {
		t.Errorf("the pause keeps %d clean pages of the binary's data mapping, want 0", clean)
	}
	p.finish(t)
}

// cleanDataPages counts the resident pages of pid's writable private file
// mappings that are still the file's (pagemap(5): present, bit 61 "file
// page"), as opposed to written (copied on write to anonymous memory).
func cleanDataPages(t *testing.T, pid int) int {
	t.Helper()
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	clean := 0
	for _, l := range strings.Split(string(maps), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[1] != "rw-p" || f[4] == "0" {
			continue
		}
		var start, end uint64
		fmt.Sscanf(f[0], "%x-%x", &start, &end)
		buf := make([]byte, (end-start)/4096*8)
		if _, err := pm.ReadAt(buf, int64(start/4096*8)); err != nil {
			t.Fatalf("pagemap of %d: %v", pid, err)
		}
		for i := 0; i+8 <= len(buf); i += 8 {
			e := binary.LittleEndian.Uint64(buf[i:])
			if e>>63&1 == 1 && e>>61&1 == 1 {
				clean++
			}
		}
	}
	return clean
}

// CVE-2019-5736: /proc/1/exe (the pause) must not lead to a writable
// podctl binary. The pause is not dumpable, so a pod cannot even open it
// (TestAttackPrivilegedCalls); here the pod is --privileged, so that it
// can, and what must stop a write is where the pause's binary lives: a
// detached read-only mount of podctl (statfs: ST_RDONLY). While the pause
// runs, the kernel refuses writes to it anyway (ETXTBSY); the attack
// writes later, through a descriptor kept, and then only the read-only
// mount stands. The podctl run is a copy the caller owns, as a user's own
// build is. The positive control asks the same of a running binary on a
// writable mount, the workload's own: it reports the way open.
func TestPauseBinaryNotWritable(t *testing.T) {
	leakCheck(t)
	before := fileHash(t, podctl)
	mine := filepath.Join(t.TempDir(), "podctl")
	b, err := os.ReadFile(podctl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(mine, "run", "--rm", "--network", "none", "--privileged", "--rootfs", rootfs, "--",
		"/bin/attack", "exe-mount", "/proc/1/exe").Output()
	verdict(t, "the pause's binary, from a --privileged pod of a podctl of the caller's", strings.TrimSpace(string(out)), "BLOCKED EROFS")
	verdict(t, "the workload's own binary (control)", attack(t, nil, "exe-mount", "/proc/self/exe"), "ESCAPED")
	r := podRun(t, nil, sh(`if echo pwned >> /proc/1/exe; then echo WROTE; else echo REFUSED; fi`)...)
	if !strings.Contains(r.stdout, "REFUSED") {
		t.Errorf("writing /proc/1/exe: %q %q", r.stdout, r.stderr)
	}
	if fileHash(t, podctl) != before {
		t.Fatal("the podctl binary changed")
	}
}

func fileHash(t *testing.T, p string) [32]byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// What the container sees of the kernel: its own /proc, a read-only /sys,
// a /dev with the usual devices and a private devpts, loopback up.
func TestMountsAndDevices(t *testing.T) {
	leakCheck(t)
	script := `
echo x > /dev/null && echo null-ok
head -c 4 /dev/zero | wc -c
test -c /dev/urandom && test -c /dev/full && test -c /dev/tty && echo devs-ok
test -L /dev/ptmx && test -c /dev/pts/ptmx && echo pts-ok
touch /sys/x 2>/dev/null || echo sys-ro
grep -q ' /dev/shm tmpfs' /proc/mounts && grep -q ' /dev/mqueue mqueue' /proc/mounts && echo shm-mq-ok
ip link show lo | grep -q UP && echo lo-up
ip -o link | wc -l
ls /proc | grep -c '^[0-9]'
touch /tmp/.x && echo rootfs-rw
`
	// Loopback only (--network none): one interface.
	r := podRun(t, []string{"--network", "none"}, sh(script)...)
	want := "null-ok\n4\ndevs-ok\npts-ok\nsys-ro\nshm-mq-ok\nlo-up\n1\n"
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("got %q, want prefix %q (stderr %s)", r.stdout, want, r.stderr)
	}
	// The pod's /proc shows only its own processes: pause, sh, ls, grep.
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) < 10 || lines[8] == "" {
		t.Errorf("output %q", r.stdout)
	} else if n, _ := strconv.Atoi(lines[8]); n < 2 || n > 6 {
		t.Errorf("the pod's /proc lists %d processes; want only the pod's", n)
	}
	os.Remove(filepath.Join(rootfs, "tmp/.x"))
}
