package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StateRoot is where podctl keeps its state: $XDG_RUNTIME_DIR/podctl for a
// user (a tmpfs that the login session owns and clears at logout), or
// /run/podctl for root. Without XDG_RUNTIME_DIR a user gets
// /tmp/podctl-run-UID, created 0700 and checked to be theirs.
func StateRoot() (string, error) {
	if os.Getuid() == 0 {
		return "/run/podctl", nil
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "podctl"), nil
	}
	d := fmt.Sprintf("/tmp/podctl-run-%d", os.Getuid())
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating state directory %s: %w", d, err)
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return "", err
	}
	if st, ok := statOwner(fi); !fi.IsDir() || !ok || st != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("state directory %s is not a private directory of uid %d; remove it or set XDG_RUNTIME_DIR", d, os.Getuid())
	}
	return filepath.Join(d, "podctl"), nil
}

// isDNSLabel: a DNS label (RFC 1123), since the name is also the pod's
// hostname and a directory name; Kubernetes imposes the same on pod names.
// (Hand-written: compiling a regexp at start-up costs every podctl process,
// including each container's init stage, half a millisecond.)
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

// PodState is what state.json of a pod records.
type PodState struct {
	Name     string    `json:"name"`
	Hostname string    `json:"hostname"`
	Created  time.Time `json:"created"`
	BootID   string    `json:"bootID"`
	// The pause: its pid and its start time (field 22 of /proc/PID/stat),
	// which together identify it even after the pid is recycled.
	PausePID       int    `json:"pausePid"`
	PauseStartTime uint64 `json:"pauseStartTime"`
	IDMap          struct {
		UIDs []IDRange `json:"uids"`
		GIDs []IDRange `json:"gids"`
	} `json:"idMap"`
	Containers []ContainerState `json:"containers"`
}

// ContainerState is one container of a pod.
type ContainerState struct {
	Name     string    `json:"name"`
	Args     []string  `json:"args"`
	PID      int       `json:"pid,omitempty"`
	Started  time.Time `json:"startedAt,omitempty"`
	Finished time.Time `json:"finishedAt,omitempty"`
	ExitCode *int      `json:"exitCode,omitempty"`
}

// podDir makes the pod's directory; it fails if the name is taken, which
// makes mkdir(2) the one arbiter between concurrent podctl commands.
func podDir(name string) (string, error) {
	root, err := StateRoot()
	if err != nil {
		return "", err
	}
	pods := filepath.Join(root, "pods")
	if err := os.MkdirAll(pods, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", pods, err)
	}
	dir := filepath.Join(pods, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("a pod named %q already exists (%s); choose another --name or remove it with podctl rm %s", name, dir, name)
		}
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, nil
}

// writeState replaces state.json atomically (write, then rename(2)), so a
// reader never sees half a file, even if podctl dies mid-write. There is no
// fsync: the state describes processes, and none survives a power loss
// (readers compare the boot id), so durability would cost a disk flush on
// every pod start for nothing.
func writeState(dir string, st *PodState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, "state.json"))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing state of pod in %s: %w", dir, err)
	}
	return nil
}

// ReadState reads the state of pod name.
func ReadState(name string) (*PodState, string, error) {
	root, err := StateRoot()
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(root, "pods", name)
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, dir, fmt.Errorf("no pod named %q (see podctl ps -a)", name)
	}
	if err != nil {
		return nil, dir, err
	}
	var st PodState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, dir, fmt.Errorf("corrupt state %s: %w", filepath.Join(dir, "state.json"), err)
	}
	return &st, dir, nil
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
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// bootID identifies this boot of the kernel: state from another boot
// describes processes that no longer exist.
func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}
