package netsetup

import (
	"fmt"
	"strings"
)

// ResolvConf is the pod's /etc/resolv.conf.
func ResolvConf(cfg Config, st Status) string {
	var b strings.Builder
	servers, search, opts := cfg.DNS, cfg.DNSSearch, cfg.DNSOptions
	if cfg.Mode == None {
		if len(servers) == 0 {
			b.WriteString("# podctl: this pod has only a loopback network (--network none), so no nameserver is reachable.\n")
		}
	} else {
		if len(servers) == 0 {
			servers = st.Nameservers
		}
		if len(search) == 0 {
			search = st.Search
		}
		if len(opts) == 0 {
			opts = st.Options
		}
	}
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.String()
}

// Hosts is the pod's /etc/hosts: localhost, the pod's own name at its
// address (127.0.1.1 without one, as Debian does), the host's loopback as
// host.containers.internal when allowed, and --add-host entries.
func Hosts(cfg Config, st Status, hostname string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	ip := st.IP
	if ip == "" {
		ip = "127.0.1.1"
	}
	fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
	if st.HostLoopback != "" {
		fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", st.HostLoopback)
	}
	for _, h := range cfg.AddHosts {
		fmt.Fprintf(&b, "%s\t%s\n", h.IP, h.Name)
	}
	return b.String()
}
