package netsetup

import (
	"fmt"
	"os/exec"
	"strings"
)

// Mode is how a pod is connected (podctl run --network).
type Mode string

const (
	None  Mode = "none"
	Host  Mode = "host"
	Pasta Mode = "pasta"
	Slirp Mode = "slirp4netns"
	// Bridge: the user's shared network, where pods reach each other by
	// address (bridge.go); rootless only, for now.
	Bridge Mode = "bridge"
	// CNI: the pod's network namespace is configured by the CNI plugins
	// of a CRI server (cri/cninet), not by podctl; rootless, it is made
	// in the shared network's user namespace, whose network namespace is
	// the node's, where the plugins run. Not a --network of the command
	// line: it takes a server that runs the plugins.
	CNI Mode = "cni"
)

// ParseMode accepts the names podman uses; "" picks Default.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case None, Host, Pasta, Slirp, Bridge:
		return m, nil
	case "slirp":
		return Slirp, nil
	}
	return "", fmt.Errorf("--network %q: use pasta, slirp4netns, bridge, host or none", s)
}

// Helper is the program that connects a pod in this mode, or "".
func (m Mode) Helper() string {
	switch m {
	case Pasta, Slirp:
		return string(m)
	}
	return ""
}

// Default is pasta when installed, else slirp4netns, as podman 5 chose: pasta
// needs no NAT of its own (the pod has the host's address), splices local
// connections to published ports, and shows the workload the real client
// address. With neither installed a pod gets loopback only: its
// resolv.conf says so, and so do podctl doctor, ps -o wide and inspect. (A
// notice on every run would be noise in the logs of a CI runner that is
// itself a container without helpers.)
func Default() Mode {
	for _, m := range []Mode{Pasta, Slirp} {
		if _, err := exec.LookPath(m.Helper()); err == nil {
			return m
		}
	}
	return None
}

// Available checks that m's helper can be run, naming the package to
// install.
func (m Mode) Available() error {
	h := m.Helper()
	if m == Bridge {
		h = string(Pasta) // the shared network's way out
	}
	if h == "" {
		return nil
	}
	if _, err := exec.LookPath(h); err != nil {
		pkg := map[Mode]string{Pasta: "passt", Slirp: "slirp4netns", Bridge: "passt"}[m]
		return fmt.Errorf("--network %s: %s is not installed (Debian: apt-get install %s), or choose --network none", m, h, pkg)
	}
	return nil
}
