// handover.c: the commands podctl hands over to a helper binary, whose
// libraries podctl's own binary must not carry (cmd/podctl/images.go):
// podctl-store's (images, rmi, image ls|rm|inspect|prune), podctl-image's
// (pull, load, push, login, logout), podctl-kube's (apply, delete,
// generate, configmap, secret) and podctl-cri's (cri).
//
// Why here: podctl only execs the helper, with the same command line, so
// everything its Go runtime would do first is wasted. Measured here, a
// podctl command reaches main ~7 ms after its execve (the runtime's start,
// the package initializers, their pages faulted in), and each `apply` or
// `pull` paid that before the helper paid its own. Done from podctl's C
// constructor (nsenter.c), the handover costs one readlink and one
// execve.
//
// The table is the one place that says which helper runs which command:
// Go's fallback (cmd/podctl/images.go) asks it too, through
// nsenter.HelperFor.
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"

extern char **environ;

static int one_of(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

const char *podctl_helper_for(const char *cmd, const char *sub)
{
	static const char *const kube[] = {"apply", "delete", "generate", "configmap", "secret", NULL};
	static const char *const transport[] = {"pull", "load", "push", "login", "logout", NULL};
	static const char *const store[] = {"images", "rmi", NULL};
	static const char *const image_transport[] = {"pull", "load", "push", NULL};
	if (one_of(cmd, kube))
		return "podctl-kube";
	if (one_of(cmd, transport))
		return "podctl-image";
	if (one_of(cmd, store))
		return "podctl-store";
	if (cmd != NULL && strcmp(cmd, "cri") == 0)
		return "podctl-cri";
	// podctl image pull|load|push are the transports'; the rest of
	// `image` (ls, rm, inspect, prune, or nothing: its help) the store's.
	if (cmd != NULL && strcmp(cmd, "image") == 0)
		return one_of(sub, image_transport) ? "podctl-image" : "podctl-store";
	return NULL;
}

void podctl_handover(int argc, char **argv)
{
	if (argc < 2 || getenv("_PODCTL_NO_HANDOVER") != NULL)
		return;
	const char *helper = podctl_helper_for(argv[1], argc > 2 ? argv[2] : NULL);
	if (helper == NULL)
		return;
	// Beside podctl's binary, as images.Binary looks first; $PATH, its
	// second place, is left to Go, which also words the error if the
	// helper is nowhere.
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(path) - 1)
		return;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash + 1 - path) + strlen(helper) >= sizeof(path))
		return;
	strcpy(slash + 1, helper);
	// argv[0] is the helper's name, as Go passes it; the array is put
	// back if execve fails, since the Go runtime reads os.Args from it.
	char *self = argv[0];
	argv[0] = (char *)helper;
	execve(path, argv, environ);
	argv[0] = self;
}
