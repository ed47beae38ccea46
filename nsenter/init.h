// init.h: the container's init, in C (init.c, initplan.c, initfs.c).
//
// The join stage (nsenter.c) forks the init into the pod's namespaces; the
// init receives a plan from podctl over the sync socket and carries it out
// without a Go runtime: the steps of the container's root filesystem, in
// the order podctl listed them, then its user, terminal, capabilities,
// no_new_privs, seccomp filter and execve. podctl decided everything
// (paths, mounts, flags, the compiled filter); the init only does it and
// reports the first step that fails, with its errno.
//
// The plan (nsenter/initplan.go writes it) is "plan\0" then operations,
// each its name and a fixed number of arguments, every one NUL-terminated;
// "seccomp" alone is followed by its byte count and that many raw bytes
// (struct sock_filter entries).
#ifndef PODCTL_INIT_H
#define PODCTL_INIT_H

#include <stddef.h>
#include <sys/types.h>

// One step of the container's root filesystem: an operation of initfs's
// table and its arguments, pointing into the plan's buffer.
#define INIT_MAX_ARGS 8
struct init_step {
	const char *op;
	const char *arg[INIT_MAX_ARGS];
	int held; // a "shared" volume's clone, taken by "slave" (init.c); else -1
};

struct init_plan {
	const char *where;       // "container C of pod P": the start of every error
	struct init_step *steps; // the filesystem, in order (none for exec)
	size_t nsteps;
	int have_user;           // user: resolved in the container's /etc
	const char *user_spec;   // as the user gave it (-u), for messages
	const char *user_part;   // name or uid; "" = the image's default (root)
	const char *group_part;  // name or gid; "" = the user's primary group
	unsigned long long ids_mapped;
	int run_as_non_root;
	int tty;
	int exec;            // podctl exec: join a container's root, build none
	const char **env;    // KEY=VALUE; NULL where the resolved HOME goes
	size_t nenv;
	const char *cwd;
	int privileged;      // keep every capability, no no_new_privs
	int last_cap;        // the kernel's highest capability (cap_last_cap)
	unsigned long long caps; // the kept capabilities, bit N = capability N
	const char *cap_names;   // their names, for --explain
	int setgroups;       // 0 where the pod's user namespace denies setgroups(2)
	const char *groups;  // supplementary gids to add, space-separated, or NULL
	int groups_strict;   // none of /etc/group's: only the primary and groups
	int privesc;         // no no_new_privs: setuid and file caps work
	const unsigned char *seccomp; // struct sock_filter entries, or NULL
	size_t seccomp_len;
	int seccomp_notify;  // install with a listener for podctl (--port-bypass)
	const char **argv;   // NULL-terminated
	size_t nargv;
};

// initplan.c: parsing and the pure parts (unit-tested by nsenter/ctest).

// init_parse_plan fills plan from buf (len bytes; it keeps pointers into
// buf). On a malformed plan it returns -1 and says why in err.
int init_parse_plan(const char *buf, size_t len, struct init_plan *plan, char *err, size_t errlen);

struct init_cred {
	unsigned int uid, gid;
	unsigned int *groups; // supplementary, malloc'd
	size_t ngroups;
	char home[1024];
};

// init_resolve_user resolves the plan's user with the passwd and group
// files given (the container's /etc/passwd and /etc/group); -1 with a
// message in err when it cannot.
int init_resolve_user(const struct init_plan *plan, const char *passwd, const char *group, struct init_cred *cred, char *err, size_t errlen);

// init_look_path finds argv[0] in the PATH of env as execvp(3) would,
// into out; on failure it returns the shell's exit code (127: not found,
// 126: found but not runnable) and a message in err.
int init_look_path(const char *name, const char *const *env, size_t nenv, char *out, size_t outlen, char *err, size_t errlen);

// initfs.c: paths inside the container's root, resolved by descriptor
// with openat2(2) and RESOLVE_IN_ROOT, so that a symlink of the image's
// cannot take a mount outside it (CVE-2019-16884, CVE-2021-30465). On
// failure they return -1 with errno set and a message in init_fs_err.
extern char init_fs_err[512];
int init_open_in(int root, const char *path, int flags, mode_t mode);
int init_mkdir_all_in(int root, const char *path);
int init_file_in(int root, const char *path);
int init_open_source(const char *path);

// init.c: run the init on the sync socket; never returns.
void podctl_init(int sync_fd) __attribute__((noreturn));

#endif
