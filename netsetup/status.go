package netsetup

import (
	"bufio"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Expected is the network a pod in cfg's mode gets, known before its helper
// runs: the pod's /etc/hosts and resolv.conf are written from it while the
// helper starts.
func Expected(cfg Config) Status {
	st := Status{Mode: cfg.Mode}
	switch cfg.Mode {
	case Slirp:
		st.IP, st.Gateway, st.Nameservers = slirpIP, slirpGateway, []string{slirpDNS}
		if cfg.AllowHostLoopback {
			st.HostLoopback = slirpGateway
		}
	case Pasta:
		// pasta copies the address and the default gateway of the
		// host's first interface with an IPv4 default route.
		st.IP, st.Gateway = hostDefaultIPv4()
		st.Nameservers = hostNameservers()
		if len(st.Nameservers) == 0 {
			st.Nameservers = []string{pastaDNSForward}
		}
		if cfg.AllowHostLoopback {
			st.HostLoopback = st.Gateway
		}
	case Bridge:
		// The address is leased when the pod is made (sandbox).
		st.Gateway = BridgeIP
		st.Nameservers = hostNameservers()
		if len(st.Nameservers) == 0 {
			st.Nameservers = []string{pastaDNSForward}
		}
		if cfg.AllowHostLoopback {
			// The shared pasta's gateway, which nftables lets this pod
			// reach (sandbox/bridge.go).
			_, st.HostLoopback = hostDefaultIPv4()
		}
	case Host:
		st.Nameservers = hostNameservers()
	}
	return st
}

// hostDefaultIPv4 finds the host's IPv4 default route (rtnetlink, from the
// host's own network namespace) and the first address of its interface.
func hostDefaultIPv4() (ip, gateway string) {
	routes, err := netlink.RouteList(nil, unix.AF_INET)
	if err != nil {
		return "", ""
	}
	for _, r := range routes {
		if r.Dst != nil && !r.Dst.IP.IsUnspecified() || r.Gw == nil {
			continue
		}
		link, err := netlink.LinkByIndex(r.LinkIndex)
		if err != nil {
			continue
		}
		addrs, err := netlink.AddrList(link, unix.AF_INET)
		if err != nil || len(addrs) == 0 {
			continue
		}
		return addrs[0].IP.String(), r.Gw.String()
	}
	return "", ""
}

// hostHasIPv6Default: the host has an IPv6 default route.
func hostHasIPv6Default() bool {
	routes, err := netlink.RouteList(nil, unix.AF_INET6)
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			return true
		}
	}
	return false
}

// hostNameservers are the host's resolv.conf nameservers a pod can reach
// through its helper: not those on the host's loopback (127.0.0.53 of
// systemd-resolved), which in the pod would be the pod's own loopback.
func hostNameservers() []string {
	f, err := os.Open("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if a, err := netip.ParseAddr(fields[1]); err == nil && !a.IsLoopback() {
			out = append(out, a.String())
		}
	}
	return out
}

// hostResolvLines are the host's search and options lines, which a pod in
// a connected mode inherits (as podman does) unless --dns-search or
// --dns-option replace them.
func hostResolvLines(key string) []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 && fields[0] == key {
			out = append(out, fields[1:]...)
		}
	}
	return out
}
