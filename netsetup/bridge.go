package netsetup

// The shared network of --network bridge (rootless): one network namespace
// per user, held by a podctl-netns process, with a bridge that every such
// pod's veth joins, and one pasta that connects the namespace to the host
// (its tap, with the host's address and default route). Pods reach each
// other by address across the bridge; their traffic out is masqueraded
// behind the namespace's own address (nftables).
const (
	BridgeName   = "podctl0"
	BridgeSubnet = "10.90.0.0/24"
	BridgePrefix = 24          // BridgeSubnet's
	BridgeIP     = "10.90.0.1" // the pods' gateway
	BridgeMTU    = 65520       // pasta's MTU: no fragmentation on the way out
)

// NetconfRequest is one job for the netconf stage (a podctl-net process
// that the C constructor put into the shared network's user and network
// namespaces, as their root; for root, one in the host's namespaces): it
// comes as JSON on stdin (netsetup/netproc carries it out).
type NetconfRequest struct {
	// Op: "bridge" sets up the namespace once (bridge, forwarding, NAT);
	// "remove" undoes it (root's, in the host's namespace). A pod is
	// plugged in by its pause stage, or for root by podctl itself
	// (nsenter/bridgeplug.c), not here.
	Op string `json:"op"`
	// "filter": the shared network's pasta maps its gateway's address
	// to the host's loopback, so the pods' traffic to Gateway is dropped
	// but for the pods in Allowed (--allow-host-loopback); "bridge" with
	// a Gateway sets that filter too (one process for both).
	Gateway string   `json:"gateway,omitempty"`
	Allowed []string `json:"allowed,omitempty"`
}
