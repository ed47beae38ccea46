// initplan.c: the container init's pure parts, which nsenter/ctest tests
// without namespaces: reading the plan podctl sent (init.h has its format),
// the workload's user from the container's /etc/passwd and /etc/group,
// and the search of its executable in PATH.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

// The operations of a plan and how many arguments each takes. Steps of the
// filesystem (initfs's, run in order by init.c) are marked; the others set
// a field of the plan.
static const struct {
	const char *name;
	int nargs;
	int step;
} ops[] = {
	// the filesystem: see run_step in init.c
	{"private", 0, 1}, {"slave", 0, 1}, {"layer", 8, 1}, {"root", 1, 1}, {"mount", 7, 1}, {"sysfs", 1, 1},
	{"mask", 1, 1}, {"readonly", 1, 1}, {"hostdev", 1, 1}, {"symlink", 3, 1},
	{"bindfile", 2, 1}, {"volume", 4, 1}, {"imagevol", 3, 1}, {"mkdir", 1, 1}, {"rootro", 0, 1}, {"pivot", 0, 1},
	// the process
	{"where", 1, 0}, {"user", 5, 0}, {"tty", 0, 0}, {"exec", 0, 0}, {"env", 1, 0},
	{"envhome", 0, 0}, {"cwd", 1, 0}, {"caps", 3, 0}, {"privileged", 0, 0},
	{"setgroups", 0, 0}, {"groups", 2, 0}, {"privesc", 0, 0}, {"arg", 1, 0}, {"seccomp", 2, 0},
};

// next returns the NUL-terminated string at *pos and moves past it, or
// NULL if the buffer ends first.
static const char *next(const char *buf, size_t len, size_t *pos)
{
	if (*pos >= len)
		return NULL;
	const char *s = buf + *pos;
	const char *nul = memchr(s, '\0', len - *pos);
	if (nul == NULL)
		return NULL;
	*pos += (size_t)(nul - s) + 1;
	return s;
}

// grow makes room for one more element in a malloc'd array.
static int grow(void *arrp, size_t n, size_t size)
{
	void **arr = arrp;
	if ((n & (n - 1)) != 0 && n != 0)
		return 0; // not at a power of two: room left
	size_t cap = n == 0 ? 8 : n * 2;
	void *p = realloc(*arr, cap * size);
	if (p == NULL)
		return -1;
	*arr = p;
	return 0;
}

static int parse_ull(const char *s, int base, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, base);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

int init_parse_plan(const char *buf, size_t len, struct init_plan *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->where = "container";
	size_t pos = 0;
	const char *magic = next(buf, len, &pos);
	if (magic == NULL || strcmp(magic, "plan") != 0) {
		seterr(err, errlen, "not a plan");
		return -1;
	}
	while (pos < len) {
		const char *name = next(buf, len, &pos);
		size_t i;
		for (i = 0; name != NULL && i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(ops[i].name, name) == 0)
				break;
		if (name == NULL || i == sizeof(ops) / sizeof(ops[0])) {
			seterr(err, errlen, "unknown operation '%.40s'", name ? name : "(truncated)");
			return -1;
		}
		const char *a[INIT_MAX_ARGS] = {0};
		for (int k = 0; k < ops[i].nargs; k++)
			if ((a[k] = next(buf, len, &pos)) == NULL) {
				seterr(err, errlen, "operation '%s' is cut short", name);
				return -1;
			}
		if (ops[i].step) {
			if (grow(&p->steps, p->nsteps, sizeof(*p->steps)) < 0)
				goto nomem;
			struct init_step *s = &p->steps[p->nsteps++];
			s->op = ops[i].name;
			memcpy(s->arg, a, sizeof(a));
			s->held = -1;
			continue;
		}
		unsigned long long n;
		if (strcmp(name, "where") == 0) {
			p->where = a[0];
		} else if (strcmp(name, "user") == 0) {
			p->have_user = 1;
			p->user_spec = a[0];
			p->user_part = a[1];
			p->group_part = a[2];
			p->run_as_non_root = strcmp(a[4], "1") == 0;
			if (parse_ull(a[3], 10, &p->ids_mapped) < 0 || p->ids_mapped == 0) {
				seterr(err, errlen, "user: bad count of mapped ids '%s'", a[3]);
				return -1;
			}
		} else if (strcmp(name, "tty") == 0) {
			p->tty = 1;
		} else if (strcmp(name, "exec") == 0) {
			p->exec = 1;
		} else if (strcmp(name, "env") == 0 || strcmp(name, "envhome") == 0) {
			if (grow(&p->env, p->nenv, sizeof(*p->env)) < 0)
				goto nomem;
			p->env[p->nenv++] = a[0]; // NULL for envhome
		} else if (strcmp(name, "cwd") == 0) {
			p->cwd = a[0];
		} else if (strcmp(name, "caps") == 0) {
			if (parse_ull(a[0], 10, &n) < 0 || n > 63 || parse_ull(a[1], 16, &p->caps) < 0) {
				seterr(err, errlen, "caps: bad arguments '%s' '%s'", a[0], a[1]);
				return -1;
			}
			p->last_cap = (int)n;
			p->cap_names = a[2];
		} else if (strcmp(name, "privileged") == 0) {
			p->privileged = 1;
		} else if (strcmp(name, "setgroups") == 0) {
			p->setgroups = 1;
		} else if (strcmp(name, "groups") == 0) {
			p->groups_strict = strcmp(a[0], "1") == 0;
			p->groups = a[1];
		} else if (strcmp(name, "privesc") == 0) {
			p->privesc = 1;
		} else if (strcmp(name, "arg") == 0) {
			if (grow(&p->argv, p->nargv + 1, sizeof(*p->argv)) < 0)
				goto nomem;
			p->argv[p->nargv++] = a[0];
		} else if (strcmp(name, "seccomp") == 0) {
			p->seccomp_notify = strcmp(a[0], "1") == 0;
			if (parse_ull(a[1], 10, &n) < 0 || n == 0 || n % 8 != 0 || n / 8 > 0xffff || n > len - pos) {
				seterr(err, errlen, "seccomp: bad program length '%s'", a[1]);
				return -1;
			}
			p->seccomp = (const unsigned char *)buf + pos;
			p->seccomp_len = n;
			pos += n;
		}
	}
	if (p->exec && p->nsteps > 0) {
		seterr(err, errlen, "a plan for exec with steps for a new root");
		return -1;
	}
	if (p->nargv == 0) {
		seterr(err, errlen, "the plan has no command");
		return -1;
	}
	if (grow(&p->argv, p->nargv + 1, sizeof(*p->argv)) < 0)
		goto nomem;
	p->argv[p->nargv] = NULL;
	return 0;
nomem:
	seterr(err, errlen, "out of memory reading the plan");
	return -1;
}

// A line of /etc/passwd (passwd(5)) or /etc/group (group(5)), split at
// its colons in place; fields beyond max are left in the last one.
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *c = line; *c != '\0' && n < max; c++)
		if (*c == ':') {
			*c = '\0';
			f[n++] = c + 1;
		}
	return n;
}

static int parse_id(const char *s, unsigned int *id)
{
	unsigned long long n;
	if (parse_ull(s, 10, &n) < 0 || n > 0xffffffffULL || s[0] == '-' || s[0] == '+')
		return -1;
	*id = (unsigned int)n;
	return 0;
}

// each_line calls fn for every line of path that has at least min fields,
// skipping blank lines and comments; a missing file has no lines, and so
// has one that is not a regular file: the container's root may make its
// /etc/passwd a FIFO, which a plain open would wait on for ever, holding
// every podctl exec into it (opened O_NONBLOCK, then checked by fstat).
static void each_line(const char *path, int min, void (*fn)(char **f, void *ctx), void *ctx)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	FILE *fp = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, fp)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *f[7];
		if (split(line, f, 7) >= min)
			fn(f, ctx);
	}
	free(line);
	fclose(fp);
}

struct user_search {
	const char *name; // by name, else by uid
	unsigned int uid;
	int found;
	char pw_name[256];
	unsigned int pw_uid, pw_gid;
	char home[1024];
};

static void match_user(char **f, void *ctx)
{
	struct user_search *s = ctx;
	unsigned int uid, gid;
	if (s->found || parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
		return;
	if (s->name != NULL ? strcmp(f[0], s->name) != 0 : uid != s->uid)
		return;
	s->found = 1;
	snprintf(s->pw_name, sizeof(s->pw_name), "%s", f[0]);
	snprintf(s->home, sizeof(s->home), "%s", f[5]);
	s->pw_uid = uid;
	s->pw_gid = gid;
}

struct group_search {
	const char *name; // a group by name, or NULL
	int found;
	unsigned int gid;
	const char *member; // or the supplementary groups of this user
	struct init_cred *cred;
	unsigned long long mapped;
	int nomem;
};

static void match_group(char **f, void *ctx)
{
	struct group_search *s = ctx;
	unsigned int gid;
	if (parse_id(f[2], &gid) < 0)
		return;
	if (s->name != NULL) {
		if (!s->found && strcmp(f[0], s->name) == 0) {
			s->found = 1;
			s->gid = gid;
		}
		return;
	}
	// Supplementary groups: those that list the user as a member, as
	// initgroups(3) computes them; the primary group and unmapped gids
	// are left out.
	for (char *m = f[3], *end; m != NULL && *m != '\0'; m = end ? end + 1 : NULL) {
		end = strchr(m, ',');
		size_t l = end ? (size_t)(end - m) : strlen(m);
		if (l != strlen(s->member) || strncmp(m, s->member, l) != 0)
			continue;
		if (gid != s->cred->gid && gid < s->mapped) {
			if (grow(&s->cred->groups, s->cred->ngroups, sizeof(unsigned int)) < 0) {
				s->nomem = 1;
				return;
			}
			s->cred->groups[s->cred->ngroups++] = gid;
		}
	}
}

// add_groups adds the plan's extra supplementary gids (Kubernetes'
// supplementalGroups) to those of /etc/group, once each; a gid the pod's
// user namespace does not map cannot be set (setgroups(2): EINVAL).
static int add_groups(const struct init_plan *p, struct init_cred *c, char *err, size_t errlen)
{
	for (const char *s = p->groups; s != NULL && *s != '\0';) {
		char one[16];
		size_t l = strcspn(s, " ");
		unsigned int gid;
		snprintf(one, sizeof(one), "%.*s", (int)(l < sizeof(one) - 1 ? l : sizeof(one) - 1), s);
		s += l + (s[l] == ' ');
		if (l == 0)
			continue;
		if (l >= sizeof(one) || parse_id(one, &gid) < 0) {
			seterr(err, errlen, "supplementary group '%s': not a gid", one);
			return -1;
		}
		if (gid >= p->ids_mapped) {
			seterr(err, errlen, "supplementary group %u is not mapped in the pod's user namespace, which maps ids 0-%llu", gid, p->ids_mapped - 1);
			return -1;
		}
		int have = 0;
		for (size_t i = 0; i < c->ngroups; i++)
			have |= c->groups[i] == gid;
		if (have)
			continue;
		if (grow(&c->groups, c->ngroups, sizeof(unsigned int)) < 0) {
			seterr(err, errlen, "out of memory adding supplementary groups");
			return -1;
		}
		c->groups[c->ngroups++] = gid;
	}
	return 0;
}

int init_resolve_user(const struct init_plan *p, const char *passwd, const char *group, struct init_cred *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->home, "/");
	struct user_search u = {0};
	const char *up = p->user_part ? p->user_part : "";
	const char *gp = p->group_part ? p->group_part : "";
	if (up[0] == '\0') {
		u.uid = 0; // the image's default: root
		each_line(passwd, 7, match_user, &u);
		if (!u.found)
			strcpy(c->home, "/root");
	} else if (up[0] >= '0' && up[0] <= '9') {
		if (parse_id(up, &c->uid) < 0) {
			seterr(err, errlen, "--user %s: bad uid", p->user_spec);
			return -1;
		}
		u.uid = c->uid;
		each_line(passwd, 7, match_user, &u);
	} else {
		u.name = up;
		each_line(passwd, 7, match_user, &u);
		if (!u.found) {
			seterr(err, errlen, "--user \"%s\": no user named \"%s\" in the rootfs's /etc/passwd; give a numeric uid or add the user to the image", p->user_spec, up);
			return -1;
		}
	}
	if (u.found) {
		c->uid = u.pw_uid;
		c->gid = u.pw_gid;
		snprintf(c->home, sizeof(c->home), "%s", u.home);
	}
	if (gp[0] >= '0' && gp[0] <= '9') {
		if (parse_id(gp, &c->gid) < 0) {
			seterr(err, errlen, "--user %s: bad gid", p->user_spec);
			return -1;
		}
	} else if (gp[0] != '\0') {
		struct group_search g = {.name = gp};
		each_line(group, 4, match_group, &g);
		if (!g.found) {
			seterr(err, errlen, "--user \"%s\": no group named \"%s\" in the rootfs's /etc/group", p->user_spec, gp);
			return -1;
		}
		c->gid = g.gid;
	}
	if (c->uid >= p->ids_mapped || c->gid >= p->ids_mapped) {
		seterr(err, errlen, "--user \"%s\": uid %u / gid %u is not mapped in the pod's user namespace, which maps ids 0-%llu; "
			"use a smaller id or give your user a larger range in /etc/subuid and /etc/subgid",
			p->user_spec, c->uid, c->gid, p->ids_mapped - 1);
		return -1;
	}
	if (u.found && !p->groups_strict) {
		struct group_search g = {.member = u.pw_name, .cred = c, .mapped = p->ids_mapped};
		each_line(group, 4, match_group, &g);
		if (g.nomem) {
			seterr(err, errlen, "out of memory reading /etc/group");
			return -1;
		}
	}
	return add_groups(p, c, err, errlen);
}

// check_executable says whether candidate p can be exec'd by this process
// (stat(2), then access(2) with the real ids: the workload's, by now):
// 0 if so, else the shell's exit code.
static int check_executable(const char *name, const char *p, char *err, size_t errlen)
{
	struct stat st;
	if (stat(p, &st) < 0) {
		seterr(err, errlen, "\"%s\": %s: %s", name, p, strerror(errno));
		return 127;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "\"%s\": %s is not a regular file", name, p);
		return 126;
	}
	if (access(p, X_OK) < 0) {
		seterr(err, errlen, "\"%s\": %s is not executable (mode %o): %s", name, p, st.st_mode & 07777, strerror(errno));
		return 126;
	}
	return 0;
}

// The PATH Docker and podman give a container without one.
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int init_look_path(const char *name, const char *const *env, size_t nenv, char *out, size_t outlen, char *err, size_t errlen)
{
	if (strchr(name, '/') != NULL) {
		snprintf(out, outlen, "%s", name);
		return check_executable(name, name, err, errlen);
	}
	const char *path = DEFAULT_PATH;
	for (size_t i = 0; i < nenv; i++)
		if (env[i] != NULL && strncmp(env[i], "PATH=", 5) == 0)
			path = env[i] + 5;
	// The first candidate that exists but cannot run is what the shell
	// reports (126) if no later one runs; else "not found" (127).
	char first[512] = "";
	for (const char *dir = path, *end;; dir = end + 1) {
		end = strchr(dir, ':');
		size_t l = end ? (size_t)(end - dir) : strlen(dir);
		if (l == 0)
			snprintf(out, outlen, "./%s", name);
		else
			snprintf(out, outlen, "%.*s/%s", (int)l, dir, name);
		char why[512];
		int code = check_executable(name, out, why, sizeof(why));
		if (code == 0)
			return 0;
		if (code == 126 && first[0] == '\0')
			snprintf(first, sizeof(first), "%s", why);
		if (end == NULL)
			break;
	}
	if (first[0] != '\0') {
		seterr(err, errlen, "%s", first);
		return 126;
	}
	seterr(err, errlen, "\"%s\": executable file not found in $PATH (%s) of the rootfs", name, path);
	return 127;
}
