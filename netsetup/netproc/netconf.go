package netproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/podctl/podctl/netsetup"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NetconfMain runs a NetconfRequest and exits: 0, or 1 with the error on
// stderr. extraFD is the request's namespace, if any (5 in the netconf
// stage, whose 3 and 4 were the shared network's; 3 for root's in the
// host's namespaces). It never returns.
func NetconfMain(extraFD int) {
	var req netsetup.NetconfRequest
	err := json.NewDecoder(os.Stdin).Decode(&req)
	if err == nil {
		switch req.Op {
		case "bridge":
			err = SetupBridge()
			if err == nil && req.Gateway != "" {
				err = filterHostLoopback(req.Gateway, req.Allowed)
			}
		case "remove":
			err = RemoveBridge()
		case "filter":
			err = filterHostLoopback(req.Gateway, req.Allowed)
		default:
			err = fmt.Errorf("unknown op %q", req.Op)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netconf %s: %v\n", req.Op, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// SetupBridge makes podctl0 with the gateway's address, turns forwarding
// on (a per-namespace sysctl, root's of the namespace to write) and
// masquerades the pods' traffic that leaves by another interface, in the
// current network namespace: the shared one (netconf stage), or the
// host's for root.
func SetupBridge() error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: netsetup.BridgeName, MTU: netsetup.BridgeMTU}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("creating bridge %s: %w", netsetup.BridgeName, err)
	}
	_, subnet, _ := net.ParseCIDR(netsetup.BridgeSubnet)
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(netsetup.BridgeIP), Mask: subnet.Mask}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		return fmt.Errorf("address of %s: %w", netsetup.BridgeName, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return err
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("net.ipv4.ip_forward in the shared network: %w", err)
	}
	return masquerade(subnet)
}

// masquerade adds, in nftables: table ip podctl, a nat postrouting chain,
// and "ip saddr SUBNET oifname != podctl0 masquerade".
func masquerade(subnet *net.IPNet) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "podctl"})
	ch := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	ifname := make([]byte, unix.IFNAMSIZ)
	copy(ifname, netsetup.BridgeName)
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
		// ip saddr & mask == subnet (the source address is at offset 12
		// of the IPv4 header)
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: subnet.Mask, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: subnet.IP.To4()},
		// oifname != podctl0: pod-to-pod traffic keeps its addresses
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname},
		&expr.Masq{},
	}})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables masquerade rule: %w", err)
	}
	return nil
}

// filterHostLoopback rebuilds chain "forward" of table ip podctl: traffic
// from the pods to gw (which the shared pasta maps to the host's loopback)
// is accepted from the allowed addresses and dropped from any other.
func filterHostLoopback(gw string, allowed []string) error {
	gwIP := net.ParseIP(gw).To4()
	if gwIP == nil {
		return fmt.Errorf("bad gateway %q", gw)
	}
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "podctl"})
	ch := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter})
	c.FlushChain(ch)
	daddr := []expr.Any{ // ip daddr == gw (offset 16 of the IPv4 header)
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: gwIP},
	}
	for _, a := range allowed {
		ip := net.ParseIP(a).To4()
		if ip == nil {
			return fmt.Errorf("bad address %q", a)
		}
		exprs := append(append([]expr.Any{}, daddr...),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip},
			&expr.Verdict{Kind: expr.VerdictAccept})
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	}
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(append([]expr.Any{}, daddr...), &expr.Verdict{Kind: expr.VerdictDrop})})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables forward rules: %w", err)
	}
	return nil
}

// RemoveBridge deletes podctl0 and table ip podctl of the current network
// namespace (the host's, for root; the shared one goes with its holder).
// The pods' veths went with their network namespaces.
func RemoveBridge() error {
	var errs []error
	if br, err := netlink.LinkByName(netsetup.BridgeName); err == nil {
		if err := netlink.LinkDel(br); err != nil {
			errs = append(errs, err)
		}
	}
	if c, err := nftables.New(); err == nil {
		c.DelTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "podctl"})
		if err := c.Flush(); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("nftables: %w", err))
		}
	}
	return errors.Join(errs...)
}
