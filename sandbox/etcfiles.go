package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/rootfs"
)

// writeEtcFiles writes the pod's /etc/hostname, /etc/hosts and
// /etc/resolv.conf into the pod's state directory; each container
// bind-mounts them, so all containers of a pod agree on its name.
func writeEtcFiles(dir, hostname string) ([]rootfs.BindFile, error) {
	files := []struct{ name, content string }{
		{"hostname", hostname + "\n"},
		{"hosts", fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", hostname)},
		// Loopback is the pod's only network: there is no nameserver to
		// reach, and saying so beats pointing at one that cannot answer.
		{"resolv.conf", "# podctl: this pod has only a loopback network, so no nameserver is reachable.\n"},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return etcFiles(dir), nil
}

// etcFiles lists the pod's /etc files in dir as containers bind-mount them.
func etcFiles(dir string) []rootfs.BindFile {
	var out []rootfs.BindFile
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		out = append(out, rootfs.BindFile{Source: filepath.Join(dir, name), Target: "/etc/" + name})
	}
	return out
}
