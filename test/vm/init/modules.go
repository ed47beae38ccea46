package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// loadModules loads the kernel modules the host packed (podctl's image
// store mounts overlayfs, a module in Debian's kernel) with finit_module(2):
// no modprobe, no dependency resolution, as the host picked modules that
// depend on none. A module already there (built in) is fine.
func loadModules(paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("finit_module %s: %w", p, err)
		}
	}
	return nil
}
