package stage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/rootfs"
)

// WriteEtcFiles writes the pod's /etc/hostname, /etc/hosts and
// /etc/resolv.conf into the pod's state directory; each container
// init bind-mounts them (InitConfig.Files), so all containers of a pod agree on its name, its
// address and its nameservers (netsetup/etc.go).
func WriteEtcFiles(dir string, spec model.PodSpec, net netsetup.Status) ([]rootfs.BindFile, error) {
	files := []struct{ name, content string }{
		{"hostname", spec.Hostname + "\n"},
		{"hosts", netsetup.Hosts(spec.Network, net, spec.Hostname)},
		{"resolv.conf", netsetup.ResolvConf(spec.Network, net)},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return EtcFiles(dir), nil
}

// EtcFiles lists the pod's /etc files in dir as containers bind-mount them.
func EtcFiles(dir string) []rootfs.BindFile {
	var out []rootfs.BindFile
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		out = append(out, rootfs.BindFile{Source: filepath.Join(dir, name), Target: "/etc/" + name})
	}
	return out
}
