// attack.c: hostile workloads for the attack suite (security_test.go).
// Each subcommand tries one escape and prints "BLOCKED <errno name>" when
// the kernel refused it, or "ESCAPED" when it worked. Built static by the
// test suite into the test rootfs; never part of podctl.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(long rc)
{
	if (rc < 0) {
		printf("BLOCKED %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("ESCAPED\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *what = argv[1];
	if (!strcmp(what, "tiocsti")) {
		char c = 'x'; // typed into whatever terminal fd 0, 1 or 2 is
		long rc = -1;
		for (int fd = 0; fd < 3 && rc < 0; fd++)
			rc = ioctl(fd, TIOCSTI, &c);
		return report(rc);
	}
	if (!strcmp(what, "keyctl")) // KEYCTL_JOIN_SESSION_KEYRING
		return report(syscall(SYS_keyctl, 1, "attack"));
	if (!strcmp(what, "io_uring")) {
		char params[120] = {0};
		return report(syscall(SYS_io_uring_setup, 4, params));
	}
	// The kernel calls the default seccomp profile refuses. Each is
	// made so that, let through, the kernel's own answer differs from
	// seccomp's EPERM and changes nothing: perf_event_open with no
	// attribute (EFAULT), bpf with a command that does not exist and
	// kexec_load with flags that do not exist (EINVAL, once the caller
	// holds CAP_BPF / CAP_SYS_BOOT of the host: root --privileged).
	if (!strcmp(what, "perf_event_open"))
		return report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	if (!strcmp(what, "bpf"))
		return report(syscall(SYS_bpf, 9999, NULL, 0));
	if (!strcmp(what, "kexec_load"))
		return report(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
	if (!strcmp(what, "unshare-user"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(what, "unshare-mnt"))
		return report(unshare(CLONE_NEWNS));
	if (!strcmp(what, "mount"))
		return report(mount("none", "/tmp", "tmpfs", 0, ""));
	if (!strcmp(what, "setns")) { // into the pause's network namespace
		int fd = open("/proc/1/ns/net", O_RDONLY);
		return report(fd < 0 ? fd : setns(fd, CLONE_NEWNET));
	}
	if (!strcmp(what, "ptrace")) // attach to PID 1, the pause
		return report(ptrace(PTRACE_ATTACH, 1, 0, 0));
	// exe-mount PATH: is the file behind PATH (a /proc/PID/exe) on a
	// writable mount? A running binary refuses writes anyway (ETXTBSY);
	// CVE-2019-5736 writes once it has stopped running, through a
	// descriptor kept from before, which only a read-only mount stops.
	if (!strcmp(what, "exe-mount") && argc == 3) {
		int fd = open(argv[2], O_PATH | O_CLOEXEC);
		struct statfs st;
		if (fd < 0 || fstatfs(fd, &st) < 0)
			return report(-1);
		if (st.f_flags & ST_RDONLY) {
			printf("BLOCKED EROFS\n");
			return 0;
		}
		return report(0);
	}
	if (!strcmp(what, "open") && argc == 4) { // open PATH for MODE r|w
		int fd = open(argv[2], argv[3][0] == 'w' ? O_WRONLY : O_RDONLY);
		if (fd >= 0 && argv[3][0] == 'w' && write(fd, "1", 1) < 0)
			fd = -1;
		return report(fd);
	}
	return 2;
}
