package nsenter

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// InitPlan is everything the container's init (init.c) does, decided by
// podctl: the steps of its root filesystem, in order, then its process.
// It travels over the sync socket (never in argv or the environment,
// which other processes can read) in the form init.h describes.
type InitPlan struct {
	Where string // "container C of pod P": every error of the init starts with it
	// Steps build the root filesystem (none for podctl exec): each is an
	// operation of initplan.c's table and its arguments (rootfs.Plan).
	Steps [][]string
	// The user, resolved in the container's /etc after pivot_root:
	// UserSpec as given (-u), split into its user and group parts.
	UserSpec, UserPart, GroupPart string
	IDsMapped                     uint64 // the pod's user namespace maps ids 0..IDsMapped-1
	RunAsNonRoot                  bool
	Tty                           bool // a pty of the container's own, its master sent to podctl
	Exec                          bool // podctl exec: the root is the container's already
	// Env in order; HomeAt is the index of the default HOME, which the
	// init fills with the resolved user's home (-1: the user set HOME).
	Env    []string
	HomeAt int
	Cwd    string
	// Privileged keeps every capability and sets no no_new_privs; else
	// Caps (bit N: capability N) are kept, up to LastCap, the kernel's last.
	Privileged bool
	Caps       uint64
	CapNames   string
	LastCap    int
	Setgroups  bool // false where setgroups(2) is denied in the pod
	// Groups are supplementary gids added to the user's from /etc/group;
	// GroupsStrict takes none from /etc/group.
	Groups       []uint32
	GroupsStrict bool
	// NoNewPrivsOff leaves no_new_privs unset (allowPrivilegeEscalation).
	NoNewPrivsOff bool
	Seccomp       []byte // struct sock_filter entries; none when empty
	// SeccompNotify: install it with a listener, sent to podctl.
	SeccompNotify bool
	Args          []string
}

// Encode writes the plan as init.h describes: "plan", then each operation
// and its arguments, NUL-terminated; the seccomp program last, as raw
// bytes after its length. It refuses a string with a NUL in it, which
// the kernel would cut short anyway (execve(2) and mount(2) take C
// strings).
func (p *InitPlan) Encode() ([]byte, error) {
	var b bytes.Buffer
	var bad string
	op := func(name string, args ...string) {
		b.WriteString(name)
		b.WriteByte(0)
		for _, a := range args {
			if strings.IndexByte(a, 0) >= 0 && bad == "" {
				bad = fmt.Sprintf("%s %q", name, a)
			}
			b.WriteString(a)
			b.WriteByte(0)
		}
	}
	op("plan")
	op("where", p.Where)
	for _, s := range p.Steps {
		op(s[0], s[1:]...)
	}
	op("user", p.UserSpec, p.UserPart, p.GroupPart, strconv.FormatUint(p.IDsMapped, 10), flag(p.RunAsNonRoot))
	if p.Tty {
		op("tty")
	}
	if p.Exec {
		op("exec")
	}
	for i, kv := range p.Env {
		if i == p.HomeAt {
			op("envhome")
			continue
		}
		op("env", kv)
	}
	op("cwd", p.Cwd)
	if p.Privileged {
		op("privileged")
	} else {
		op("caps", strconv.Itoa(p.LastCap), strconv.FormatUint(p.Caps, 16), p.CapNames)
	}
	if p.Setgroups {
		op("setgroups")
	}
	if len(p.Groups) > 0 || p.GroupsStrict {
		gids := make([]string, len(p.Groups))
		for i, g := range p.Groups {
			gids[i] = strconv.FormatUint(uint64(g), 10)
		}
		op("groups", flag(p.GroupsStrict), strings.Join(gids, " "))
	}
	if p.NoNewPrivsOff && !p.Privileged {
		op("privesc")
	}
	for _, a := range p.Args {
		op("arg", a)
	}
	if len(p.Seccomp) > 0 {
		op("seccomp", flag(p.SeccompNotify), strconv.Itoa(len(p.Seccomp)))
		b.Write(p.Seccomp)
	}
	if bad != "" {
		return nil, fmt.Errorf("%s: %s has a NUL byte, which no C string can hold", p.Where, bad)
	}
	return b.Bytes(), nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
