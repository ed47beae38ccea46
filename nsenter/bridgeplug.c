// bridgeplug.c: plugs a pod into the shared bridge network (--network
// bridge) with rtnetlink(7) messages, from the stage that makes the pod's
// network namespace (nsenter.c, stage_pause) or, for root, from podctl
// itself (bridgeplug.go). It was a Go process of its own before (podctl-net's
// netconf stage, vishvananda/netlink): an exec and a Go runtime, ~15 ms of
// each bridge pod's start here, for seven small messages.
//
// What a plug is, in the order it is made:
//   1. a veth pair: the host side (podctlN) in the bridge's network
//      namespace, on the bridge (IFLA_MASTER) and up; its peer created
//      straight in the pod's namespace as eth0 (IFLA_NET_NS_FD), both with
//      the bridge's MTU;
//   2. the bridge's neighbour entry for the address, if any, goes: the
//      address may be a pod's that just ended, whose MAC the entry still
//      names for up to a minute (arp(7): base_reachable_time_ms,
//      delay_first_probe_time), so traffic from the shared namespace (a
//      rootless kubelet's probes) would go nowhere until it failed;
//   3. in the pod's namespace: eth0's address (with its broadcast, as
//      `ip addr add ... brd +` would), eth0 up, and the default route via
//      the bridge's address.
// A host side of the same name may still be there: the pod that had this
// address before ended, but the kernel removes a dead network namespace's
// devices later, from a work queue (net/core/net_namespace.c, cleanup_net),
// and until then that pod's veth is still on the bridge under its name.
// Back-to-back `run --rm --network bridge` pods took the same address and
// hit it about one time in five here. The address's lease (sandbox/podnet)
// is this pod's, so a port of that name on the bridge can only be the old
// pod's: it is deleted and the pair made again, once. A link of that name
// that is not on the bridge is left alone, and the plug fails (EEXIST).
//
// Nothing is undone on a failure: the pair lives in the pod's network
// namespace (deleting either end deletes both, veth(4)), and that namespace
// ends with the stage or the pause that holds it.
//
// Each request asks for an acknowledgement (NLM_F_ACK) and waits for it, so
// every failure is known at its step, with the kernel's own words when it
// gives some (NETLINK_EXT_ACK, netlink(7)).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h> // IFF_UP; not <linux/if.h>, which clashes with it
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bridgeplug.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

// A request is built in one buffer: each message here is well under 512
// bytes, and an attribute that would not fit is a bug the caller sees
// (EMSGSIZE) rather than a truncated message.
struct nlreq {
	struct nlmsghdr *h;
	size_t cap;
	int overflow;
	union {
		struct nlmsghdr align;
		char bytes[1024];
	} buf;
};

static void *req_begin(struct nlreq *r, int type, int flags, const void *body, size_t len)
{
	memset(&r->buf, 0, sizeof(r->buf));
	r->cap = sizeof(r->buf.bytes);
	r->overflow = 0;
	r->h = &r->buf.align;
	r->h->nlmsg_len = NLMSG_LENGTH(len);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(r->h), body, len);
	return NLMSG_DATA(r->h);
}

// req_attr appends an attribute (rtattr, 4-byte aligned) and returns it.
static struct rtattr *req_attr(struct nlreq *r, int type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
	if (at + RTA_SPACE(len) > r->cap) {
		r->overflow = 1;
		return NULL;
	}
	struct rtattr *a = (struct rtattr *)(r->buf.bytes + at);
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = at + RTA_SPACE(len);
	return a;
}

static void req_u32(struct nlreq *r, int type, uint32_t v) { req_attr(r, type, &v, sizeof(v)); }

static void req_str(struct nlreq *r, int type, const char *s) { req_attr(r, type, s, strlen(s) + 1); }

// req_nest opens a nested attribute; req_end closes it (its length is
// all that was appended since).
static struct rtattr *req_nest(struct nlreq *r, int type) { return req_attr(r, type, NULL, 0); }

static void req_end(struct nlreq *r, struct rtattr *nest)
{
	if (nest != NULL)
		nest->rta_len = (unsigned short)(r->buf.bytes + r->h->nlmsg_len - (char *)nest);
}

// Where a failure is described: the step, then the kernel's message.
struct why {
	char *buf;
	size_t len;
};

static int failed(struct why *w, int err, const char *step, const char *kernel)
{
	if (w->len > 0)
		snprintf(w->buf, w->len, "%s%s%s%s", step, kernel[0] ? " (the kernel: \"" : "", kernel, kernel[0] ? "\")" : "");
	errno = err;
	return -1;
}

// What a RTM_GETLINK answer says of a link: its index and its master's (0
// if none).
struct link {
	int index, master;
};

// read_link fills l from a RTM_NEWLINK message (the answer to RTM_GETLINK).
static void read_link(struct nlmsghdr *h, struct link *l)
{
	struct ifinfomsg *m = NLMSG_DATA(h);
	l->index = m->ifi_index;
	int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (struct rtattr *a = IFLA_RTA(m); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type == IFLA_MASTER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
			memcpy(&l->master, RTA_DATA(a), sizeof(uint32_t));
	}
}

// talk sends r on fd and reads its answer: the acknowledgement, and for a
// RTM_GETLINK the link before it (into *link). 0, or -1 with errno and w
// naming step.
static int talk(int fd, struct nlreq *r, const char *step, struct link *link, struct why *w)
{
	// Sequence numbers only match an answer to its request on one socket,
	// used by one thread at a time: a counter per call site is enough.
	static _Atomic unsigned seq;
	if (r->overflow)
		return failed(w, EMSGSIZE, step, "");
	r->h->nlmsg_seq = ++seq;
	if (send(fd, r->h, r->h->nlmsg_len, 0) != (ssize_t)r->h->nlmsg_len)
		return failed(w, errno ? errno : EIO, step, "");
	union {
		struct nlmsghdr align;
		char bytes[16384];
	} in;
	for (;;) {
		ssize_t n = recv(fd, &in, sizeof(in), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return failed(w, ETIMEDOUT, step, "no answer in 10 s");
		if (n < 0)
			return failed(w, errno, step, "");
		if ((size_t)n > sizeof(in))
			return failed(w, EMSGSIZE, step, "an answer larger than 16 kB");
		// NLMSG_NEXT lowers a signed length: it must stay signed, or a
		// short last message would wrap it (iproute2 does the same).
		int len = (int)n;
		for (struct nlmsghdr *h = &in.align; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != r->h->nlmsg_seq)
				continue; // not ours (an answer to a request given up)
			if (h->nlmsg_type == RTM_NEWLINK && link != NULL && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
				read_link(h, link);
				continue;
			}
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return failed(w, EBADMSG, step, "a short acknowledgement");
			struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error == 0)
				return 0;
			// The extended ack's attributes (NLM_F_ACK_TLVS) follow the
			// request, which comes back whole unless NETLINK_CAP_ACK took
			// effect (NLM_F_CAPPED: its header only, already in *e).
			const char *kernel = "";
			size_t skip = sizeof(*e);
			if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
				skip += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(struct nlmsghdr);
			if ((h->nlmsg_flags & NLM_F_ACK_TLVS) && NLMSG_LENGTH(skip) <= h->nlmsg_len) {
				struct rtattr *a = (struct rtattr *)((char *)e + skip);
				int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(skip);
				for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
					if (a->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD(a) > 0 && ((char *)RTA_DATA(a))[RTA_PAYLOAD(a) - 1] == '\0')
						kernel = RTA_DATA(a);
			}
			return failed(w, -e->error, step, kernel);
		}
	}
}

int podctl_nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	int one = 1;
	// Best effort: without them, errors come without the kernel's text.
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	// rtnetlink answers each request before send returns, and a dropped
	// answer shows as ENOBUFS on the next recv (netlink(7)); the timeout
	// only bounds what should never happen, so that a pod's start fails at
	// its step rather than hanging for good.
	struct timeval tv = {.tv_sec = 10};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int podctl_nl_open_in(int netns)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	int fd = -1;
	if (setns(netns, CLONE_NEWNET) == 0) {
		fd = podctl_nl_open();
		int saved = errno;
		if (setns(self, CLONE_NEWNET) < 0) {
			// This thread is left in the pod's namespace: the caller
			// must not reuse it (bridgeplug.go keeps it locked).
			close(self);
			if (fd >= 0)
				close(fd);
			errno = EOWNERDEAD;
			return -2;
		}
		errno = saved;
	}
	close(self);
	return fd;
}

// get_link asks for the link named name (RTM_GETLINK): 0 with *l filled
// in, or -1 (ENODEV if there is none).
static int get_link(int fd, const char *name, struct link *l, const char *step, struct why *w)
{
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	req_begin(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	req_str(&r, IFLA_IFNAME, name);
	// Only the link's basics: no statistics nor VF lists in the answer.
	req_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	// With IFLA_IFNAME, no such link is ENODEV.
	*l = (struct link){0};
	if (talk(fd, &r, step, l, w) < 0)
		return -1;
	if (l->index <= 0)
		return failed(w, ENODEV, step, "");
	return 0;
}

// link_index is the index of the link named name, or -1.
static int link_index(int fd, const char *name, const char *step, struct why *w)
{
	struct link l;
	return get_link(fd, name, &l, step, w) < 0 ? -1 : l.index;
}

// remove_stale_host_side deletes the link named name if it is a port of
// bridge br (see the top of this file: the host side of this address's
// previous pod, whose namespace the kernel has not finished taking down;
// only podctl puts ports on its bridge): 1 if it did, 0 if the name is not
// a port of br or cannot be read (someone else's: left alone), -1 if the
// deletion failed.
static int remove_stale_host_side(int fd, const char *name, int br, struct why *w)
{
	struct link l;
	struct why quiet = {NULL, 0};
	// Gone meanwhile: the name is free now. Not known: not ours to
	// remove (the pair's EEXIST is what the caller reports).
	if (get_link(fd, name, &l, "", &quiet) < 0)
		return errno == ENODEV ? 1 : 0;
	if (l.master != br)
		return 0;
	char step[96];
	snprintf(step, sizeof(step), "removing %s, a stale veth of this address's previous pod", name);
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = l.index};
	req_begin(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	if (talk(fd, &r, step, NULL, w) < 0 && errno != ENODEV)
		return -1;
	return 1;
}

// set_up sets IFF_UP on link index (ip link set up).
static int set_up(int fd, int index, const char *step, struct why *w)
{
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	req_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return talk(fd, &r, step, NULL, w);
}

// req_veth builds the request for a veth pair, up: host on master (if
// not 0), its peer made in the namespace peer_netns (if not -1), both with
// mtu (if not 0).
static void req_veth(struct nlreq *r, const char *host, const char *peer_name, unsigned mtu, int master, int peer_netns)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	req_begin(r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	req_str(r, IFLA_IFNAME, host);
	if (mtu > 0)
		req_u32(r, IFLA_MTU, mtu);
	if (master > 0)
		req_u32(r, IFLA_MASTER, (uint32_t)master);
	struct rtattr *info = req_nest(r, IFLA_LINKINFO);
	req_str(r, IFLA_INFO_KIND, "veth");
	struct rtattr *data = req_nest(r, IFLA_INFO_DATA);
	// VETH_INFO_PEER holds a struct ifinfomsg, then the peer's attributes.
	struct ifinfomsg peer = {.ifi_family = AF_UNSPEC};
	struct rtattr *peerattr = req_attr(r, VETH_INFO_PEER, &peer, sizeof(peer));
	req_str(r, IFLA_IFNAME, peer_name);
	if (mtu > 0)
		req_u32(r, IFLA_MTU, mtu);
	if (peer_netns >= 0)
		req_u32(r, IFLA_NET_NS_FD, (uint32_t)peer_netns);
	req_end(r, peerattr);
	req_end(r, data);
	req_end(r, info);
}

int podctl_bridge_plug(int nl_bridge, int nl_pod, int pod_netns, const struct podctl_plug *p, char *whybuf, size_t whylen)
{
	struct why w = {whybuf, whylen};
	char step[160];
	struct nlreq r;

	// The bridge must be there: its index names it as the veth's master.
	snprintf(step, sizeof(step), "finding bridge %s in the shared network namespace", p->bridge);
	int br = link_index(nl_bridge, p->bridge, step, &w);
	if (br < 0)
		return -1;

	// 1. The pair (ip link add HOST mtu M master BR up type veth peer
	// name PEER mtu M netns POD).
	snprintf(step, sizeof(step), "making veth pair %s (on %s) and %s (in the pod's network namespace)", p->host_if, p->bridge, p->peer_if);
	req_veth(&r, p->host_if, p->peer_if, p->mtu, br, pod_netns);
	if (talk(nl_bridge, &r, step, NULL, &w) < 0) {
		if (errno != EEXIST)
			return -1;
		int removed = remove_stale_host_side(nl_bridge, p->host_if, br, &w);
		if (removed <= 0) {
			if (removed == 0)
				errno = EEXIST; // why still names the pair's step
			return -1;
		}
		// The same request again (talk gives it a new sequence number).
		if (talk(nl_bridge, &r, step, NULL, &w) < 0)
			return -1;
	}

	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &p->gateway, gw, sizeof(gw));

	// 2. No stale neighbour entry for the address (ip neigh del IP dev BR);
	// none is no error.
	snprintf(step, sizeof(step), "removing %s's neighbour entry for %s", p->bridge, ip);
	struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = br};
	req_begin(&r, RTM_DELNEIGH, 0, &nd, sizeof(nd));
	req_attr(&r, NDA_DST, &p->ip, sizeof(p->ip));
	if (talk(nl_bridge, &r, step, NULL, &w) < 0 && errno != ENOENT)
		return -1;

	// 3. The pod's side.
	snprintf(step, sizeof(step), "finding %s in the pod's network namespace", p->peer_if);
	int eth = link_index(nl_pod, p->peer_if, step, &w);
	if (eth < 0)
		return -1;
	uint32_t mask = p->prefix == 0 ? 0 : htonl(~0u << (32 - p->prefix));
	struct in_addr brd = {.s_addr = p->ip.s_addr | ~mask};
	snprintf(step, sizeof(step), "address %s/%d on the pod's %s", ip, p->prefix, p->peer_if);
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = p->prefix, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = eth};
	req_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	req_attr(&r, IFA_LOCAL, &p->ip, sizeof(p->ip));
	req_attr(&r, IFA_ADDRESS, &p->ip, sizeof(p->ip));
	req_attr(&r, IFA_BROADCAST, &brd, sizeof(brd));
	if (talk(nl_pod, &r, step, NULL, &w) < 0)
		return -1;
	snprintf(step, sizeof(step), "setting the pod's %s up", p->peer_if);
	if (set_up(nl_pod, eth, step, &w) < 0)
		return -1;
	snprintf(step, sizeof(step), "the pod's default route via %s", gw);
	struct rtmsg rt = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			   .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
	req_begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	req_attr(&r, RTA_GATEWAY, &p->gateway, sizeof(p->gateway));
	req_u32(&r, RTA_OIF, (uint32_t)eth);
	return talk(nl_pod, &r, step, NULL, &w);
}

// word copies the next space-separated word of *s into out (size bytes,
// NUL included) and moves *s past it: 0, or -1 if there is none or it is
// too long.
static int word(const char **s, char *out, size_t size)
{
	const char *w = *s, *end = strchr(w, ' ');
	size_t len = end != NULL ? (size_t)(end - w) : strlen(w);
	if (len == 0 || len >= size)
		return -1;
	memcpy(out, w, len);
	out[len] = '\0';
	*s = end != NULL ? end + 1 : w + len;
	return 0;
}

int podctl_plug_parse(const char *s, struct podctl_plug *p)
{
	// "BRIDGE HOSTIF PEERIF IP/PREFIX GATEWAY MTU", as bridgeplug.go writes
	// it: names within IFNAMSIZ, dotted quads, single spaces.
	char addr[24], gw[16], mtu[8], *slash, *end;
	memset(p, 0, sizeof(*p));
	if (s == NULL || word(&s, p->bridge, sizeof(p->bridge)) < 0 || word(&s, p->host_if, sizeof(p->host_if)) < 0 ||
	    word(&s, p->peer_if, sizeof(p->peer_if)) < 0 || word(&s, addr, sizeof(addr)) < 0 ||
	    word(&s, gw, sizeof(gw)) < 0 || word(&s, mtu, sizeof(mtu)) < 0 || *s != '\0')
		return -1;
	if ((slash = strchr(addr, '/')) == NULL)
		return -1;
	*slash++ = '\0';
	// Digits only: strtol alone would take signs and spaces.
	if (*slash < '0' || *slash > '9' || mtu[0] < '0' || mtu[0] > '9')
		return -1;
	long prefix = strtol(slash, &end, 10);
	if (*end != '\0' || prefix > 32)
		return -1;
	unsigned long m = strtoul(mtu, &end, 10);
	if (*end != '\0' || m < 68 || m > 65535) // IPv4's minimum; IFLA_MTU's veth maximum
		return -1;
	if (inet_pton(AF_INET, addr, &p->ip) != 1 || inet_pton(AF_INET, gw, &p->gateway) != 1)
		return -1;
	p->prefix = (int)prefix;
	p->mtu = (unsigned)m;
	return 0;
}
