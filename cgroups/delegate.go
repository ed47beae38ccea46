package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Known are the controllers podctl sets limits with, in the order the
// kernel lists them.
var Known = []string{"cpu", "io", "memory", "pids"}

// Delegation is the subtree of the cgroup hierarchy podctl may manage.
type Delegation struct {
	Path        string   // absolute, under Mountpoint
	Controllers []string // those of Known it may enable for its pods
}

// Unavailable says why podctl has no cgroup to put pods in, and how to
// give it one.
type Unavailable struct {
	Reason, Fix string
}

func (u *Unavailable) Error() string { return u.Reason + "; " + u.Fix }

// ownCgroup is this process's cgroup v2 path, from /proc/self/cgroup's
// "0::PATH" line (cgroups(7)). In a cgroup namespace the path is relative
// to the namespace's root, which is what /sys/fs/cgroup shows there too.
func ownCgroup() (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("/proc/self/cgroup has no cgroup v2 line")
}

// Find returns the subtree podctl may use: all of it for root; for anyone
// else the highest cgroup above (or at) its own whose cgroup.procs it
// owns, which is how a delegation looks (systemd's user@UID.service, or a
// directory root chowned). Anything else is *Unavailable.
func Find() (*Delegation, error) {
	mode := DetectMode()
	if mode != Unified {
		if mode == Missing {
			return nil, &Unavailable{Reason: "this host has " + mode.String(), Fix: "mount cgroup2 on " + Mountpoint}
		}
		return nil, &Unavailable{Reason: "this host's cgroups are " + mode.String(),
			Fix: "boot with cgroup v2 alone (systemd.unified_cgroup_hierarchy=1 on the kernel command line)"}
	}
	rel, err := ownCgroup()
	if err != nil {
		return nil, &Unavailable{Reason: err.Error(), Fix: "podctl needs /proc mounted"}
	}
	d := &Delegation{Path: Mountpoint}
	if uid := os.Geteuid(); uid != 0 {
		cur := filepath.Join(Mountpoint, rel)
		if !owned(cur, uid) {
			return nil, &Unavailable{
				Reason: fmt.Sprintf("your cgroup %s is not delegated to you", cur),
				Fix: "run podctl inside a delegated cgroup: a systemd user session (systemd-run --user --scope podctl ...), " +
					"or as root: mkdir a cgroup, chown it and its cgroup.procs, cgroup.subtree_control and cgroup.threads to you, and move your shell into a child of it",
			}
		}
		for cur != Mountpoint && owned(filepath.Dir(cur), uid) {
			cur = filepath.Dir(cur)
		}
		d.Path = cur
	}
	have, err := readList(filepath.Join(d.Path, "cgroup.controllers"))
	if err != nil {
		return nil, &Unavailable{Reason: err.Error(), Fix: "check that " + Mountpoint + " is a cgroup2 mount"}
	}
	for _, c := range Known {
		if slices.Contains(have, c) {
			d.Controllers = append(d.Controllers, c)
		}
	}
	return d, nil
}

// owned: dir's cgroup.procs is uid's to write, as a delegation makes it.
func owned(dir string, uid int) bool {
	var st unix.Stat_t
	if unix.Stat(filepath.Join(dir, "cgroup.procs"), &st) != nil {
		return false
	}
	return int(st.Uid) == uid && unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK) == nil
}

// Missing returns the first of want that the delegation cannot enable, or "".
func (d *Delegation) Missing(want []string) string {
	for _, c := range want {
		if !slices.Contains(d.Controllers, c) {
			return c
		}
	}
	return ""
}

// podsDir is where podctl makes its pods' cgroups.
func (d *Delegation) podsDir() string { return filepath.Join(d.Path, "podctl") }

// Prepare enables the delegated controllers for podctl's own subtree. The
// kernel refuses (EBUSY) to enable a controller in cgroup.subtree_control
// of a cgroup that holds processes ("No Internal Process Constraint",
// cgroup-v2.rst); when the only process there is podctl itself, it moves
// itself into a leaf of its own first, as crun does. A command that starts
// a detached supervisor calls it before the start, so that the two are
// never both in the delegation's root: the supervisor is born where the
// command moved to.
func (d *Delegation) Prepare() error {
	err := enable(d.Path, d.Controllers)
	if errors.Is(err, unix.EBUSY) {
		if err = d.leaveRoot(); err == nil {
			err = enable(d.Path, d.Controllers)
		}
	}
	if err != nil {
		return err
	}
	if err := os.Mkdir(d.podsDir(), 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return enable(d.podsDir(), d.Controllers)
}

// leaveRoot moves podctl out of the delegated cgroup into a leaf,
// podctl-init, when it is alone there.
func (d *Delegation) leaveRoot() error {
	procs, err := os.ReadFile(filepath.Join(d.Path, "cgroup.procs"))
	if err != nil {
		return err
	}
	self := strconv.Itoa(os.Getpid())
	for _, p := range strings.Fields(string(procs)) {
		if p != self {
			return fmt.Errorf("cannot enable controllers in %s: process %s is in it (cgroup v2 lets controllers be enabled only for a cgroup with no processes of its own); move the processes into a child cgroup", d.Path, p)
		}
	}
	leaf := filepath.Join(d.Path, "podctl-init")
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(self), 0)
}

// enable writes "+c" for each controller not yet enabled for dir's
// children.
func enable(dir string, controllers []string) error {
	on, err := readList(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	var add []string
	for _, c := range controllers {
		if !slices.Contains(on, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(add, " ")), 0); err != nil {
		return fmt.Errorf("enabling %s for %s: %w", strings.Join(add, " "), dir, err)
	}
	return nil
}

func readList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}
