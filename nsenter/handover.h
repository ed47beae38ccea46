// handover.h: podctl's commands that are a helper binary's (handover.c).
#ifndef PODCTL_HANDOVER_H
#define PODCTL_HANDOVER_H

// podctl_helper_for names the helper binary that carries out podctl's
// command cmd (sub: the word after it, or NULL), or NULL if podctl does.
const char *podctl_helper_for(const char *cmd, const char *sub);

// podctl_handover execs that helper, found beside podctl's own binary,
// with podctl's command line (argv[0] its name): from podctl's C
// constructor, before any Go runtime. It returns where it does not apply
// (podctl's own command, no such file beside podctl, a failed execve,
// _PODCTL_NO_HANDOVER set), and Go does the same thing its own way.
void podctl_handover(int argc, char **argv);

#endif
