package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// RunOptions describe a one-container pod run in the foreground.
type RunOptions struct {
	Name     string // pod name; generated when empty
	Hostname string // defaults to the pod name
	Rootfs   string
	Remove   bool // remove the pod's state when it ends
	Args     []string
	Env      []string
	Cwd      string
	User     string
	Stdio    [3]*os.File
	Notices  io.Writer // fallbacks are explained here, once
}

// validate checks everything that can be checked before any process
// starts, so that bad input leaves nothing behind.
func (o *RunOptions) validate() error {
	if o.Name == "" {
		b := make([]byte, 3)
		rand.Read(b)
		o.Name = "pod-" + hex.EncodeToString(b)
	}
	if err := ValidateName("pod", o.Name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	if o.Hostname == "" {
		o.Hostname = o.Name
	}
	if err := ValidateName("host", o.Hostname); err != nil {
		return fmt.Errorf("--hostname: %w", err)
	}
	if len(o.Args) == 0 {
		return errors.New("no command given: podctl run --rootfs DIR -- CMD [ARG...]")
	}
	if o.Rootfs == "" {
		return errors.New("--rootfs is required: a directory holding an unpacked root filesystem")
	}
	abs, err := filepath.Abs(o.Rootfs)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return fmt.Errorf("--rootfs %s: %w", o.Rootfs, unwrapPath(err))
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return fmt.Errorf("--rootfs %s: not a directory", o.Rootfs)
	}
	o.Rootfs = abs
	if o.Cwd != "" && !strings.HasPrefix(o.Cwd, "/") {
		return fmt.Errorf("--workdir %q: must be an absolute path inside the container", o.Cwd)
	}
	if _, _, err := ParseUserSpec(o.User); err != nil {
		return err
	}
	for i, kv := range o.Env {
		k, _, hasValue := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t\n") {
			return fmt.Errorf("--env %q: expected KEY=VALUE (or KEY to pass on podctl's own value)", kv)
		}
		if !hasValue {
			// Like docker run -e KEY: the caller's own value.
			v, ok := os.LookupEnv(k)
			if !ok {
				return fmt.Errorf("--env %s: no value given and %s is not set in podctl's environment", k, k)
			}
			o.Env[i] = k + "=" + v
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Run makes a pod with one container, runs it in the foreground and returns
// the workload's exit code (128+N for a death by signal N). Errors are
// podctl's own; an *ExecError carries the exit code a shell would use.
// Whatever fails, the pod's processes, namespaces and (with Remove) state
// are gone when Run returns.
func Run(o RunOptions) (int, error) {
	if err := o.validate(); err != nil {
		return 0, err
	}
	dir, err := podDir(o.Name)
	if err != nil {
		return 0, err
	}
	cleanDir := true
	defer func() {
		if cleanDir {
			os.RemoveAll(dir)
		}
	}()

	// The container's join stage and the pause's set-up stage start first;
	// podctl prepares the rest while they exec, and the join stage then
	// waits for the pause.
	j, err := spawnJoin(o.Name, o.Stdio)
	if err != nil {
		return 0, err
	}
	ps, err := spawnPause()
	if err != nil {
		j.abort()
		return 0, err
	}
	ids := DetectIDMapping()
	if ids.Notice != "" && o.Notices != nil {
		fmt.Fprintf(o.Notices, "podctl: notice: %s\n", ids.Notice)
	}
	files, err := writeEtcFiles(dir, o.Hostname)
	if err != nil {
		ps.abort()
		j.abort()
		return 0, err
	}
	p, err := ps.finish(o.Hostname, ids)
	if err != nil {
		j.abort()
		return 0, fmt.Errorf("creating pod %s: %w", o.Name, err)
	}
	st := &PodState{Name: o.Name, Hostname: o.Hostname, Created: time.Now().UTC(), BootID: bootID(),
		PausePID: p.pid, PauseStartTime: p.startTime}
	st.IDMap.UIDs, st.IDMap.GIDs = ids.UIDs, ids.GIDs
	st.Containers = []ContainerState{{Name: o.Name, Args: o.Args}}
	if err := writeState(dir, st); err != nil {
		j.abort()
		p.stop()
		return 0, err
	}

	ptsGID := 5 // "tty" in Debian, Alpine, Fedora and busybox images
	if ids.Size() <= 5 {
		ptsGID = -1
	}
	cfg := &InitConfig{
		Pod: o.Name, Container: o.Name, Rootfs: o.Rootfs, Files: files, PtsGID: ptsGID,
		Args: o.Args, Env: o.Env, Cwd: o.Cwd, User: o.User, Hostname: o.Hostname,
		IDsMapped: ids.Size(), Setgroups: !ids.Single,
	}
	// Signals that would end podctl are passed to the workload instead: it
	// runs in a session of its own, so a terminal's Ctrl-C reaches podctl only.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	defer signal.Stop(sigs)

	c, err := j.start(p, cfg)
	// The container joined while the pause finished starting; had the
	// pause failed, that is the error to report, not its consequence.
	if rerr := p.awaitReady(); rerr != nil {
		if err == nil {
			c.signal(unix.SIGKILL)
			c.wait()
		}
		p.stop()
		return 0, fmt.Errorf("creating pod %s: %w", o.Name, rerr)
	}
	if err != nil {
		p.stop()
		return 0, err
	}
	// Recorded in the final state; rewriting state.json here would put a
	// file write on every run's path for a field nothing reads yet.
	st.Containers[0].PID, st.Containers[0].Started = c.pid, time.Now().UTC()

	var mu sync.Mutex
	exited := false
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				mu.Lock()
				if !exited {
					c.signal(s.(unix.Signal))
				}
				mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	code, werr := c.waitLocked(&mu, &exited)
	close(done)
	perr := p.stop()
	if werr != nil {
		return 0, werr
	}
	if perr != nil {
		return code, perr
	}
	if !o.Remove {
		st.Containers[0].ExitCode, st.Containers[0].Finished = &code, time.Now().UTC()
		st.PausePID, st.PauseStartTime = 0, 0
		if err := writeState(dir, st); err != nil {
			return code, err
		}
		cleanDir = false
	}
	return code, nil
}

// waitLocked is wait, marking the container exited under mu before its
// pidfd is closed, so that no signal goes to a closed descriptor.
func (c *container) waitLocked(mu *sync.Mutex, exited *bool) (int, error) {
	var info unix.Siginfo
	// P_PIDFD with WNOWAIT: block until it exits, leaving the zombie.
	for {
		err := unix.Waitid(unix.P_PIDFD, c.pidfd, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("waiting for the container: %w", err)
		}
		break
	}
	mu.Lock()
	*exited = true
	mu.Unlock()
	return c.wait()
}
