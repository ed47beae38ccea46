package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The attack suite: hostile workloads (testdata/attack.c and busybox) try
// the escapes of ../shared/NOTES.md §4; each must fail and leave the host
// as it was. attack prints "BLOCKED <errno>" or "ESCAPED".

// attack runs /bin/attack ARGS... in a new pod with flags and returns its
// verdict line.
func attack(t *testing.T, flags []string, args ...string) string {
	t.Helper()
	r := podRun(t, flags, append([]string{"/bin/attack"}, args...)...)
	if r.code != 0 && r.code != 1 {
		t.Errorf("attack %v: exit %d: %s", args, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// podman's 11 capabilities for pod root, none in effect for another user,
// no_new_privs; --cap-add / --cap-drop adjust them; --privileged says so.
func TestCapabilities(t *testing.T) {
	leakCheck(t)
	caps := func(flags ...string) (eff, bnd, nnp string) {
		r := podRun(t, flags, sh("grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, r.code, r.stderr)
		}
		f := strings.Fields(r.stdout)
		return f[1], f[3], f[5]
	}
	const podman11 = "00000000800405fb" // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP
	if eff, bnd, nnp := caps(); eff != podman11 || bnd != podman11 || nnp != "1" {
		t.Errorf("pod root: CapEff %s CapBnd %s NoNewPrivs %s", eff, bnd, nnp)
	}
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") == "" {
		if eff, bnd, _ := caps("-u", "1000"); eff != "0000000000000000" || bnd != podman11 {
			t.Errorf("uid 1000: CapEff %s CapBnd %s", eff, bnd)
		}
	}
	if eff, _, _ := caps("--cap-drop", "ALL", "--cap-add", "net_raw"); eff != "0000000000002000" {
		t.Errorf("--cap-drop ALL --cap-add net_raw: CapEff %s", eff)
	}
	if eff, _, _ := caps("--cap-drop", "CAP_KILL"); eff != "00000000800405db" {
		t.Errorf("--cap-drop CAP_KILL: CapEff %s", eff)
	}
	r := podRun(t, []string{"--privileged"}, sh("grep -E '^CapEff' /proc/self/status; cat /proc/self/status | grep NoNewPrivs")...)
	if !strings.Contains(r.stdout, "000001ffffffffff") || !strings.Contains(r.stdout, "NoNewPrivs:\t0") ||
		!strings.Contains(r.stderr, "warning: --privileged") {
		t.Errorf("--privileged: %q %q", r.stdout, r.stderr)
	}
	if r := podRun(t, []string{"--cap-add", "NET_RAWW"}, "/bin/true"); r.code != 125 || !strings.Contains(r.stderr, `--cap-add "NET_RAWW": no such capability`) {
		t.Errorf("bad capability: %d %q", r.code, r.stderr)
	}
}

// Masked paths read as empty, read-only ones refuse writes, the kernel's
// knobs and the cgroup tree cannot be written.
func TestAttackKernelInterfaces(t *testing.T) {
	leakCheck(t)
	r := podRun(t, nil, sh(`for f in /proc/keys /proc/timer_list /proc/sched_debug /proc/kcore; do
  [ -e $f ] && echo "$f $(head -c 64 $f | wc -c)"; done
ls -A /sys/firmware /proc/acpi | grep -v : | grep -c . || true`)...)
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[1] != "0" {
			t.Errorf("masked %s has %s bytes", f[0], f[1])
		} else if len(f) == 1 && f[0] != "0" {
			t.Errorf("masked directories list %s entries", f[0])
		}
	}
	for _, target := range []string{"/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/proc/sys/vm/drop_caches", "/sys/fs/cgroup/cgroup.procs", "/sys/kernel/uevent_helper"} {
		if v := attack(t, nil, "open", target, "w"); !strings.HasPrefix(v, "BLOCKED") {
			t.Errorf("write %s: %s", target, v)
		}
	}
}

// Without CAP_SYS_ADMIN: no mount, no new mount namespace, no setns; the
// pause cannot be traced; its /proc entries are closed to the pod.
func TestAttackPrivilegedCalls(t *testing.T) {
	leakCheck(t)
	for _, a := range []string{"mount", "unshare-mnt", "setns", "ptrace"} {
		if v := attack(t, nil, a); !strings.HasPrefix(v, "BLOCKED") {
			t.Errorf("%s: %s", a, v)
		}
	}
	for _, f := range []string{"/proc/1/mem", "/proc/1/environ", "/proc/1/exe"} {
		if v := attack(t, nil, "open", f, "r"); !strings.HasPrefix(v, "BLOCKED") {
			t.Errorf("read %s of the pause: %s", f, v)
		}
	}
}

// A mount made inside a container (allowed with --cap-add SYS_ADMIN) never
// shows up on the host: the container's mounts are private.
func TestAttackMountStaysInside(t *testing.T) {
	leakCheck(t)
	before, _ := os.ReadFile("/proc/self/mountinfo")
	r := podRun(t, []string{"--cap-add", "SYS_ADMIN", "-i"}, sh("mount -t tmpfs podctl-attack /tmp && grep -c podctl-attack /proc/self/mountinfo")...)
	if strings.TrimSpace(r.stdout) != "1" {
		t.Fatalf("the mount inside failed: %q %q", r.stdout, r.stderr)
	}
	after, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(after), "podctl-attack") || len(after) != len(before) {
		t.Error("a container's mount reached the host's mount namespace")
	}
}

// The workload gets no descriptor of podctl's: only 0, 1 and 2 (and the
// one ls opens to list them), in run and in exec.
func TestAttackDescriptors(t *testing.T) {
	leakCheck(t)
	check := func(what, out string) {
		if got := strings.Join(strings.Fields(out), " "); got != "0 1 2 3" {
			t.Errorf("%s: descriptors %q, want 0 1 2 3", what, got)
		}
	}
	check("run", podRun(t, nil, "ls", "/proc/self/fd").stdout)
	podRm(t, "fds")
	mustRun(t, "run", "-d", "--name", "fds", "--rootfs", rootfs, "--", "sleep", "1000")
	check("exec", mustRun(t, "exec", "fds", "--", "ls", "/proc/self/fd"))
	// And the cwd is the container's: no host directory behind "..".
	if out := mustRun(t, "exec", "-w", "/tmp", "fds", "--", "sh", "-c", "cd ../../..; pwd; ls /"); !strings.HasPrefix(out, "/\n") || strings.Contains(out, "podctl-e2e") {
		t.Errorf("cwd escape: %q", out)
	}
}

// moby's default seccomp profile, compiled by podctl: keyctl, io_uring and
// new user namespaces are refused; unconfined (loudly) lets them through;
// a profile of the user's in docker's JSON format is honoured.
func TestSeccomp(t *testing.T) {
	leakCheck(t)
	for _, a := range []string{"keyctl", "io_uring", "unshare-user"} {
		if v := attack(t, nil, a); v != "BLOCKED EPERM" {
			t.Errorf("%s: %s", a, v)
		}
	}
	r := podRun(t, nil, sh("grep -E '^Seccomp:' /proc/self/status")...)
	if strings.Fields(r.stdout)[1] != "2" {
		t.Errorf("not in seccomp filter mode: %q", r.stdout)
	}
	r = podRun(t, []string{"--security-opt", "seccomp=unconfined"}, "/bin/attack", "keyctl")
	if strings.TrimSpace(r.stdout) != "ESCAPED" || !strings.Contains(r.stderr, "without a seccomp filter") {
		t.Errorf("unconfined: %q %q", r.stdout, r.stderr)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	profile := dir + "/no-mkdir.json"
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`), 0o644)
	r = podRun(t, []string{"--security-opt", "seccomp=" + profile}, sh("mkdir /tmp/seccomp-test 2>&1; echo rc=$?")...)
	if !strings.Contains(r.stdout, "Permission denied") || !strings.Contains(r.stdout, "rc=1") {
		t.Errorf("custom profile: %q %q", r.stdout, r.stderr)
	}
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_BOGUS"}`), 0o644)
	r = podRun(t, []string{"--security-opt", "seccomp=" + profile}, "/bin/true")
	if lines := errorLines(r.stderr); r.code != 125 || len(lines) != 1 || !strings.Contains(lines[0], profile) {
		t.Errorf("bad profile: %d %q", r.code, r.stderr)
	}
}

// CVE-2019-5736: while podctl execs into a container (20 times), a
// workload in it looks at every process's /proc/PID/exe for the podctl
// binary; the join stage and the init are not dumpable, the pause runs a
// read-only copy, so it never gets a hold of it, and the binary is
// unchanged.
func TestAttackExeDuringExec(t *testing.T) {
	leakCheck(t)
	before := fileHash(t, podctl)
	podRm(t, "exe")
	mustRun(t, "run", "-d", "--name", "exe", "--rootfs", rootfs, "--", "sh", "-c",
		`while :; do for p in /proc/[0-9]*; do readlink $p/exe; done; done 2>/dev/null | grep -v -e '^/bin/' -e '^/usr/'`)
	for i := 0; i < 20; i++ {
		mustRun(t, "exec", "exe", "--", "true")
	}
	mustRun(t, "stop", "-t", "0", "exe")
	// Any line is an executable outside the container's own /bin and
	// /usr that the workload could resolve (with --privileged: "/", the
	// pause's read-only copy).
	if out := mustRun(t, "logs", "exe"); out != "" {
		t.Errorf("a workload resolved the exe of a podctl process: %q", out)
	}
	if fileHash(t, podctl) != before {
		t.Fatal("the podctl binary changed")
	}
}

// CVE-2017-5226: the caller's terminal never reaches the workload, so
// TIOCSTI cannot type into it, with or without -i.
func TestAttackTIOCSTI(t *testing.T) {
	leakCheck(t)
	for _, flags := range [][]string{nil, {"-i"}} {
		master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			t.Skip("no /dev/ptmx:", err)
		}
		unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0)
		sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY))
		if errno != 0 {
			t.Fatal(errno)
		}
		slave := os.NewFile(sfd, "slave")
		// Raw, so that one injected byte would be readable at once.
		tio, _ := unix.IoctlGetTermios(int(sfd), unix.TCGETS)
		tio.Lflag &^= unix.ICANON | unix.ECHO
		tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 0, 0
		unix.IoctlSetTermios(int(sfd), unix.TCSETS, tio)
		args := append([]string{"run", "--rm", "--rootfs", rootfs}, flags...)
		cmd := exec.Command(podctl, append(args, "--", "/bin/attack", "tiocsti")...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		// The pty is podctl's controlling terminal, as in a login shell.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		// Everything podctl writes to its terminal, up to the verdict
		// (a notice may come first).
		out := make(chan string)
		go func() {
			var all []byte
			b := make([]byte, 4096)
			for !strings.Contains(string(all), "BLOCKED") && !strings.Contains(string(all), "ESCAPED") {
				n, err := master.Read(b)
				all = append(all, b[:n]...)
				if err != nil {
					break
				}
			}
			out <- string(all)
		}()
		if err := cmd.Run(); err != nil {
			t.Errorf("%v: %v", flags, err)
		}
		select {
		case got := <-out:
			if !strings.Contains(got, "BLOCKED") {
				t.Errorf("%v: the workload says %q", flags, got)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%v: no verdict on the terminal", flags)
		}
		b := make([]byte, 16)
		if n, _ := slave.Read(b); n > 0 {
			t.Errorf("%v: %q was typed into the caller's terminal", flags, b[:n])
		}
		slave.Close()
		master.Close()
	}
}

// A hostile rootfs: mount targets that are symlinks (CVE-2019-16884,
// CVE-2023-27561). podctl resolves every target inside the rootfs
// (openat2 RESOLVE_IN_ROOT): an /etc/hosts linked to a host file is refused
// by name (the link leads nowhere inside the rootfs), the host file is
// neither written nor mounted over; a /proc linked elsewhere in the rootfs
// gets the pod's proc where the link leads, and the container works.
func TestAttackSymlinkedMountTargets(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	evil := filepath.Join(dir, "rootfs")
	if err := buildBusyboxRootfs(evil); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "host-file")
	os.WriteFile(target, []byte("host content\n"), 0o644)
	hosts := filepath.Join(evil, "etc/hosts")
	os.Remove(hosts)
	// Far enough up to leave any rootfs, then down to the host file.
	os.Symlink(strings.Repeat("../", 20)+strings.TrimPrefix(target, "/"), hosts)
	before, _ := os.ReadFile("/proc/self/mountinfo")
	r := run(t, "run", "--rm", "--rootfs", evil, "--", "true")
	if lines := errorLines(r.stderr); r.code != 125 || len(lines) != 1 || !strings.Contains(lines[0], "/etc/hosts") {
		t.Errorf("symlinked /etc/hosts: exit %d, %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "host content\n" {
		t.Errorf("the host file changed: %q", b)
	}
	after, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(after), target) || len(after) != len(before) {
		t.Errorf("a mount reached the host's namespace (over %s?)", target)
	}

	os.Remove(hosts)
	os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644)
	os.Remove(filepath.Join(evil, "proc"))
	os.MkdirAll(filepath.Join(evil, "elsewhere"), 0o755)
	os.Symlink("/elsewhere", filepath.Join(evil, "proc"))
	r = run(t, "run", "--rm", "--rootfs", evil, "--", "sh", "-c", "ls /elsewhere/self/ns | wc -l; cat /proc/1/comm")
	if r.code != 0 || strings.Fields(r.stdout)[0] != "9" && strings.Fields(r.stdout)[0] != "10" || !strings.Contains(r.stdout, "podctl-pause") {
		t.Errorf("symlinked /proc: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}
