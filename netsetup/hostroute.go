package netsetup

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// The host's default routes and addresses, as pasta copies them into a pod
// (Expected, pastaArgs) and the shared network's filter needs its gateway
// (HostGateway): read with rtnetlink dumps (rtnetlink(7): RTM_GETROUTE and
// RTM_GETADDR with NLM_F_DUMP, syscall.NetlinkRIB) rather than through a
// netlink library. These few reads are all the podctl command needs of
// netlink; the library (vishvananda/netlink, with its package initializers
// and ~0.3 MB of code) stays in podctl-net, which configures namespaces.
// Measured: 25 page faults and ~0.3-0.9 ms of CPU fewer at every podctl
// start.
//
// As `ip route` does by default, and the library did, only the main
// routing table counts (RT_TABLE_MAIN): a default route in another table
// is policy routing's, not the host's way out.

// routeInfo is what a route says here. toAll: a route to everywhere, with
// no destination (the kernel leaves RTA_DST out when its length is 0) or
// the unspecified address as its destination.
type routeInfo struct {
	toAll   bool
	gateway netip.Addr
	oif     int
}

// mainRoutes lists the main table's routes of family (AF_INET, AF_INET6).
func mainRoutes(family int) ([]routeInfo, error) {
	msgs, err := dump(syscall.RTM_GETROUTE, family)
	if err != nil {
		return nil, err
	}
	var routes []routeInfo
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWROUTE || len(m.Data) < syscall.SizeofRtMsg {
			continue
		}
		rtm := (*syscall.RtMsg)(unsafe.Pointer(&m.Data[0]))
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			continue
		}
		table := uint32(rtm.Table)
		r := routeInfo{toAll: true}
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.RTA_TABLE:
				if len(a.Value) == 4 {
					table = binary.NativeEndian.Uint32(a.Value)
				}
			case syscall.RTA_DST:
				r.toAll = allZero(a.Value)
			case syscall.RTA_GATEWAY:
				r.gateway, _ = netip.AddrFromSlice(a.Value)
			case syscall.RTA_OIF:
				if len(a.Value) == 4 {
					r.oif = int(binary.NativeEndian.Uint32(a.Value))
				}
			}
		}
		if table == syscall.RT_TABLE_MAIN {
			routes = append(routes, r)
		}
	}
	return routes, nil
}

// firstAddress is the first address of family on interface index, in the
// kernel's order (IFA_LOCAL, the interface's own address; IFA_ADDRESS only
// when there is no IFA_LOCAL: on a point-to-point link it is the peer's).
func firstAddress(family, index int) (netip.Addr, error) {
	msgs, err := dump(syscall.RTM_GETADDR, family)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		ifa := (*syscall.IfAddrmsg)(unsafe.Pointer(&m.Data[0]))
		if int(ifa.Index) != index {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			continue
		}
		var local, address netip.Addr
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFA_LOCAL:
				local, _ = netip.AddrFromSlice(a.Value)
			case syscall.IFA_ADDRESS:
				address, _ = netip.AddrFromSlice(a.Value)
			}
		}
		if local.IsValid() {
			return local, nil
		}
		if address.IsValid() {
			return address, nil
		}
	}
	return netip.Addr{}, nil
}

// dump asks the kernel for every object of kind (RTM_GETROUTE,
// RTM_GETADDR) of family in our network namespace.
func dump(kind, family int) ([]syscall.NetlinkMessage, error) {
	b, err := syscall.NetlinkRIB(kind, family)
	if err != nil {
		return nil, err
	}
	return syscall.ParseNetlinkMessage(b)
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// hostDefaultIPv4 is the host's IPv4 default route's gateway and the first
// address of its interface: the first main-table default route with a
// gateway whose interface has an IPv4 address ("", "" without one).
func hostDefaultIPv4() (ip, gateway string) {
	routes, err := mainRoutes(syscall.AF_INET)
	if err != nil {
		return "", ""
	}
	for _, r := range routes {
		if !r.toAll || !r.gateway.IsValid() {
			continue
		}
		a, err := firstAddress(syscall.AF_INET, r.oif)
		if err != nil || !a.IsValid() {
			continue
		}
		return a.String(), r.gateway.String()
	}
	return "", ""
}

// hostHasIPv6Default: the host has an IPv6 default route.
func hostHasIPv6Default() bool {
	routes, err := mainRoutes(syscall.AF_INET6)
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.toAll {
			return true
		}
	}
	return false
}

// BridgeExists: podctl0 is in the current network namespace.
func BridgeExists() bool {
	_, err := net.InterfaceByName(BridgeName)
	return err == nil
}
