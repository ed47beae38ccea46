package e2e

import (
	"fmt"
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

// verdict checks attack's verdict v against the one outcome expected.
func verdict(t *testing.T, what, v, want string) {
	t.Helper()
	if v != want {
		t.Errorf("%s: %q, want %q", what, v, want)
	}
}

// kernelProbe reports, from inside a pod, the mounts that mask or protect
// the kernel's interfaces (mount point and options, from mountinfo) and
// the device behind each masked file.
const kernelProbe = `awk '$5 ~ "^/(proc/(sys|bus|fs|irq|sysrq-trigger|keys|timer_list|kcore|sched_debug|latency_stats)|sys/firmware)$" {print "mount", $5, $6}' /proc/self/mountinfo
for f in /proc/keys /proc/timer_list; do echo "dev $f $(stat -c %t:%T $f)"; done
echo "entries /sys/firmware $(ls -A /sys/firmware | wc -l)"`

// The kernel's interfaces as a pod sees them: the masked files are the
// host's /dev/null (device 1:3), the masked directories empty read-only
// tmpfs, /proc/sys, /proc/bus, /proc/fs and /proc/irq read-only mounts,
// so a per-network-namespace sysctl that pod root may otherwise write
// is refused. The positive control, --privileged (nothing masked), shows
// each probe can see the difference: no such mount, the real files, a
// write that goes through.
func TestAttackKernelInterfaces(t *testing.T) {
	leakCheck(t)
	parse := func(out string) (mounts map[string]string, dev map[string]string, firmware string) {
		mounts, dev = map[string]string{}, map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) == 3 && f[0] == "mount":
				mounts[f[1]] = f[2]
			case len(f) == 3 && f[0] == "dev":
				dev[f[1]] = f[2]
			case len(f) == 3 && f[0] == "entries":
				firmware = f[2]
			}
		}
		return mounts, dev, firmware
	}
	r := podRun(t, nil, sh(kernelProbe)...)
	mounts, dev, firmware := parse(r.stdout)
	for _, p := range []string{"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq", "/sys/firmware"} {
		if opts, ok := mounts[p]; !ok || !strings.HasPrefix(opts, "ro,") {
			t.Errorf("%s: mounted %v with %q, want a read-only mount", p, ok, opts)
		}
	}
	for _, f := range []string{"/proc/keys", "/proc/timer_list"} {
		if _, ok := mounts[f]; !ok || dev[f] != "1:3" {
			t.Errorf("%s: masked %v, device %q; want the host's /dev/null (1:3) mounted over it", f, ok, dev[f])
		}
	}
	if firmware != "0" {
		t.Errorf("/sys/firmware lists %q entries, want 0 (masked)", firmware)
	}
	// The positive control: with nothing masked, the same probe sees it.
	r = podRun(t, []string{"--privileged"}, sh(kernelProbe)...)
	mounts, dev, firmware = parse(r.stdout)
	if len(mounts) != 0 || dev["/proc/timer_list"] == "1:3" || firmware == "0" || firmware == "" {
		t.Errorf("--privileged: the probe sees masks where there are none (mounts %v, devices %v, firmware %q): it cannot tell", mounts, dev, firmware)
	}
	// A sysctl of the pod's own network namespace: root's pod root may
	// write it but for the read-only /proc/sys (EROFS); another user's pod
	// root lacks CAP_NET_ADMIN first (EACCES). Unmasked, it goes through.
	const knob = "/proc/sys/net/ipv4/ip_forward"
	want := "BLOCKED EACCES"
	if os.Getuid() == 0 {
		want = "BLOCKED EROFS"
	}
	verdict(t, "write "+knob, attack(t, nil, "open", knob, "w"), want)
	verdict(t, "write "+knob+" --privileged (control)", attack(t, []string{"--privileged"}, "open", knob, "w"), "ESCAPED")
}

// Without CAP_SYS_ADMIN: no mount, no new mount namespace; the pause is
// not dumpable, so its namespaces, memory, environment and binary are
// closed to the pod, and it cannot be traced. Each with its errno, and a
// control that shows the probe can escape: --cap-add SYS_ADMIN for the
// mounts, --privileged (every capability) for the rest.
func TestAttackPrivilegedCalls(t *testing.T) {
	leakCheck(t)
	for a, want := range map[string]string{"mount": "BLOCKED EPERM", "unshare-mnt": "BLOCKED EPERM", "setns": "BLOCKED EACCES", "ptrace": "BLOCKED EPERM"} {
		verdict(t, a, attack(t, nil, a), want)
	}
	for _, f := range []string{"/proc/1/mem", "/proc/1/environ", "/proc/1/exe"} {
		verdict(t, "read "+f+" of the pause", attack(t, nil, "open", f, "r"), "BLOCKED EACCES")
	}
	for _, a := range []string{"mount", "unshare-mnt"} {
		verdict(t, a+" with --cap-add SYS_ADMIN (control)", attack(t, []string{"--cap-add", "SYS_ADMIN"}, a), "ESCAPED")
	}
	for _, a := range []string{"setns", "ptrace"} {
		verdict(t, a+" --privileged (control)", attack(t, []string{"--privileged"}, a), "ESCAPED")
	}
	verdict(t, "read /proc/1/environ --privileged (control)", attack(t, []string{"--privileged"}, "open", "/proc/1/environ", "r"), "ESCAPED")
}

// A container's mounts are private, both ways (mount_namespaces(7)): a
// mount made inside it (allowed with --cap-add SYS_ADMIN) never shows up on
// the host, and a mount made on the host later never shows up inside it.
// The kernel alone keeps the first (a mount namespace owned by a new user
// namespace receives the host's mounts as slaves, and slaves send nothing
// back); podctl's MS_PRIVATE is what keeps the second, which root can
// test: a volume whose host mount is shared gets a new mount under it
// while the container runs. The positive control mounts the same way
// where propagation is kept (unshare --propagation unchanged) and sees it
// arrive on the host, so the first check can see a leak.
func TestAttackMountStaysInside(t *testing.T) {
	leakCheck(t)
	hostHas := func(tag string) bool {
		b, _ := os.ReadFile("/proc/self/mountinfo")
		return strings.Contains(string(b), tag)
	}
	r := podRun(t, []string{"--cap-add", "SYS_ADMIN"}, sh("mount -t tmpfs podctl-attack /tmp && grep -c podctl-attack /proc/self/mountinfo")...)
	if strings.TrimSpace(r.stdout) != "1" {
		t.Fatalf("the mount inside failed: %q %q", r.stdout, r.stderr)
	}
	if hostHas("podctl-attack") {
		t.Error("a container's mount reached the host's mount namespace")
	}
	if os.Getuid() != 0 {
		return // no shared mount of the host can be made as a user
	}
	shared := t.TempDir()
	os.Chmod(shared, 0o755)
	os.Mkdir(filepath.Join(shared, "sub"), 0o755)
	if err := unix.Mount(shared, shared, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(shared, unix.MNT_DETACH) })
	if err := unix.Mount("", shared, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	podRm(t, "propagation")
	mustRun(t, "run", "-d", "--name", "propagation", "-v", shared+":/shared", "--rootfs", rootfs, "--", "sleep", "1000")
	defer podRm(t, "propagation")
	if err := unix.Mount("podctl-later", filepath.Join(shared, "sub"), "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(filepath.Join(shared, "sub"), unix.MNT_DETACH)
	if out := mustRun(t, "exec", "propagation", "--", "sh", "-c", "grep -c podctl-later /proc/self/mountinfo || true"); strings.TrimSpace(out) != "0" {
		t.Errorf("a mount made on the host after the container started reached it (%s): its mounts are not private", strings.TrimSpace(out))
	}
	// The control: propagation kept, the same kind of mount arrives.
	out, err := exec.Command("unshare", "--mount", "--propagation", "unchanged", "mount", "-t", "tmpfs", "podctl-control", shared).CombinedOutput()
	if err != nil {
		t.Fatalf("control mount: %v %s", err, out)
	}
	defer unix.Unmount(shared, unix.MNT_DETACH)
	if !hostHas("podctl-control") {
		t.Error("control: a mount made in a namespace that keeps propagation did not reach the host: the check cannot fail")
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

// The pause keeps no descriptor beyond stdio, each /dev/null
// (docs/architecture.md): a descriptor of podctl's left open in the pod's
// PID 1 would be reachable from every container through /proc/1/fd
// (CVE-2024-21626's kind). The positive control reads the container's
// descriptors the same way, where the workload opened a fourth (7): the
// probe sees a descriptor beyond stdio when there is one.
func TestPauseDescriptors(t *testing.T) {
	leakCheck(t)
	podRm(t, "pausefds")
	mustRun(t, "run", "-d", "--name", "pausefds", "--network", "none", "--rootfs", rootfs, "--", "sh", "-c", "exec 7</dev/null; exec sleep 1000")
	st := state(t, "pausefds")
	fds := func(pid int) map[string]string {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("reading %s: %v", dir, err)
		}
		out := map[string]string{}
		for _, e := range ents {
			out[e.Name()], _ = os.Readlink(filepath.Join(dir, e.Name()))
		}
		return out
	}
	// The pause closes its sync socket (3) once it reads "recorded",
	// which podctl sends just before it returns: the pause may not have
	// run yet (a CI run saw socket 3 here). It must settle at stdio only.
	want := map[string]string{"0": "/dev/null", "1": "/dev/null", "2": "/dev/null"}
	var got map[string]string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = fds(st.Pause.PID); fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the pause's descriptors: %v, want %v", got, want)
	}
	pid := ctr(t, st, "pausefds").Proc.PID
	eventually(t, "positive control: the workload's descriptor 7 -> /dev/null, read as the pause's were", func() bool {
		return fds(pid)["7"] == "/dev/null"
	})
}

// docs/security.md: bpf, perf_event_open and kexec are refused, by the
// seccomp filter (EPERM). Let through, the kernel answers otherwise
// (attack.c), which is each probe's positive control: perf_event_open
// unconfined reaches the kernel anywhere (EFAULT); bpf and kexec_load reach
// their argument checks only with the host's CAP_BPF and CAP_SYS_BOOT, so
// their controls run as root, --privileged (EINVAL; ENOSYS for kexec on a
// kernel built without it). Rootless, the
// kernel's own EPERM would hide a missing filter: the compiled filter's
// verdict on them is TestDefaultProfile's (sandbox/seccomp).
func TestSeccompKernelCalls(t *testing.T) {
	leakCheck(t)
	for _, a := range []string{"perf_event_open", "bpf", "kexec_load"} {
		verdict(t, a, attack(t, nil, a), "BLOCKED EPERM")
	}
	verdict(t, "perf_event_open unconfined (control)",
		attack(t, []string{"--security-opt", "seccomp=unconfined"}, "perf_event_open"), "BLOCKED EFAULT")
	if os.Getuid() == 0 {
		verdict(t, "bpf --privileged (control)", attack(t, []string{"--privileged"}, "bpf"), "BLOCKED EINVAL")
		// EINVAL where the kernel has kexec, ENOSYS where it was built
		// without (as this machine's): either way not seccomp's EPERM.
		if v := attack(t, []string{"--privileged"}, "kexec_load"); v != "BLOCKED EINVAL" && v != "BLOCKED ENOSYS" {
			t.Errorf("kexec_load --privileged (control): %q, want the kernel's EINVAL or ENOSYS", v)
		}
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
		args := append([]string{"run", "--rm", "--rootfs", rootfs}, flags...)
		// A notice may come before the verdict.
		got, ok := onTerminal(t, append(args, "--", "/bin/attack", "tiocsti"), []string{"BLOCKED", "ESCAPED"}, func(slave *os.File) {
			b := make([]byte, 16)
			if n, _ := slave.Read(b); n > 0 {
				t.Errorf("%v: %q was typed into the caller's terminal", flags, b[:n])
			}
		})
		if !ok {
			t.Errorf("%v: no verdict on the terminal", flags)
		} else if !strings.Contains(got, "BLOCKED") {
			t.Errorf("%v: the workload says %q", flags, got)
		}
	}
}

// onTerminal runs podctl with args on a new raw pty, its controlling
// terminal as in a login shell, and returns what it wrote there up to one
// of words; false if none came in 10 s. after, if given, sees the pty's
// slave once podctl has exited, before it is closed.
func onTerminal(t *testing.T, args []string, words []string, after func(slave *os.File)) (string, bool) {
	t.Helper()
	master, slave := openRawPty(t)
	defer master.Close()
	defer slave.Close()
	cmd := exec.Command(podctl, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	out := make(chan string, 1)
	go func() {
		var all []byte
		b := make([]byte, 4096)
		for !containsAny(string(all), words) {
			n, err := master.Read(b)
			all = append(all, b[:n]...)
			if err != nil {
				break
			}
		}
		out <- string(all)
	}()
	if err := cmd.Run(); err != nil {
		t.Errorf("podctl %v: %v", args, err)
	}
	var got string
	select {
	case got = <-out:
	case <-time.After(10 * time.Second):
		return "", false
	}
	if after != nil {
		after(slave)
	}
	return got, true
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// openRawPty opens a new pty of the host's devpts, its slave raw (so that
// one injected byte is readable at once); skips the test without one.
func openRawPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no /dev/ptmx:", err)
	}
	unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0)
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY))
	if errno != 0 {
		t.Fatal(errno)
	}
	tio, _ := unix.IoctlGetTermios(int(sfd), unix.TCGETS)
	tio.Lflag &^= unix.ICANON | unix.ECHO
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 0, 0
	unix.IoctlSetTermios(int(sfd), unix.TCSETS, tio)
	return master, os.NewFile(sfd, "slave")
}

// CVE-2017-5226 for podctl exec: with the caller's terminal as its
// stdio, the command's standard streams are never that terminal (Go's
// path relays it through pipes; the C path, nsenter/execfast.c, leaves
// such a call to Go), with or without -i. The control: exec -t gives the
// command a terminal (a pty of the container's own), and the test sees it.
func TestAttackTerminalExec(t *testing.T) {
	leakCheck(t)
	podRm(t, "ttyx")
	mustRun(t, "run", "-d", "--name", "ttyx", "--network", "none", "--rootfs", rootfs, "--", "sleep", "1000")
	script := `for f in 0 1 2; do [ -t $f ] && echo TERMINAL$f; done; echo done`
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-t"}, "TERMINAL0"}, // the control
		{nil, ""},
		{[]string{"-i"}, ""},
	} {
		args := append(append([]string{"exec"}, c.flags...), "ttyx", "--", "/bin/sh", "-c", script)
		got, ok := onTerminal(t, args, []string{"done"}, nil)
		if !ok {
			t.Errorf("%v: nothing on the terminal", c.flags)
			continue
		}
		if saw := strings.Contains(got, "TERMINAL"); c.want == "" && saw || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("exec %v: the command's streams: %q, want %q", c.flags, got, c.want)
		}
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
