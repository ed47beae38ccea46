// nsenter.h: what the C constructor shares with the Go side of package nsenter.
#ifndef PODCTL_NSENTER_H
#define PODCTL_NSENTER_H

#define PODCTL_STAGE_NONE 0
// The constructor returned in a new user and mount namespace mapped like a
// pod's: the image store helper (podctl-image) runs in Go.
#define PODCTL_STAGE_USERNS 2
#define PODCTL_STAGE_NETCONF 3
#define PODCTL_STAGE_PORTS 4

extern int podctl_stage;
// CLOCK_MONOTONIC, in ns, when the constructor ran (nsenter.c).
extern long long podctl_exec_ns;
extern int podctl_sync_fd;
// podctl exec's join stage, forked by the constructor (fork_join_early):
// its pid, a pidfd of it and our end of its sync socket, or -1.
extern int podctl_early_join_pid;
extern int podctl_early_join_pidfd;
extern int podctl_early_join_fd;
// --explain's descriptor (_PODCTL_EXPLAIN_FD), or -1: every C stage writes
// its lines there.
extern int podctl_explain_fd;
#include <stdarg.h>
// Writes one --explain line for role (nsenter.c), with a timestamp when
// PODCTL_EXPLAIN_TIMES=1.
void podctl_explain_line(const char *role, const char *fmt, va_list ap);

// Drops the page-table entries of read-only file mappings that hold no
// copied-on-write page (nsenter.c); used by the pause and the keeper.
void podctl_shed_file_pages(void);
// `podctl exec POD -- CMD` in C (execfast.c), with the stage that
// fork_join_early forked: returns only where it does not apply, having
// sent nothing; else the process exits with the command's code.
void podctl_exec_fast(int argc, char **argv);
// podctl_send_fds sends msg (len bytes) as one datagram on sock, with up
// to PODCTL_SEND_MAX_FDS descriptors attached (SCM_RIGHTS, unix(7));
// MSG_NOSIGNAL: a peer that died is an error, not a SIGPIPE (sockmsg.c).
// 0, or -1 with errno.
#include <stddef.h>
#define PODCTL_SEND_MAX_FDS 4
int podctl_send_fds(int sock, const void *msg, size_t len, const int *fds, int nfds);
// The keep stage (keeper.c); never returns.
void podctl_keep(const char *pod_dir) __attribute__((noreturn));

#endif
