package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// hostname is the VM's (uts(7) of the machine, not of a pod).
const hostname = "podctl-vm"

// setupSystem does what the rest of a distribution's boot would: a
// hostname, loopback and dummy0 up, user namespaces allowed, and the test
// user's and root's XDG_RUNTIME_DIR, which a login session would create
// (0700, its user's: the XDG Base Directory Specification).
func setupSystem() error {
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	if err := setupNetwork(); err != nil {
		return fmt.Errorf("the network: %w", err)
	}
	// Debian's kernels carry a switch for unprivileged user namespaces
	// (not in mainline); user.max_user_namespaces stays as it is.
	err := os.WriteFile("/proc/sys/kernel/unprivileged_userns_clone", []byte("1"), 0)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Mkdir("/run/user", 0o755); err != nil {
		return err
	}
	// Root's too, for the root stage.
	for _, id := range []int{vmconf.UID, 0} {
		run := fmt.Sprintf("/run/user/%d", id)
		if err := os.Mkdir(run, 0o700); err != nil {
			return err
		}
		gid := vmconf.GID
		if id == 0 {
			gid = 0
		}
		if err := os.Chown(run, id, gid); err != nil {
			return err
		}
		if err := os.Chmod(run, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// loopbackUp sets IFF_UP on lo with SIOCSIFFLAGS (netdevice(7)): the tests
// that reach services on the machine's own loopback need it, and it is
// with dummy0 (network.go) the whole network configuration the VM has
// (no NIC).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
