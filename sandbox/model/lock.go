package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Two flock(2) locks live in each pod's directory:
//
//   - supervisor.lock is held, exclusively, by the pod's supervisor for as
//     long as it runs. The kernel drops it when the supervisor dies, however
//     it dies, so "can I take it?" answers "is the supervisor gone?" without
//     trusting a pid that may have been recycled.
//   - state.lock serializes the writers of state.json (the supervisor, and
//     stop, rm and gc when the supervisor is gone). Readers need no lock:
//     state.json is replaced by rename(2), never rewritten in place.
const (
	supervisorLock = "supervisor.lock"
	stateLock      = "state.lock"
)

// LockFile opens (creating) path and flocks it with how (unix.LOCK_EX or
// unix.LOCK_SH, optionally | unix.LOCK_NB). The lock lasts until the file is
// closed by every process holding it (flock locks belong to the open file,
// so a lock passed to a child on exec stays held).
func LockFile(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f, how); err != nil {
		return nil, err
	}
	return f, nil
}

// flock locks f (closing it on failure).
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			f.Close()
		}
		return err
	}
}

// SupervisorAlive says whether the supervisor of the pod in dir runs. Its
// lock answers first: it holds supervisor.lock, so a non-blocking shared
// lock fails. A free lock is not proof of the opposite: flock(2) belongs
// to the file the supervisor opened, not to its name, and a supervisor
// whose supervisor.lock was deleted (or replaced) holds a lock nobody can
// reach any more. So the supervisor recorded in state.json, by pid and
// start time (a recycled pid has another), answers then: deleting a file
// must not turn a running pod into one that gc removes.
func SupervisorAlive(dir string) bool {
	if supervisorLockHeld(dir) {
		return true
	}
	st, err := ReadStateFile(dir)
	return err == nil && st.BootID == BootID() && st.Supervisor.Alive()
}

func supervisorLockHeld(dir string) bool {
	f, err := OpenInPod(dir, supervisorLock, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	return errors.Is(err, unix.EWOULDBLOCK)
}

// AwaitSupervisorExit waits until the supervisor of the pod in dir has
// exited (released its lock), or the timeout passes.
func AwaitSupervisorExit(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for SupervisorAlive(dir) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the supervisor of the pod in %s did not exit within %s", dir, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// WithStateLock runs fn holding the pod's state lock.
// (A state.lock that is a symlink is refused, not followed: statefile.go.)
func WithStateLock(dir string, fn func() error) error {
	f, err := OpenInPod(dir, stateLock, unix.O_RDWR|unix.O_CREAT, 0o600)
	var corrupt *CorruptError
	if errors.As(err, &corrupt) {
		// A lock file holds nothing but its lock, and nobody can hold
		// one through a name that is a symlink now: replace it.
		if os.Remove(filepath.Join(dir, stateLock)) == nil {
			f, err = OpenInPod(dir, stateLock, unix.O_RDWR|unix.O_CREAT, 0o600)
		}
	}
	if err == nil {
		err = flock(f, unix.LOCK_EX)
	}
	if err != nil {
		return fmt.Errorf("locking the state of the pod in %s: %w", dir, err)
	}
	defer f.Close()
	return fn()
}
