// initfs.c: paths inside the container's root filesystem, for the init's
// mounts (init.c). Every one is resolved from a descriptor of the root
// with openat2(2) and RESOLVE_IN_ROOT, so a symlink in the rootfs (the
// image's author, or a workload of an earlier run, controls those) is
// followed as if the root were "/" and can never lead a mount outside it
// (CVE-2019-16884, CVE-2021-30465); the mount then targets
// /proc/self/fd/N, the very object that was checked.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

// From <linux/openat2.h>, spelled out for older headers.
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_IN_ROOT 0x10
#endif
struct podctl_open_how {
	unsigned long long flags, mode, resolve;
};

char init_fs_err[512];

static int openat2_retry(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
	struct podctl_open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .mode = mode, .resolve = resolve};
	for (;;) {
		int fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		// EAGAIN: a rename raced the lookup (openat2(2)); try again.
		if (fd < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return fd;
	}
}

// init_open_in opens path (absolute inside the rootfs) relative to root,
// refusing /proc magic links, which could hand out a file outside it.
int init_open_in(int root, const char *path, int flags, mode_t mode)
{
	while (*path == '/')
		path++;
	int fd = openat2_retry(root, *path ? path : ".", flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		int saved = errno;
		snprintf(init_fs_err, sizeof(init_fs_err), "open /%s in the rootfs", path);
		errno = saved;
	}
	return fd;
}

// init_mkdir_all_in makes directory path and its missing parents inside the
// rootfs (0755, as root of the pod) and returns an O_PATH descriptor of it.
int init_mkdir_all_in(int root, const char *path)
{
	int fd = init_open_in(root, path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", path);
	size_t l = strlen(parent);
	while (l > 0 && parent[l - 1] == '/')
		parent[--l] = '\0';
	char *slash = strrchr(parent, '/');
	if (slash == NULL || l == 0)
		return -1; // the root itself does not resolve: errno and message stand
	*slash = '\0';
	const char *base = slash + 1;
	int dir = init_mkdir_all_in(root, parent);
	if (dir < 0)
		return -1;
	int rc = mkdirat(dir, base, 0755);
	int saved = errno;
	close(dir);
	if (rc < 0 && saved == EEXIST) {
		// It exists yet did not resolve: a symlink to nothing. It is not
		// followed to create its target; the image must be fixed.
		snprintf(init_fs_err, sizeof(init_fs_err), "mkdir %s in the rootfs: exists but is a symlink to a missing directory", path);
		errno = ELOOP;
		return -1;
	}
	if (rc < 0) {
		snprintf(init_fs_err, sizeof(init_fs_err), "mkdir %s in the rootfs", path);
		errno = saved;
		return -1;
	}
	return init_open_in(root, path, O_PATH | O_DIRECTORY, 0);
}

// init_file_in returns an O_PATH descriptor of regular file path inside the
// rootfs, creating it (empty) and its directory when missing: a bind mount
// needs a target of the same kind as its source.
int init_file_in(int root, const char *path)
{
	int fd = init_open_in(root, path, O_PATH, 0);
	if (fd < 0 && errno == ENOENT) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", path);
		char *slash = strrchr(parent, '/');
		if (slash != NULL) {
			*slash = '\0';
			int dir = init_mkdir_all_in(root, parent[0] ? parent : "/");
			if (dir < 0)
				return -1;
			close(dir);
		}
		fd = init_open_in(root, path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0) {
			close(fd);
			fd = init_open_in(root, path, O_PATH, 0);
		}
	}
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		snprintf(init_fs_err, sizeof(init_fs_err), "stat %s in the rootfs", path);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(init_fs_err, sizeof(init_fs_err), "bind mount %s in the rootfs: exists in the rootfs but is not a regular file", path);
		errno = EEXIST;
		return -1;
	}
	return fd;
}

// init_open_source opens a volume's host path, which podctl resolved when
// the user named it, refusing any symlink on the way (RESOLVE_NO_SYMLINKS):
// one there now was put there since, to redirect the mount.
int init_open_source(const char *path)
{
	int fd = openat2_retry(AT_FDCWD, path, O_PATH, 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		int saved = errno;
		if (saved == ELOOP)
			snprintf(init_fs_err, sizeof(init_fs_err), "the host path now goes through a symlink, and podctl follows none there (was it replaced?)");
		else
			snprintf(init_fs_err, sizeof(init_fs_err), "open");
		errno = saved;
	}
	return fd;
}
