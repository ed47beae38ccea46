package model

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/podctl/podctl/sandbox/seccomp"
)

// CapNames are the capabilities of capabilities(7), by number.
var CapNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// DefaultCaps are podman's: docker's 14 without MKNOD, NET_RAW and
// AUDIT_WRITE. They hold inside the pod's user namespace only, and never
// include SYS_ADMIN (mount, setns, unshare of most namespaces).
var DefaultCaps = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
	"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// normCap turns "cap_net_raw", "NET_RAW" or "CAP_NET_RAW" into "NET_RAW".
func normCap(s string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "CAP_")
}

// ResolveCaps applies --cap-add and --cap-drop to DefaultCaps, as podman
// does: "ALL" in drop starts from nothing, "ALL" in add from everything.
func ResolveCaps(add, drop []string) ([]string, error) {
	set := map[string]bool{}
	for _, c := range DefaultCaps {
		set[c] = true
	}
	for _, list := range []struct {
		flag  string
		names []string
		on    bool
	}{{"--cap-drop", drop, false}, {"--cap-add", add, true}} {
		for _, n := range list.names {
			c := normCap(n)
			if c == "ALL" {
				for _, name := range CapNames {
					set[name] = list.on
				}
				continue
			}
			if !slices.Contains(CapNames, c) {
				return nil, fmt.Errorf("%s %q: no such capability (see capabilities(7); e.g. NET_RAW or CAP_NET_RAW)", list.flag, n)
			}
			set[c] = list.on
		}
	}
	var out []string
	for _, name := range CapNames {
		if set[name] {
			out = append(out, name)
		}
	}
	return out, nil
}

// SeccompFilter compiles the container's seccomp profile for its
// capabilities (a profile's rules may depend on them); nil when unconfined.
// A program is compiled once for each profile, capability set and bypass:
// kept in memory for the process (filterCache: a supervisor starting many
// containers, or restarting one), and on disk for the next commands
// (filtercache.go).
func SeccompFilter(c *ContainerSpec, bypass bool) ([]byte, error) {
	if c.Seccomp == "unconfined" {
		return nil, nil
	}
	// What the program is made from: the profile (its bytes: a file is
	// recompiled once it changes, and compiled as read, once), the
	// capabilities and the bypass; the key of both caches.
	profile, content := []byte("default"), []byte(nil)
	if c.Seccomp != "" {
		var err error
		if content, err = os.ReadFile(c.Seccomp); err != nil {
			return nil, fmt.Errorf("seccomp profile: %w", err)
		}
		profile = append([]byte("file\x00"), content...)
	}
	key := fmt.Sprintf("%s\x00%t\x00%s", strings.Join(c.Caps, ","), bypass, profile)
	if prog, ok := filterCache.Load(key); ok {
		return prog.([]byte), nil
	}
	disk := filterKey(key)
	if b := cachedFilter(disk); b != nil {
		filterCache.Store(key, b)
		return b, nil
	}
	prof, err := seccomp.Profile(c.Seccomp, content, c.Caps)
	if err != nil {
		return nil, err
	}
	if bypass {
		// --port-bypass: bind(2) asks the supervisor first (sandbox/podnet/bypass.go).
		// The rule goes first, so it wins over the profile's allow.
		prof.Syscalls = append([]specs.LinuxSyscall{{Names: []string{"bind"}, Action: specs.ActNotify}}, prof.Syscalls...)
	}
	prog, err := seccomp.Compile(prof)
	if err != nil {
		return nil, err
	}
	b := seccomp.Encode(prog)
	filterCache.Store(key, b)
	storeFilter(disk, b)
	return b, nil
}

// filterCache holds the compiled programs of SeccompFilter; they are
// never changed once stored (callers only send them).
var filterCache sync.Map
