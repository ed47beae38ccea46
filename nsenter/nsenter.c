// nsenter.c: the C constructor of podctl (with keeper.c, all of its C). It runs as an ELF constructor, before the
// Go runtime starts any thread, because the kernel refuses setns(2) and
// unshare(2) of a user namespace in a multi-threaded process (see
// user_namespaces(7), "EINVAL ... the caller is multithreaded").
//
// It is inert unless _PODCTL_STAGE is set in the environment (that variable
// names a stage and _PODCTL_SYNC_FD names an inherited SOCK_SEQPACKET
// socket), or the command is `podctl exec`, for which it forks the join
// stage before the Go runtime starts (fork_join_early).
// Everything else (the configuration, the pid of the children, errors)
// travels over that socket as short text datagrams, documented in
// sandbox/stage/sync.go together with the Go side of each conversation.
//
// Stages:
//   pause       exec'd by `podctl` on the host: makes the pod's namespaces,
//               clones PID 1 of the new pid namespace and re-executes it as
//   pause-init  the pause itself: holds the namespaces, reaps orphans, exits
//               0 on SIGTERM or SIGINT. It never enters the Go runtime, which
//               keeps its memory to the pages of this file and libc.
//   join        exec'd by `podctl` on the host: enters the pause's
//               namespaces through its pidfd, makes a private mount namespace
//               and clones the container's init (init.c), which builds the
//               container from podctl's plan and execs the workload, all in C.
//               With _PODCTL_JOIN_FD, the pause stage itself goes on as the
//               join stage of the pod's first container once the pause is
//               cloned: it is in the pod's namespaces already, having made
//               them (one exec of podctl fewer per pod). For `podctl exec`
//               where pods have no cgroup, the constructor of the command
//               itself forks it (fork_join_early); it first takes its stdio
//               in a "stdio" message (_PODCTL_JOIN_STDIO: the same for an
//               exec'd one, for the tests).
//   keep        exec'd by an idle pod supervisor in place of itself: logs
//               the containers' output and waits (keeper.c).
//   userns      exec'd by `podctl` as the image store helper (podctl-image):
//               a user and a mount namespace, mapped by podctl as a pod's,
//               then back to Go (podctl_stage == PODCTL_STAGE_USERNS).
//   netns       exec'd by `podctl` for a user's shared pod network
//               (--network bridge): a user and a network namespace, mapped
//               as a pod's, held as the pause holds a pod's.
//   usernest    exec'd by `podctl` once for a while: podctl-userns, the
//               holder of the per-user user namespace that pods are made
//               in, so that their maps need no setuid helper (nest below).
//   netconf     exec'd by `podctl` to configure that network: enters its
//               user and network namespaces (fds 3 and 4), then back to Go
//               (podctl_stage == PODCTL_STAGE_NETCONF), which talks netlink.
//   ports       exec'd by `podctl` for a bridge pod's published ports: with
//               the listening sockets bound on the host (fds 4 and up), enters
//               the pod's user and network namespaces through the pause's
//               pidfd (fd 3), then back to Go (PODCTL_STAGE_PORTS), which
//               forwards each connection to the pod's loopback.
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include "bridgeplug.h"
#include "handover.h"
#include "init.h"
#include "nsenter.h"

// Set for the Go runtime to read (nsenter.InUserns, ...) when this
// constructor returns in a stage that goes on in Go.
int podctl_stage = PODCTL_STAGE_NONE;
int podctl_sync_fd = -1;

// Constants from <linux/mount.h>; spelled out because the glibc headers of
// older distributions lack them.
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
struct mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
#endif

static int sync_fd = -1;

// fail reports "error <what>: <strerror> (errno N)" to the podctl process on
// the other end of the sync socket, which prints it once with context, then
// exits. Children never print to the user's terminal themselves.
static void vfail_to(int fd, int saved, const char *fmt, va_list ap) __attribute__((noreturn));
static void vfail_to(int fd, int saved, const char *fmt, va_list ap)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "error ");
	n += vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	if (saved != 0 && n < (int)sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s (errno %d)", strerror(saved), saved);
	if (fd < 0 || send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		fprintf(stderr, "podctl: %s\n", msg);
	_exit(1);
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail_to(sync_fd, saved, fmt, ap);
}

// fail_errno_to is fail for a child that shares this process's memory
// (CLONE_VM) while this process goes on: it reports on fd, the sync socket
// as it was at the clone, not on sync_fd, which the parent may change
// meanwhile, and with the errno given: such a child shares errno with us
// (no CLONE_SETTLS), so it takes the value at once, where a later read
// could find ours.
static void fail_errno_to(int fd, int saved, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void fail_errno_to(int fd, int saved, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail_to(fd, saved, fmt, ap);
}

// clone_stack maps a stack for a child cloned with CLONE_VM, with a guard
// page below it (an overflow faults instead of writing into our memory),
// and returns its top. It is never unmapped: the child may still run on it
// when we exit, and our exit or the child's execve(2) frees it.
static void *clone_stack(size_t size, const char *what)
{
	size_t guard = 4096;
	char *stack = mmap(NULL, size + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		fail("mmap of the %s's stack", what);
	if (mprotect(stack, guard, PROT_NONE) < 0)
		fail("mprotect of the %s's stack guard", what);
	return stack + guard + size;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errno = 0;
	if (send(sync_fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		fail("sending %s to podctl", msg);
}

// podctl_explain_fd is podctl's stderr when the user asked for --explain
// (_PODCTL_EXPLAIN_FD), else -1. explain writes one line there: the role
// of this process, then what it does, in words and as the system call.
int podctl_explain_fd = -1;
static const char *explain_role = "?";
// explain_t0: with PODCTL_EXPLAIN_TIMES=1, podctl's origin of the timeline
// (_PODCTL_EXPLAIN_T0, ns of CLOCK_MONOTONIC, which every process of the
// machine shares), else 0: each line then starts with the ms since it.
static long long explain_t0;

void podctl_explain_line(const char *role, const char *fmt, va_list ap)
{
	char line[1024];
	int n = 0;
	if (explain_t0 != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec - explain_t0;
		n = snprintf(line, sizeof(line), "%8.3f ", ns / 1e6);
	}
	n += snprintf(line + n, sizeof(line) - n, "%-14s", role);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	// One write(2) per line: lines of the pod's processes never mix.
	while (write(podctl_explain_fd, line, n) < 0 && errno == EINTR)
		;
}

static void explain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void explain(const char *fmt, ...)
{
	if (podctl_explain_fd < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	podctl_explain_line(explain_role, fmt, ap);
	va_end(ap);
}

static char *receive(const char *word, char *buf, size_t len, int *fd, int fd_optional);
static char *receive_fds(const char *word, char *buf, size_t len, int *fds, int max, int *got);

// expect reads one datagram and checks that it starts with the word the
// conversation is at; the rest of the message is returned in buf. A file
// descriptor passed along with it (SCM_RIGHTS, unix(7)) is stored in *fd.
static char *expect(const char *word, char *buf, size_t len, int *fd)
{
	return receive(word, buf, len, fd, 0);
}

// receive is expect, where with fd_optional a message without a descriptor
// stores -1 in *fd.
static char *receive(const char *word, char *buf, size_t len, int *fd, int fd_optional)
{
	int got = 0;
	char *rest = receive_fds(word, buf, len, fd, fd != NULL, &got);
	if (fd != NULL && got == 0) {
		*fd = -1;
		if (!fd_optional) {
			errno = 0;
			fail("protocol: '%s' came without its file descriptor", word);
		}
	}
	return rest;
}

// receive_fds is expect for a message that may come with up to max (at
// most 4) descriptors, stored in fds; *got says how many came. More than
// max is a protocol error: those that did not fit in the buffer the
// kernel closes and says so (MSG_CTRUNC, unix(7)), the others we close.
static char *receive_fds(const char *word, char *buf, size_t len, int *fds, int max, int *got)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_SPACE(max * sizeof(int))};
	errno = 0;
	ssize_t n = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0)
		// End-of-file: podctl closed its end, having given this stage up
		// (a start that failed before, whose error podctl reports). There
		// is nobody to tell, and the user's stderr (podctl exec's) is no
		// place for it.
		_exit(1);
	if (n < 0)
		fail("waiting for '%s' from podctl", word);
	buf[n] = '\0';
	size_t wl = strlen(word);
	if (strncmp(buf, word, wl) != 0 || (buf[wl] != ' ' && buf[wl] != '\0')) {
		errno = 0;
		fail("protocol: expected '%s', got '%.40s'", word, buf);
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		errno = 0;
		fail("protocol: '%s' came with more than %d file descriptors", word, max);
	}
	*got = 0;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		// CMSG_SPACE rounds up: room for one int holds two, which the
		// kernel delivers without MSG_CTRUNC.
		if (n > max) {
			int extra[4];
			memcpy(extra, CMSG_DATA(cm), n * sizeof(int));
			for (int i = 0; i < n; i++)
				close(extra[i]);
			errno = 0;
			fail("protocol: '%s' came with more than %d file descriptors", word, max);
		}
		*got = n;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	}
	return buf[wl] == ' ' ? buf + wl + 1 : buf + wl;
}

// loopback_up sets IFF_UP on "lo" in the new network namespace, the one
// interface a fresh network namespace has (network_namespaces(7)); it is down
// until someone brings it up, and a pod's containers talk over it.
static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail("socket for loopback");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail("SIOCSIFFLAGS lo up");
	close(s);
}

// become_root: uid and gid 0 of the user namespace we made, once podctl has
// mapped it (setresuid(2) inside it; our host ids are what 0 maps to).
static void become_root(void)
{
	if (setresgid(0, 0, 0) < 0)
		fail("setresgid(0)");
	if (setresuid(0, 0, 0) < 0)
		fail("setresuid(0)");
}

// enter_shared_network: with --network bridge, the pod's namespaces are
// made inside the user namespace of the shared network (the fd podctl
// passed) instead of a user namespace of the pod's own. Root of that
// namespace (this stage, plug_into_bridge) then has CAP_NET_ADMIN over the pod's
// network namespace, which plugging a veth into it takes. All bridge pods
// share it, mapped as any pod is, as rootless podman's containers share its
// user namespace; none of them gets CAP_SYS_ADMIN by default, so none can
// enter another's namespaces.
//
// (A user namespace of the pod's own, made inside the shared one, would
// need its id maps written from there, and the kernel refuses such a map
// when it includes your own uid, as pod root must: measured on 6.18.)
static void enter_shared_network(int parent_fd)
{
	if (setns(parent_fd, CLONE_NEWUSER) < 0)
		fail("setns(CLONE_NEWUSER) into the shared network's user namespace");
	close(parent_fd);
	explain("the shared network's user namespace, already mapped: setns(CLONE_NEWUSER)");
}

// open_bridge_netlink: with --network bridge (rootless), a netlink socket
// of the shared network namespace (the descriptor named by
// _PODCTL_BRIDGE_NETNS_FD), opened before the pod's network namespace is
// made: a socket stays in the namespace it was made in, so this one still
// reaches the bridge once the stage is in the pod's (plug_into_bridge).
// Root of the shared user namespace, which we entered, owns that namespace.
static int open_bridge_netlink(void)
{
	const char *env = getenv("_PODCTL_BRIDGE_NETNS_FD");
	if (env == NULL) {
		errno = 0;
		fail("protocol: _PODCTL_BRIDGE_PLUG without _PODCTL_BRIDGE_NETNS_FD");
	}
	int netns = atoi(env);
	if (setns(netns, CLONE_NEWNET) < 0)
		fail("setns(CLONE_NEWNET) into the shared network's network namespace");
	close(netns);
	int nl = podctl_nl_open();
	if (nl < 0)
		fail("a netlink socket in the shared network namespace");
	return nl;
}

// plug_into_bridge plugs the pod, whose network namespace we are now in,
// into the shared network's bridge (bridgeplug.c): as root of the user
// namespace that owns both, we have CAP_NET_ADMIN over each.
static void plug_into_bridge(int nl_bridge, const struct podctl_plug *p)
{
	int nl_pod = podctl_nl_open();
	if (nl_pod < 0)
		fail("a netlink socket in the pod's network namespace");
	int podns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (podns < 0)
		fail("opening the pod's network namespace");
	char why[320];
	if (podctl_bridge_plug(nl_bridge, nl_pod, podns, p, why, sizeof(why)) < 0)
		fail("plugging the pod into %s: %s", p->bridge, why);
	close(podns);
	close(nl_pod);
	close(nl_bridge);
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &p->gateway, gw, sizeof(gw));
	explain("plugged into bridge %s of the shared network: veth %s on it there, %s here with %s/%d, default route via %s (rtnetlink: RTM_NEWLINK with the peer's IFLA_NET_NS_FD, RTM_DELNEIGH, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE)",
		p->bridge, p->host_if, p->peer_if, ip, p->prefix, gw);
}

// The per-user namespace (sandbox/stage/nest.go has podctl's side).
//
// newuidmap and newgidmap, two setuid programs, were the slowest step of a
// pod's start (~6.5 ms of ~31 here). A user namespace U0 is mapped by them
// once, held by podctl-userns (stage_usernest); a pod's user namespace is
// then made inside U0, and its maps written by a process of U0: one with
// CAP_SETUID in the parent namespace may map any ids that namespace has
// (user_namespaces(7), "Defining user and group ID mappings").
//
// The stage cannot write its own maps: after unshare(2) its capabilities
// are in the new namespace only, and the kernel checks the opener's in the
// parent. So a child cloned before the unshare, still in U0, writes them.
//
// U0 leaves its own id 0 unmapped and maps the user at 65537 (after the
// subordinate ids): a map of a parent's id 0 needs CAP_SETFCAP over that
// parent's parent (the kernel's verify_root_map, Linux 5.12, "capabilities:
// require CAP_SETFCAP to map uid 0"), which no process of the user has. Seen from the host, a pod's maps are what the helpers would write.
static pid_t nest_writer = -1;

// The id map writer's part, in memory of its own: it shares this
// process's memory (CLONE_VM, below) while this process goes on, and the
// buffers and the stack that the maps came in are reused meanwhile.
static struct {
	int go[2];  // a pipe: a byte once the stage has unshared
	int report; // the sync socket, for fail_errno_to
	pid_t stage;
	char uids[4096], gids[4096]; // uid_map(5) takes up to a page
} writer;

// write_map writes one of /proc/PID/{uid_map,gid_map} in one write(2), as
// the kernel requires (a second write fails with EPERM).
static void write_map(pid_t pid, const char *file, const char *lines)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	// The writer shares our memory and so errno (CLONE_VM without
	// CLONE_SETTLS: one thread-local area), while the stage runs on: each
	// failure's errno is taken right after the call (fail_errno_to), which
	// leaves the stage a window of a few instructions to overwrite it,
	// not the whole formatting of the message as before.
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail_errno_to(writer.report, errno, "opening %s from the per-user namespace", path);
	size_t len = strlen(lines);
	ssize_t n = write(fd, lines, len);
	if (n != (ssize_t)len)
		fail_errno_to(writer.report, n < 0 ? errno : EIO, "writing the pod's %s from the per-user namespace (\"%s\")", file, lines);
	close(fd);
}

// map_writer runs in the writer: in U0, it waits for the stage's unshare,
// maps it, exits. An end-of-file instead means the stage failed (and said
// why).
static int map_writer(void *arg)
{
	(void)arg;
	// Our copy of the write end goes first: the stage's exit must be an
	// end-of-file here. (The stage's copy is its own: no CLONE_FILES.)
	close(writer.go[1]);
	char c;
	if (read(writer.go[0], &c, 1) != 1)
		_exit(1);
	write_map(writer.stage, "uid_map", writer.uids);
	write_map(writer.stage, "gid_map", writer.gids);
	_exit(0);
}

// enter_nested_userns unshares a user namespace (and flags) inside U0,
// the descriptor u0, and has it mapped with uids and gids (uid_map(5)
// lines relative to U0). nested_mapped waits for the maps.
//
// The writer is cloned as the container's init is (stage_join): in this
// process's memory (CLONE_VM), on a stack of its own. A fork would copy
// this process's page tables, and each page either process then writes
// would take a copy-on-write fault: measured here, the writer's maps came
// ~1.1 ms after its fork, on the path of every pod start. Unlike the init,
// it runs beside us (no CLONE_VFORK): it must wait for our unshare. It
// touches only its own stack and the writer struct, which we leave alone
// until nested_mapped has reaped it.
static void enter_nested_userns(int u0, int flags, const char *uids, const char *gids)
{
	if (uids == NULL || gids == NULL) {
		errno = 0;
		fail("the per-user namespace came without the pod's maps");
	}
	if (strlen(uids) >= sizeof(writer.uids) || strlen(gids) >= sizeof(writer.gids)) {
		errno = 0;
		fail("the pod's id maps are longer than %zu bytes", sizeof(writer.uids) - 1);
	}
	if (setns(u0, CLONE_NEWUSER) < 0)
		fail("setns(CLONE_NEWUSER) into the per-user namespace");
	close(u0);
	if (pipe2(writer.go, O_CLOEXEC) < 0)
		fail("pipe2 for the id map writer");
	writer.report = sync_fd;
	writer.stage = getpid();
	strcpy(writer.uids, uids);
	strcpy(writer.gids, gids);
	pid_t w = clone(map_writer, clone_stack(64 << 10, "id map writer"), CLONE_VM | SIGCHLD, NULL);
	if (w < 0)
		fail("clone(CLONE_VM) of the id map writer");
	int go = writer.go[1];
	close(writer.go[0]);
	if (unshare(CLONE_NEWUSER | flags) < 0)
		fail("unshare(CLONE_NEWUSER) in the per-user namespace");
	if (write(go, "m", 1) != 1)
		fail("starting the id map writer");
	close(go);
	nest_writer = w;
	explain("into the per-user namespace (mapped once, held by podctl-userns): setns(CLONE_NEWUSER); a user namespace inside it: unshare(CLONE_NEWUSER); a child left in the per-user namespace, sharing our memory, writes its maps: clone(CLONE_VM), write(\"/proc/%d/uid_map\"), write(\"/proc/%d/gid_map\")",
		writer.stage, writer.stage);
}

// nested_mapped waits for the id map writer, if there is one; if it failed
// it has told podctl why.
static void nested_mapped(void)
{
	if (nest_writer < 0)
		return;
	int status;
	while (waitpid(nest_writer, &status, 0) < 0)
		if (errno != EINTR)
			fail("waiting for the id map writer");
	nest_writer = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		_exit(1);
}

static void stage_join(int made_them) __attribute__((noreturn));

// init_host_pid: the container init's pid in this stage's (the host's)
// pid namespace, written by clone(CLONE_PARENT_SETTID) in the memory the
// init shares (stage_join).
static pid_t init_host_pid;

// init_start is the container's init, cloned by stage_join: it tells
// podctl its host pid, which only the stage's view of it shows, then runs.
static int init_start(void *arg)
{
	(void)arg;
	explain("the container's init is host pid %d, cloned into them: clone(CLONE_VM|CLONE_VFORK|CLONE_PARENT)", init_host_pid);
	say("pid %d", init_host_pid);
	podctl_init(sync_fd); // init.c; never returns
}

// write_sysctls sets the pod's kernel parameters (a CRI sandbox's
// sysctls): "path=value" lines, path under /proc/sys, which podctl checked
// are of the pod's own namespaces (sandbox/model/sysctl.go). Written here,
// as root of the pod and inside its namespaces, each file is the pod's
// namespace's: /proc/sys/net resolves to the writer's network namespace
// and the IPC parameters to its IPC namespace (proc(5)), and the kernel
// lets the root of the namespace's owning user namespace write them.
static void write_sysctls(char *lines)
{
	for (char *line = lines, *next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *value = strchr(line, '=');
		if (value == NULL)
			continue;
		*value++ = '\0';
		char path[512];
		snprintf(path, sizeof(path), "/proc/sys/%s", line);
		int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			fail("sysctl %s: opening %s", line, path);
		size_t len = strlen(value);
		if (write(fd, value, len) != (ssize_t)len)
			fail("sysctl %s: writing \"%s\" to %s", line, value, path);
		close(fd);
		explain("sysctl %s = %s, in the pod's namespaces: write(\"%s\")", line, value, path);
	}
}

// What the pause's PID 1 needs until its execveat (exec_pause), in memory
// that stage_pause fills before the clone and never writes after it.
static struct {
	int tree;   // the read-only copy of our binary (open_tree)
	int report; // the pause's sync socket, for fail_errno_to
	int execd;  // the write end of pause_execd's pipe, in the child
	char fdenv[32];
	char *argv[3], *envp[3];
} pause_exec;

// pause_execd is the read end of a pipe whose only write end the pause's
// PID 1 holds, close-on-exec, until its execveat: end-of-file there means
// the pause no longer shares our memory (stage_join waits for it). A byte
// instead means its execveat failed (exec_pause), which stage_join then
// reports at once rather than going on into a pod that nothing holds.
static int pause_execd = -1;

// exec_pause runs in the pause's PID 1, in our memory (CLONE_VM): it only
// execs the read-only copy of the binary as podctl-pause.
static int exec_pause(void *arg)
{
	(void)arg;
	syscall(SYS_execveat, pause_exec.tree, "", pause_exec.argv, pause_exec.envp, AT_EMPTY_PATH);
	int saved = errno;
	(void)!write(pause_exec.execd, "x", 1);
	fail_errno_to(pause_exec.report, saved, "execveat of the read-only pause binary");
}

// stage_pause runs in a process exec'd by podctl on the host.
static void stage_pause(void)
{
	char buf[256];

	// Every process of podctl names itself by role (ps, strace -f, top):
	// exec of /proc/self/exe would otherwise show them all as "exe".
	prctl(PR_SET_NAME, "podctl-setup", 0, 0, 0);

	// _PODCTL_JOIN_FD: after the pause, become the first container's join
	// stage (stage_join), talking over that socket, with the container's
	// stdio at the three descriptors after it. All four are close-on-exec
	// from here, so that the pause (which execs) never holds them.
	const char *joinenv = getenv("_PODCTL_JOIN_FD");
	int join_fd = joinenv != NULL ? atoi(joinenv) : -1;
	for (int i = 0; join_fd >= 0 && i < 4; i++)
		if (fcntl(join_fd + i, F_SETFD, FD_CLOEXEC) < 0)
			fail("fcntl(FD_CLOEXEC) of the join stage's descriptor %d", join_fd + i);

	// 1. A user namespace first: every later namespace is then owned by it,
	// so the calling user (root inside) may administer them.
	explain_role = "[pause-setup]";
	const char *parent = getenv("_PODCTL_PARENT_USERNS_FD");
	if (parent != NULL) {
		enter_shared_network(atoi(parent));
	} else {
		// How: podctl decides it while this process starts (it reads
		// /etc/subuid and finds the per-user namespace meanwhile):
		// "userns nest UIDMAP|GIDMAP" with the per-user namespace's
		// descriptor, or "userns own", a namespace that podctl maps.
		char how[1024];
		int nest = -1;
		char *rest = receive("userns", how, sizeof(how), &nest, 1);
		char *gids = strchr(rest, '|');
		if (nest >= 0 && strncmp(rest, "nest ", 5) == 0 && gids != NULL) {
			*gids++ = '\0';
			enter_nested_userns(nest, 0, rest + 5, gids);
		} else if (nest < 0 && strcmp(rest, "own") == 0) {
			if (unshare(CLONE_NEWUSER) < 0)
				fail("unshare(CLONE_NEWUSER)");
			explain("new user namespace, ids not mapped yet: unshare(CLONE_NEWUSER)");
		} else {
			errno = 0;
			fail("protocol: 'userns %.40s'", rest);
		}
	}
	say("unshared");

	// 2. While podctl writes our uid_map and gid_map (newuidmap/newgidmap,
	// two setuid programs: the slowest step of a pod's start), we make the
	// pod's other namespaces. That needs no mapped id: creating a user
	// namespace gave us every capability in it (user_namespaces(7)).
	// CLONE_NEWPID applies to children only (pid_namespaces(7)): the clone
	// below becomes PID 1. CLONE_NEWCGROUP roots the pod's view of
	// /proc/self/cgroup at its current cgroup.
	// With --network host (_PODCTL_HOST_NETWORK) the pod keeps the
	// host's network namespace: no CLONE_NEWNET, and no loopback of its own.
	int hostnet = getenv("_PODCTL_HOST_NETWORK") != NULL;
	int hostipc = getenv("_PODCTL_HOST_IPC") != NULL;
	int hostpid = getenv("_PODCTL_HOST_PID") != NULL;
	int flags = CLONE_NEWNS | (hostnet ? 0 : CLONE_NEWNET) | (hostipc ? 0 : CLONE_NEWIPC) | CLONE_NEWUTS | CLONE_NEWCGROUP | (hostpid ? 0 : CLONE_NEWPID);
	// --network bridge, rootless: "BRIDGE HOSTIF PEERIF IP/PREFIX GATEWAY
	// MTU", what podctl decided (sandbox/podnet/bridge.go, plugSpec); the pod is
	// plugged in as soon as its network namespace exists.
	const char *plugspec = getenv("_PODCTL_BRIDGE_PLUG");
	struct podctl_plug plug;
	int nl_bridge = -1;
	if (plugspec != NULL && !hostnet) {
		if (podctl_plug_parse(plugspec, &plug) < 0) {
			errno = 0;
			fail("protocol: _PODCTL_BRIDGE_PLUG=%.80s", plugspec);
		}
		nl_bridge = open_bridge_netlink();
	}
	if (unshare(flags) < 0)
		fail("unshare(CLONE_NEWNS|%s%sCLONE_NEWUTS|CLONE_NEWCGROUP%s)", hostnet ? "" : "CLONE_NEWNET|", hostipc ? "" : "CLONE_NEWIPC|", hostpid ? "" : "|CLONE_NEWPID");
	explain("the pod's namespaces, owned by that user namespace: unshare(CLONE_NEWNS|%s%sCLONE_NEWUTS|CLONE_NEWCGROUP%s)%s%s%s",
		hostnet ? "" : "CLONE_NEWNET|", hostipc ? "" : "CLONE_NEWIPC|", hostpid ? "" : "|CLONE_NEWPID",
		hostnet ? "; the host's network namespace is kept (--network host)" : "",
		hostipc ? "; the host's IPC namespace is kept (hostIPC)" : "", hostpid ? "; the host's PID namespace is kept (hostPID)" : "");
	if (!hostnet)
		loopback_up();
	if (nl_bridge >= 0)
		plug_into_bridge(nl_bridge, &plug);
	// Nothing mounted in the pause's mount namespace may propagate back.
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("making / private in the pause's mount namespace");
	explain("nothing mounted here propagates to the host: mount(\"/\", MS_REC|MS_PRIVATE)");

	// 3. Re-execute ourselves through a detached, read-only bind mount of
	// our own binary (open_tree(2) + mount_setattr(2)). Two reasons:
	//  - CVE-2019-5736: the pod's processes run as the same host uid that
	//    usually owns the podctl binary. /proc/1/exe must not lead them to a
	//    writable podctl; through this mount it is read-only (EROFS).
	//  - An exec inside the user namespace sets the pause's mm->user_ns to
	//    the pod's namespace, so after PR_SET_DUMPABLE=0 the host user (who
	//    owns that namespace) may still open /proc/PAUSE/ns/* to join the
	//    pod, while the pod's processes (without CAP_SYS_PTRACE) may not
	//    touch /proc/1/{exe,mem,ns} at all (ptrace(2), "ptrace access mode").
	//
	// open_tree needs a path in our own mount namespace: /proc/self/exe
	// still names the host's mount of the binary, so we resolve its path
	// here and check that it is the same file (same device and inode).
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		fail("readlink(/proc/self/exe)");
	exe[n] = '\0';
	int tree = syscall(SYS_open_tree, AT_FDCWD, exe, OPEN_TREE_CLONE | O_CLOEXEC);
	if (tree < 0)
		fail("open_tree(%s)", exe);
	struct stat want, got;
	if (stat("/proc/self/exe", &want) < 0 || fstat(tree, &got) < 0)
		fail("stat of the podctl binary");
	if (want.st_dev != got.st_dev || want.st_ino != got.st_ino) {
		errno = 0;
		fail("%s was replaced while podctl ran; run podctl again", exe);
	}
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		fail("mount_setattr(read-only) on the pause binary");
	explain("a detached read-only copy of the podctl binary for the pause: open_tree(\"%s\", OPEN_TREE_CLONE), mount_setattr(MOUNT_ATTR_RDONLY)", exe);

	// 4. Once the maps exist our uid maps to 0: become root of the pod
	// (setresuid(2) in the namespace), and name the pod.
	char *hostname = expect("mapped", buf, sizeof(buf), NULL);
	nested_mapped();
	become_root();
	if (sethostname(hostname, strlen(hostname)) < 0)
		fail("sethostname(%s)", hostname);
	explain("root of the pod, and the pod's hostname: setresuid(0, 0, 0), sethostname(\"%s\")", hostname);
	write_sysctls(getenv("_PODCTL_SYSCTLS"));

	// 5. Clone PID 1. CLONE_PARENT makes it a child of podctl, not of this
	// short-lived process, so podctl can wait for it while it runs in the
	// foreground and get a pidfd for it without a pid-reuse race. It shares
	// our memory until its execveat (CLONE_VM, as posix_spawn(3) clones):
	// a fork would copy our page tables (~0.4 ms in the clone here) and
	// then cost both of us a copy-on-write fault per page written, while
	// we go on as the join stage. Without CLONE_VFORK we do not wait for
	// its exec; it reads only pause_exec, which we never write again.
	pause_exec.tree = tree;
	pause_exec.report = sync_fd;
	snprintf(pause_exec.fdenv, sizeof(pause_exec.fdenv), "_PODCTL_SYNC_FD=%d", sync_fd);
	// argv[1], the pod's name, names the pod in /proc/PID/cmdline for
	// podctl rm -f and gc when its state file is lost (readable by the
	// user even though the pause is not dumpable, proc(5)).
	pause_exec.argv[0] = "podctl-pause";
	pause_exec.argv[1] = getenv("_PODCTL_POD_NAME");
	pause_exec.envp[0] = "_PODCTL_STAGE=pause-init";
	pause_exec.envp[1] = pause_exec.fdenv;
	int execd[2];
	if (pipe2(execd, O_CLOEXEC) < 0)
		fail("pipe2 for the pause's exec");
	pause_exec.execd = execd[1];
	pid_t pid = clone(exec_pause, clone_stack(64 << 10, "pause"), CLONE_VM | CLONE_PARENT | SIGCHLD, NULL);
	if (pid < 0)
		fail("clone(CLONE_VM|CLONE_PARENT) of the pause");
	close(execd[1]);
	pause_execd = execd[0];
	explain("PID 1 of the new pid namespace is host pid %d: clone(CLONE_VM|CLONE_PARENT); then it execs the read-only copy as podctl-pause", pid);
	say("pid %d", pid);
	if (join_fd < 0)
		_exit(0);
	// The pause's conversation is the pause's from here on; ours is the
	// container's, on its own socket (end-of-file there is the workload's
	// exec, which the pause's open copy would hide). The pause has its
	// own descriptor table (no CLONE_FILES): these closes are ours alone.
	close(tree);
	close(sync_fd);
	for (int i = 0; i < 3; i++)
		if (dup2(join_fd + 1 + i, i) < 0) // dup2 clears close-on-exec
			fail("dup2 of the container's stdio");
	for (int i = 1; i < 4; i++)
		close(join_fd + i);
	sync_fd = podctl_sync_fd = join_fd;
	stage_join(1);
}

static void noop(int sig) { (void)sig; }

static void hold(void) __attribute__((noreturn));

// shed_file_pages drops the pause's page-table entries for the parts of
// the podctl binary it touched while starting (mapped 64 KiB at a time by
// the kernel's fault-around). The pages stay in the page cache, shared with
// every other podctl process; the loop afterwards faults back the few it
// uses. This is what lets a pause that is a 6 MB binary have the resident
// size of a small C program.
//
// A read-only mapping is dropped only if it holds no anonymous page: RELRO
// data is written (relocated) before it is made read-only, and
// MADV_DONTNEED would discard those writes. smaps(5) says which. All the
// parsing happens first: once the code is dropped, every libc call would
// fault its 64 KiB back in, so the drops are raw system calls, last.
// shed_clean_data_pages drops, in the binary's writable data mapping
// (private, file-backed: .data), the pages still as the file has them. The
// kernel's fault-around maps up to 64 KiB of it on the first read of a
// global, and how many of those pages a process keeps depends on where the
// linker put the globals it reads. A page never written is a file page
// (pagemap(5): bit 61 set, "file-page or shared-anon"); a written one was
// copied on write into an anonymous page (bit 61 clear) and must stay, or
// the write is lost. Dropping a file page is always safe: read again, it
// comes back from the file as it was. The page numbers are read first and
// the drops made last, in runs of pages.
static int shed_clean_data_pages(unsigned long start, unsigned long end,
				 unsigned long (*drop)[2], int ndrop, int max)
{
	static unsigned long long pm[512];
	unsigned long pages = (end - start) / 4096;
	if (pages > sizeof(pm) / sizeof(pm[0]))
		return ndrop; // larger than podctl's .data: leave it
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ndrop;
	ssize_t want = pages * sizeof(pm[0]);
	ssize_t got = pread(fd, pm, want, (off_t)(start / 4096) * sizeof(pm[0]));
	close(fd);
	if (got != want)
		return ndrop;
	for (unsigned long i = 0; i < pages && ndrop < max; i++) {
		int clean = (pm[i] >> 63 & 1) && (pm[i] >> 61 & 1);
		if (!clean)
			continue;
		unsigned long a = start + i * 4096;
		if (ndrop > 0 && drop[ndrop - 1][1] == a)
			drop[ndrop - 1][1] = a + 4096; // extends the run before
		else {
			drop[ndrop][0] = a;
			drop[ndrop][1] = a + 4096;
			ndrop++;
		}
	}
	return ndrop;
}

void podctl_shed_file_pages(void)
{
	static char smaps[32768];
	unsigned long drop[48][2];
	int ndrop = 0;
	unsigned long data[4][2]; // writable file mappings: .data
	int ndata = 0;
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof(smaps) - 1 && (r = read(fd, smaps + n, sizeof(smaps) - 1 - n)) > 0)
		n += r;
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof(smaps) - 1)
		return; // unread or too long to trust: keep everything
	smaps[n] = '\0';
	unsigned long start = 0, end = 0, inode;
	int candidate = 0;
	for (char *line = smaps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char perms[5];
		unsigned long s, e, anon;
		// Into temporaries: "Anonymous:" starts with a hex digit, and a
		// failed match still assigns what it parsed.
		if (sscanf(line, "%lx-%lx %4s %*s %*s %lu", &s, &e, perms, &inode) == 4) {
			start = s;
			end = e;
			candidate = inode != 0 && perms[1] != 'w';
			if (inode != 0 && perms[1] == 'w' && perms[3] == 'p' && ndata < 4) {
				data[ndata][0] = s;
				data[ndata][1] = e;
				ndata++;
			}
		} else if (candidate && sscanf(line, "Anonymous: %lu", &anon) == 1) {
			if (anon == 0 && ndrop < 32) {
				drop[ndrop][0] = start;
				drop[ndrop][1] = end;
				ndrop++;
			}
			candidate = 0;
		}
	}
	for (int i = 0; i < ndata; i++)
		ndrop = shed_clean_data_pages(data[i][0], data[i][1], drop, ndrop, 48);
	for (int i = 0; i < ndrop; i++)
		syscall(SYS_madvise, drop[i][0], drop[i][1] - drop[i][0], MADV_DONTNEED);
}

// stage_pause_init is the pause: PID 1 of the pod's pid namespace.
static void stage_pause_init(void)
{
	// Not dumpable: /proc/1/{exe,mem,environ,ns/*} need CAP_SYS_PTRACE in
	// the pod's user namespace, which workloads do not get.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("prctl(PR_SET_DUMPABLE, 0)");
	prctl(PR_SET_NAME, "podctl-pause", 0, 0, 0);
	hold();
}

// hold is the life of a process that only holds namespaces (the pause, the
// shared network's holder): say "ready", wait for "recorded", then reap
// orphans until SIGTERM or SIGINT.
static void hold(void)
{
	// Our own session: no controlling terminal, no SIGHUP from the caller's.
	setsid();
	if (chdir("/") < 0)
		fail("chdir(/)");

	// A pid namespace's init only receives the signals it handles
	// (pid_namespaces(7)); blocked signals count as handled, and a no-op
	// handler keeps it so if they are ever unblocked.
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	struct sigaction sa = {.sa_handler = noop};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);

	// Keep nothing open: stdio is /dev/null (podctl set it); every other
	// descriptor goes before we say "ready", the sync socket right after.
	if (sync_fd > 3)
		syscall(SYS_close_range, 3, sync_fd - 1, 0);
	syscall(SYS_close_range, sync_fd + 1, ~0U, 0);
	podctl_shed_file_pages();
	// From here on, only raw system calls: each libc function touched now
	// would map 64 KiB of the binary back in (the kernel's fault-around).
	// (On the stack: a string constant would fault in 64 KiB of rodata.)
	char ready[] = {'r', 'e', 'a', 'd', 'y'};
	syscall(SYS_sendto, sync_fd, ready, sizeof(ready), MSG_NOSIGNAL, NULL, 0);
	// Then wait until podctl has recorded us in the pod's state ("recorded"):
	// if podctl dies first (end-of-file), nobody knows this pause exists,
	// so nobody could ever remove it; it exits, and the pod's namespaces
	// with it.
	char buf[16];
	if (syscall(SYS_recvfrom, sync_fd, buf, sizeof(buf), 0, NULL, NULL) <= 0)
		syscall(SYS_exit_group, 1);
	syscall(SYS_close, sync_fd);

	for (;;) {
		int sig = syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, _NSIG / 8);
		if (sig == SIGTERM || sig == SIGINT)
			syscall(SYS_exit_group, 0);
		// Orphans of the whole pod are re-parented to us: reap them all.
		while (syscall(SYS_wait4, -1, NULL, WNOHANG, NULL) > 0)
			;
	}
}

// join_namespaces enters the namespaces in flags of the process behind
// pidfd (the pause, or a container's process for podctl exec).
static void join_namespaces(int pidfd, int flags)
{
	// One setns(2) on a pidfd (Linux >= 5.8) enters all the namespaces in
	// flags at once, user namespace first, and cannot be fooled by a
	// recycled pid. For exec, flags include CLONE_NEWNS: the container's
	// own mount namespace, whose root becomes ours.
	// For --explain: our /proc/self/ns, opened before setns; after a setns
	// of the mount namespace /proc is the container's, where we have no pid.
	int nsdir = podctl_explain_fd >= 0 ? open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (setns(pidfd, flags) < 0)
		fail("setns(pidfd, 0x%x)", flags);
	close(pidfd);
	if (podctl_explain_fd >= 0) {
		char what[256] = "";
		const char *names[] = {"user", "net", "ipc", "uts", "pid", "cgroup", "mnt"};
		const int bits[] = {CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWNS};
		for (int i = 0; i < 7; i++) {
			char link[64];
			if (!(flags & bits[i]))
				continue;
			// setns(CLONE_NEWPID) moves only our future children.
			const char *entry = bits[i] == CLONE_NEWPID ? "pid_for_children" : names[i];
			ssize_t l = readlinkat(nsdir, entry, link, sizeof(link) - 1);
			link[l > 0 ? l : 0] = '\0';
			strncat(what, " ", sizeof(what) - strlen(what) - 1);
			strncat(what, link, sizeof(what) - strlen(what) - 1);
		}
		explain("joined, in one call:%s: setns(pidfd, 0x%x)", what, flags);
		close(nsdir);
	}
}

// not_dumpable makes this process not dumpable (stage_join says why).
static void not_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("prctl(PR_SET_DUMPABLE, 0)");
}

// stage_join runs in a process exec'd by podctl on the host; made_them: in
// the pause stage, which made the pod's namespaces and is in them already.
static void stage_join(int made_them)
{
	char buf[128];

	prctl(PR_SET_NAME, "podctl-join", 0, 0, 0);

	// Not dumpable while we run the podctl binary inside the pod's
	// namespaces: our mm->user_ns is the host's, so nothing in the pod may
	// open /proc/<us>/exe (CVE-2019-5736) or ptrace us. execve of the
	// workload makes the process dumpable again.
	// In the pause stage (made_them) the pod holds no process yet but the
	// pause, which may still share our memory, and so our dumpable flag
	// (one per mm): until its execveat, podctl and the network helpers
	// must still open its /proc/PID/ns/*. There it is set once the pause
	// has exec'd, before the container's init exists (not_dumpable).
	if (!made_them)
		not_dumpable();

	// podctl starts this stage while the pause is still being made, and
	// sends the pidfd of the process to join along with "join": the pause
	// for a new container, a container's process for podctl exec. The
	// pause stage gets no pidfd and no namespace to enter (flags 0).
	int pidfd = -1, flags, unshare_flags, node = 0;
	char *args = expect("join", buf, sizeof(buf), made_them ? NULL : &pidfd);
	int n = sscanf(args, "%i %i %i", &flags, &unshare_flags, &node);
	if (n < 2 || (made_them && flags != 0)) {
		errno = 0;
		fail("protocol: bad join arguments '%s'", args);
	}
	// "join F U 1": then "node" and the node's mount namespace (see below).
	int node_mnt = -1;
	if (n == 3 && node == 1)
		expect("node", buf, sizeof(buf), &node_mnt);
	explain_role = "[join]";
	if (made_them) {
		// Podctl sends "join" once it has recorded the pause, whose
		// exec is over by then as a rule: the wait costs nothing.
		char c;
		ssize_t r;
		while ((r = read(pause_execd, &c, 1)) < 0 && errno == EINTR)
			;
		if (r < 0)
			fail("waiting for the pause's exec");
		if (r > 0) {
			// The pause reported why on its own socket (exec_pause).
			errno = 0;
			fail("the pause did not start (its exec failed), so there is no pod to join");
		}
		close(pause_execd);
		not_dumpable();
		explain("in the pod's namespaces already, having made them: no setns");
	} else {
		join_namespaces(pidfd, flags);
	}

	// A new container gets its own mount namespace, copied from the host's
	// (the init turns it into the container's root filesystem), its own cgroup
	// namespace, rooted at the cgroup this stage was born in (the
	// container's, clone3 CLONE_INTO_CGROUP; cgroup_namespaces(7)), and, in
	// a pod made with --share-pid=false, its own pid namespace too.
	// In the pause stage (made_them) the copy is of the pause's mount
	// namespace: the host's, made private, which the init makes private
	// anyway; podctl folds the stages only for a pod without cgroups (both
	// roots are then podctl's own cgroup) that shares its pid namespace (a
	// second unshare(CLONE_NEWPID) would fail: pid_namespaces(7)).
	// A container of a CRI pod on the shared network copies the node's
	// mount namespace (the shared network's, stage_netns), where hostPath
	// volumes are as the kubelet sees them and propagate as asked; it is
	// owned by the user namespace we are in now, so setns(2) may enter it.
	if (node_mnt >= 0) {
		if (setns(node_mnt, CLONE_NEWNS) < 0)
			fail("setns(CLONE_NEWNS) into the node's mount namespace");
		close(node_mnt);
		explain("the node's mount namespace (the shared network's), to be copied: setns(CLONE_NEWNS)");
	}
	if (unshare_flags != 0 && unshare(unshare_flags) < 0)
		fail("unshare(0x%x)", unshare_flags);
	if (unshare_flags != 0)
		explain("its own namespaces: unshare(%s%s%s)", unshare_flags & CLONE_NEWNS ? "CLONE_NEWNS" : "",
			unshare_flags & CLONE_NEWCGROUP ? "|CLONE_NEWCGROUP" : "", unshare_flags & CLONE_NEWPID ? "|CLONE_NEWPID" : "");

	// setns(CLONE_NEWPID) and unshare(CLONE_NEWPID) only move our future
	// children into the pid namespace, so the container's init is a new
	// process. It is cloned as posix_spawn(3) clones: in this stage's
	// memory (CLONE_VM) on a stack of its own, while this stage sleeps
	// until it execs the workload or dies (CLONE_VFORK). A fork would copy
	// this process's page tables and then take a copy-on-write fault for
	// every page the init writes, ~1-2 ms on a small VM where a fault is
	// dear; here nothing is copied. The init has its own descriptor table,
	// filesystem root and credentials (no CLONE_FILES, CLONE_FS), and this
	// stage never runs again but to exit, so the memory it lends is the
	// init's alone; execve(2) gives the workload a fresh one. The kernel
	// writes the init's host pid to init_host_pid (CLONE_PARENT_SETTID)
	// before the init runs, so the init reports it itself.
	pid_t pid = clone(init_start, clone_stack(1 << 20, "container init"), CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD, NULL, &init_host_pid);
	if (pid < 0)
		fail("clone(CLONE_VM|CLONE_VFORK|CLONE_PARENT) of the container init");
	// The init has exec'd the workload, or exited: our part is done.
	_exit(0);
}

// stage_userns: the image store keeps files owned by the caller's
// subordinate ids, so it is used as uid 0 of a user namespace mapped exactly
// as pods are (the same handshake as the pause's: "unshared", then podctl
// runs newuidmap and newgidmap and says "mapped"). The mount namespace is
// for the overlay mounts containers-storage makes while it works; none of
// them propagates back to the host.
static void stage_userns(void)
{
	char buf[64];

	prctl(PR_SET_NAME, "podctl-store", 0, 0, 0);
	explain_role = "[store]";
	const char *nest = getenv("_PODCTL_NEST_USERNS_FD");
	if (nest != NULL)
		enter_nested_userns(atoi(nest), CLONE_NEWNS, getenv("_PODCTL_NEST_UID_MAP"), getenv("_PODCTL_NEST_GID_MAP"));
	else if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		fail("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
	say("unshared");
	expect("mapped", buf, sizeof(buf), NULL);
	nested_mapped();
	become_root();
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("making / private in the store helper's mount namespace");
	explain("uid 0 of a user namespace mapped as pods are, with a private mount namespace: unshare(CLONE_NEWUSER|CLONE_NEWNS), setresuid(0, 0, 0)");
	podctl_stage = PODCTL_STAGE_USERNS;
}

// stage_netns: the holder of a user's shared pod network (--network
// bridge). A user namespace mapped as a pod's (the pause's handshake), a
// network namespace owned by it with lo up, and then nothing but waiting,
// as a pause does. It stays dumpable: no pod's processes can see it (it is
// in no pod's pid namespace), and podctl needs its /proc/PID/ns files.
static void stage_netns(void)
{
	char buf[64];
	prctl(PR_SET_NAME, "podctl-netns", 0, 0, 0);
	explain_role = "[netns]";
	if (unshare(CLONE_NEWUSER) < 0)
		fail("unshare(CLONE_NEWUSER)");
	say("unshared");
	if (unshare(CLONE_NEWNET) < 0)
		fail("unshare(CLONE_NEWNET)");
	expect("mapped", buf, sizeof(buf), NULL);
	become_root();
	loopback_up();
	// The node's mount namespace, for the CRI's hostPath volumes with
	// propagation (what a rootless node's "host" is: rootlesskit's child
	// namespace plays this part for rootless containerd). A copy of the
	// host's made in a less privileged user namespace turns every shared
	// mount into a slave of the host's (mount_namespaces(7), "Restrictions
	// on mount namespaces"); made shared again here, each is a peer group
	// of this namespace's, so that a container's mount namespace copied
	// from this one (the join stage's setns, then unshare) keeps its mounts
	// as peers of these, and a Bidirectional volume's mounts come back.
	if (unshare(CLONE_NEWNS) < 0)
		fail("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		fail("making / shared in the shared network's mount namespace");
	explain("the shared network's user, network and mount namespaces: unshare(CLONE_NEWUSER), unshare(CLONE_NEWNET), lo up, unshare(CLONE_NEWNS), mount(\"/\", MS_REC|MS_SHARED)");
	hold();
}

// stage_usernest: podctl-userns, the holder of the per-user namespace
// (nest, above). It makes the namespace, tells podctl its pid (podctl
// maps it with newuidmap and newgidmap, and records it), and then only
// waits: each pod start that uses it sends SIGUSR1, and once
// _PODCTL_USERNS_LINGER seconds pass without one it exits. Pods made in
// the namespace keep it alive by themselves (a user namespace lives while
// anything refers to it); the holder only spares the next pod the helpers.
// It is not podctl's child (the fork below): no podctl process waits for
// it, and it outlives the command that made it.
static void stage_usernest(void)
{
	prctl(PR_SET_NAME, "podctl-userns", 0, 0, 0);
	explain_role = "[userns]";
	const char *env = getenv("_PODCTL_USERNS_LINGER");
	long linger = env != NULL ? strtol(env, NULL, 10) : 0;
	if (linger <= 0) {
		errno = 0;
		fail("_PODCTL_USERNS_LINGER must be a number of seconds");
	}
	pid_t pid = fork();
	if (pid < 0)
		fail("fork of podctl-userns");
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0)
		fail("chdir(/)");
	if (unshare(CLONE_NEWUSER) < 0)
		fail("unshare(CLONE_NEWUSER)");
	explain("the per-user namespace, held by pid %d until %ld s pass without a pod start: unshare(CLONE_NEWUSER)", getpid(), linger);
	say("unshared %d", getpid());
	// Keep nothing: stdio is /dev/null (podctl set it), and neither the
	// sync socket nor --explain's descriptor may outlive the command.
	syscall(SYS_close_range, 3, ~0U, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct itimerval timer = {.it_value = {.tv_sec = linger}};
	podctl_shed_file_pages();
	// From here on, raw system calls only (hold() says why).
	for (;;) {
		syscall(SYS_setitimer, ITIMER_REAL, &timer, NULL);
		int sig = syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, _NSIG / 8);
		if (sig != SIGUSR1)
			syscall(SYS_exit_group, 0);
	}
}

// enter_shared_fds enters the shared network's user and network
// namespaces, inherited as fds 3 and 4 (the netconf and cni stages).
static void enter_shared_fds(void)
{
	if (setns(3, CLONE_NEWUSER) < 0)
		fail("setns(CLONE_NEWUSER) into the shared network");
	if (setns(4, CLONE_NEWNET) < 0)
		fail("setns(CLONE_NEWNET) into the shared network");
	close(3);
	close(4);
}

// stage_netconf: enter the shared network's user and network namespaces
// (inherited as fds 3 and 4), and go back to Go as root there.
static void stage_netconf(void)
{
	prctl(PR_SET_NAME, "podctl-netconf", 0, 0, 0);
	enter_shared_fds();
	podctl_stage = PODCTL_STAGE_NETCONF;
}

// stage_ports: into the pod's user and network namespaces through the
// pause's pidfd (fd 3), keeping the sockets already bound in the host's.
static void stage_ports(void)
{
	prctl(PR_SET_NAME, "podctl-ports", 0, 0, 0);
	if (setns(3, CLONE_NEWUSER | CLONE_NEWNET) < 0)
		fail("setns(pidfd, CLONE_NEWUSER|CLONE_NEWNET) into the pod");
	close(3);
	podctl_stage = PODCTL_STAGE_PORTS;
}

// stage_cni runs a CNI plugin for a rootless CRI server (cri/cni.go): in
// the shared network's user and network namespaces (fds 3 and 4), where a
// plugin is root and its bridge, routes and rules are the node's, it execs
// the plugin named by argv[1] with the environment and standard streams
// libcni gave it (CNI_COMMAND, CNI_NETNS, ...; the configuration on
// stdin, the result on stdout). No Go runtime starts: the exec happens in
// this constructor.
static void stage_cni(char **argv)
{
	prctl(PR_SET_NAME, "podctl-cni", 0, 0, 0);
	enter_shared_fds();
	unsetenv("_PODCTL_STAGE");
	if (argv == NULL || argv[0] == NULL || argv[1] == NULL) {
		errno = 0;
		fail("cni: no plugin to run");
	}
	execv(argv[1], argv + 1);
	fail("cni: exec %s", argv[1]);
}

// The join stage that fork_join_early forked for `podctl exec`, for Go to
// take (nsenter.TakeEarlyJoin): its pid and our end of its sync socket;
// -1 when there is none.
int podctl_early_join_pid = -1;
int podctl_early_join_pidfd = -1;
int podctl_early_join_fd = -1;

// stdio_from_podctl: the first message of an early join stage (forked by
// fork_join_early, or exec'd with _PODCTL_JOIN_STDIO), "stdio T0",
// brings the workload's standard input, output and error (what an exec'd
// stage inherits as 0 to 2) and, when --explain is on, its descriptor with
// the timeline's origin T0. They are moved to 0, 1, 2 (and explain's above
// them) by way of numbers past 9, so that none overwrites another that
// has yet to move.
static void stdio_from_podctl(void)
{
	char buf[64];
	int fds[4], got, high[4];
	char *rest = receive_fds("stdio", buf, sizeof(buf), fds, 4, &got);
	if (got < 3) {
		errno = 0;
		fail("protocol: 'stdio' came with %d file descriptors, not 3 or 4", got);
	}
	for (int i = 0; i < got; i++) {
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			fail("fcntl(F_DUPFD_CLOEXEC) of stdio");
		close(fds[i]);
	}
	for (int i = 0; i < 3; i++) {
		// dup2 clears close-on-exec on the copy: the workload's.
		if (dup2(high[i], i) < 0)
			fail("dup2 of stdio to %d", i);
		close(high[i]);
	}
	if (got == 4) {
		podctl_explain_fd = high[3]; // close-on-exec: never the workload's
		explain_t0 = strtoll(rest, NULL, 10);
	}
}

// The command line's strings, as the constructor got them: one block of
// memory (from argv[0] to the end of the last), which the kernel shows as
// /proc/PID/cmdline.
static char *args_start;
static size_t args_len;

// hide_command_line overwrites the command line in the forked child's
// memory with "podctl-join". The kernel shows /proc/PID/cmdline of the
// child, and of the container's init cloned in its memory, to any process
// that can see the pid, with no ptrace check, unlike environ and mem
// (proc(5)): inside the container, that is the caller's `podctl exec -e
// SECRET=... POD -- ...` and the host path of podctl, until the init's
// execve. An exec'd stage shows the argv podctl gave it, "podctl-join".
// The whole block is zeroed, its last byte too: the kernel reads on into
// the environment when the last byte of the arguments is not a NUL.
static void hide_command_line(void)
{
	static const char name[] = "podctl-join";
	if (args_start == NULL || args_len == 0)
		return;
	memset(args_start, 0, args_len);
	memcpy(args_start, name, args_len - 1 < sizeof(name) - 1 ? args_len - 1 : sizeof(name) - 1);
}

// fork_join_early forks, for `podctl exec`, the join stage that Go would
// otherwise start after its runtime and the command line are up, by an
// execve of this binary (stage_join says what the stage does). The fork
// comes before the Go runtime has started a thread or touched most of its
// memory; the child skips an exec of this binary and libc's static
// start-up (~2 ms on this VM) and waits, at once, for the command's
// standard streams ("stdio", which only Go decides) and then "join".
// Measured here, `podctl exec` is ~0.4 ms faster, not ~2 ms: the fork
// costs ~1.2 ms (a podctl exec --help whose child exits at once takes that
// much longer), of which the fork call is ~0.2-0.3 ms; the rest is spent
// after it, by the Go runtime's start-up, and was not pinned down
// (docs/benchmarks.md, eighth step). It does remove one execve of a large
// binary per exec. Where pods
// may have a cgroup (cgroup v2 is the host's hierarchy), Go would not use
// it (the stage must be born in the container's cgroup), so none is
// forked; nor where anything fails: Go then execs the stage as before.
static void early_join_child(int sv[2]) __attribute__((noreturn));

static void fork_join_early(int argc, char **argv)
{
	// The strings must be one block, as the kernel lays them out, for
	// hide_command_line to cover them all; else no early stage.
	for (int i = 1; i < argc; i++)
		if (argv[i] != argv[i - 1] + strlen(argv[i - 1]) + 1)
			return;
	args_start = argv[0];
	args_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	// With a standard stream closed, a socket would take its number, and
	// Go would take it for that stream.
	if (sv[0] < 3 || sv[1] < 3) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid > 0) {
		close(sv[1]);
		// Its pidfd now, while the child waits on the socket we hold
		// and cannot have exited: later, with SIGCHLD ignored by our
		// caller (inherited), it could have been reaped and its pid
		// reused (pidfd_open(2)).
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			close(sv[0]); // end-of-file: it exits
			waitpid(pid, NULL, 0);
			return;
		}
		podctl_early_join_pid = pid;
		podctl_early_join_pidfd = pidfd;
		podctl_early_join_fd = sv[0];
		return;
	}
	early_join_child(sv);
}

// early_join_child makes the forked child what an exec'd join stage would
// be, then runs it. Where anything fails it exits: podctl then starts one
// the usual way.
static void early_join_child(int sv[2])
{
	prctl(PR_SET_NAME, "podctl-join", 0, 0, 0);
	hide_command_line();
	// Signals: an exec'd stage had Go's dispositions, which reset an
	// inherited SIG_IGN to SIG_DFL for every signal but these six (Go
	// keeps a caller's nohup and job-control ignores). A disposition left
	// ignored would pass through the workload's execve (signal(7)): a
	// SIGPIPE ignored by a systemd unit, or SIGCHLD ignored, which
	// changes how the workload's children are reaped.
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction old;
		if (sig == SIGHUP || sig == SIGINT || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU || sig == SIGCONT)
			continue;
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			signal(sig, SIG_DFL);
	}
	// The child keeps only its socket, as fd 3, as an exec'd stage would:
	// whatever else podctl's caller left open is not the stage's (and not
	// the workload's: init.c marks every descriptor past 2 close-on-exec).
	close(sv[0]);
	if (sv[1] != 3) {
		if (dup3(sv[1], 3, O_CLOEXEC) < 0)
			_exit(1);
		close(sv[1]);
	}
	if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
		_exit(1);
	sync_fd = podctl_sync_fd = 3;
	stdio_from_podctl();
	stage_join(0);
}

// Defined (as 1) only by cmd/podctl, the CLI: a weak reference is NULL in
// the other binaries that link nsenter (podctl-kube, podctl-net, ...).
extern int podctl_cli __attribute__((weak));

// podctl_exec_ns: CLOCK_MONOTONIC when this process's constructor ran, the
// first code of ours after the execve and libc's start: with
// PODCTL_EXPLAIN_TIMES=1, the origin of --explain's timeline, so that it
// shows the Go runtime's start and the command line's parsing too.
long long podctl_exec_ns;

__attribute__((constructor)) static void podctl_nsenter(int argc, char **argv)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	podctl_exec_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	const char *stage = getenv("_PODCTL_STAGE");
	const char *fd = getenv("_PODCTL_SYNC_FD");
	// A pod's supervisor is Go, but its name is best set here, on the main
	// thread, before the runtime starts others (comm is per thread, and ps
	// shows the main thread's). The kernel keeps 15 bytes of it.
	if (getenv("_PODCTL_SUPERVISE") != NULL)
		prctl(PR_SET_NAME, "podctl-supervisor", 0, 0, 0);
	if (stage == NULL) {
		// The Go runtime starts its threads through cgo's pthread_create,
		// and glibc gives each thread that calls malloc an arena of its
		// own (mmap of 64 MB, mprotect, its first pages touched). C code
		// barely allocates here: one arena will do.
		mallopt(M_ARENA_MAX, 1);
		// _PODCTL_NO_EARLY_JOIN: Go execs the stage, to measure one
		// against the other.
		// Only podctl's own command line (cmd/podctl defines
		// podctl_cli): the helpers that link this package have no exec.
		// A helper binary's command is exec'd here (handover.c); podctl's
		// own return.
		if (&podctl_cli != NULL && getenv("_PODCTL_SUPERVISE") == NULL)
			podctl_handover(argc, argv);
		if (&podctl_cli != NULL && argc > 1 && strcmp(argv[1], "exec") == 0 && getenv("_PODCTL_SUPERVISE") == NULL &&
			getenv("_PODCTL_NO_EARLY_JOIN") == NULL) {
			fork_join_early(argc, argv);
			// The plain form, from the pod's exec card, with no Go
			// runtime (execfast.c); returns where it does not apply.
			if (podctl_early_join_fd >= 0)
				podctl_exec_fast(argc, argv);
		}
		return;
	}
	if (strcmp(stage, "keep") == 0)
		podctl_keep(getenv("_PODCTL_KEEP_DIR")); // keeper.c; never returns
	if (strcmp(stage, "netconf") == 0) {
		stage_netconf();
		return;
	}
	if (strcmp(stage, "ports") == 0) {
		stage_ports();
		return;
	}
	if (strcmp(stage, "cni") == 0)
		stage_cni(argc > 1 ? argv : NULL); // never returns
	if (fd == NULL) {
		fprintf(stderr, "podctl: _PODCTL_STAGE set without _PODCTL_SYNC_FD\n");
		_exit(1);
	}
	sync_fd = atoi(fd);
	podctl_sync_fd = sync_fd;
	const char *efd = getenv("_PODCTL_EXPLAIN_FD");
	if (efd != NULL) {
		podctl_explain_fd = atoi(efd);
		const char *t0 = getenv("_PODCTL_EXPLAIN_T0");
		if (t0 != NULL)
			explain_t0 = strtoll(t0, NULL, 10);
	}
	if (strcmp(stage, "pause") == 0)
		stage_pause();
	else if (strcmp(stage, "pause-init") == 0)
		stage_pause_init();
	else if (strcmp(stage, "join") == 0) {
		// _PODCTL_JOIN_STDIO: the conversation of a forked one
		// (fork_join_early), for nsenter's tests.
		if (getenv("_PODCTL_JOIN_STDIO") != NULL)
			stdio_from_podctl();
		stage_join(0);
	}
	else if (strcmp(stage, "userns") == 0)
		stage_userns();
	else if (strcmp(stage, "netns") == 0)
		stage_netns();
	else if (strcmp(stage, "usernest") == 0)
		stage_usernest();
	else {
		errno = 0;
		fail("unknown stage '%s'", stage);
	}
}
