package stage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"
	"unsafe"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/rootfs"

	"github.com/podctl/podctl/sandbox/seccomp"
	"golang.org/x/sys/unix"
)

// InitMain is the init stage: a process that nsenter's constructor forked
// into the pod's namespaces, with a mount namespace of its own. It receives
// its InitConfig, builds the container's root filesystem, becomes the
// container's user and execs the workload. It never returns; its errors go
// to podctl over the sync socket.
func InitMain(fd int) {
	explain.FromEnv()
	sock := &SyncSocket{Fd: fd, Peer: "podctl"}
	// Close-on-exec from now on: the workload must not inherit it, and its
	// closing on execve tells podctl that the exec happened.
	unix.CloseOnExec(fd)
	err := runInit(sock)
	m := initMsg{Type: "error", Error: err.Error()}
	var ee *model.ExecError
	if errors.As(err, &ee) {
		m.ExitCode = ee.ExitCode
	}
	sock.sendJSON(m)
	os.Exit(1)
}

func runInit(sock *SyncSocket) error {
	m, err := sock.recvJSON()
	if err != nil {
		return err
	}
	if m.Type != "config" || m.Config == nil {
		return fmt.Errorf("init: expected a config message, got %q", m.Type)
	}
	cfg := m.Config
	where := fmt.Sprintf("container %s of pod %s", cfg.Container, cfg.Pod)
	if name, err := unix.BytePtrFromString("podctl-init"); err == nil {
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}

	// A session of our own: the workload has no controlling terminal, so it
	// cannot push input into the caller's with TIOCSTI (CVE-2017-5226).
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("%s: setsid: %w", where, err)
	}
	// podctl exec joined the container's mount namespace, whose root is the
	// container's root already; a new container builds its root first.
	if !cfg.Exec {
		if cfg.Layer != nil {
			where += " (image " + cfg.Layer.ImageName + ")"
			if cfg.Rootfs, err = mountRoot(cfg.Layer.ImageName, &cfg.Layer.Root); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		spec := rootfs.Spec{Root: cfg.Rootfs, Files: cfg.Files, PtsGID: cfg.PtsGID, Unmasked: cfg.Privileged,
			Mounts: cfg.Mounts, ReadOnly: cfg.ReadOnly, Cwd: cfg.Cwd}
		if cfg.ReadOnly && !cfg.ReadOnlyBare {
			spec.Mounts = readOnlyMounts(cfg.Mounts)
		}
		if explain.File != nil {
			spec.Explain = func(format string, args ...any) { explain.Printf("init", format, args...) }
		}
		if err := rootfs.Setup(spec); err != nil {
			return fmt.Errorf("%s: setting up rootfs %s: %w", where, cfg.Rootfs, err)
		}
	}
	cred, err := resolveUser(cfg.User, cfg.IDsMapped)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if cfg.RunAsNonRoot && cred.uid == 0 {
		// The kubelet's check, and its wording.
		return fmt.Errorf("%s: container has runAsNonRoot and image will run as root (set runAsUser, or use an image whose USER is not root)", where)
	}
	if cfg.Tty {
		if err := containerPTY(sock, cred); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	env := buildEnv(cfg, cred)
	cwd := cfg.Cwd
	if cwd == "" {
		cwd = "/"
	}
	// Like a Dockerfile's WORKDIR, a missing working directory is created
	// (as pod root, before the switch of user); exec only uses it.
	if err := os.MkdirAll(cwd, 0o755); err != nil && !cfg.Exec {
		return fmt.Errorf("%s: creating working directory %s: %w", where, cwd, err)
	}

	// Capabilities, credentials and no_new_privs are attributes of this
	// thread, the one that execs the workload (see becomeUser).
	runtime.LockOSThread()
	if !cfg.Privileged {
		if err := dropBounding(cfg.Caps); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	if !cfg.Privileged {
		explain.Printf("init", "keeps only these capabilities, even across execve: %s: prctl(PR_CAPBSET_DROP) of the others", strings.Join(cfg.Caps, " "))
	}
	if err := becomeUser(cfg.Setgroups, cred); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	explain.Printf("init", "becomes the workload's user, on this thread: setgroups(%v), setresgid(%d), setresuid(%d)", cred.groups, cred.gid, cred.uid)
	if !cfg.Privileged {
		if err := setCaps(cfg.Caps, cred.uid); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		// No execve may grant more than this from now on: setuid bits
		// and file capabilities are ignored (prctl(2), NO_NEW_PRIVS).
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("%s: no_new_privs: %w", where, err)
		}
		explain.Printf("init", "capabilities in effect: %s; no setuid bit may add any: capset(), prctl(PR_SET_NO_NEW_PRIVS)", map[bool]string{true: "the kept ones (pod root)", false: "none (not root)"}[cred.uid == 0])
	}

	if err := os.Chdir(cwd); err != nil {
		return fmt.Errorf("%s: --workdir %s: %w", where, cwd, err)
	}
	// CVE-2024-21626: a cwd that is not under our root (a leaked host
	// directory fd) makes the kernel's getcwd answer "(unreachable)...".
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("%s: working directory %s is outside the container's root", where, cwd)
	}

	exe, err := lookPath(cfg.Args[0], env)
	if err != nil {
		var ee *model.ExecError
		if cfg.Layer != nil && errors.As(err, &ee) {
			// Most often the image's own Entrypoint or Cmd: name it.
			ee.Msg = fmt.Sprintf("%s: %s", where, ee.Msg)
		}
		return err
	}
	// Every descriptor beyond stdio is closed on exec: whatever podctl or
	// the Go runtime opened stays out of the workload (CVE-2024-21626).
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("%s: close_range: %w", where, err)
	}
	// The seccomp filter goes last: from here on, only what the workload
	// may do (sendmsg, execve) is left to do. It filters this thread, the
	// one that execs; no_new_privs (above) is what allows an unprivileged
	// process to install it.
	if len(cfg.Seccomp) > 0 {
		explain.Printf("init", "installs the seccomp filter (%d BPF instructions): seccomp(SECCOMP_SET_MODE_FILTER)", len(cfg.Seccomp)/8)
		if !cfg.SeccompNotify {
			if err := seccomp.Install(cfg.Seccomp); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else {
			// --port-bypass: the workload's bind(2) calls wait for podctl,
			// which gets the listener (seccomp_unotify(2)).
			fd, err := seccomp.InstallListener(cfg.Seccomp)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			b, _ := json.Marshal(initMsg{Type: "notify"})
			err = sock.sendFD(b, fd)
			unix.Close(fd)
			if err != nil {
				return err
			}
		}
	}
	explain.Printf("init", "becomes the workload: execve(%q, %q), in %s", exe, cfg.Args, cwd)
	if err := sock.sendJSON(initMsg{Type: "execing"}); err != nil {
		return err
	}
	err = unix.Exec(exe, cfg.Args, env)
	return &model.ExecError{Msg: fmt.Sprintf("%s: exec %s: %v", where, exe, err), ExitCode: 126}
}

// becomeUser switches this thread, and only this one, to the workload's
// ids. Credentials are per thread in Linux; Go's syscall.Setresuid changes
// every thread of the process by stopping them all (AllThreadsSyscall),
// which costs this short-lived stage more than the rest of its work. We do
// not need that: the goroutine stays locked to this thread, and execve(2)
// gives the new program the credentials of the thread that called it; the
// other threads vanish with the exec. The access checks before the exec
// (chdir, the executable lookup) run on this thread too, as the workload's
// user. If the exec fails the process exits without running anything else.
func becomeUser(setgroups bool, c credential) error {
	runtime.LockOSThread() // never unlocked: the thread ends with the exec
	if setgroups {
		gids := make([]uint32, len(c.groups)+1)
		copy(gids, c.groups)
		n := uintptr(len(c.groups))
		if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, n, uintptr(unsafe.Pointer(&gids[0])), 0); e != 0 {
			return fmt.Errorf("setgroups %v: %w", c.groups, e)
		}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(c.gid), uintptr(c.gid), uintptr(c.gid)); e != 0 {
		return fmt.Errorf("setresgid %d: %w", c.gid, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(c.uid), uintptr(c.uid), uintptr(c.uid)); e != 0 {
		return fmt.Errorf("setresuid %d: %w", c.uid, e)
	}
	return nil
}

// defaultPath is what Docker and podman give a container without PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildEnv: the defaults a container gets, then -e values over them.
func buildEnv(cfg *InitConfig, c credential) []string {
	env := []string{
		"PATH=" + defaultPath,
		"HOSTNAME=" + cfg.Hostname,
		"HOME=" + c.home,
		"container=podctl",
	}
	for _, kv := range cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if strings.HasPrefix(old, k+"=") {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

// lookPath finds the workload's executable in the container's PATH, as the
// user it will run as, and says why not in the shell's terms.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name, name)
	}
	p := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			p = v
		}
	}
	var firstErr error
	for _, dir := range strings.Split(p, ":") {
		if dir == "" {
			dir = "."
		}
		cand := path.Join(dir, name)
		err := checkExecutable(name, cand)
		if err == nil {
			return cand, nil
		}
		var ee *model.ExecError
		if firstErr == nil && errors.As(err, &ee) && ee.ExitCode == 126 {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", &model.ExecError{Msg: fmt.Sprintf("%q: executable file not found in $PATH (%s) of the rootfs", name, p), ExitCode: 127}
}

func checkExecutable(name, p string) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return &model.ExecError{Msg: fmt.Sprintf("%q: %s: %v", name, p, err), ExitCode: 127}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return &model.ExecError{Msg: fmt.Sprintf("%q: %s is not a regular file", name, p), ExitCode: 126}
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return &model.ExecError{Msg: fmt.Sprintf("%q: %s is not executable (mode %o): %v", name, p, st.Mode&0o7777, err), ExitCode: 126}
	}
	return nil
}

// containerPTY gives the workload a new pty of the container's own devpts
// (/dev/ptmx there is the container's, set up by rootfs.Setup with
// newinstance): its slave becomes stdin, stdout, stderr and the controlling
// terminal of the workload's session, owned by the workload's user, as
// docker and podman do; its master goes to podctl, which relays it. The
// caller's terminal never enters the container (CVE-2017-5226), and tty(1)
// inside names /dev/pts/N of the container.
func containerPTY(sock *SyncSocket, cred credential) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the container's /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlocking the pty: %w", err)
	}
	// TIOCGPTPEER (Linux >= 4.13) opens the slave through the master,
	// with no path lookup in /dev/pts that could be raced.
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY))
	if errno != 0 {
		return fmt.Errorf("opening the pty's slave: %w", errno)
	}
	unix.Fchown(int(slave), int(cred.uid), -1)
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(int(slave), fd, 0); err != nil {
			return fmt.Errorf("making the pty stdio: %w", err)
		}
	}
	unix.Close(int(slave))
	// We lead a new session (setsid above): the pty becomes its
	// controlling terminal, so job control and ^C work inside.
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("making the pty the controlling terminal: %w", err)
	}
	b, _ := json.Marshal(initMsg{Type: "pty"})
	return sock.sendFD(b, master)
}

// readOnlyMounts are the writable places of a --read-only container, as
// podman's --read-only-tmpfs gives them, unless the user mounts something
// there.
func readOnlyMounts(user []rootfs.Mount) []rootfs.Mount {
	taken := map[string]bool{}
	for _, m := range user {
		taken[m.Target] = true
	}
	var out []rootfs.Mount
	for _, p := range []string{"/tmp", "/var/tmp", "/run"} {
		if !taken[p] {
			out = append(out, rootfs.Mount{Type: "tmpfs", Target: p, Options: "size=65536k"})
		}
	}
	return append(out, user...)
}
