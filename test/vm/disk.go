package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// homeDiskSize is the size of the test user's home disk, a sparse file:
// room for the image tests' stores, costing only what is written.
const homeDiskSize = 4 << 30

// homeDisk is the test user's home in the VM: an ext4 file system on a
// virtio disk, rather than a directory of the tmpfs root. podctl's image
// store lives there (~/.local/share/containers/storage), and rootless
// overlayfs needs user.* extended attributes on its upper layer (the
// userxattr option, Documentation/filesystems/overlayfs.rst), which tmpfs
// has only since Linux 6.6; and a disk is a block device for the io
// controller's limits (io.max names one by MAJ:MIN). The guest sees it as
// /dev/vda.
var homeDisk = vmconf.Disk{Device: "/dev/vda", Target: vmconf.Home, FSType: "ext4"}

// makeHomeDisk creates the disk image in dir, with mke2fs(8) of
// e2fsprogs: an empty ext4 whose root directory is the test user's.
func makeHomeDisk(dir string) (string, error) {
	img := filepath.Join(dir, "home.img")
	f, err := os.Create(img)
	if err != nil {
		return "", err
	}
	err = f.Truncate(homeDiskSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		// /sbin is not in every user's PATH.
		if mkfs, err = exec.LookPath("/sbin/mkfs.ext4"); err != nil {
			return "", fmt.Errorf("mkfs.ext4 not found (apt-get install e2fsprogs): %w", err)
		}
	}
	out, err := exec.Command(mkfs, "-q", "-F", "-L", "podtest-home",
		"-E", fmt.Sprintf("root_owner=%d:%d", vmconf.UID, vmconf.GID), img).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("mkfs.ext4 %s: %v: %s", img, err, out)
	}
	return img, nil
}
