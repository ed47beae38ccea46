// Package netproc is what podctl-net runs: the network processes that
// need heavy libraries podctl itself must not link (each costs every podctl
// start its package initialisation and pages: net/http and crypto/tls for
// HTTP(S) probes, nftables and netlink for the shared bridge network).
//
//   - NetconfMain: the netconf stage (nsenter.c put it into the shared
//     network's user and network namespaces; for root, in the host's):
//     the bridge, a pod's veth, the forwarding filter;
//   - ProbeMain: one tcpSocket or httpGet probe or hook, from inside the
//     pod's network namespace (the ports stage of nsenter.c).
//
// The ports forwarder (netsetup.ForwardMain) runs in podctl-net too, beside
// the probes that share its stage.
package netproc
