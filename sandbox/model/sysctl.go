package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/podctl/podctl/netsetup"
)

// Sysctls are written by the pause in the pod's namespaces, before any
// container starts: only kernel parameters that belong to a namespace the
// pod has of its own may be set, or a pod would change its host. These are
// the ones the kubelet calls namespaced (sysctl-cluster.md in the
// Kubernetes docs): the IPC namespace's kernel.shm*, kernel.msg*,
// kernel.sem and fs.mqueue.*, and net.* of its network namespace. The
// kernel itself decides which of them the pod's root may write (a network
// namespace's files are owned by the root of the user namespace that owns
// it, net/sysctl_net.c; the IPC ones likewise, ipc/ipc_sysctl.c).
var sysctlPrefixes = []string{"kernel.shm", "kernel.msg", "fs.mqueue.", "net."}

// ValidateSysctls checks each key (dotted or slashed, as sysctl(8) takes
// it) and value: a key names a file under /proc/sys, so it may not leave
// it, and the pause writes them as "key=value" lines.
func (s *PodSpec) ValidateSysctls() error {
	for _, k := range s.SysctlKeys() {
		v := s.Sysctls[k]
		name := strings.ReplaceAll(k, "/", ".")
		if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.ContainsAny(k, "= \t\n\x00") {
			return fmt.Errorf("sysctl %q: not a kernel parameter's name (e.g. net.ipv4.ip_unprivileged_port_start)", k)
		}
		if strings.ContainsAny(v, "\n\x00") {
			return fmt.Errorf("sysctl %s: the value may not hold a newline or NUL", k)
		}
		namespaced := name == "kernel.sem"
		for _, p := range sysctlPrefixes {
			namespaced = namespaced || strings.HasPrefix(name, p)
		}
		if !namespaced {
			return fmt.Errorf("sysctl %s: not in a namespace of the pod's own, so setting it would change the host; podctl sets kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* and net.*", k)
		}
		if strings.HasPrefix(name, "net.") && s.Network.Mode == netsetup.Host {
			return fmt.Errorf("sysctl %s: the pod uses the host's network namespace (--network host), whose parameters are the host's", k)
		}
		if !strings.HasPrefix(name, "net.") && s.HostIPC {
			return fmt.Errorf("sysctl %s: the pod uses the host's IPC namespace, whose parameters are the host's", k)
		}
	}
	return nil
}

// SysctlKeys are the keys of Sysctls, sorted: the order the pause writes
// them in.
func (s *PodSpec) SysctlKeys() []string {
	keys := make([]string, 0, len(s.Sysctls))
	for k := range s.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SysctlPath is the file under /proc/sys of a sysctl key: dots are the
// separators, as sysctl(8) reads them, unless the key uses slashes.
func SysctlPath(key string) string {
	if strings.Contains(key, "/") {
		return "/proc/sys/" + key
	}
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}
