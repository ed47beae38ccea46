// keeper.c: the supervisor of an idle pod, in C.
//
// A detached pod supervisor (sandbox/supervisor/supervisor.go) is Go, and a Go process
// keeps ~3 MB resident however little it does. Most of a pod's life is
// idle, and every pod has a supervisor, so when nothing has happened for a
// while the Go supervisor execve(2)s this stage: same pid, same children
// (the containers stay its children, so their exit statuses stay ours),
// same open descriptors. What is left to do while idle is small enough for
// C: copy the containers' output into their CRI logs, and wait. Anything
// else (a container exits, the pause or the network helper dies, a command connects to the
// control socket, a restart back-off ends) execs the Go supervisor again,
// which picks up from state.json and the descriptors it is handed.
//
// The descriptors travel in _PODCTL_KEEP, a list of space-separated
// tokens, written by sandbox/supervisor/hibernate.go and read back by it:
//   lock=FD ctl=FD pause=FD net=FD wake=UNIXMILLIS
//   c=NAME,PIDFD,OUT,ERR,LOG,OPEN,DROPPED,MAX ... i=NAME,FD ...
// (net, the pidfd of the pod's pasta or slirp4netns, is -1 without one)
// (OUT or ERR is -1 once that pipe reached end-of-file; wake is 0 for none)
// (OPEN: which streams have a line open, their last record P: 1 stdout,
// 2 stderr; DROPPED: bytes of records not written for want of space; MAX:
// the size at which the log is rotated, 0 for never)
// (i: the write end of a container's stdin, kept open for podctl attach
// and only handed back; -1 once stdinOnce closed it).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "nsenter.h"

// The most c= (and i=) entries the keeper holds: a running container
// takes two c= entries (its process; its pipes and log). nsenter.MaxKept
// in keepspec.go says the same, and a supervisor with more stays awake
// (sandbox/supervisor/hibernate.go): a list the keeper cannot hold would
// leave the pod unwatched. Static, in .bss: pages of it that no container
// uses are never touched.
#define MAX_CTRS 256
// The CRI log's longest record, as in sandbox/crilog/crilog.go: a longer line is
// cut into partial (P) records of this size.
#define MAX_LINE 16384
// The reserve, as in sandbox/crilog/room.go: records are dropped while the
// log's filesystem has no more than a tenth of its size (at most
// RESERVE_MAX) free, so that container output never takes the space
// podctl's own state needs; statfs(2) is asked every CHECK_EVERY bytes.
#define RESERVE_MAX (32LL << 20)
// The most a record of one byte of content takes: the timestamp (30), the
// stream and tag with their spaces (10), the byte and the newline.
#define RECORD_MAX 42
#define CHECK_EVERY (64LL << 10)

struct stream {
	int fd;		// pipe from the container, -1 at end-of-file
	const char *name; // "stdout" or "stderr"
	char *buf;	// a line not yet logged (allocated on first use)
	size_t len;
	int open;	// the last record was P: the line goes on
};

struct ctr {
	char name[64];
	int pidfd, log;
	struct stream out, err;
	long long size;	    // bytes in the log
	long long since;    // bytes of records since the last statfs
	int checked, low;   // statfs asked; it found the reserve reached
	long long dropped;  // bytes of records not written
	long long max;	    // rotate at this size (0: never)
};

static struct ctr ctrs[MAX_CTRS];

// A container's stdin, held (never written) so that the workload does not
// read end-of-file while its supervisor sleeps.
struct in {
	char name[64];
	int fd;
};
static struct in ins[MAX_CTRS];
static int nins;
static int nctrs, lock_fd = -1, ctl_fd = -1, pause_fd = -1, net_fd = -1;
static long long wake_ms;
static char *dir;

// put writes the n-digit decimal v at p.
static char *put(char *p, long v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = '0' + v % 10;
	return p + n;
}

// timestamp writes the current time as RFC 3339 with nanoseconds in UTC
// ("2006-01-02T15:04:05.999999999Z", 30 bytes) at p. By hand, not with
// gmtime_r and snprintf: each libc function the keeper touches maps 64 KiB
// of the binary back in (see podctl_shed_file_pages), and those two are
// large. The date is Howard Hinnant's civil_from_days.
static char *timestamp(char *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
	long z = days + 719468, era = z / 146097, doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long y = yoe + era * 400 + (m <= 2);
	p = put(p, y, 4);
	*p++ = '-';
	p = put(p, m, 2);
	*p++ = '-';
	p = put(p, d, 2);
	*p++ = 'T';
	p = put(p, secs / 3600, 2);
	*p++ = ':';
	p = put(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put(p, secs % 60, 2);
	*p++ = '.';
	p = put(p, ts.tv_nsec, 9);
	*p++ = 'Z';
	return p;
}

// room says whether a record of n bytes may be written to c's log,
// counting it as dropped if not.
static int room(struct ctr *c, long long n)
{
	c->since += n;
	if (!c->checked || c->since >= CHECK_EVERY) {
		struct statfs st;
		if (fstatfs(c->log, &st) == 0) {
			long long total = (long long)st.f_blocks * st.f_bsize, reserve = total / 10;
			if (reserve > RESERVE_MAX)
				reserve = RESERVE_MAX;
			c->low = (long long)st.f_bavail * st.f_bsize <= reserve + n;
		}
		c->checked = 1;
		c->since = 0;
	}
	if (c->low)
		c->dropped += n;
	return !c->low;
}

// record appends one CRI record to a container's log with one writev(2),
// so that records of the two streams never interleave inside a line.
static void record(struct ctr *c, struct stream *s, char tag, const char *p, size_t n)
{
	char head[64], *h = timestamp(head);
	*h++ = ' ';
	memcpy(h, s->name, 6); // "stdout" or "stderr"
	h += 6;
	*h++ = ' ';
	*h++ = tag;
	*h++ = ' ';
	struct iovec iov[3] = {{head, h - head}, {(void *)p, n}, {"\n", 1}};
	long long len = (h - head) + n + 1;
	s->open = tag == 'P';
	if (!room(c, len))
		return;
	// A full disk must not stall the container on a full pipe: the
	// record is dropped, as the Go pump does; a short write (ENOSPC
	// midway) is cut off again, so the next record starts a line.
	ssize_t w;
	while ((w = writev(c->log, iov, 3)) < 0 && errno == EINTR)
		;
	if (w == len) {
		c->size += w;
		return;
	}
	c->dropped += len;
	if (w > 0 && ftruncate(c->log, c->size) < 0)
		c->size += w;
}

// drain reads what a container wrote and logs its complete lines; a line
// of MAX_LINE bytes without a newline goes out as a P record.
static void drain(struct ctr *c, struct stream *s)
{
	if (s->buf == NULL) {
		// Its own mapping, whose pages go back to the kernel when idle.
		s->buf = mmap(NULL, MAX_LINE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->buf == MAP_FAILED) {
			s->buf = NULL;
			return;
		}
	}
	// Near a log's size limit, read no more than can be logged below
	// it: every byte read may become a record of its own, a header and a
	// newline (RECORD_MAX bytes), and the records of a read are all
	// written before the keeper can wake the supervisor to rotate.
	size_t want = MAX_LINE - s->len;
	if (c->max > 0) {
		long long fit = (c->max - c->size) / RECORD_MAX;
		if (fit < (long long)want)
			want = fit > 0 ? fit : 1;
	}
	ssize_t n = read(s->fd, s->buf + s->len, want);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) { // end-of-file (or an error that ends it): the rest is a line
		// An open line is closed, even with nothing left: its P records
		// (ours, or the Go pump's before it) wait for an F.
		if (s->len > 0 || s->open)
			record(c, s, 'F', s->buf, s->len);
		s->len = 0;
		close(s->fd);
		s->fd = -1;
		return;
	}
	s->len += n;
	char *start = s->buf, *nl;
	while ((nl = memchr(start, '\n', s->len - (start - s->buf))) != NULL) {
		record(c, s, 'F', start, nl - start);
		start = nl + 1;
	}
	s->len -= start - s->buf;
	memmove(s->buf, start, s->len);
	if (s->len == MAX_LINE) {
		record(c, s, 'P', s->buf, s->len);
		s->len = 0;
	}
}

// parse reads _PODCTL_KEEP; it returns -1 on anything malformed.
static int parse(char *spec)
{
	for (char *tok = strtok(spec, " "); tok; tok = strtok(NULL, " ")) {
		if (sscanf(tok, "lock=%d", &lock_fd) == 1 || sscanf(tok, "ctl=%d", &ctl_fd) == 1 ||
		    sscanf(tok, "pause=%d", &pause_fd) == 1 || sscanf(tok, "net=%d", &net_fd) == 1 ||
		    sscanf(tok, "wake=%lld", &wake_ms) == 1)
			continue;
		if (nins < MAX_CTRS && sscanf(tok, "i=%63[^,],%d", ins[nins].name, &ins[nins].fd) == 2) {
			nins++;
			continue;
		}
		struct ctr *c = &ctrs[nctrs];
		int open;
		if (nctrs < MAX_CTRS && sscanf(tok, "c=%63[^,],%d,%d,%d,%d,%d,%lld,%lld", c->name, &c->pidfd, &c->out.fd, &c->err.fd, &c->log, &open,
					  &c->dropped, &c->max) == 8) {
			c->out.name = "stdout";
			c->err.name = "stderr";
			c->out.open = open & 1;
			c->err.open = (open & 2) != 0;
			struct stat st;
			c->size = c->log >= 0 && fstat(c->log, &st) == 0 ? st.st_size : 0;
			nctrs++;
			continue;
		}
		return -1;
	}
	return ctl_fd >= 0 && pause_fd >= 0 && lock_fd >= 0 ? 0 : -1;
}

// resume execs the Go supervisor again, handing it the same descriptors.
static void resume(void) __attribute__((noreturn));
static void resume(void)
{
	// Lines cut here are continued by the Go pump: P records, as CRI
	// readers expect of a line that goes on in the next record.
	for (int i = 0; i < nctrs; i++) {
		struct stream *ss[2] = {&ctrs[i].out, &ctrs[i].err};
		for (int j = 0; j < 2; j++)
			if (ss[j]->len > 0)
				record(&ctrs[i], ss[j], 'P', ss[j]->buf, ss[j]->len);
	}
	static char spec[8192];
	int n = snprintf(spec, sizeof(spec), "_PODCTL_KEEP=lock=%d ctl=%d pause=%d net=%d wake=%lld", lock_fd, ctl_fd, pause_fd, net_fd, wake_ms);
	for (int i = 0; i < nctrs && n < (int)sizeof(spec); i++)
		n += snprintf(spec + n, sizeof(spec) - n, " c=%s,%d,%d,%d,%d,%d,%lld,%lld", ctrs[i].name, ctrs[i].pidfd,
			      ctrs[i].out.fd, ctrs[i].err.fd, ctrs[i].log, ctrs[i].out.open | ctrs[i].err.open << 1, ctrs[i].dropped,
			      ctrs[i].max);
	for (int i = 0; i < nins && n < (int)sizeof(spec); i++)
		n += snprintf(spec + n, sizeof(spec) - n, " i=%s,%d", ins[i].name, ins[i].fd);
	// Our environment, minus the stage, plus what the Go side looks for.
	extern char **environ;
	int envc = 0;
	while (environ[envc])
		envc++;
	char **env = calloc(envc + 3, sizeof(char *));
	int k = 0;
	for (int i = 0; i < envc; i++)
		if (strncmp(environ[i], "_PODCTL_", 8) != 0)
			env[k++] = environ[i];
	env[k++] = "_PODCTL_SUPERVISE=resume";
	env[k++] = spec;
	char *argv[] = {"podctl-supervisor", dir, NULL};
	execve("/proc/self/exe", argv, env);
	// Nothing can supervise the pod any more; the lock goes with us and
	// podctl ps reports the pod Unknown (SupervisorLost).
	_exit(127);
}

// idle drops what a burst of output made resident.
static void idle(void)
{
	for (int i = 0; i < nctrs; i++) {
		struct stream *ss[2] = {&ctrs[i].out, &ctrs[i].err};
		for (int j = 0; j < 2; j++)
			if (ss[j]->buf && ss[j]->len == 0)
				madvise(ss[j]->buf, MAX_LINE, MADV_DONTNEED);
	}
	podctl_shed_file_pages();
}

void podctl_keep(const char *pod_dir)
{
	prctl(PR_SET_NAME, "podctl-keeper", 0, 0, 0);
	char *spec = getenv("_PODCTL_KEEP");
	dir = strdup(pod_dir ? pod_dir : "");
	if (spec == NULL || pod_dir == NULL || parse(strdup(spec)) < 0)
		_exit(126);
	podctl_shed_file_pages();

	enum { FIXED = 3 }; // ctl, pause, net; then 3 per container
	struct pollfd fds[FIXED + 3 * MAX_CTRS];
	int busy = 0;
	for (;;) {
		int nfds = 0;
		fds[nfds++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
		fds[nfds++] = (struct pollfd){.fd = pause_fd, .events = POLLIN};
		fds[nfds++] = (struct pollfd){.fd = net_fd, .events = POLLIN};
		for (int i = 0; i < nctrs; i++) {
			fds[nfds++] = (struct pollfd){.fd = ctrs[i].pidfd, .events = POLLIN};
			// poll(2) ignores negative descriptors: ended pipes.
			fds[nfds++] = (struct pollfd){.fd = ctrs[i].out.fd, .events = POLLIN};
			fds[nfds++] = (struct pollfd){.fd = ctrs[i].err.fd, .events = POLLIN};
		}
		int timeout = busy ? 1000 : -1; // after output: shed when quiet again
		if (wake_ms > 0) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			long long left = wake_ms - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
			if (left <= 0)
				resume();
			if (timeout < 0 || left < timeout)
				timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		int n = poll(fds, nfds, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && busy) {
			// A second without output: give back what the burst
			// touched, the code and the empty line buffers.
			busy = 0;
			idle();
			continue;
		}
		if (n <= 0)
			resume(); // the wake-up time, or poll failing: let Go look
		// A command at the control socket, the pause, the network
		// helper or a container gone: events for the Go supervisor.
		// Output first, so that the log is complete when it looks.
		int wake = fds[0].revents || fds[1].revents || fds[2].revents;
		for (int i = 0; i < nctrs; i++) {
			struct pollfd *p = &fds[FIXED + 3 * i];
			if (p[1].revents)
				drain(&ctrs[i], &ctrs[i].out);
			if (p[2].revents)
				drain(&ctrs[i], &ctrs[i].err);
			// A full log: the Go supervisor rotates it
			// (sandbox/crilog/rotate.go) as it takes it back.
			wake |= ctrs[i].max > 0 && ctrs[i].size >= ctrs[i].max;
			busy |= p[1].revents || p[2].revents;
			wake |= p[0].revents != 0;
		}
		if (wake)
			resume();
	}
}
