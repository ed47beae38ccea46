// bridgeplug.h: a pod's plug into the shared bridge network, in rtnetlink
// (bridgeplug.c).
#ifndef PODCTL_BRIDGEPLUG_H
#define PODCTL_BRIDGEPLUG_H

#include <netinet/in.h>
#include <stddef.h>
#include <unistd.h>

// podctl_plug is what podctl decided (sandbox/podnet): the bridge, the
// host side's name, the pod side's, the pod's address and prefix, the
// gateway, the MTU of both ends.
struct podctl_plug {
	char bridge[16], host_if[16], peer_if[16]; // IFNAMSIZ
	struct in_addr ip, gateway;
	int prefix;
	unsigned mtu;
};

// podctl_plug_parse reads "BRIDGE HOSTIF PEERIF IP/PREFIX GATEWAY MTU"
// (the stage's _PODCTL_BRIDGE_PLUG) into p: 0, or -1 for anything else.
int podctl_plug_parse(const char *s, struct podctl_plug *p);

// podctl_nl_open opens a NETLINK_ROUTE socket of the calling thread's
// network namespace (a socket stays in the namespace it was made in).
// podctl_nl_open_in opens one in netns: setns there and back, on the
// calling thread; -1 with errno, or -2 if the thread could not return to
// its own namespace (it must not be used again).
int podctl_nl_open_in(int netns);
int podctl_nl_open(void);

// podctl_bridge_plug plugs a pod into p->bridge: nl_bridge is a netlink
// socket of the bridge's network namespace, nl_pod one of the pod's,
// pod_netns a descriptor of the pod's namespace. Both need CAP_NET_ADMIN
// over their namespace. 0, or -1 with errno set and why (whylen bytes)
// naming the step that failed.
int podctl_bridge_plug(int nl_bridge, int nl_pod, int pod_netns, const struct podctl_plug *p, char *why, size_t whylen);

#endif
