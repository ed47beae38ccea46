package netsetup

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// CheckPorts tells, before anything of the pod exists, why a port could not
// be published: below net.ipv4.ip_unprivileged_port_start for a rootless
// caller, or in use. The helper binds the ports a moment later (a port
// taken in between is still reported, from the helper's own error).
// (Config.Validate has refused duplicates already.)
func CheckPorts(ports []Port) error {
	if len(ports) == 0 {
		return nil // not even the sysctl read, on every pod's start
	}
	start := unprivilegedPortStart()
	for _, p := range ports {
		if os.Geteuid() != 0 && int(p.HostPort) < start {
			return fmt.Errorf("-p %s: host port %d is below net.ipv4.ip_unprivileged_port_start (%d), so only root may bind it; publish a port >= %d (e.g. -p %d:%d), or as root: sysctl -w net.ipv4.ip_unprivileged_port_start=%d",
				p, p.HostPort, start, start, int(p.HostPort)+8000, p.ContainerPort, p.HostPort)
		}
		if err := probe(p); err != nil {
			return err
		}
	}
	return nil
}

// unprivilegedPortStart reads the sysctl (ip(7)); 1024 where it cannot.
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}

// probe binds the host side of p and lets it go at once.
func probe(p Port) error {
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
	var err error
	if p.Protocol == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp", addr); err == nil {
			return c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return l.Close()
		}
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("-p %s: host port %d/%s is already in use (ss -lntup shows by what); publish another host port", p, p.HostPort, p.Protocol)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("-p %s: %s is not an address of this host", p, p.HostIP)
	}
	return fmt.Errorf("-p %s: %w", p, err)
}
