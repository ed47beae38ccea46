// bridgeplug_test.c: the plug into the shared bridge (bridgeplug.c), made
// for real, in namespaces of the test's own: a user namespace (so that a
// user without privileges has CAP_NET_ADMIN there), a "shared" network
// namespace with a bridge, and a "pod" network namespace. Each property
// the plug promises is read back from the kernel, not from our messages.
// Prints "skip ..." where user namespaces cannot be made, "ok" last.
//
// The static helpers (req_*, talk) are included to build the fixtures.
#include "../bridgeplug.c"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "check.h"

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		printf("FAIL writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

// own_namespaces: root of a user namespace of our own, in a network
// namespace of its own (the "shared" one).
static int own_namespaces(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -1;
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1", uid);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	write_file("/proc/self/gid_map", map);
	return 0;
}

// make_bridge: ip link add NAME type bridge; ip link set NAME up.
static void make_bridge(int nl, const char *name)
{
	struct nlreq r;
	struct why w = {NULL, 0};
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	req_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	req_str(&r, IFLA_IFNAME, name);
	// A MAC of its own, as the shared network's bridge has once it has
	// ports: a bridge that takes its first port's MAC flushes its
	// neighbour table (NETDEV_CHANGEADDR), stale entries with it, which
	// would hide whether the plug removes one.
	unsigned char mac[6] = {2, 0, 0, 0, 0, 0x10};
	req_attr(&r, IFLA_ADDRESS, mac, sizeof(mac));
	struct rtattr *info = req_nest(&r, IFLA_LINKINFO);
	req_str(&r, IFLA_INFO_KIND, "bridge");
	req_end(&r, info);
	CHECK(talk(nl, &r, "bridge", NULL, &w) == 0, "making bridge %s: %s", name, strerror(errno));
}

// neigh_add: ip neigh add IP lladdr 02:00:00:00:00:01 dev INDEX nud permanent.
static int neigh_add(int nl, int index, const char *ip)
{
	struct nlreq r;
	struct why w = {NULL, 0};
	struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = index, .ndm_state = NUD_PERMANENT};
	req_begin(&r, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, &nd, sizeof(nd));
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	req_attr(&r, NDA_DST, &a, sizeof(a));
	unsigned char mac[6] = {2, 0, 0, 0, 0, 1};
	req_attr(&r, NDA_LLADDR, mac, sizeof(mac));
	return talk(nl, &r, "neigh", NULL, &w);
}

// neigh_exists: ip neigh get IP dev INDEX finds an entry.
static int neigh_exists(int nl, int index, const char *ip)
{
	struct nlreq r;
	struct why w = {NULL, 0};
	struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = index};
	req_begin(&r, RTM_GETNEIGH, 0, &nd, sizeof(nd));
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	req_attr(&r, NDA_DST, &a, sizeof(a));
	// An entry comes back as RTM_NEWNEIGH then the ack; none as ENOENT.
	return talk(nl, &r, "neigh get", NULL, &w) == 0;
}

// make_veth: ip link add NAME type veth peer name PEER [master BR], both
// in nl's namespace (the plug's own request, req_veth).
static void make_veth(int nl, const char *name, const char *peer_name, int master)
{
	struct nlreq r;
	struct why w = {NULL, 0};
	req_veth(&r, name, peer_name, 0, master, -1);
	CHECK(talk(nl, &r, "veth", NULL, &w) == 0, "making veth %s: %s", name, strerror(errno));
}

// link_master: IFLA_MASTER of link name in nl's namespace, 0 if none.
static int link_master(int nl, const char *name)
{
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	req_begin(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	r.h->nlmsg_flags = NLM_F_REQUEST;
	req_str(&r, IFLA_IFNAME, name);
	r.h->nlmsg_seq = 4242;
	if (send(nl, r.h, r.h->nlmsg_len, 0) < 0)
		return -1;
	union {
		struct nlmsghdr align;
		char bytes[16384];
	} in;
	ssize_t n = recv(nl, &in, sizeof(in), 0);
	for (struct nlmsghdr *h = &in.align; n > 0 && NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != RTM_NEWLINK)
			continue;
		struct ifinfomsg *m = NLMSG_DATA(h);
		int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
		for (struct rtattr *a = IFLA_RTA(m); RTA_OK(a, left); a = RTA_NEXT(a, left))
			if (a->rta_type == IFLA_MASTER)
				return *(int *)RTA_DATA(a);
		return 0;
	}
	return -1;
}

// ifreq_get runs a SIOCGIF* ioctl on name in the calling thread's
// network namespace.
static int ifreq_get(unsigned long req, const char *name, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	int r = ioctl(s, req, ifr);
	close(s);
	return r;
}

static const char *ifreq_addr(struct ifreq *ifr)
{
	return inet_ntoa(((struct sockaddr_in *)&ifr->ifr_addr)->sin_addr);
}

// has_default_route: /proc/net/route has "IFACE 00000000 GATEWAY".
static int has_default_route(const char *iface, const char *gw_hex)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], want[64];
	int found = 0;
	snprintf(want, sizeof(want), "%s\t00000000\t%s\t", iface, gw_hex);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, want, strlen(want)) == 0)
			found = 1;
	if (f != NULL)
		fclose(f);
	return found;
}

static void test_parse(void)
{
	struct podctl_plug p;
	CHECK(podctl_plug_parse("podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 65520", &p) == 0, "a good plug");
	CHECK(strcmp(p.bridge, "podctl0") == 0 && strcmp(p.host_if, "podctl5") == 0 && strcmp(p.peer_if, "eth0") == 0, "names: %s %s %s", p.bridge, p.host_if, p.peer_if);
	CHECK(p.ip.s_addr == htonl(0x0a5a0005) && p.gateway.s_addr == htonl(0x0a5a0001) && p.prefix == 24 && p.mtu == 65520, "numbers");
	const char *bad[] = {
		NULL, "", "podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1",
		"podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 65520 x",
		"podctl0  podctl5 eth0 10.90.0.5/24 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.5 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.5/33 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.5/-1 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.5/ 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.256/24 10.90.0.1 65520",
		"podctl0 podctl5 eth0 10.90.0.5/24 gateway 65520",
		"podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 67",
		"podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 65536",
		"podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 -1",
		"podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 1500x",
		"podctl0 podctl0123456789 eth0 10.90.0.5/24 10.90.0.1 65520", // 16 bytes: over IFNAMSIZ
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(podctl_plug_parse(bad[i], &p) < 0, "accepted: %s", bad[i] ? bad[i] : "(null)");
	CHECK(podctl_plug_parse("podctl0 podctl012345678 eth0 10.90.0.5/24 10.90.0.1 65520", &p) == 0, "15 bytes is IFNAMSIZ's most");
}

static void test_plug(void)
{
	if (own_namespaces() < 0) {
		printf("skip: no user namespace here: %s\n", strerror(errno));
		return;
	}
	int shared = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl_bridge = podctl_nl_open();
	CHECK(shared >= 0 && nl_bridge >= 0, "the shared namespace: %s", strerror(errno));
	// A lost answer fails the step instead of hanging the pod's start.
	struct timeval tv = {0};
	socklen_t tvlen = sizeof(tv);
	CHECK(getsockopt(nl_bridge, SOL_SOCKET, SO_RCVTIMEO, &tv, &tvlen) == 0 && tv.tv_sec == 10, "SO_RCVTIMEO: %ld s", (long)tv.tv_sec);
	make_bridge(nl_bridge, "podctl0");
	int br = (int)if_nametoindex("podctl0");
	// A stale entry for the address the pod is about to take (a pod that
	// just ended had it): the plug must remove it. The control: it is
	// there before.
	CHECK(neigh_add(nl_bridge, br, "10.90.0.5") == 0, "adding a neighbour: %s", strerror(errno));
	CHECK(neigh_exists(nl_bridge, br, "10.90.0.5"), "the stale neighbour entry is there");

	if (unshare(CLONE_NEWNET) < 0) {
		printf("FAIL unshare(CLONE_NEWNET): %s\n", strerror(errno));
		exit(1);
	}
	int podns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl_pod = podctl_nl_open();
	struct podctl_plug p;
	char why[320] = "";
	podctl_plug_parse("podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 65520", &p);
	CHECK(podctl_bridge_plug(nl_bridge, nl_pod, podns, &p, why, sizeof(why)) == 0, "plugging: %s: %s", why, strerror(errno));

	// The pod's side, read back with ioctls and /proc in the pod's
	// namespace.
	struct ifreq ifr;
	CHECK(ifreq_get(SIOCGIFFLAGS, "eth0", &ifr) == 0 && (ifr.ifr_flags & IFF_UP), "the pod's eth0 is up");
	CHECK(ifreq_get(SIOCGIFADDR, "eth0", &ifr) == 0 && strcmp(ifreq_addr(&ifr), "10.90.0.5") == 0, "eth0's address: %s", ifreq_addr(&ifr));
	CHECK(ifreq_get(SIOCGIFNETMASK, "eth0", &ifr) == 0 && strcmp(ifreq_addr(&ifr), "255.255.255.0") == 0, "eth0's mask: %s", ifreq_addr(&ifr));
	CHECK(ifreq_get(SIOCGIFBRDADDR, "eth0", &ifr) == 0 && strcmp(ifreq_addr(&ifr), "10.90.0.255") == 0, "eth0's broadcast: %s", ifreq_addr(&ifr));
	CHECK(ifreq_get(SIOCGIFMTU, "eth0", &ifr) == 0 && ifr.ifr_mtu == 65520, "eth0's MTU: %d", ifr.ifr_mtu);
	CHECK(has_default_route("eth0", "01005A0A"), "the pod's default route via 10.90.0.1 (/proc/net/route)");
	CHECK(ifreq_get(SIOCGIFFLAGS, "podctl5", &ifr) < 0, "the host side is not in the pod's namespace");

	// The bridge's side, in the shared namespace.
	CHECK(setns(shared, CLONE_NEWNET) == 0, "back to the shared namespace: %s", strerror(errno));
	CHECK(ifreq_get(SIOCGIFFLAGS, "podctl5", &ifr) == 0 && (ifr.ifr_flags & IFF_UP), "podctl5 is up");
	CHECK(ifreq_get(SIOCGIFMTU, "podctl5", &ifr) == 0 && ifr.ifr_mtu == 65520, "podctl5's MTU: %d", ifr.ifr_mtu);
	CHECK(link_master(nl_bridge, "podctl5") == br, "podctl5 is on podctl0 (master %d, want %d)", link_master(nl_bridge, "podctl5"), br);
	CHECK(ifreq_get(SIOCGIFFLAGS, "eth0", &ifr) < 0, "eth0 is not in the shared namespace");
	CHECK(!neigh_exists(nl_bridge, br, "10.90.0.5"), "the stale neighbour entry is gone");

	// Failures name their step, and set errno. A link of the host side's
	// name that is not a veth on the bridge is not the plug's to remove.
	make_veth(nl_bridge, "podctl8", "podctl8p", 0);
	int taken = (int)if_nametoindex("podctl8");
	podctl_plug_parse("podctl0 podctl8 eth8 10.90.0.8/24 10.90.0.1 65520", &p);
	errno = 0;
	CHECK(podctl_bridge_plug(nl_bridge, nl_pod, podns, &p, why, sizeof(why)) < 0 && errno == EEXIST, "a taken name, podctl8: errno %d", errno);
	CHECK(strstr(why, "making veth pair podctl8 (on podctl0) and eth8") != NULL, "why: %s", why);
	CHECK(taken > 0 && (int)if_nametoindex("podctl8") == taken, "podctl8, not on the bridge, is left alone");
	podctl_plug_parse("nobr0 podctl6 eth1 10.90.0.6/24 10.90.0.1 65520", &p);
	errno = 0;
	CHECK(podctl_bridge_plug(nl_bridge, nl_pod, podns, &p, why, sizeof(why)) < 0 && errno == ENODEV, "no such bridge: errno %d", errno);
	CHECK(strstr(why, "finding bridge nobr0") != NULL, "why: %s", why);
	CHECK(ifreq_get(SIOCGIFFLAGS, "podctl6", &ifr) < 0, "nothing made for a missing bridge");
	// A failure after the pair was made (which the pod's namespace takes
	// away with it): the pod has its default route already.
	podctl_plug_parse("podctl0 podctl7 eth7 10.90.0.7/24 10.90.0.1 65520", &p);
	errno = 0;
	int r = podctl_bridge_plug(nl_bridge, nl_pod, podns, &p, why, sizeof(why));
	CHECK(r < 0 && errno == EEXIST && strstr(why, "the pod's default route via 10.90.0.1") != NULL, "a second default route: %d, errno %d, %s", r, errno, why);

	// A netlink socket in another namespace, and back.
	int fd = podctl_nl_open_in(podns);
	CHECK(fd >= 0, "podctl_nl_open_in: %s", strerror(errno));
	CHECK(link_index(fd, "eth0", "eth0", &(struct why){why, sizeof(why)}) > 0, "its socket is the pod's namespace's");
	CHECK(ifreq_get(SIOCGIFFLAGS, "podctl5", &ifr) == 0, "the thread is back in the shared namespace");
	CHECK(podctl_nl_open_in(-1) == -1 && errno == EBADF, "a bad namespace: errno %d", errno);
	close(fd);

	// The address's previous pod left its host side on the bridge (its
	// namespace not yet taken down by the kernel): a new pod of the same
	// address replaces it. The control: the old one is there, on the
	// bridge, before.
	int old = (int)if_nametoindex("podctl5");
	CHECK(old > 0 && link_master(nl_bridge, "podctl5") == br, "the first pod's podctl5 is on the bridge");
	CHECK(unshare(CLONE_NEWNET) == 0, "a second pod's namespace: %s", strerror(errno));
	int podns2 = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl_pod2 = podctl_nl_open();
	podctl_plug_parse("podctl0 podctl5 eth0 10.90.0.5/24 10.90.0.1 65520", &p);
	CHECK(podctl_bridge_plug(nl_bridge, nl_pod2, podns2, &p, why, sizeof(why)) == 0, "plugging over a stale podctl5: %s: %s", why, strerror(errno));
	CHECK(ifreq_get(SIOCGIFADDR, "eth0", &ifr) == 0 && strcmp(ifreq_addr(&ifr), "10.90.0.5") == 0, "the second pod's eth0: %s", ifreq_addr(&ifr));
	CHECK(setns(podns, CLONE_NEWNET) == 0, "into the first pod's namespace: %s", strerror(errno));
	CHECK(ifreq_get(SIOCGIFFLAGS, "eth0", &ifr) < 0, "the first pod's eth0 went with its stale host side");
	CHECK(setns(shared, CLONE_NEWNET) == 0, "back to the shared namespace: %s", strerror(errno));
	int now = (int)if_nametoindex("podctl5");
	CHECK(now > 0 && now != old && link_master(nl_bridge, "podctl5") == br, "a new podctl5 on the bridge (index %d, was %d)", now, old);
	close(nl_pod2);
	close(podns2);

	// The kernel's own words come with its error (NETLINK_EXT_ACK): a
	// gateway outside the pod's subnet is refused at the route's step.
	CHECK(unshare(CLONE_NEWNET) == 0, "a third pod's namespace: %s", strerror(errno));
	int podns3 = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl_pod3 = podctl_nl_open();
	podctl_plug_parse("podctl0 podctl9 eth0 10.90.0.9/24 10.99.0.1 65520", &p);
	errno = 0;
	r = podctl_bridge_plug(nl_bridge, nl_pod3, podns3, &p, why, sizeof(why));
	CHECK(r < 0 && errno == ENETUNREACH, "a gateway off the subnet: %d, errno %d", r, errno);
	CHECK(strstr(why, "the pod's default route via 10.99.0.1 (the kernel: \"Nexthop has invalid gateway\")") != NULL, "why: %s", why);
	close(nl_pod3);
	close(podns3);
}

// fake_kernel answers the one request waiting on fd as rtnetlink would
// refuse it with an extended ack: EINVAL, the request echoed whole (or,
// capped, its header only: NLM_F_CAPPED) and the text as
// NLMSGERR_ATTR_MSG. The kernel here always caps (NETLINK_CAP_ACK takes),
// so only this fake answer exercises the uncapped layout.
static void fake_kernel(int fd, int capped, const char *text)
{
	union {
		struct nlmsghdr align;
		char bytes[2048];
	} req, out;
	ssize_t n = recv(fd, &req, sizeof(req), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		_exit(2);
	memset(&out, 0, sizeof(out));
	struct nlmsghdr *h = &out.align;
	struct nlmsgerr *e = NLMSG_DATA(h);
	e->error = -EINVAL;
	memcpy(&e->msg, &req, sizeof(struct nlmsghdr));
	size_t len = NLMSG_LENGTH(sizeof(*e));
	if (!capped) {
		size_t body = NLMSG_ALIGN(req.align.nlmsg_len) - sizeof(struct nlmsghdr);
		memcpy((char *)h + len, (char *)&req + sizeof(struct nlmsghdr), body);
		len += body;
	}
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(len));
	a->rta_type = NLMSGERR_ATTR_MSG;
	a->rta_len = RTA_LENGTH(strlen(text) + 1);
	memcpy(RTA_DATA(a), text, strlen(text) + 1);
	h->nlmsg_len = NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	h->nlmsg_seq = req.align.nlmsg_seq;
	if (send(fd, &out, h->nlmsg_len, 0) != (ssize_t)h->nlmsg_len)
		_exit(3);
	_exit(0);
}

// The kernel's text is found after the echoed request, whether the
// request came back whole or capped to its header.
static void test_ext_ack(void)
{
	for (int capped = 0; capped < 2; capped++) {
		int sv[2];
		CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s", strerror(errno));
		pid_t pid = fork();
		if (pid == 0) {
			close(sv[0]);
			fake_kernel(sv[1], capped, capped ? "capped words" : "uncapped words");
		}
		close(sv[1]);
		struct nlreq r;
		struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
		req_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
		req_str(&r, IFLA_IFNAME, "podctl-fake0");
		char why[256] = "";
		struct why w = {why, sizeof(why)};
		errno = 0;
		int rc = talk(sv[0], &r, "the step", NULL, &w);
		CHECK(rc < 0 && errno == EINVAL, "%s ack: talk = %d, errno %d", capped ? "a capped" : "an uncapped", rc, errno);
		const char *want = capped ? "the step (the kernel: \"capped words\")" : "the step (the kernel: \"uncapped words\")";
		CHECK(strcmp(why, want) == 0, "%s ack: why %s, want %s", capped ? "a capped" : "an uncapped", why, want);
		int status;
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fake kernel: status %d", status);
		close(sv[0]);
	}
}

int main(void)
{
	test_parse();
	test_ext_ack();
	test_plug();
	if (failures == 0)
		printf("ok\n");
	return failures == 0 ? 0 : 1;
}
