package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/plainjson"

	"golang.org/x/sys/unix"
)

// StateRoot is where podctl keeps its state: $XDG_RUNTIME_DIR/podctl for a
// user (a tmpfs that the login session owns and clears at logout), or
// /run/podctl for root. Without XDG_RUNTIME_DIR a user gets
// /tmp/podctl-run-UID/podctl.
//
// A user's state root holds every pod's state, its secrets and control
// sockets, so it must be theirs alone: made 0700 if missing, and refused
// when it is a symlink, another user's, or open to others. (With
// XDG_RUNTIME_DIR set to a shared directory such as /tmp, another user
// could otherwise have made "podctl" a link to a directory of theirs.)
func StateRoot() (string, error) {
	if os.Getuid() == 0 {
		return "/run/podctl", nil
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		root := filepath.Join(d, "podctl")
		return root, PrivateDir(root, "state directory", "set XDG_RUNTIME_DIR to a directory of yours")
	}
	d := fmt.Sprintf("/tmp/podctl-run-%d", os.Getuid())
	if err := PrivateDir(d, "state directory", "remove it or set XDG_RUNTIME_DIR"); err != nil {
		return "", err
	}
	return filepath.Join(d, "podctl"), nil
}

// PrivateDir makes dir (mode 0700) unless it exists, then checks that it
// is a real directory (not a symlink), owned by the caller, with no access
// for group or others. what and fix go into the error.
func PrivateDir(dir, what, fix string) error { return ownDir(dir, what, fix, 0o077) }

// ownDir is PrivateDir with the mode bits others must not have: 0o077 for
// what is secret, 0o022 for what others may read but never change.
func ownDir(dir, what, fix string, closed os.FileMode) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s %s: %w", what, dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, dir, err)
	}
	owner, ok := statOwner(fi)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%s %s is a symbolic link: podctl keeps its state only in a directory of its own; %s", what, dir, fix)
	case !fi.IsDir():
		return fmt.Errorf("%s %s is not a directory; %s", what, dir, fix)
	case !ok || owner != os.Getuid():
		return fmt.Errorf("%s %s belongs to uid %d, not to you (uid %d); %s", what, dir, owner, os.Getuid(), fix)
	case fi.Mode().Perm()&closed != 0:
		return fmt.Errorf("%s %s is open to others (mode %#o); chmod go-rwx it, or %s", what, dir, fi.Mode().Perm(), fix)
	}
	return nil
}

// isDNSLabel: a DNS label (RFC 1123), since the name is also the pod's
// hostname and a directory name; Kubernetes imposes the same on pod names.
// (Hand-written: compiling a regexp at start-up costs every podctl process
// half a millisecond.)
func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateName checks a pod or container name.
func ValidateName(kind, name string) error {
	if !isDNSLabel(name) {
		return fmt.Errorf("invalid %s name %q: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", kind, name)
	}
	return nil
}

// PodState is what state.json of a pod records: its spec, the processes
// that hold it up (the pause and the supervisor), and its status in
// Kubernetes' terms. The supervisor writes it at every change; commands
// read it and check it against the living processes (observe.go).
type PodState struct {
	Spec    PodSpec   `json:"spec"`
	Created time.Time `json:"created"`
	BootID  string    `json:"bootID"`
	// The pause holds the pod's namespaces; the supervisor, on the host,
	// owns its containers. Zero once they have exited.
	Pause      ProcRef `json:"pause"`
	Supervisor ProcRef `json:"supervisor"`
	IDMap      struct {
		UIDs []idmap.Range `json:"uids"`
		GIDs []idmap.Range `json:"gids"`
	} `json:"idMap"`

	Phase      string            `json:"phase"`
	Reason     string            `json:"reason,omitempty"`
	Message    string            `json:"message,omitempty"`
	Conditions []Condition       `json:"conditions,omitempty"`
	StartTime  time.Time         `json:"startTime,omitempty"`
	Network    NetworkState      `json:"network"`
	Containers []ContainerStatus `json:"containers"`
	// Cgroup: the pod's cgroup directory (cgroups/), "" where podctl has
	// none; a container's is Cgroup/<its name>.
	Cgroup string `json:"cgroup,omitempty"`
}

// Container returns the status of the container called name, or nil.
func (st *PodState) Container(name string) *ContainerStatus {
	for i := range st.Containers {
		if st.Containers[i].Spec.Name == name {
			return &st.Containers[i]
		}
	}
	return nil
}

// MainContainer is the pod's first app container (whose exit code podctl
// run returns), or nil.
func (st *PodState) MainContainer() *ContainerStatus {
	for i := range st.Containers {
		if !st.Containers[i].Spec.Init {
			return &st.Containers[i]
		}
	}
	return nil
}

// PodDir makes the pod's directory, already holding its supervisor lock
// (lock.go), and returns it with that lock held. The directory is built
// under a temporary name and renamed into place, so that a pod directory
// never exists unlocked while its creator lives: "no state.json and nobody
// holds the lock" then always means a creator that died, whose leftovers
// gc and rm may remove at once. rename(2) of a directory onto a non-empty
// one fails, which makes it the one arbiter between concurrent creations
// of one name (an empty directory left by nothing is replaced).
func PodDir(name string) (string, *os.File, error) {
	root, err := StateRoot()
	if err != nil {
		return "", nil, err
	}
	pods := filepath.Join(root, "pods")
	if err := os.MkdirAll(pods, 0o700); err != nil {
		return "", nil, fmt.Errorf("creating %s: %w", pods, err)
	}
	dir := filepath.Join(pods, name)
	taken := func() error {
		return fmt.Errorf("a pod named %q already exists (%s); choose another --name or remove it with podctl rm %s", name, dir, name)
	}
	if _, err := os.Lstat(filepath.Join(dir, StateFile)); err == nil {
		return "", nil, taken() // the common case, without making anything
	}
	tmp, err := os.MkdirTemp(pods, ".creating-"+name+"-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a directory in %s: %w", pods, err)
	}
	lock, err := LockFile(filepath.Join(tmp, supervisorLock), unix.LOCK_EX)
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(tmp)
		if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			return "", nil, taken()
		}
		return "", nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, lock, nil
}

// StateFile is the name of the state in a pod's directory.
const StateFile = "state.json"

// ExecCardFile is the main container's exec card, beside state.json
// (nsenter/execcard.h), while that container runs.
const ExecCardFile = "exec.card"

// WriteState replaces state.json atomically (write, then rename(2)), so a
// reader never sees half a file, even if podctl dies mid-write. There is no
// fsync: the state describes processes, and none survives a power loss
// (readers compare the boot id), so durability would cost a disk flush on
// every pod start for nothing.
func WriteState(dir string, st *PodState) error {
	b, err := MarshalState(st)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, StateFile), ".state-*.json", b); err != nil {
		return fmt.Errorf("writing state of pod in %s: %w", dir, err)
	}
	return nil
}

// MarshalState is state.json's content for st: json.MarshalIndent's,
// written without encoding/json's per-type set-up (sandbox/plainjson).
func MarshalState(st *PodState) ([]byte, error) {
	b, err := plainjson.MarshalIndent(st)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// PrepareStateJSON makes what writing and reading a state first needs
// (plainjson's field lists), ahead of the hot path (a new pod's
// supervisor, while its pause is made).
func PrepareStateJSON() { plainjson.Prepare(reflect.TypeFor[PodState]()) }

// ReadState reads the state of pod name (or id).
func ReadState(name string) (*PodState, string, error) {
	root, err := StateRoot()
	if err != nil {
		return nil, "", err
	}
	if IsID(name) {
		n, err := podOfID(name)
		if err != nil {
			return nil, "", err
		}
		name = n
	}
	dir := filepath.Join(root, "pods", name)
	if err := ValidateName("pod", name); err != nil {
		return nil, "", err
	}
	st, err := ReadStateFile(dir)
	if errors.Is(err, os.ErrNotExist) {
		if _, derr := os.Stat(dir); derr == nil {
			return nil, dir, fmt.Errorf("pod %q is still being created (or its creation was interrupted: podctl gc removes it)", name)
		}
		return nil, dir, fmt.Errorf("no pod named %q (see podctl ps -a): %w", name, ErrNoPod)
	}
	return st, dir, err
}

// ErrNoPod: no pod of that name (rm -f of one succeeds, as podman's does;
// the loser of two concurrent removals meets it too).
var ErrNoPod = errors.New("no such pod")

// ReadStateFile reads dir/state.json.
// It is input (statefile.go): opened without following symlinks, its
// names and numbers checked; a state that fails is a *CorruptError.
func ReadStateFile(dir string) (*PodState, error) {
	b, err := readStateBytes(dir)
	if err != nil {
		return nil, err
	}
	var st PodState
	corrupt := func(err error) error {
		return &CorruptError{Path: filepath.Join(dir, StateFile), Pod: filepath.Base(dir), Why: err.Error()}
	}
	if err := plainjson.Unmarshal(b, &st); err != nil { // json.Unmarshal's result, sandbox/plainjson
		return nil, corrupt(err)
	}
	if err := validateState(&st, dir); err != nil {
		return nil, corrupt(err)
	}
	return &st, nil
}

// ListPods returns the names of all pods with a state directory.
func ListPods() ([]string, error) {
	root, err := StateRoot()
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(root, "pods"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range ents {
		// ".creating-*": a pod being made (podDir), not a pod yet.
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// BootID identifies this boot of the kernel: state from another boot
// describes processes that no longer exist.
func BootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// FindContainer returns container name (or id) of pod st; with an empty
// name, the pod's main container (its first app container).
func FindContainer(st *PodState, name string) (*ContainerStatus, error) {
	if name == "" {
		if c := st.MainContainer(); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("pod %s has no app container yet", st.Spec.Name)
	}
	if c := st.Container(name); c != nil {
		return c, nil
	}
	if IsID(name) {
		for i := range st.Containers {
			if st.Containers[i].Spec.ID == name {
				return &st.Containers[i], nil
			}
		}
	}
	var names []string
	for _, c := range st.Containers {
		names = append(names, c.Spec.Name)
	}
	return nil, fmt.Errorf("pod %s has no container %q (it has: %s): %w", st.Spec.Name, name, strings.Join(names, ", "), ErrNoContainer)
}

// ErrNoContainer: the pod has no container of that name or id.
var ErrNoContainer = errors.New("no such container")

// LogPath is where run number restarts of container name logs, as the
// kubelet lays it out: <container>/<restartCount>.log.
func LogPath(dir, name string, restarts int) string {
	return filepath.Join(dir, "logs", name, strconv.Itoa(restarts)+".log")
}

// LogFile is where run number restarts of container c, of the pod in dir,
// logs: the caller's path if it chose one (every run appends to it),
// else LogPath's.
func (c *ContainerSpec) LogFile(dir string, restarts int) string {
	if c.LogPath != "" {
		return c.LogPath
	}
	return LogPath(dir, c.Name, restarts)
}

// podOfID finds the name of the pod whose id is id.
func podOfID(id string) (string, error) {
	names, err := ListPods()
	if err != nil {
		return "", err
	}
	root, err := StateRoot()
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if st, err := ReadStateFile(filepath.Join(root, "pods", n)); err == nil && st.Spec.ID == id {
			return n, nil
		}
	}
	return "", fmt.Errorf("no pod with id %s (see podctl ps -a): %w", id, ErrNoPod)
}
