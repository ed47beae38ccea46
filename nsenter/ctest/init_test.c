// init_test.c: unit tests of the container init's pure parts (initplan.c)
// and of its path resolution inside a root (initfs.c), built with
// AddressSanitizer and UBSan and run by nsenter's TestInitC, which passes:
//
//   argv[1]  a plan that Go's InitPlan.Encode wrote (the two sides must
//            agree): it is parsed and printed back for Go to compare, then
//            mutated many times over to check that no input makes the
//            parser read out of bounds or crash;
//   argv[2]  an empty directory to work in.
//
// It prints "ok" last; any failure prints "FAIL ..." and exits 1.
// (A directory with no Go files: cgo does not compile it into podctl.)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../init.h"
#include "check.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, content, strlen(content)) < 0) {
		printf("FAIL writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

// print_plan writes what the parser understood, one field per line, for
// the Go side to compare with the InitPlan it encoded.
static void print_plan(const struct init_plan *p)
{
	printf("where %s\n", p->where);
	for (size_t i = 0; i < p->nsteps; i++) {
		printf("step %s", p->steps[i].op);
		for (int k = 0; k < INIT_MAX_ARGS && p->steps[i].arg[k] != NULL; k++)
			printf(" [%s]", p->steps[i].arg[k]);
		printf("\n");
	}
	printf("user [%s] [%s] [%s] %llu %d\n", p->user_spec, p->user_part, p->group_part, p->ids_mapped, p->run_as_non_root);
	printf("tty %d exec %d setgroups %d privileged %d\n", p->tty, p->exec, p->setgroups, p->privileged);
	for (size_t i = 0; i < p->nenv; i++)
		printf("env %s\n", p->env[i] ? p->env[i] : "(home)");
	printf("cwd [%s]\n", p->cwd ? p->cwd : "");
	printf("caps %d %llx [%s]\n", p->last_cap, p->caps, p->cap_names ? p->cap_names : "");
	printf("seccomp %zu notify %d\n", p->seccomp_len, p->seccomp_notify);
	for (size_t i = 0; i < p->nargv; i++)
		printf("arg [%s]\n", p->argv[i]);
}

static void free_plan(struct init_plan *p)
{
	free(p->steps);
	free(p->env);
	free(p->argv);
}

// mutate_plan: every truncation of the plan, and bytes flipped at random
// (a fixed seed, so a failure repeats), must parse or be refused, never
// crash or read beyond the buffer (ASan would abort).
static void mutate_plan(const char *plan, size_t len)
{
	char err[256];
	struct init_plan p;
	for (size_t cut = 0; cut < len; cut++) {
		char *b = malloc(cut ? cut : 1);
		memcpy(b, plan, cut);
		int rc = init_parse_plan(b, cut, &p, err, sizeof(err));
		free_plan(&p);
		free(b);
		// A plan cut short is refused unless it happens to end at an
		// operation's boundary after the command: then it is a plan.
		(void)rc;
	}
	unsigned int seed = 12345;
	for (int round = 0; round < 20000; round++) {
		char *b = malloc(len);
		memcpy(b, plan, len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			b[(seed >> 8) % len] = (char)(seed >> 16);
		}
		if (init_parse_plan(b, len, &p, err, sizeof(err)) == 0) {
			CHECK(p.argv[p.nargv] == NULL && p.nargv > 0, "a parsed plan without its command");
			CHECK(p.seccomp == NULL || (p.seccomp_len % 8 == 0 && p.seccomp + p.seccomp_len <= (unsigned char *)b + len), "seccomp outside the plan");
		}
		free_plan(&p);
		free(b);
	}
}

// S gives a literal with its length: plans are full of NUL bytes.
#define S(lit) lit, sizeof(lit) - 1

static void test_bad_plans(void)
{
	char err[256];
	struct init_plan p;
	static const struct {
		const char *bytes;
		size_t len;
		const char *want;
	} cases[] = {
		{S(""), "not a plan"},
		{S("plan\0where\0x\0"), "the plan has no command"},
		{S("plan\0arg\0"), "operation 'arg' is cut short"},
		{S("plan\0rm -rf\0"), "unknown operation 'rm -rf'"},
		{S("plan\0arg\0x\0seccomp\0" "0\0" "16\0" "12345678"), "seccomp: bad program length '16'"},
		{S("plan\0arg\0x\0seccomp\0" "0\0" "7\0" "1234567"), "seccomp: bad program length '7'"},
		{S("plan\0arg\0x\0exec\0pivot\0"), "a plan for exec with steps for a new root"},
		{S("plan\0arg\0x\0caps\0" "64\0" "0\0" "\0"), "caps: bad arguments '64' '0'"},
		{S("plan\0arg\0x\0user\0\0\0\0" "0\0" "0\0"), "user: bad count of mapped ids '0'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = init_parse_plan(cases[i].bytes, cases[i].len, &p, err, sizeof(err));
		CHECK(rc == -1 && strcmp(err, cases[i].want) == 0, "bad plan %zu: rc %d, err '%s', want '%s'", i, rc, rc ? err : "", cases[i].want);
		free_plan(&p);
	}
}

static struct init_plan user_plan(const char *spec, const char *user, const char *group)
{
	struct init_plan p = {.user_spec = spec, .user_part = user, .group_part = group, .ids_mapped = 65537};
	return p;
}

static void test_resolve_user(const char *dir)
{
	char passwd[4096], group[4096], err[1024];
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	write_file(passwd, "# comment\n\nroot:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken:x:zz:1::/:\n", 0644);
	write_file(group, "wheel:x:10:alice,bob\nbig:x:70000:alice\nalice:x:1000:\nalicia:x:11:aliceX\n", 0644);
	struct init_cred c;
	struct init_plan p = user_plan("alice", "alice", "");
	int rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	// The unmapped group 70000 is skipped; "aliceX" is not alice.
	CHECK(rc == 0 && c.uid == 1000 && c.gid == 1000 && strcmp(c.home, "/home/alice") == 0 && c.ngroups == 1 && c.groups[0] == 10,
		"alice: rc %d uid %u gid %u home %s ngroups %zu", rc, c.uid, c.gid, c.home, c.ngroups);
	free(c.groups);

	p = user_plan("", "", "");
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == 0 && c.uid == 0 && c.gid == 0 && strcmp(c.home, "/root") == 0, "default user: uid %u home %s", c.uid, c.home);
	free(c.groups);

	// An /etc/passwd that is a FIFO (no writer: a plain open would wait
	// for ever) counts as none: root, /root.
	char fifo[4096];
	snprintf(fifo, sizeof(fifo), "%s/passwd-fifo", dir);
	unlink(fifo);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
	rc = init_resolve_user(&p, fifo, fifo, &c, err, sizeof(err));
	CHECK(rc == 0 && c.uid == 0 && strcmp(c.home, "/root") == 0, "FIFO passwd: rc %d uid %u home %s", rc, c.uid, c.home);
	free(c.groups);
	unlink(fifo);

	// No /etc/passwd at all: root, with /root as home.
	rc = init_resolve_user(&p, "/nonexistent/passwd", "/nonexistent/group", &c, err, sizeof(err));
	CHECK(rc == 0 && c.uid == 0 && strcmp(c.home, "/root") == 0, "no passwd: uid %u home %s", c.uid, c.home);
	free(c.groups);

	// Kubernetes' supplementalGroups: added to /etc/group's once each
	// (Merge), or alone (Strict); an unmapped one is refused.
	p = user_plan("alice", "alice", "");
	p.groups = "1234 10 5678";
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == 0 && c.ngroups == 3 && c.groups[0] == 10 && c.groups[1] == 1234 && c.groups[2] == 5678,
		"alice with groups 1234 10 5678: rc %d ngroups %zu (%s)", rc, c.ngroups, rc ? err : "");
	free(c.groups);
	p.groups_strict = 1;
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == 0 && c.ngroups == 3 && c.groups[0] == 1234 && c.groups[1] == 10 && c.groups[2] == 5678, "strict: rc %d ngroups %zu", rc, c.ngroups);
	free(c.groups);
	p.groups = "1234";
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == 0 && c.ngroups == 1 && c.groups[0] == 1234, "strict without wheel: rc %d ngroups %zu", rc, c.ngroups);
	free(c.groups);
	p.groups = "70000";
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "supplementary group 70000 is not mapped") != NULL, "unmapped group: rc %d err '%s'", rc, err);
	free(c.groups);
	p.groups = "12x";
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "not a gid") != NULL, "bad gid: rc %d err '%s'", rc, err);
	free(c.groups);

	p = user_plan("5000:wheel", "5000", "wheel");
	rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
	CHECK(rc == 0 && c.uid == 5000 && c.gid == 10 && strcmp(c.home, "/") == 0 && c.ngroups == 0, "5000:wheel: uid %u gid %u home %s", c.uid, c.gid, c.home);
	free(c.groups);

	static const struct {
		const char *spec, *user, *group, *want;
	} bad[] = {
		{"mallory", "mallory", "", "no user named \"mallory\""},
		{"alice:nogroup", "alice", "nogroup", "no group named \"nogroup\""},
		{"70000", "70000", "", "uid 70000 / gid 0 is not mapped in the pod's user namespace, which maps ids 0-65536"},
		{"broken", "broken", "", "no user named \"broken\""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = user_plan(bad[i].spec, bad[i].user, bad[i].group);
		rc = init_resolve_user(&p, passwd, group, &c, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, bad[i].want) != NULL, "%s: rc %d, err '%s'", bad[i].spec, rc, err);
		free(c.groups);
	}
}

static void test_look_path(const char *dir)
{
	char bin[4096], other[4096], path[9000], out[4096], err[1024];
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	mkdir(bin, 0755);
	mkdir(other, 0755);
	char p[8192];
	snprintf(p, sizeof(p), "%s/tool", bin);
	write_file(p, "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/noexec", bin);
	write_file(p, "data", 0644);
	snprintf(p, sizeof(p), "%s/noexec", other);
	write_file(p, "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/adir", bin);
	mkdir(p, 0755);

	snprintf(path, sizeof(path), "PATH=%s:%s", bin, other);
	const char *env[] = {"HOME=/", path};
	int code = init_look_path("tool", env, 2, out, sizeof(out), err, sizeof(err));
	snprintf(p, sizeof(p), "%s/tool", bin);
	CHECK(code == 0 && strcmp(out, p) == 0, "tool: code %d out %s", code, out);
	// One candidate that cannot run, a later one that can: the later one.
	code = init_look_path("noexec", env, 2, out, sizeof(out), err, sizeof(err));
	snprintf(p, sizeof(p), "%s/noexec", other);
	CHECK(code == 0 && strcmp(out, p) == 0, "noexec: code %d out %s", code, out);
	code = init_look_path("adir", env, 2, out, sizeof(out), err, sizeof(err));
	CHECK(code == 126 && strstr(err, "is not a regular file") != NULL, "adir: code %d err %s", code, err);
	code = init_look_path("missing", env, 2, out, sizeof(out), err, sizeof(err));
	CHECK(code == 127 && strstr(err, "executable file not found in $PATH") != NULL, "missing: code %d err %s", code, err);
	snprintf(p, sizeof(p), "%s/noexec", bin);
	code = init_look_path(p, env, 2, out, sizeof(out), err, sizeof(err));
	CHECK(code == 126 && strstr(err, "is not executable (mode 644)") != NULL, "%s: code %d err %s", p, code, err);
	code = init_look_path("/nowhere/x", env, 2, out, sizeof(out), err, sizeof(err));
	CHECK(code == 127 && strstr(err, "No such file or directory") != NULL, "/nowhere/x: code %d err %s", code, err);
}

// read_fd reads what a descriptor of the tests' roots holds.
static void read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

// test_fs: symlinks of a rootfs resolve as if it were "/": none reaches the
// host's file, none makes a directory outside it.
static void test_fs(const char *dir)
{
	char root[4096], outside[4096], p[8192], buf[64];
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	mkdir(outside, 0755);
	snprintf(p, sizeof(p), "%s/secret", outside);
	write_file(p, "host", 0644);
	snprintf(p, sizeof(p), "%s/etc/hosts", root);
	write_file(p, "inside", 0644);
	const char *links[][2] = {{"abs", outside}, {"up", "../../outside"}, {"etc/loop", "../../../../.."}, {"proc-fd", "/proc/self/fd/0"}, {"dev", "/outside-dir"}};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, links[i][0]);
		CHECK(symlink(links[i][1], p) == 0, "symlink %s: %s", p, strerror(errno));
	}
	int rootfd = open(root, O_PATH | O_DIRECTORY);

	const char *escapes[] = {"/abs/secret", "/up/secret", "/etc/loop/outside/secret", "../../outside/secret"};
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		int fd = init_open_in(rootfd, escapes[i], O_RDONLY, 0);
		CHECK(fd < 0 && errno == ENOENT, "%s: fd %d (errno %d): must not resolve outside the root", escapes[i], fd, errno);
		if (fd >= 0)
			close(fd);
	}
	// ".." at the root stays at the root.
	int fd = init_open_in(rootfd, "/etc/loop/etc/hosts", O_RDONLY, 0);
	CHECK(fd >= 0, "/etc/loop/etc/hosts: %s", strerror(errno));
	if (fd >= 0) {
		read_fd(fd, buf, sizeof(buf));
		CHECK(strcmp(buf, "inside") == 0, "got '%s', want the rootfs's own /etc/hosts", buf);
		close(fd);
	}
	// Magic links of /proc are refused outright.
	fd = init_open_in(rootfd, "/proc-fd", O_RDONLY, 0);
	CHECK(fd < 0, "a /proc magic link was followed");

	// /dev is a symlink to a missing /outside-dir: refused, by name.
	fd = init_mkdir_all_in(rootfd, "/dev/pts");
	CHECK(fd < 0 && strstr(init_fs_err, "mkdir /dev in the rootfs: exists but is a symlink to a missing directory") != NULL, "/dev/pts: fd %d, '%s'", fd, init_fs_err);
	struct stat st;
	CHECK(stat("/outside-dir", &st) < 0, "mkdir_all_in made /outside-dir on the host");
	fd = init_mkdir_all_in(rootfd, "/abs/new");
	CHECK(fd < 0, "mkdir_all_in went through an absolute symlink");
	snprintf(p, sizeof(p), "%s/new", outside);
	CHECK(stat(p, &st) < 0, "mkdir_all_in followed an absolute symlink out of the rootfs");
	// A plain missing path is made, inside.
	fd = init_mkdir_all_in(rootfd, "/a/b/c");
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	CHECK(fd >= 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode), "a/b/c not made: %s", init_fs_err);
	if (fd >= 0)
		close(fd);

	// A bind target is made as an empty file, and must be a regular one.
	fd = init_file_in(rootfd, "/etc/resolv.conf");
	snprintf(p, sizeof(p), "%s/etc/resolv.conf", root);
	CHECK(fd >= 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode), "resolv.conf not made: %s", init_fs_err);
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/etc/hostname", root);
	mkdir(p, 0755);
	fd = init_file_in(rootfd, "/etc/hostname");
	CHECK(fd < 0 && strstr(init_fs_err, "/etc/hostname") && strstr(init_fs_err, "not a regular file"), "hostname: fd %d '%s'", fd, init_fs_err);

	// A volume's source with a symlink on the way is refused, by name.
	snprintf(p, sizeof(p), "%s/abs/secret", root);
	fd = init_open_source(p);
	CHECK(fd < 0 && errno == ELOOP && strstr(init_fs_err, "goes through a symlink"), "source %s: fd %d '%s'", p, fd, init_fs_err);
	fd = init_open_source(outside);
	CHECK(fd >= 0, "source %s: %s", outside, strerror(errno));
	if (fd >= 0)
		close(fd);
	close(rootfd);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: init_test PLAN DIR\n");
		return 2;
	}
	size_t len;
	char *plan = read_file(argv[1], &len);
	CHECK(plan != NULL, "reading %s", argv[1]);
	if (plan == NULL)
		return 1;
	struct init_plan p;
	char err[256];
	if (init_parse_plan(plan, len, &p, err, sizeof(err)) < 0) {
		printf("FAIL parsing Go's plan: %s\n", err);
		return 1;
	}
	print_plan(&p);
	free_plan(&p);
	mutate_plan(plan, len);
	test_bad_plans();
	test_resolve_user(argv[2]);
	test_look_path(argv[2]);
	test_fs(argv[2]);
	free(plan);
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}
