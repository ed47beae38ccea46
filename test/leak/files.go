package leak

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/model"
)

// tempEntries: podctl's entries in the temp directory (the store helper's
// and the image transports' scratch files), but those named in except.
func tempEntries(except []string) []string {
	out := []string{}
	ents, _ := os.ReadDir(os.TempDir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "podctl") && !slices.Contains(except, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// skeleton: the entries podctl makes on first use and keeps by design
// (docs/pod-model.md): the directories that hold pods, ConfigMaps,
// Secrets, the shared network's leases and volumes, the network's lock and
// log, and the once-per-user notices. They may appear between two
// snapshots; what is inside them is compared, except in the cache of
// compiled seccomp programs (sandbox/model/filtercache.go), whose entries
// a first container start adds by design; and the record and lock of the
// per-user namespace (sandbox/stage/nest.go), whose holder ends itself
// (procs.go).
var skeleton = map[string]bool{
	"pods": true, "kube": true, "kube/configmap": true, "kube/secret": true,
	"network": true, "network/leases": true, "network/lock": true, "network/network.log": true,
	"volumes": true, "seccomp-cache": true, "userns.json": true, "userns.lock": true,
}

func isSkeleton(rel string) bool {
	return skeleton[rel] || strings.HasPrefix(rel, "notice-") || strings.HasPrefix(rel, "seccomp-cache/")
}

// trees lists, recursively, the whole state root, podctl's data directory
// (named volumes and their contents) and the pod cgroups under the
// delegated subtree.
func trees() map[string][]string {
	out := map[string][]string{}
	if root, err := model.StateRoot(); err == nil {
		out["state root "+root] = walk(root, true)
	}
	if data, err := model.DataDir(); err == nil {
		out["data directory "+data] = walk(data, true)
	}
	if d, err := cgroups.Find(); err == nil {
		dir := filepath.Join(d.Path, "podctl")
		out["cgroups under "+dir] = walk(dir, false)
	}
	return out
}

// walk lists root's tree as relative paths, a directory with a trailing
// '/', a symlink with its target. files=false lists directories only (a
// cgroup's files are the kernel's).
func walk(root string, files bool) []string {
	out := []string{}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if path == root {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we walked: the next snapshot tells
		}
		if err != nil {
			out = append(out, rel+" (unreadable)")
			return nil
		}
		switch {
		case d.IsDir():
			if !isSkeleton(rel) {
				out = append(out, rel+"/")
			}
		case !files || isSkeleton(rel):
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			out = append(out, rel+" -> "+target)
		default:
			out = append(out, rel)
		}
		return nil
	})
	return out
}
