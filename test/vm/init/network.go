package main

import (
	"fmt"
	"os"
	"os/exec"
)

// The VM's network: loopback (system.go) and dummy0, an interface with an
// address and a default route that lead nowhere. pasta copies the host's
// address and routes into a pod (--config-net) and refuses to start
// without a routable interface ("External interface not usable"); the
// tests never send anything out, so an interface that drops everything
// (drivers/net/dummy.c: it transmits nothing) is all it needs, and qemu
// keeps no NIC. dummy.ko makes dummy0 when it loads (its numdummies
// parameter, 1 by default).
const (
	dummyAddr    = "10.0.2.15/24"
	dummyGateway = "10.0.2.2"
)

// tunDevice is the device pasta and slirp4netns open for a pod's tap.
// devtmpfs makes it 0600 root; udev's default rules make it 0666 (anyone
// may open it: what a tap can reach is decided by the namespace it is
// made in), and so does the VM, which has no udev.
const tunDevice = "/dev/net/tun"

// setupNetwork gives dummy0 its address and the default route, with
// busybox's ip, and opens tunDevice to everyone.
func setupNetwork() error {
	for _, args := range [][]string{
		{"addr", "add", dummyAddr, "dev", "dummy0"},
		{"link", "set", "dummy0", "up"},
		{"route", "add", "default", "via", dummyGateway},
	} {
		if out, err := exec.Command("/bin/ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, out)
		}
	}
	return os.Chmod(tunDevice, 0o666)
}
