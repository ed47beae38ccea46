package stage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podctl/podctl/sandbox/explain"

	"github.com/podctl/podctl/images"
	"golang.org/x/sys/unix"
)

// mountRoot is the init's half: the same mount of the container's layer
// that containers-storage made in the helper (images.RootMount), in this
// process's own mount namespace, where it ends with the container.
func mountRoot(image string, m *images.RootMount) (string, error) {
	if m.FSType == "" {
		return m.Target, nil // vfs: a plain directory
	}
	if m.Dir != "" {
		// Relative lowerdir paths start at the driver's home.
		if err := os.Chdir(m.Dir); err != nil {
			return "", fmt.Errorf("mounting the layer of image %s: %w", image, err)
		}
		defer os.Chdir("/")
	}
	// A volatile overlay (no syncs: fsync=volatile) leaves
	// WORKDIR/work/incompat/volatile behind when it is unmounted, and the
	// kernel refuses to mount over it again (overlayfs.rst, "Volatile
	// mount"), since a crash may have lost writes. Nothing was written
	// through the helper's mount, so, as containers-storage does before
	// its own mounts, podctl removes the marker.
	if strings.Contains(","+m.Data+",", ",fsync=volatile,") || strings.Contains(","+m.Data+",", ",volatile,") {
		for _, o := range strings.Split(m.Data, ",") {
			if w, ok := strings.CutPrefix(o, "workdir="); ok {
				os.RemoveAll(filepath.Join(w, "work", "incompat", "volatile"))
			}
		}
	}
	explain.Printf("init", "mounts its layer of image %s, as containers-storage mounts it, in its own mount namespace (so the mount ends with the container): mount(%q, %q, %q, 0x%x, %q)", image, m.Source, m.Target, m.FSType, m.Flags, m.Data)
	if err := unix.Mount(m.Source, m.Target, m.FSType, m.Flags, m.Data); err != nil {
		return "", fmt.Errorf("mounting the layer of image %s (%s on %s): %w", image, m.FSType, m.Target, err)
	}
	return m.Target, nil
}
