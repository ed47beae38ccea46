package netsetup

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The rtnetlink dumps of hostroute.go against the netlink library that
// podctl used before (a test-only import: podctl itself no longer links
// it), in the test's own network namespace and in one the test builds.

// libDefaultIPv4 is what the library made of the host's IPv4 default route.
func libDefaultIPv4() (ip, gateway string) {
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

// libHasIPv6Default is the library's answer to hostHasIPv6Default.
func libHasIPv6Default() bool {
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

// checkRoutes compares both ways of reading the routes, and the dumps
// with what the caller expects.
func checkRoutes(t *testing.T, step, wantIP, wantGW string, wantV6 bool) {
	t.Helper()
	ip, gw := hostDefaultIPv4()
	if lip, lgw := libDefaultIPv4(); ip != lip || gw != lgw {
		t.Errorf("%s: hostDefaultIPv4 = %q, %q; the netlink library says %q, %q", step, ip, gw, lip, lgw)
	}
	if ip != wantIP || gw != wantGW {
		t.Errorf("%s: hostDefaultIPv4 = %q, %q; want %q, %q", step, ip, gw, wantIP, wantGW)
	}
	v6 := hostHasIPv6Default()
	if v6 != libHasIPv6Default() || v6 != wantV6 {
		t.Errorf("%s: hostHasIPv6Default = %v; the library says %v, want %v", step, v6, libHasIPv6Default(), wantV6)
	}
}

// In the test's own namespace (the host's, here and in CI): whatever its
// routes, both readings agree.
func TestHostRoutesMatchLibrary(t *testing.T) {
	lip, lgw := libDefaultIPv4()
	checkRoutes(t, "the test's namespace", lip, lgw, libHasIPv6Default())
	t.Logf("IPv4 default: %q via %q; IPv6 default: %v", lip, lgw, libHasIPv6Default())
}

const routesChildEnv = "PODCTL_TEST_HOSTROUTE_CHILD"

// In a network namespace of the test's own (in a user namespace of its
// own, so rootless too): no route, a default route of another table, the
// main table's, IPv6's, and a point-to-point interface's. Each step is a
// control for the next: the answer changes only when the main table's
// default route does.
func TestHostRoutesInNamespace(t *testing.T) {
	if os.Getenv(routesChildEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHostRoutesInNamespace$", "-test.v")
		cmd.Env = append(os.Environ(), routesChildEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "all steps checked") {
			t.Fatalf("in a namespace of its own: %v\n%s", err, out)
		}
		return
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	veth := func(name, peer string) netlink.Link {
		must("veth "+name, netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}))
		l, err := netlink.LinkByName(name)
		must("veth "+name, err)
		p, err := netlink.LinkByName(peer)
		must("veth "+peer, err)
		must("up "+name, netlink.LinkSetUp(l))
		must("up "+peer, netlink.LinkSetUp(p))
		return l
	}
	addr := func(l netlink.Link, cidr, peer string) {
		a, err := netlink.ParseAddr(cidr)
		must(cidr, err)
		if peer != "" {
			a.Peer, err = netlink.ParseIPNet(peer)
			must(peer, err)
		}
		a.Flags = unix.IFA_F_NODAD
		must("address "+cidr, netlink.AddrAdd(l, a))
	}
	route := func(l netlink.Link, gw string, table int) *netlink.Route {
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: net.ParseIP(gw), Table: table}
		must("route via "+gw, netlink.RouteAdd(r))
		return r
	}

	checkRoutes(t, "a new namespace", "", "", false)

	a := veth("rt-a", "rt-a-peer")
	addr(a, "10.1.2.3/24", "")
	addr(a, "10.1.2.4/24", "")
	route(a, "10.1.2.1", 100)
	checkRoutes(t, "a default route in table 100 only", "", "", false)

	main := route(a, "10.1.2.1", 0)
	checkRoutes(t, "the main table's default route", "10.1.2.3", "10.1.2.1", false)

	addr(a, "fd00:1::2/64", "")
	route(a, "fd00:1::1", 0)
	checkRoutes(t, "and an IPv6 default route", "10.1.2.3", "10.1.2.1", true)

	// On a point-to-point address the interface's own is IFA_LOCAL; the
	// peer's, IFA_ADDRESS, must not be taken for it.
	must("deleting the default route", netlink.RouteDel(main))
	p := veth("rt-p", "rt-p-peer")
	addr(p, "10.9.0.1/32", "10.9.0.2/32")
	route(p, "10.9.0.2", 0)
	checkRoutes(t, "a point-to-point default route", "10.9.0.1", "10.9.0.2", true)

	if !BridgeExists() {
		veth(BridgeName, BridgeName+"-p")
		if !BridgeExists() {
			t.Errorf("BridgeExists: false with a link named %s", BridgeName)
		}
	} else {
		t.Errorf("BridgeExists: true in a new namespace")
	}
	t.Log("all steps checked")
}
