package model

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Files read back from a pod's directory are input: a crash, a careless
// user or a bug may have left anything there. They are opened beneath the
// pod's directory without following a symbolic link anywhere on the way
// (openat2(2), RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), the directory
// itself included (O_NOFOLLOW): a state.json, state.lock, logs/ or log
// file that is a symlink is refused, never followed out of the state root.
// What state.json holds is checked as strictly as the user's own input
// (validateState).

// MaxStateBytes bounds state.json: a pod of 1000 containers writes about
// 5 MiB; a larger file is not one podctl wrote.
const MaxStateBytes = 64 << 20

// OpenInPod opens rel (a path inside the pod's directory dir) with flags
// and, when it creates the file, mode.
func OpenInPod(dir, rel string, flags int, mode uint32) (*os.File, error) {
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, inPodError(dir, "", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(dfd)
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW), Mode: uint64(mode),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) == 0 {
		how.Mode = 0 // openat2 refuses a mode without O_CREAT
	}
	for {
		fd, err := unix.Openat2(dfd, rel, &how)
		if err == unix.EINTR {
			continue
		}
		path := filepath.Join(dir, rel)
		if err != nil {
			return nil, inPodError(dir, rel, &os.PathError{Op: "open", Path: path, Err: err})
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}

// inPodError says what a symlink in the way means.
func inPodError(dir, rel string, err *os.PathError) error {
	if errors.Is(err.Err, unix.ELOOP) || errors.Is(err.Err, unix.EXDEV) || errors.Is(err.Err, unix.ENOTDIR) && rel == "" {
		return &CorruptError{Path: err.Path, Pod: filepath.Base(dir), Why: "a symbolic link (or something else that is not podctl's) is in its way"}
	}
	return err
}

// CorruptError is a pod's state that podctl did not write as it is.
type CorruptError struct {
	Path, Pod, Why string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt state %s: %s (podctl rm -f %s or podctl gc removes the pod and ends its processes)", e.Path, e.Why, e.Pod)
}

// readStateBytes reads dir/state.json: a regular file, at most
// MaxStateBytes.
func readStateBytes(dir string) ([]byte, error) {
	f, err := OpenInPod(dir, StateFile, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	corrupt := func(why string) error { return &CorruptError{Path: f.Name(), Pod: filepath.Base(dir), Why: why} }
	if !fi.Mode().IsRegular() {
		return nil, corrupt("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxStateBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxStateBytes {
		return nil, corrupt(fmt.Sprintf("larger than %d MiB", MaxStateBytes>>20))
	}
	return b, nil
}

// validateState checks what podctl itself guarantees of a state it wrote:
// the pod's and containers' names (they become paths: logs/NAME/N.log),
// numbers that cannot be negative, times that cannot be in the future
// (beyond a clock's step), a log path that is absolute.
func validateState(st *PodState, dir string) error {
	name := filepath.Base(dir)
	if st.Spec.Name != name {
		return fmt.Errorf("the pod's name is %q, in the directory of pod %q", st.Spec.Name, name)
	}
	seen := map[string]bool{}
	for i := range st.Containers {
		c := &st.Containers[i]
		at := fmt.Sprintf("containers[%d]", i)
		if err := ValidateName("container", c.Spec.Name); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if seen[c.Spec.Name] {
			return fmt.Errorf("%s: a second container named %q", at, c.Spec.Name)
		}
		seen[c.Spec.Name] = true
		if c.RestartCount < 0 || c.LogDroppedBytes < 0 {
			return fmt.Errorf("%s: a negative count", at)
		}
		if p := c.Spec.LogPath; p != "" && (!filepath.IsAbs(p) || strings.Contains(p, "\x00")) {
			return fmt.Errorf("%s: log path %q is not absolute", at, p)
		}
		for _, p := range []ProcRef{c.Proc} {
			if p.PID < 0 {
				return fmt.Errorf("%s: a negative pid", at)
			}
		}
	}
	for _, p := range []ProcRef{st.Pause, st.Supervisor, st.Network.Helper} {
		if p.PID < 0 {
			return errors.New("a negative pid")
		}
	}
	// A clock stepped back a little is not corruption; a day is.
	if st.Created.After(time.Now().Add(24 * time.Hour)) {
		return fmt.Errorf("created %s, in the future", st.Created.Format(time.RFC3339))
	}
	return nil
}
