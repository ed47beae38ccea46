// execfast.c: `podctl exec [-i] POD -- CMD [ARG...]`, the plain form, carried
// out by the constructor with no Go runtime at all.
//
// Why: podctl's own start (the Go runtime and its package initializers,
// the state read and decoded) is ~5-7 ms of an exec's ~16 here, and every
// decision it makes for the plain form is the same for every exec into
// the same run of a container. The pod's supervisor writes those
// decisions, once per run of the main container, as the exec card
// (execcard.h); this file reads the card, checks it against the running
// process, and holds the conversation with the join stage that
// fork_join_early forked, as sandbox/exec.go and sandbox/stage/join.go
// would (sync.go documents it).
//
// Anything it is not sure of makes it return before it has sent a word,
// and Go goes on as before, with the same stage: flags, a pod name that
// is not a plain one, a terminal on stdout or stderr, or with -i on stdin
// (Go relays one
// through a pipe, CVE-2017-5226), a state directory that is not private,
// no card, a card that does not parse, another boot, a process that is
// gone or is not the one the card names (its start time), a plan too
// large for one datagram. Once it has sent "stdio" it owns the exec to its
// end: errors are reported as Go reports them ("podctl: ...", exit code
// 125, or the init's 126 and 127), and podctl exits with the command's
// exit code (128+N for a death by signal N).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "execcard.h"
#include "nsenter.h"

// The largest card read (a plan rides inline in one datagram, at most
// 32 KiB: sandbox/wire.InlineMax; larger ones are left to Go, which sends
// them in a memfd).
#define CARD_MAX (40 << 10)
#define PLAN_INLINE_MAX (32 << 10)

// read_small reads all of fd (at most max bytes) into buf; its length, or
// -1 if it is longer or a read fails.
static ssize_t read_small(int fd, char *buf, size_t max)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return (ssize_t)n;
		n += (size_t)r;
		if (n > max)
			return -1;
	}
}

// state_dir opens the pod's state directory as Go's model.StateRoot and
// ReadState find it: /run/podctl as root, else $XDG_RUNTIME_DIR/podctl,
// which must be a directory of ours that nobody else may enter
// (model.PrivateDir). No symlink is followed anywhere on the way. -1 if
// any of it does not hold (Go then says what).
static int state_dir(const char *pod)
{
	char root[4096];
	if (getuid() == 0) {
		snprintf(root, sizeof(root), "/run/podctl");
	} else {
		const char *x = getenv("XDG_RUNTIME_DIR");
		if (x == NULL || x[0] != '/' || snprintf(root, sizeof(root), "%s/podctl", x) >= (int)sizeof(root))
			return -1;
	}
	int dir = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (dir < 0)
		return -1;
	if (getuid() != 0 && (fstat(dir, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 077) != 0)) {
		close(dir);
		return -1;
	}
	int pods = openat(dir, "pods", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (pods < 0)
		return -1;
	int pd = openat(pods, pod, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(pods);
	return pd;
}

// read_card reads the pod's exec card into buf: a regular file of ours
// (O_NONBLOCK: a FIFO put there would not hold us), at most CARD_MAX
// bytes; parsed into card. -1 if any of it fails.
static int read_card(const char *pod, char *buf, struct exec_card *card)
{
	int dir = state_dir(pod);
	if (dir < 0)
		return -1;
	int fd = openat(dir, "exec.card", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return -1;
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid())
		n = read_small(fd, buf, CARD_MAX); // -1 past CARD_MAX
	close(fd);
	char err[128];
	if (n < 0 || exec_card_parse(buf, (size_t)n, card, err, sizeof(err)) < 0)
		return -1;
	return 0;
}

// same_boot: the card was written since this boot (model.BootID): after a
// reboot its pid names some other process.
static int same_boot(const struct exec_card *card)
{
	char b[64];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read_small(fd, b, sizeof(b) - 1);
	close(fd);
	if (n < 37 || b[36] != '\n')
		return 0;
	return memcmp(b, card->boot, 36) == 0;
}

// alive_since: process pid is not a zombie and started at starttime, as
// model.ProcRef.Alive checks: /proc/PID/stat's state (field 3) and start
// time (field 22). For the container, read after its pidfd was opened, so
// that the pidfd names the process checked.
static int alive_since(long long pid, unsigned long long starttime)
{
	char path[64], b[1024];
	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read_small(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after the last ')'.
	char *p = strrchr(b, ')');
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2; // field 3
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return 0;
		p++;
	}
	char *end;
	errno = 0;
	unsigned long long t = strtoull(p, &end, 10);
	return errno == 0 && end != p && (*end == ' ' || *end == '\0') && t == starttime;
}

// same_binary: the card was written by this very binary (execcard.h):
// the plan is in the format its init.c reads. A supervisor started
// before an upgrade runs the old binary still.
static int same_binary(const struct exec_card *card)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return 0;
	return card->exe[0] == (unsigned long long)st.st_dev && card->exe[1] == (unsigned long long)st.st_ino &&
	       card->exe[2] == (unsigned long long)st.st_size && card->exe[3] == (unsigned long long)st.st_mtim.tv_sec &&
	       card->exe[4] == (unsigned long long)st.st_mtim.tv_nsec;
}

// is_terminal: fd is a terminal (isatty(3), without its errno).
static int is_terminal(int fd)
{
	struct termios t;
	return ioctl(fd, TCGETS, &t) == 0;
}

// recv_msg reads one datagram into buf (NUL-terminated); descriptors that
// came with it are closed: none of the messages the plain form can get
// carries one it needs. Its length, 0 at end-of-file, -1 on error.
static ssize_t recv_msg(int sock, char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -1;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		n = -1;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				close(fd);
			}
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

// The exec under way, for fast_fail.
static struct {
	int sock;
	pid_t init;
	char container[64];
} fx = {-1, 0, ""};

// fast_fail ends a committed exec that failed as stage.Abandon does (the
// socket closed, the init and the join stage killed and reaped), reports
// msg as podctl's main does, and exits with code.
static void fast_fail(int code, const char *msg) __attribute__((noreturn));
static void fast_fail(int code, const char *msg)
{
	close(fx.sock);
	if (fx.init > 0) {
		kill(fx.init, SIGKILL);
		while (waitpid(fx.init, NULL, 0) < 0 && errno == EINTR)
			;
	}
	syscall(SYS_pidfd_send_signal, podctl_early_join_pidfd, SIGKILL, NULL, 0);
	while (waitpid(podctl_early_join_pid, NULL, 0) < 0 && errno == EINTR)
		;
	dprintf(2, "podctl: %s\n", msg);
	_exit(code);
}

// wait_code reaps pid and returns its exit code as a shell says it.
static int wait_code(pid_t pid)
{
	int ws;
	pid_t r;
	while ((r = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

void podctl_exec_fast(int argc, char **argv)
{
	static char card_buf[CARD_MAX + 1], plan[PLAN_INLINE_MAX];
	struct exec_card card;
	// The plain form only: exec [-i] POD -- CMD [ARG...]. Other flags, and
	// a pod given by id, are Go's.
	int at = 2, interactive = 0;
	if (argc > 2 && (strcmp(argv[2], "-i") == 0 || strcmp(argv[2], "--interactive") == 0))
		interactive = 1, at = 3;
	if (argc < at + 3 || strcmp(argv[1], "exec") != 0 || !exec_card_dns_label(argv[at]) ||
		strcmp(argv[at + 1], "--") != 0 || getenv("_PODCTL_NO_FAST_EXEC") != NULL)
		return;
	const char *pod = argv[at];
	if (is_terminal(1) || is_terminal(2) || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
		return;
	// With -i the command gets our stdin itself, as Go gives it when it
	// is a file that is not a terminal (a terminal Go relays).
	if (interactive && (is_terminal(0) || fcntl(0, F_GETFD) < 0))
		return;
	// The card must be this pod's, this boot's and this binary's, and the
	// pod's pause alive: a pod whose pause is gone is lost, and Go's path
	// refuses it (model.Observe).
	if (read_card(pod, card_buf, &card) < 0 || strcmp(card.pod, pod) != 0 || !same_boot(&card) ||
		!same_binary(&card) || !alive_since(card.pause_pid, card.pause_starttime))
		return;
	// The plan: the card's, then the command (init.h's "arg" operation).
	size_t len = card.plan_len;
	if (len > sizeof(plan))
		return;
	memcpy(plan, card.plan, len);
	for (int i = at + 2; i < argc; i++) {
		size_t al = strlen(argv[i]);
		if (len + 4 + al + 1 > sizeof(plan))
			return;
		memcpy(plan + len, "arg", 4);
		memcpy(plan + len + 4, argv[i], al + 1);
		len += 4 + al + 1;
	}
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		return;
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)card.pid, 0);
	if (pidfd < 0 || !alive_since(card.pid, card.starttime)) {
		if (pidfd >= 0)
			close(pidfd);
		close(devnull);
		return;
	}

	// The command's stdio: /dev/null (our stdin with -i), our stdout and
	// stderr, none a terminal (checked above). If the stage cannot take it
	// (it died), nothing was delivered: Go's path starts another one, as
	// it does when its own "stdio" fails (EarlyExecJoin).
	int stdio[3] = {interactive ? 0 : devnull, 1, 2};
	int sent = podctl_send_fds(podctl_early_join_fd, "stdio 0", 7, stdio, 3);
	close(devnull);
	if (sent < 0) {
		close(pidfd);
		return;
	}

	// Committed: from here on this exec is ours to its end. A SIGCHLD
	// that our caller ignored would have the kernel reap the workload,
	// whose status we report (wait(2)).
	signal(SIGCHLD, SIG_DFL);
	fx.sock = podctl_early_join_fd;
	snprintf(fx.container, sizeof(fx.container), "%s", card.container);
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "join %#x 0x0", card.setns_flags);
	if (podctl_send_fds(fx.sock, msg, (size_t)n, &pidfd, 1) < 0) {
		snprintf(msg, sizeof(msg), "sending to the exec stage in pod %s: %s", pod, strerror(errno));
		fast_fail(125, msg);
	}
	close(pidfd);
	// The join stage's first word: "pid", or its own failure (Go's
	// SyncSocket.RecvText words, its peer named as EarlyExecJoin names it).
	ssize_t r = recv_msg(fx.sock, msg, sizeof(msg));
	if (r <= 0) {
		snprintf(card_buf, sizeof(card_buf), "the exec stage in pod %s exited before finishing its setup", pod);
		fast_fail(125, card_buf);
	}
	if (strncmp(msg, "error ", 6) == 0) {
		snprintf(card_buf, sizeof(card_buf), "the exec stage in pod %s: %s", pod, msg + 6);
		fast_fail(125, card_buf);
	}
	if (strncmp(msg, "pid ", 4) != 0) {
		snprintf(card_buf, sizeof(card_buf), "join stage: expected 'pid', got \"%.40s\"", msg);
		fast_fail(125, card_buf);
	}
	char *end;
	long ipid = strtol(msg + 4, &end, 10);
	fx.init = *end == '\0' && ipid > 0 && ipid <= (1 << 22) ? (pid_t)ipid : 0;
	if (fx.init <= 0) {
		snprintf(card_buf, sizeof(card_buf), "join stage sent a bad pid %.40s", msg + 4);
		fast_fail(125, card_buf);
	}
	if (podctl_send_fds(fx.sock, plan, len, NULL, 0) < 0) {
		snprintf(msg, sizeof(msg), "sending to the exec stage in pod %s: %s", pod, strerror(errno));
		fast_fail(125, msg);
	}
	// The init's answers, until its exec closes the socket (join.go).
	for (int execing = 0;;) {
		r = recv_msg(fx.sock, msg, sizeof(msg));
		if (r == 0 && execing)
			break;
		if (r == 0) {
			snprintf(card_buf, sizeof(card_buf), "container %s: init exited during setup", fx.container);
			fast_fail(125, card_buf);
		}
		if (r < 0) {
			snprintf(card_buf, sizeof(card_buf), "container %s: reading from its init: %s", fx.container, strerror(errno));
			fast_fail(125, card_buf);
		}
		if (strcmp(msg, "execing") == 0) {
			execing = 1;
		} else if (strncmp(msg, "error ", 6) == 0) {
			fast_fail(125, msg + 6);
		} else if (strncmp(msg, "exit ", 5) == 0) {
			// 126 or 127: the command cannot run, as a shell says.
			char *rest;
			long code = strtol(msg + 5, &rest, 10);
			if (rest == msg + 5 || *rest != ' ' || code < 1 || code > 255) {
				snprintf(card_buf, sizeof(card_buf), "container %s: bad exit message from init: \"%.40s\"", fx.container, msg + 5);
				fast_fail(125, card_buf);
			}
			fast_fail((int)code, rest + 1);
		} else {
			snprintf(card_buf, sizeof(card_buf), "container %s: unexpected message \"%.40s\" from init", fx.container, msg);
			fast_fail(125, card_buf);
		}
	}
	// The join stage sleeps until the init has exec'd (CLONE_VFORK),
	// then exits 0; the init is our child (CLONE_PARENT).
	int jc = wait_code(podctl_early_join_pid);
	if (jc != 0) {
		snprintf(card_buf, sizeof(card_buf), "join stage of container %s: exit status %d", fx.container, jc);
		fast_fail(125, card_buf);
	}
	close(podctl_early_join_pidfd);
	close(fx.sock);
	int code = wait_code(fx.init);
	if (code < 0) {
		snprintf(card_buf, sizeof(card_buf), "waiting for pid %d: %s", (int)fx.init, strerror(errno));
		dprintf(2, "podctl: %s\n", card_buf);
		_exit(125);
	}
	_exit(code);
}
