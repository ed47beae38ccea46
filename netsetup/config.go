package netsetup

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// Config is a pod's network as asked for; it does not change after the pod
// is created.
type Config struct {
	Mode  Mode   `json:"mode"`
	Ports []Port `json:"ports,omitempty"`
	// AllowHostLoopback lets the pod reach services listening on the
	// host's loopback, as host.containers.internal (--allow-host-loopback).
	AllowHostLoopback bool `json:"allowHostLoopback,omitempty"`
	// PortBypass (--port-bypass, pasta only): a published TCP port is not
	// forwarded; the workload's own listening socket is made in the
	// host's network namespace when it binds it (sandbox/podnet/bypass.go).
	PortBypass bool        `json:"portBypass,omitempty"`
	DNS        []string    `json:"dns,omitempty"`
	DNSSearch  []string    `json:"dnsSearch,omitempty"`
	DNSOptions []string    `json:"dnsOptions,omitempty"`
	AddHosts   []HostEntry `json:"addHosts,omitempty"`
}

// PublishesTCP says whether a TCP port is published (what --port-bypass
// acts on).
func (c *Config) PublishesTCP() bool {
	return slices.ContainsFunc(c.Ports, func(p Port) bool { return p.Protocol == "tcp" })
}

// HostEntry is one line podctl adds to the pod's /etc/hosts (--add-host).
type HostEntry struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
}

// ParseAddHost reads --add-host NAME:IP (an IPv6 IP may be in brackets).
func ParseAddHost(s string) (HostEntry, error) {
	name, ip, ok := strings.Cut(s, ":")
	ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	a, err := netip.ParseAddr(ip)
	if !ok || err != nil || a.Zone() != "" {
		return HostEntry{}, fmt.Errorf("--add-host %q: the form is NAME:IP, e.g. db.test:192.0.2.10", s)
	}
	if !validHostName(name) {
		return HostEntry{}, fmt.Errorf("--add-host %q: %q is not a host name (letters, digits, '-' and '.')", s, name)
	}
	return HostEntry{Name: name, IP: a.String()}, nil
}

func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Notices are what a user should know about cfg before relying on it.
func (c *Config) Notices() []string {
	var out []string
	if c.Mode == Pasta {
		for _, p := range c.Ports {
			if p.Protocol == "udp" {
				// Measured with Debian 12's passt (0.0~git20230309):
				// the reply is sent with sendmmsg(2) on fd 0.
				out = append(out, fmt.Sprintf("-p %s: pasta of Debian 12 (passt 2023-03-09) loses the pod's UDP answers to clients on this host's loopback; clients on other machines get them, and so do clients on this host's other addresses with --allow-host-loopback", p))
				break
			}
		}
	}
	return out
}

// Validate checks the parts that depend on each other, and that the mode's
// helper is installed.
func (c *Config) Validate() error {
	for _, d := range c.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			return fmt.Errorf("--dns %q is not an IP address", d)
		}
	}
	for _, s := range c.DNSSearch {
		if !validHostName(s) && s != "." {
			return fmt.Errorf("--dns-search %q is not a domain name", s)
		}
	}
	for _, o := range c.DNSOptions {
		if o == "" || strings.ContainsAny(o, " \t\n") {
			return fmt.Errorf("--dns-option %q: one resolv.conf option, e.g. ndots:2", o)
		}
	}
	if c.PortBypass && c.Mode != Pasta {
		return fmt.Errorf("--port-bypass: works with --network pasta, not %s", c.Mode)
	}
	if c.PortBypass && !c.PublishesTCP() {
		return fmt.Errorf("--port-bypass: publish a TCP port with -p, e.g. -p 127.0.0.1:8080:80")
	}
	switch c.Mode {
	case None, Host:
		if len(c.Ports) > 0 {
			return fmt.Errorf("-p: --network %s publishes no ports (with host, the workload's own sockets are on the host already); use --network pasta or slirp4netns", c.Mode)
		}
		if c.AllowHostLoopback {
			return fmt.Errorf("--allow-host-loopback: applies to --network pasta or slirp4netns")
		}
	case CNI:
		if len(c.Ports) > 0 || c.AllowHostLoopback || c.PortBypass {
			return fmt.Errorf("network cni: ports and the host's loopback are the CNI plugins' (portmap), not podctl's")
		}
	case Bridge:
		if err := c.Mode.Available(); err != nil && os.Geteuid() != 0 {
			return err // root's bridge needs no pasta
		}
		if os.Geteuid() == 0 && c.AllowHostLoopback {
			return fmt.Errorf("--allow-host-loopback: not for root's --network bridge, whose pods reach the host's services at the bridge's address, %s, and never its loopback", BridgeIP)
		}
		for _, p := range c.Ports {
			if p.Protocol == "udp" {
				return fmt.Errorf("-p %s: --network bridge publishes TCP ports only, for now; use --network pasta (the default) for UDP", p)
			}
		}
	case Pasta, Slirp:
		if err := c.Mode.Available(); err != nil {
			return err
		}
		if c.Mode == Slirp {
			for _, p := range c.Ports {
				if strings.Contains(p.HostIP, ":") {
					return fmt.Errorf("-p %s: slirp4netns publishes on IPv4 addresses only; use --network pasta", p)
				}
				// The pod's answers to a published UDP port go to
				// slirp4netns' gateway, 10.0.2.2, which
				// --disable-host-loopback makes it drop (measured
				// with slirp4netns 1.2.0): refused rather than
				// published and silently dead.
				if p.Protocol == "udp" && !c.AllowHostLoopback {
					return fmt.Errorf("-p %s: slirp4netns drops the pod's UDP answers unless the host's loopback is reachable from the pod; add --allow-host-loopback, or use --network pasta", p)
				}
			}
		}
	default:
		return fmt.Errorf("--network %q: use pasta, slirp4netns, bridge, host or none", c.Mode)
	}
	return CheckDuplicates(c.Ports)
}
