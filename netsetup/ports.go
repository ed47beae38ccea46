package netsetup

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Port is one published port: connections to HostIP:HostPort on the host
// reach ContainerPort in the pod (podctl run -p, a container's hostPort).
type Port struct {
	HostIP        string `json:"hostIP,omitempty"` // "" for every address
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // "tcp" or "udp"
}

func (p Port) String() string {
	host := strconv.Itoa(int(p.HostPort))
	switch {
	case strings.Contains(p.HostIP, ":"):
		host = "[" + p.HostIP + "]:" + host
	case p.HostIP != "":
		host = p.HostIP + ":" + host
	}
	return fmt.Sprintf("%s:%d/%s", host, p.ContainerPort, p.Protocol)
}

// ParsePort reads docker's and podman's -p syntax:
// [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], with an IPv6 HOSTIP in
// brackets. Without HOSTPORT the host port is the container port (podman
// would pick a random one; a fixed one is what a CI step can connect to).
func ParsePort(spec string) (Port, error) {
	bad := func(why string) (Port, error) {
		return Port{}, fmt.Errorf("-p %q: %s; the form is [HOST-IP:][HOST-PORT:]CONTAINER-PORT[/tcp|/udp], e.g. 127.0.0.1:8080:80", spec, why)
	}
	p := Port{Protocol: "tcp"}
	rest := spec
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		switch proto := strings.ToLower(rest[i+1:]); proto {
		case "tcp", "udp":
			p.Protocol = proto
		default:
			return bad(fmt.Sprintf("protocol %q is neither tcp nor udp", rest[i+1:]))
		}
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return bad("an IPv6 host address in brackets must be followed by :PORT")
		}
		p.HostIP, rest = rest[1:end], rest[end+2:]
		if a, err := netip.ParseAddr(p.HostIP); err != nil || !a.Is6() || a.Zone() != "" {
			return bad(fmt.Sprintf("%q is not an IPv6 address", p.HostIP))
		}
		if strings.Count(rest, ":") != 1 {
			return bad("give both the host and the container port after an address")
		}
	}
	parts := strings.Split(rest, ":")
	switch len(parts) {
	case 1:
		parts = []string{"", parts[0]}
	case 2:
	case 3:
		if p.HostIP != "" {
			return bad("too many colons")
		}
		p.HostIP, parts = parts[0], parts[1:]
		a, err := netip.ParseAddr(p.HostIP)
		if err != nil || !a.Is4() {
			return bad(fmt.Sprintf("%q is not an IPv4 address (put an IPv6 one in brackets)", p.HostIP))
		}
	default:
		return bad("too many colons (put an IPv6 address in brackets)")
	}
	var err error
	if p.ContainerPort, err = parsePortNumber(parts[1]); err != nil {
		return bad("container port " + err.Error())
	}
	p.HostPort = p.ContainerPort
	if parts[0] != "" {
		if p.HostPort, err = parsePortNumber(parts[0]); err != nil {
			return bad("host port " + err.Error())
		}
	} else if len(parts) == 2 && strings.Contains(rest, ":") {
		return bad("the host port is empty")
	}
	if p.HostIP != "" {
		p.HostIP = netip.MustParseAddr(p.HostIP).String() // one spelling
	}
	return p, nil
}

// parsePortNumber accepts 1..65535 in plain decimal.
func parsePortNumber(s string) (uint16, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" || s[0] == '0' {
		return 0, fmt.Errorf("%q is not a number from 1 to 65535", s)
	}
	n, _ := strconv.Atoi(s)
	if n > 65535 {
		return 0, fmt.Errorf("%q is not a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// CheckDuplicates refuses two ports that would bind the same host socket:
// the same port and protocol on the same address, or on every address.
func CheckDuplicates(ports []Port) error {
	for i, p := range ports {
		for _, q := range ports[:i] {
			if p.HostPort == q.HostPort && p.Protocol == q.Protocol && (p.HostIP == q.HostIP || p.HostIP == "" || q.HostIP == "") {
				return fmt.Errorf("-p %s and -p %s both publish host port %d/%s", q, p, p.HostPort, p.Protocol)
			}
		}
	}
	return nil
}
