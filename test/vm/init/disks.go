package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// mountDisks mounts the host's disks. A block device appears in devtmpfs
// once its driver has probed it, which may be a moment after the module
// loaded: the init waits for it a while.
func mountDisks(disks []vmconf.Disk) error {
	for _, d := range disks {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(d.Device); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no %s after 30s", d.Device)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := os.MkdirAll(d.Target, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(d.Device, d.Target, d.FSType, unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
			return fmt.Errorf("mount -t %s %s %s: %w", d.FSType, d.Device, d.Target, err)
		}
	}
	return nil
}
