package netsetup

import (
	"net/netip"
	"os"
	"strings"
)

// Expected is the network a pod in cfg's mode gets, known before its helper
// runs: the pod's /etc/hosts and resolv.conf are written from it while the
// helper starts.
func Expected(cfg Config) Status {
	st := Status{Mode: cfg.Mode}
	if cfg.Mode == None {
		return st
	}
	// A connected pod keeps the host's search and options lines (as podman
	// does) unless --dns-search or --dns-option replace them.
	host := readHostResolv()
	st.Search, st.Options = host.search, host.options
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
		st.Nameservers = host.viaPasta()
		if cfg.AllowHostLoopback {
			st.HostLoopback = st.Gateway
		}
	case Bridge:
		// The address is leased when the pod is made (sandbox); the way
		// out is the shared network's pasta.
		st.Gateway = BridgeIP
		st.Nameservers = host.viaPasta()
		if cfg.AllowHostLoopback {
			// The shared pasta's gateway, which nftables lets this pod
			// reach (sandbox/podnet/bridge.go).
			st.HostLoopback = HostGateway()
		}
	case CNI:
		// The plugins give the address (the CRI server reads it from
		// their result); resolvers are the sandbox's DNS config or the
		// host's that a pod can reach.
		st.Nameservers = host.viaPasta()
	case Host:
		// The host's own namespace: its loopback resolvers too.
		st.Nameservers = host.nameservers
	}
	return st
}

// HostGateway is the host's IPv4 default gateway, which pasta copies into
// the namespace it serves ("" without one).
func HostGateway() string {
	_, gw := hostDefaultIPv4()
	return gw
}

// hostResolv is what a pod takes from the host's /etc/resolv.conf, read
// once per use.
type hostResolv struct {
	nameservers, search, options []string
}

func readHostResolv() hostResolv {
	var r hostResolv
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return r
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "nameserver":
			if a, err := netip.ParseAddr(fields[1]); err == nil {
				r.nameservers = append(r.nameservers, a.String())
			}
		case "search":
			r.search = append(r.search, fields[1:]...)
		case "options":
			r.options = append(r.options, fields[1:]...)
		}
	}
	return r
}

// reachable are the nameservers a pod can reach through a helper: not
// those on the host's loopback (127.0.0.53 of systemd-resolved), which in
// the pod would be the pod's own loopback.
func (r hostResolv) reachable() []string {
	var out []string
	for _, s := range r.nameservers {
		if !netip.MustParseAddr(s).IsLoopback() {
			out = append(out, s)
		}
	}
	return out
}

// viaPasta: the reachable nameservers, or, when the host has only
// loopback ones, the address pasta forwards to the first of them
// (pastaArgs, --dns-forward).
func (r hostResolv) viaPasta() []string {
	if ns := r.reachable(); len(ns) > 0 {
		return ns
	}
	return []string{pastaDNSForward}
}
