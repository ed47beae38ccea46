// execcard.h: the exec card, what `podctl exec POD -- CMD` needs to run in
// C, with no Go runtime (execfast.c).
//
// A pod's supervisor writes it (nsenter/execcard.go, ExecCard.Encode)
// into the pod's state directory each time the pod's main container
// starts, and removes it when that run ends. It is everything Go's exec
// path would decide for the plain form of the command (no flags): the
// container's process (its pid and start time, so that a stale card names
// nothing), the namespaces to join, and the init's plan without the
// command, in init.h's format. It is text lines, then the plan's bytes:
//
//   podctl-exec-card 1
//   boot BOOT_ID
//   exe DEV INO SIZE MTIME_S MTIME_NS  (the supervisor's binary: the plan's
//                                      format is the binary's own)
//   pod NAME
//   pause PID STARTTIME
//   pid PID STARTTIME
//   setns FLAGS            (hex, 0x...)
//   container NAME
//   plan LENGTH
//   <LENGTH bytes, to the end of the file>
//
// The card is read back as untrusted input: anything that does not parse
// exactly so, or does not match the running process, makes podctl take
// its Go path, which reads state.json and reports what is wrong.
#ifndef PODCTL_EXECCARD_H
#define PODCTL_EXECCARD_H

#include <stddef.h>

struct exec_card {
	char boot[40];          // /proc/sys/kernel/random/boot_id, no newline
	// The binary that wrote it (stat(2) of the supervisor's
	// /proc/self/exe): a card is used only by the same binary, whose
	// init.c reads the plan as it was written.
	unsigned long long exe[5]; // st_dev, st_ino, st_size, mtime s, mtime ns
	char pod[64];           // the pod's name, a DNS label
	long long pause_pid;    // the pod's pause and its start time
	unsigned long long pause_starttime;
	long long pid;
	unsigned long long starttime; // /proc/PID/stat field 22
	int setns_flags;
	char container[64];     // a DNS label (model.ValidateName)
	const char *plan;       // into the buffer parsed
	size_t plan_len;
};

// exec_card_parse fills card from buf (len bytes; card->plan points into
// it); -1 with a reason in err when buf is not a card of this version.
int exec_card_parse(const char *buf, size_t len, struct exec_card *card, char *err, size_t errlen);

// exec_card_dns_label: whether s is a DNS label (RFC 1123), as pod and
// container names are: 1 to 63 of [a-z0-9-], alphanumeric at both ends.
int exec_card_dns_label(const char *s);

#endif
