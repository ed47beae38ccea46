package leak

import (
	"fmt"
	"os"

	"github.com/google/nftables"
)

// network lists the host network namespace's links, the named network
// namespaces (ip-netns(8)'s /run/netns) and, as root, the host's nftables
// tables: what root's shared bridge network and port bypass could leave.
// (A rootless podctl can change none of these; its pods' namespaces go
// with their processes. The per-user netns directory under
// $XDG_RUNTIME_DIR is podman's, which keeps its rootless-netns there.)
func network() map[string][]string {
	out := map[string][]string{
		"host network links":       names("/sys/class/net"),
		"named network namespaces": names("/run/netns"),
	}
	if os.Getuid() == 0 {
		// Only root may read the host's rule set (CAP_NET_ADMIN in the
		// network namespace's owner).
		if c, err := nftables.New(); err == nil {
			tables, err := c.ListTables()
			if err == nil {
				var t []string
				for _, tb := range tables {
					t = append(t, fmt.Sprintf("family %d table %s", tb.Family, tb.Name))
				}
				out["host nftables tables"] = t
			}
		}
	}
	return out
}

func names(dir string) []string {
	out := []string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
