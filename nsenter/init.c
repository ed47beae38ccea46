// init.c: the container's init, from the join stage's fork to the
// workload's execve, with no Go runtime (init.h says why and what the plan
// is). It runs as root of the pod's user namespace, in a mount namespace
// of its own (a copy of the host's, CLONE_NEWNS in the join stage), and:
//
//   1. receives the plan (a large one comes in a sealed memfd, as
//      sandbox/wire sends it) and starts a session of its own;
//   2. builds the root filesystem, step by step as listed (run_step):
//      the image's layer, /proc, /sys, masked and read-only paths, /dev,
//      the pod's /etc files, volumes and tmpfs, then pivot_root;
//   3. resolves the workload's user in the container's /etc, gives it a
//      pty if asked, drops the bounding set, becomes that user (setgroups,
//      setresgid, setresuid), sets its capabilities and no_new_privs;
//   4. enters the working directory, finds the executable, closes every
//      other descriptor on exec, installs the seccomp filter last, and
//      execs the workload.
//
// Every failure is reported to podctl as "error WHERE: STEP: WHAT: strerror
// (errno N)", or "exit CODE ..." with the shell's exit code (126, 127) when
// the command cannot run; then the init exits. Nothing is printed to the
// workload's stdio. With --explain each step writes its own line.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"
#include "nsenter.h"

// Constants of <linux/mount.h> and friends, for older headers.
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
struct podctl_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static int sync_fd = -1;
static struct init_plan plan;
static const char *step = NULL; // what the init is doing, for errors
static int rootfd = -1;         // the container's root, once "root" ran

// report sends one message to podctl, with a descriptor attached when
// fd >= 0 (podctl_send_fds).
static int report(const char *msg, int fd)
{
	return podctl_send_fds(sync_fd, msg, strlen(msg), &fd, fd >= 0 ? 1 : 0);
}

// die reports a failure and exits. code 0: a failure of the set-up
// ("error ..."); 126 or 127: the command cannot run ("exit CODE ...").
// errnum, when not 0, is appended as strerror and number.
static void die(int code, int errnum, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void die(int code, int errnum, const char *fmt, ...)
{
	char msg[2048];
	int n = code ? snprintf(msg, sizeof(msg), "exit %d %s: ", code, plan.where) : snprintf(msg, sizeof(msg), "error %s: ", plan.where);
	if (step != NULL)
		n += snprintf(msg + n, sizeof(msg) - n, "%s: ", step);
	va_list ap;
	va_start(ap, fmt);
	if (n < (int)sizeof(msg))
		n += vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (errnum != 0 && n < (int)sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s (errno %d)", strerror(errnum), errnum);
	if (report(msg, -1) < 0)
		fprintf(stderr, "podctl: %s\n", msg + (code ? 5 : 6));
	_exit(1);
}

#define DIE_ERRNO(...) die(0, errno, __VA_ARGS__)
// The message initfs left, with its errno.
#define DIE_FS() die(0, errno, "%s", init_fs_err)

static void explain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void explain(const char *fmt, ...)
{
	if (podctl_explain_fd < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	podctl_explain_line("[init]", fmt, ap);
	va_end(ap);
}

// flag_names spells mount flags as mount(2) names them, for --explain.
static const char *flag_names(unsigned long flags, char *buf, size_t len)
{
	static const struct {
		unsigned long bit;
		const char *name;
	} names[] = {{MS_BIND, "MS_BIND"}, {MS_REC, "MS_REC"}, {MS_REMOUNT, "MS_REMOUNT"}, {MS_RDONLY, "MS_RDONLY"},
		{MS_NOSUID, "MS_NOSUID"}, {MS_NODEV, "MS_NODEV"}, {MS_NOEXEC, "MS_NOEXEC"}, {MS_PRIVATE, "MS_PRIVATE"}};
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit) {
			if (buf[0] != '\0')
				strncat(buf, "|", len - strlen(buf) - 1);
			strncat(buf, names[i].name, len - strlen(buf) - 1);
		}
	if (buf[0] == '\0')
		snprintf(buf, len, "0");
	return buf;
}

static void explain_mount(const char *why, const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)
{
	char f[128];
	if (podctl_explain_fd < 0)
		return;
	explain("%s: mount(\"%s\", \"%s\"%s%s%s, %s%s%s%s)", why, source, target, fstype[0] ? ", \"" : "", fstype, fstype[0] ? "\"" : "",
		flag_names(flags, f, sizeof(f)), data[0] ? ", \"" : "", data, data[0] ? "\"" : "");
}

static const char *fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

// recv_plan reads the plan: inline in the datagram, or in the sealed memfd
// that comes with a bulk header (sandbox/wire: "\0podctl-bulk").
static char *recv_plan(size_t *len)
{
	static const char bulk[] = "\0podctl-bulk";
	const size_t inline_max = 32 << 10, max = 16 << 20;
	char *buf = malloc(inline_max + 1);
	union {
		char buf[CMSG_SPACE(5 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = inline_max + 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	if (buf == NULL)
		DIE_ERRNO("reading the plan");
	ssize_t n;
	while ((n = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		DIE_ERRNO("reading the plan");
	int fds[5], nfds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfds < 5; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	if (n == 0 && nfds == 0)
		_exit(1); // podctl went away before configuring us: nothing to say
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > inline_max)
		die(0, 0, "the plan came truncated");
	if ((size_t)n != sizeof(bulk) - 1 || memcmp(buf, bulk, sizeof(bulk) - 1) != 0) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		*len = (size_t)n;
		return buf;
	}
	// A bulk plan: only a memfd nobody can change any more is read (the
	// sender could otherwise rewrite what we already checked).
	int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	struct stat st;
	if (nfds == 0 || (fcntl(fds[0], F_GET_SEALS) & want) != want || fstat(fds[0], &st) < 0 || st.st_size > (off_t)max)
		die(0, 0, "the plan came in a descriptor that is not a sealed memfd of at most 16 MiB");
	free(buf);
	buf = malloc(st.st_size + 1);
	if (buf == NULL)
		DIE_ERRNO("reading a plan of %lld bytes", (long long)st.st_size);
	for (off_t off = 0; off < st.st_size;) {
		ssize_t r = pread(fds[0], buf + off, st.st_size - off, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			DIE_ERRNO("reading the plan's memfd");
		off += r;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	*len = (size_t)st.st_size;
	return buf;
}

// mount_at mounts a filesystem on directory target inside the root,
// creating the directory when missing; -1 with errno if mount(2) refuses.
static int mount_at(const char *target, const char *fstype, const char *source, unsigned long flags, const char *data)
{
	char p[64];
	int fd = init_mkdir_all_in(rootfd, target);
	if (fd < 0)
		DIE_FS();
	int rc = mount(source, fd_path(fd, p, sizeof(p)), fstype, flags, data);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

// remove_marker removes a volatile overlay's marker directory and what the
// kernel put in it (a "dirty" file); a missing one is fine, and a failure
// shows as the mount's own error.
static void remove_marker(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && unlinkat(fd, e->d_name, 0) < 0)
			unlinkat(fd, e->d_name, AT_REMOVEDIR);
	closedir(d);
	rmdir(dir);
}

// step_layer mounts the container's layer as containers-storage mounted it
// in the store helper, here in the container's own mount namespace, where
// it ends with the container.
static void step_layer(const char *const *a)
{
	const char *image = a[0], *source = a[1], *target = a[2], *fstype = a[3], *data = a[5], *dir = a[6], *volatile_dir = a[7];
	unsigned long flags = strtoul(a[4], NULL, 10);
	if (fstype[0] == '\0')
		return; // vfs: a plain directory
	// A volatile overlay leaves WORKDIR/work/incompat/volatile behind when
	// unmounted, and the kernel refuses to mount over it again
	// (overlayfs.rst, "Volatile mount"): nothing was written through the
	// helper's mount, so, as containers-storage does, it goes.
	if (volatile_dir[0] != '\0')
		remove_marker(volatile_dir);
	// Relative lowerdir paths start at the driver's home.
	if (dir[0] != '\0' && chdir(dir) < 0)
		DIE_ERRNO("mounting the layer of image %s: chdir %s", image, dir);
	explain("mounts its layer of image %s, as containers-storage mounts it, in its own mount namespace (so the mount ends with the container): mount(\"%s\", \"%s\", \"%s\", 0x%lx, \"%s\")",
		image, source, target, fstype, flags, data);
	if (mount(source, target, fstype, flags, data) < 0)
		DIE_ERRNO("mounting the layer of image %s (%s on %s)", image, fstype, target);
	if (chdir("/") < 0)
		DIE_ERRNO("chdir /");
}

// step_root makes the rootfs a mount point, as pivot_root(2) needs, and
// holds it open: every later path is resolved from it.
static void step_root(const char *root)
{
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		DIE_ERRNO("bind-mounting the rootfs %s onto itself", root);
	explain_mount("the rootfs becomes a mount point, as pivot_root needs", root, root, "", MS_BIND | MS_REC, "");
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		DIE_ERRNO("opening the rootfs %s", root);
}

// step_sysfs mounts a read-only /sys of the pod's network namespace, and
// with cgroup the container's cgroup2 on /sys/fs/cgroup. sysfs(5) may be
// mounted in a user namespace only by a process in a network namespace
// that namespace owns: with --network host (or one a host imposes) it is
// refused, and the host's /sys goes in instead, read-only, as rootless
// podman does: a detached recursive copy (open_tree(2)), made read-only as
// a whole (mount_setattr(2)), then attached (move_mount(2)).
static void step_sysfs(int cgroup)
{
	unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount_at("/sys", "sysfs", "sysfs", flags, "") == 0) {
		explain_mount("a filesystem of its own", "sysfs", "/sys", "sysfs", flags, "");
		// The container's own cgroup, read-only, where a workload reads
		// its limits (cgroup_namespaces(7): its root is the container's
		// cgroup). Only on a cgroup v2 host, which podctl checked; a
		// refusal is not fatal: the workload runs without that view.
		if (cgroup) {
			if (mount_at("/sys/fs/cgroup", "cgroup2", "cgroup2", flags, "") == 0)
				explain_mount("a filesystem of its own", "cgroup2", "/sys/fs/cgroup", "cgroup2", flags, "");
			else if (podctl_explain_fd >= 0) {
				char why[160];
				snprintf(why, sizeof(why), "not mounted: %s", strerror(errno));
				explain_mount(why, "cgroup2", "/sys/fs/cgroup", "cgroup2", flags, "");
			}
		}
		return;
	}
	if (errno != EPERM)
		DIE_ERRNO("mount -t sysfs sysfs /sys (options \"\")");
	int fd = init_mkdir_all_in(rootfd, "/sys");
	if (fd < 0)
		DIE_FS();
	int tree = syscall(SYS_open_tree, AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		DIE_ERRNO("bind-mounting the host's /sys: open_tree");
	struct podctl_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		DIE_ERRNO("bind-mounting the host's /sys: mount_setattr");
	if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		DIE_ERRNO("bind-mounting the host's /sys: move_mount");
	close(tree);
	close(fd);
	explain_mount("the host's, read-only (its network namespace is not the pod's to mount sysfs for)", "/sys", "/sys", "bind", MS_RDONLY, "");
}

// step_mask hides a path that leaks or pokes the host: a directory behind
// an empty read-only tmpfs, a file behind /dev/null (of the mount namespace
// we were copied from: the host's, the same device /dev gets). A path this
// kernel lacks is skipped. A symlink is followed, inside the root, to what
// it names, as runc's and crun's mount(2) on the path does: a mount on the
// link itself would hide nothing, since every lookup goes through it.
static void step_mask(const char *path)
{
	char p[64];
	int fd = init_open_in(rootfd, path, O_PATH, 0);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		DIE_FS();
	struct stat st;
	if (fstat(fd, &st) < 0)
		DIE_ERRNO("stat");
	int rc = S_ISDIR(st.st_mode)
		? mount("tmpfs", fd_path(fd, p, sizeof(p)), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=000")
		: mount("/dev/null", fd_path(fd, p, sizeof(p)), NULL, MS_BIND, NULL);
	if (rc < 0)
		DIE_ERRNO("mount");
	close(fd);
	explain("hidden: %s (empty read-only tmpfs, or /dev/null bound over it)", path);
}

// step_readonly bind-mounts path onto itself and remounts that read-only.
static void step_readonly(const char *path)
{
	char p[64];
	int fd = init_open_in(rootfd, path, O_PATH, 0); // followed, as step_mask
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		DIE_FS();
	if (mount(fd_path(fd, p, sizeof(p)), p, NULL, MS_BIND | MS_REC, NULL) < 0)
		DIE_ERRNO("bind");
	close(fd);
	// The descriptor named the mount below; the remount is of the new one.
	if ((fd = init_open_in(rootfd, path, O_PATH, 0)) < 0)
		DIE_FS();
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount(NULL, fd_path(fd, p, sizeof(p)), NULL, flags, NULL) < 0)
		DIE_ERRNO("remount");
	close(fd);
	explain_mount("read-only", path, path, "", MS_REMOUNT | MS_BIND | MS_RDONLY, "");
}

// step_hostdev binds one of the host's harmless character devices into the
// container's /dev: inside a user namespace mknod(2) of a device is
// refused, so binding the host's node is the only way.
static void step_hostdev(const char *name)
{
	char p[64], host[64];
	int dev = init_open_in(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		DIE_FS();
	int fd = openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		DIE_ERRNO("creating /dev/%s", name);
	close(fd);
	if ((fd = openat(dev, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		DIE_ERRNO("opening /dev/%s", name);
	snprintf(host, sizeof(host), "/dev/%s", name);
	if (mount(host, fd_path(fd, p, sizeof(p)), NULL, MS_BIND, NULL) < 0)
		DIE_ERRNO("bind-mounting the host's /dev/%s", name);
	close(fd);
	close(dev);
	explain_mount("the host's device, which a user namespace may not create (mknod)", host, host, "", MS_BIND, "");
}

static void attach_tree(int src, int tree, const char *target, const char *ro, const char *propagation);

// clone_source opens a volume's source refusing symlinks (podctl resolved
// them when the user named it) and clones the mount there, with those
// under it, from that very descriptor (open_tree(2)): a detached copy that
// stays in the peer groups of what it copies while they are shared.
static int clone_source(const char *source, int *src)
{
	if ((*src = init_open_source(source)) < 0)
		DIE_FS();
	int tree = syscall(SYS_open_tree, *src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		DIE_ERRNO("open_tree of %s", source);
	return tree;
}

// step_slave replaces "private" in a container whose volumes ask for
// propagation (the CRI's HostToContainer and Bidirectional): "/" becomes
// a slave, recursively, so that what is mounted later where it was copied
// from still arrives here, and nothing mounted here goes back
// (mount_namespaces(7), "MS_SLAVE"). Before that, each Bidirectional
// ("shared") volume's source is cloned while it is still a peer of the
// namespace we were copied from (the node's), and the clone is held for
// its step: mounts made in it then propagate both ways, as runc gets with
// rootfsPropagation "rshared", without "/" staying shared while the init
// mounts the rootfs.
static void step_slave(const struct init_step *self)
{
	char what[PATH_MAX + 64];
	for (struct init_step *s = plan.steps; s < plan.steps + plan.nsteps; s++) {
		if (s <= self || strcmp(s->op, "volume") != 0 || strcmp(s->arg[3], "shared") != 0)
			continue;
		snprintf(what, sizeof(what), "volume %s", s->arg[0]);
		step = what;
		int src;
		s->held = clone_source(s->arg[0], &src);
		close(src);
		explain("a Bidirectional volume's source, cloned while a peer of the node's: open(\"%s\", RESOLVE_NO_SYMLINKS), open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)", s->arg[0]);
	}
	step = "setting up the rootfs: slave";
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		DIE_ERRNO("making / a slave");
	explain_mount("in its own mount namespace, mounts arrive from the node's and none go back", "", "/", "", MS_REC | MS_SLAVE, "");
}

// step_volume bind-mounts a host path into the rootfs, race-free on both
// sides: the source's mount is cloned (clone_source; for a Bidirectional
// one, by step_slave), made read-only on the detached copy when asked
// (mount_setattr(2): no remount that would have to repeat the host mount's
// locked flags), moved onto a target resolved in the root, and given the
// propagation asked ("" where "/" was made private: nothing to change).
static void step_volume(struct init_step *s)
{
	const char *source = s->arg[0], *target = s->arg[1], *ro = s->arg[2], *propagation = s->arg[3];
	int src = -1, tree = s->held;
	if (tree < 0)
		tree = clone_source(source, &src);
	else if ((src = open(source, O_PATH | O_CLOEXEC)) < 0)
		DIE_ERRNO("opening %s", source);
	s->held = -1;
	attach_tree(src, tree, target, ro, propagation);
	explain("a volume: open(\"%s\", RESOLVE_NO_SYMLINKS), open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)%s, move_mount onto %s (resolved in the root)%s%s",
		source, strcmp(ro, "1") == 0 ? ", mount_setattr(MOUNT_ATTR_RDONLY, AT_RECURSIVE) on the copy" : strcmp(ro, "top") == 0 ? ", mount_setattr(MOUNT_ATTR_RDONLY) on the copy's top mount" : "", target,
		propagation[0] != '\0' ? ", propagation MS_REC|MS_" : "", strcmp(propagation, "shared") == 0 ? "SHARED" : strcmp(propagation, "slave") == 0 ? "SLAVE" : propagation[0] != '\0' ? "PRIVATE" : "");
}

// step_imagevol mounts an image volume: the image's layer, which a
// "layer" step mounted at root, or its directory subpath, resolved inside
// that root (a symlink of the image's cannot lead out of it), read-only
// with everything under it, onto target.
static void step_imagevol(const char *root, const char *subpath, const char *target)
{
	int img = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (img < 0)
		DIE_ERRNO("opening the image volume's root %s", root);
	int src = img;
	if (subpath[0] != '\0' && (src = init_open_in(img, subpath, O_PATH, 0)) < 0)
		DIE_ERRNO("image volume subpath %s", subpath);
	int tree = syscall(SYS_open_tree, src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		DIE_ERRNO("open_tree");
	attach_tree(src, tree, target, "1", "");
	if (src != img)
		close(img);
	explain("an image volume: its layer's /%s, open_tree(OPEN_TREE_CLONE|AT_RECURSIVE), mount_setattr(MOUNT_ATTR_RDONLY, AT_RECURSIVE), move_mount onto %s (resolved in the root)", subpath, target);
}

// attach_tree takes tree, the detached clone (open_tree(2)) of the mount
// at src and those under it, makes it read-only as ro says ("0" writable,
// "1" read-only with every mount under it (AT_RECURSIVE), "top" itself
// only), moves it onto target, made in the root as a directory or a file
// as src is, and gives it, once attached, the propagation asked
// ("private", "slave", "shared"; "" leaves it); src and tree are closed.
static void attach_tree(int src, int tree, const char *target, const char *ro, const char *propagation)
{
	int recursive = strcmp(ro, "1") == 0, top = strcmp(ro, "top") == 0;
	struct stat st;
	if (fstat(src, &st) < 0)
		DIE_ERRNO("stat");
	int dst = S_ISDIR(st.st_mode) ? init_mkdir_all_in(rootfd, target) : init_file_in(rootfd, target);
	if (dst < 0)
		DIE_FS();
	if (recursive || top) {
		struct podctl_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
			DIE_ERRNO("read-only");
	}
	if (syscall(SYS_move_mount, tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		DIE_ERRNO("move_mount onto %s", target);
	if (propagation[0] != '\0') {
		// The CRI's Private, HostToContainer and Bidirectional, on the
		// mount and every one under it, as runc's rprivate, rslave and
		// rshared.
		struct podctl_mount_attr attr = {.propagation = strcmp(propagation, "shared") == 0 ? MS_SHARED : strcmp(propagation, "slave") == 0 ? MS_SLAVE : MS_PRIVATE};
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			DIE_ERRNO("propagation %s on %s: mount_setattr", propagation, target);
	}
	close(tree);
	close(dst);
	close(src);
}

// step_pivot makes the rootfs the process's root with pivot_root(2), then
// detaches the old root, which pivot_root(".", ".") stacked beneath the
// new one, so that no path leads back to the host's filesystem.
static void step_pivot(void)
{
	if (fchdir(rootfd) < 0)
		DIE_ERRNO("chdir to the rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		DIE_ERRNO("pivot_root into the rootfs");
	if (umount2(".", MNT_DETACH) < 0)
		DIE_ERRNO("detaching the host's root after pivot_root");
	if (chdir("/") < 0)
		DIE_ERRNO("chdir / after pivot_root");
	close(rootfd);
	rootfd = -1;
	explain("the rootfs becomes /, and the host's old root is detached: pivot_root(\".\", \".\"), umount2(\".\", MNT_DETACH)");
}

// run_step carries out one step of the filesystem (the ops of initplan.c).
static void run_step(struct init_step *s)
{
	char what[PATH_MAX + 64], p[64];
	const char *const *a = s->arg;
	snprintf(what, sizeof(what), "setting up the rootfs: %s %s", s->op, a[0] ? a[0] : "");
	step = what;
	if (strcmp(s->op, "root") != 0 && strcmp(s->op, "private") != 0 && strcmp(s->op, "slave") != 0 && strcmp(s->op, "layer") != 0 && rootfd < 0)
		die(0, 0, "the plan has no root before this step");
	if (strcmp(s->op, "private") == 0) {
		// Nothing mounted here may propagate to the mount namespace we
		// were copied from, and nothing mounted there later may reach us
		// (mount_namespaces(7), "MS_PRIVATE").
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			DIE_ERRNO("making / private");
		explain_mount("in its own mount namespace, no propagation either way", "", "/", "", MS_REC | MS_PRIVATE, "");
	} else if (strcmp(s->op, "slave") == 0) {
		step_slave(s);
	} else if (strcmp(s->op, "layer") == 0) {
		step_layer(a);
	} else if (strcmp(s->op, "root") == 0) {
		step_root(a[0]);
	} else if (strcmp(s->op, "mount") == 0) {
		// target, fstype, source, flags, data, why, soft
		unsigned long flags = strtoul(a[3], NULL, 10);
		if (mount_at(a[0], a[1], a[2], flags, a[4]) < 0)
			DIE_ERRNO("mount -t %s %s %s (options \"%s\")", a[1], a[2], a[0], a[4]);
		explain_mount(a[5], a[2], a[0], a[1], flags, a[4]);
	} else if (strcmp(s->op, "sysfs") == 0) {
		step_sysfs(strcmp(a[0], "1") == 0);
	} else if (strcmp(s->op, "mask") == 0) {
		step_mask(a[0]);
	} else if (strcmp(s->op, "readonly") == 0) {
		step_readonly(a[0]);
	} else if (strcmp(s->op, "hostdev") == 0) {
		step_hostdev(a[0]);
	} else if (strcmp(s->op, "symlink") == 0) {
		// target, directory, name: a link of /dev (devices.rst).
		int dir = init_open_in(rootfd, a[1], O_PATH | O_DIRECTORY, 0);
		if (dir < 0)
			DIE_FS();
		if (symlinkat(a[0], dir, a[2]) < 0)
			DIE_ERRNO("symlink %s/%s -> %s", a[1], a[2], a[0]);
		close(dir);
	} else if (strcmp(s->op, "bindfile") == 0) {
		// The pod's /etc/hostname, hosts, resolv.conf: shared by its
		// containers.
		int fd = init_file_in(rootfd, a[1]);
		if (fd < 0)
			DIE_FS();
		if (mount(a[0], fd_path(fd, p, sizeof(p)), NULL, MS_BIND, NULL) < 0)
			DIE_ERRNO("bind-mounting %s on %s", a[0], a[1]);
		close(fd);
		explain_mount("the pod's file, shared by its containers", a[0], a[1], "", MS_BIND, "");
	} else if (strcmp(s->op, "volume") == 0) {
		snprintf(what, sizeof(what), "volume %s", a[0]);
		step_volume(s);
	} else if (strcmp(s->op, "imagevol") == 0) {
		snprintf(what, sizeof(what), "image volume on %s", a[2]);
		step_imagevol(a[0], a[1], a[2]);
	} else if (strcmp(s->op, "mkdir") == 0) {
		// The working directory, made before the root turns read-only.
		int fd = init_mkdir_all_in(rootfd, a[0]);
		if (fd < 0)
			DIE_FS();
		close(fd);
	} else if (strcmp(s->op, "rootro") == 0) {
		// --read-only: the root mount only; its submounts stay as they are.
		struct podctl_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
		if (syscall(SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			DIE_ERRNO("making the root read-only: mount_setattr");
		explain("the root filesystem becomes read-only, its submounts stay as they are: mount_setattr(MOUNT_ATTR_RDONLY)");
	} else if (strcmp(s->op, "pivot") == 0) {
		step_pivot();
	}
	step = NULL;
}

// mkdir_p makes dir and its parents, as a Dockerfile's WORKDIR is made.
static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *c = p + 1;; c++) {
		if (*c == '/' || *c == '\0') {
			char was = *c;
			*c = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -1;
			*c = was;
			if (was == '\0')
				return 0;
		}
	}
}

// container_pty gives the workload a new pty of the container's own devpts
// (its /dev/ptmx, a newinstance devpts): the slave becomes its stdio and
// controlling terminal, owned by its user, as docker and podman do; the
// master goes to podctl, which relays it. The caller's terminal never
// enters the container (CVE-2017-5226).
static void container_pty(unsigned int uid)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		DIE_ERRNO("opening the container's /dev/ptmx");
	// With a pty podctl passes no stdio of its own: the master may have
	// landed on 0, 1 or 2, which the slave is about to take.
	if (master < 3) {
		int moved = fcntl(master, F_DUPFD_CLOEXEC, 3);
		if (moved < 0)
			DIE_ERRNO("moving the pty's master above stdio");
		close(master);
		master = moved;
	}
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		DIE_ERRNO("unlocking the pty");
	// TIOCGPTPEER (Linux >= 4.13) opens the slave through the master, with
	// no path lookup in /dev/pts that could be raced.
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		DIE_ERRNO("opening the pty's slave");
	// Not fatal, as it was not for podman: the pty still works for it.
	(void)!fchown(slave, uid, -1);
	for (int fd = 0; fd < 3; fd++)
		if (slave != fd && dup3(slave, fd, 0) < 0)
			DIE_ERRNO("making the pty stdio");
	if (slave > 2)
		close(slave);
	// We lead a new session (setsid): the pty becomes its controlling
	// terminal, so job control and ^C work inside.
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		DIE_ERRNO("making the pty the controlling terminal");
	if (report("pty", master) < 0)
		DIE_ERRNO("sending the pty to podctl");
	close(master);
}

// drop_bounding removes every capability but the kept ones from the
// bounding set, so that no execve, not even of a file with capabilities,
// gives them back. It needs CAP_SETPCAP: as pod root, before the switch.
static void drop_bounding(void)
{
	for (int c = 0; c <= plan.last_cap; c++)
		if (!(plan.caps & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			DIE_ERRNO("dropping capability %d from the bounding set", c);
}

// set_caps: the kept capabilities effective, permitted and inheritable for
// a workload that runs as uid 0 (pod root), none for any other user, as
// podman does; no ambient ones (capabilities(7)).
static void set_caps(unsigned int uid)
{
	struct {
		unsigned int version;
		int pid;
	} hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
	struct {
		unsigned int effective, permitted, inheritable;
	} data[2] = {{0}};
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		DIE_ERRNO("clearing ambient capabilities");
	if (uid == 0)
		for (int i = 0; i < 2; i++)
			data[i].effective = data[i].permitted = data[i].inheritable = (unsigned int)(plan.caps >> (32 * i));
	if (syscall(SYS_capset, &hdr, data) < 0)
		DIE_ERRNO("setting capabilities");
}

// install_seccomp installs the plan's seccomp filter, if any, on this
// thread. seccomp(2) lets a process install one if it has no_new_privs
// set or CAP_SYS_ADMIN in its user namespace.
static void install_seccomp(void)
{
	if (plan.seccomp == NULL)
		return;
	explain("installs the seccomp filter (%zu BPF instructions): seccomp(SECCOMP_SET_MODE_FILTER)", plan.seccomp_len / 8);
	// The program is copied: the plan's bytes need not be aligned.
	struct sock_filter *insns = malloc(plan.seccomp_len);
	if (insns == NULL)
		DIE_ERRNO("seccomp");
	memcpy(insns, plan.seccomp, plan.seccomp_len);
	struct sock_fprog prog = {.len = (unsigned short)(plan.seccomp_len / 8), .filter = insns};
	// --port-bypass: the workload's bind(2) calls wait for podctl,
	// which gets the listener (seccomp_unotify(2)).
	int listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan.seccomp_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog);
	if (listener < 0)
		DIE_ERRNO("seccomp(SECCOMP_SET_MODE_FILTER)");
	if (plan.seccomp_notify) {
		if (report("notify", listener) < 0)
			DIE_ERRNO("sending the seccomp listener to podctl");
		close(listener);
	}
}

void podctl_init(int fd)
{
	sync_fd = fd;
	prctl(PR_SET_NAME, "podctl-init", 0, 0, 0);
	// Close-on-exec from now on: the workload must not inherit it, and its
	// closing on execve tells podctl that the exec happened.
	fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
	if (podctl_explain_fd >= 0)
		fcntl(podctl_explain_fd, F_SETFD, FD_CLOEXEC); // never the workload's

	size_t len;
	char *buf = recv_plan(&len);
	char perr[256];
	if (init_parse_plan(buf, len, &plan, perr, sizeof(perr)) < 0)
		die(0, 0, "a bad plan from podctl: %s", perr);

	// A session of our own: the workload has no controlling terminal, so it
	// cannot push input into the caller's with TIOCSTI (CVE-2017-5226).
	if (setsid() < 0)
		DIE_ERRNO("setsid");
	// podctl exec joined the container's mount namespace, whose root is
	// the container's already: the plan has no steps.
	for (size_t i = 0; i < plan.nsteps; i++)
		run_step(&plan.steps[i]);

	struct init_cred cred;
	char err[1024];
	if (init_resolve_user(&plan, "/etc/passwd", "/etc/group", &cred, err, sizeof(err)) < 0)
		die(0, 0, "%s", err);
	if (plan.run_as_non_root && cred.uid == 0)
		// The kubelet's check, and its wording.
		die(0, 0, "container has runAsNonRoot and image will run as root (set runAsUser, or use an image whose USER is not root)");
	if (plan.tty)
		container_pty(cred.uid);

	// The environment: podctl's list, with the user's home where the
	// default HOME goes.
	char home[sizeof(cred.home) + 8];
	snprintf(home, sizeof(home), "HOME=%s", cred.home);
	const char **envp = calloc(plan.nenv + 1, sizeof(char *));
	if (envp == NULL)
		DIE_ERRNO("the environment");
	for (size_t i = 0; i < plan.nenv; i++)
		envp[i] = plan.env[i] ? plan.env[i] : home;

	// Like a Dockerfile's WORKDIR, a missing working directory is made (as
	// pod root, before the switch of user); exec only tries.
	const char *cwd = plan.cwd && plan.cwd[0] ? plan.cwd : "/";
	if (mkdir_p(cwd) < 0 && !plan.exec)
		DIE_ERRNO("creating working directory %s", cwd);

	// With no_new_privs off (allowPrivilegeEscalation), the filter can
	// only be installed while the init still has CAP_SYS_ADMIN in the
	// pod's user namespace, so before the switch of user (runc does the
	// same); it then covers the init's last calls too, which any filter
	// that lets the workload run allows (setgroups, setresuid, capset).
	if (plan.privesc)
		install_seccomp();
	if (!plan.privileged) {
		drop_bounding();
		explain("keeps only these capabilities, even across execve: %s: prctl(PR_CAPBSET_DROP) of the others", plan.cap_names);
	}
	// Credentials: a single-threaded process, so these calls change the
	// one thread there is, the one that execs.
	if (plan.setgroups && syscall(SYS_setgroups, cred.ngroups, cred.groups) < 0)
		DIE_ERRNO("setgroups");
	if (syscall(SYS_setresgid, cred.gid, cred.gid, cred.gid) < 0)
		DIE_ERRNO("setresgid %u", cred.gid);
	if (syscall(SYS_setresuid, cred.uid, cred.uid, cred.uid) < 0)
		DIE_ERRNO("setresuid %u", cred.uid);
	if (podctl_explain_fd >= 0) {
		char groups[256] = "";
		for (size_t i = 0; i < cred.ngroups; i++) {
			char one[16];
			snprintf(one, sizeof(one), "%s%u", i ? " " : "", cred.groups[i]);
			strncat(groups, one, sizeof(groups) - strlen(groups) - 1);
		}
		explain("becomes the workload's user, on this thread: setgroups([%s]), setresgid(%u), setresuid(%u)", groups, cred.gid, cred.uid);
	}
	if (!plan.privileged) {
		set_caps(cred.uid);
		// No execve may grant more than this from now on: setuid bits and
		// file capabilities are ignored (prctl(2), NO_NEW_PRIVS), unless
		// the container allows privilege escalation; even then the
		// bounding set above caps what a setuid binary can gain.
		if (!plan.privesc && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			DIE_ERRNO("no_new_privs");
		explain("capabilities in effect: %s; %s",
			cred.uid == 0 ? "the kept ones (pod root)" : "none (not root)",
			plan.privesc ? "no_new_privs is not set (privilege escalation allowed): a setuid binary may gain up to the bounding set: capset()"
				     : "no setuid bit may add any: capset(), prctl(PR_SET_NO_NEW_PRIVS)");
	}

	if (chdir(cwd) < 0)
		DIE_ERRNO("--workdir %s", cwd);
	// CVE-2024-21626: a cwd that is not under our root (a leaked host
	// directory fd) makes the kernel's getcwd answer "(unreachable)...".
	char wd[PATH_MAX];
	if (syscall(SYS_getcwd, wd, sizeof(wd)) < 0 || wd[0] != '/')
		die(0, 0, "working directory %s is outside the container's root", cwd);

	char exe[PATH_MAX];
	int code = init_look_path(plan.argv[0], envp, plan.nenv, exe, sizeof(exe), err, sizeof(err));
	if (code != 0)
		die(code, 0, "%s", err);
	// Every descriptor beyond stdio is closed on exec: whatever podctl
	// passed stays out of the workload (CVE-2024-21626).
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		DIE_ERRNO("close_range");
	// The seccomp filter goes last: from here on, only what the workload
	// may do (sendmsg, execve) is left to do. no_new_privs (above) is what
	// allows an unprivileged process to install it.
	if (!plan.privesc)
		install_seccomp();
	if (podctl_explain_fd >= 0) {
		char args[512] = "";
		for (size_t i = 0; i < plan.nargv; i++) {
			strncat(args, i ? " \"" : "\"", sizeof(args) - strlen(args) - 1);
			strncat(args, plan.argv[i], sizeof(args) - strlen(args) - 1);
			strncat(args, "\"", sizeof(args) - strlen(args) - 1);
		}
		explain("becomes the workload: execve(\"%s\", [%s]), in %s", exe, args, cwd);
	}
	if (report("execing", -1) < 0)
		_exit(1); // podctl is gone: it will never know of this workload
	execve(exe, (char *const *)plan.argv, (char *const *)envp);
	die(126, errno, "exec %s", exe);
}
