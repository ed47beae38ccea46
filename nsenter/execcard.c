// execcard.c: parsing the exec card (execcard.h says what it is and who
// writes it). Pure: no system call, unit-tested by nsenter/ctest.
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execcard.h"

static void card_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void card_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int exec_card_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

// line takes the next line of buf that starts with "key ": its value, NUL-
// terminated in out (at most outlen-1 bytes, printable ASCII only); -1 if
// the line is not there, too long, or holds anything else.
static int line(const char *buf, size_t len, size_t *pos, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	if (len - *pos < kl + 1 || memcmp(buf + *pos, key, kl) != 0 || buf[*pos + kl] != ' ')
		return -1;
	size_t start = *pos + kl + 1, end = start;
	while (end < len && buf[end] != '\n') {
		if (buf[end] < 0x21 && buf[end] != ' ')
			return -1;
		if ((unsigned char)buf[end] > 0x7e)
			return -1;
		end++;
	}
	if (end == len || end - start == 0 || end - start >= outlen)
		return -1;
	memcpy(out, buf + start, end - start);
	out[end - start] = '\0';
	*pos = end + 1;
	return 0;
}

// number parses all of s as an unsigned decimal (base 10) or, with base
// 16, "0x" and hex digits; -1 on anything else or an overflow.
static int number(const char *s, int base, unsigned long long *v)
{
	if (base == 16) {
		if (strncmp(s, "0x", 2) != 0)
			return -1;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (const char *c = s; *c != '\0'; c++)
		if (!((*c >= '0' && *c <= '9') || (base == 16 && ((*c >= 'a' && *c <= 'f')))))
			return -1;
	char *end;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

// numbers parses s as exactly n space-separated decimals into v.
static int numbers(char *s, unsigned long long *v, int n)
{
	for (int i = 0; i < n; i++) {
		char *sp = strchr(s, ' ');
		if ((sp == NULL) != (i == n - 1))
			return -1;
		if (sp != NULL)
			*sp = '\0';
		if (number(s, 10, &v[i]) < 0)
			return -1;
		if (sp != NULL)
			s = sp + 1;
	}
	return 0;
}

// process parses the line "key PID STARTTIME".
static int process(const char *buf, size_t len, size_t *pos, const char *key, long long *pid, unsigned long long *start)
{
	char v[128];
	unsigned long long f[2];
	if (line(buf, len, pos, key, v, sizeof(v)) < 0 || numbers(v, f, 2) < 0 || f[0] == 0 || f[0] > (1 << 22))
		return -1;
	*pid = (long long)f[0];
	*start = f[1];
	return 0;
}

int exec_card_parse(const char *buf, size_t len, struct exec_card *card, char *err, size_t errlen)
{
	static const char magic[] = "podctl-exec-card 1\n";
	char v[128];
	unsigned long long n;
	size_t pos = sizeof(magic) - 1;
	memset(card, 0, sizeof(*card));
	if (len < pos || memcmp(buf, magic, pos) != 0) {
		card_err(err, errlen, "not an exec card of version 1");
		return -1;
	}
	// boot: the boot id, as the kernel writes it (a UUID, 36 characters).
	if (line(buf, len, &pos, "boot", card->boot, sizeof(card->boot)) < 0 || strlen(card->boot) != 36) {
		card_err(err, errlen, "bad boot line");
		return -1;
	}
	// exe: five decimal numbers.
	if (line(buf, len, &pos, "exe", v, sizeof(v)) < 0 || numbers(v, card->exe, 5) < 0) {
		card_err(err, errlen, "bad exe line");
		return -1;
	}
	if (line(buf, len, &pos, "pod", card->pod, sizeof(card->pod)) < 0 || !exec_card_dns_label(card->pod)) {
		card_err(err, errlen, "bad pod line");
		return -1;
	}
	// pause and pid: "PID STARTTIME", both decimal, the pid positive and at
	// most the kernel's limit (PID_MAX_LIMIT, 2^22).
	if (process(buf, len, &pos, "pause", &card->pause_pid, &card->pause_starttime) < 0 ||
		process(buf, len, &pos, "pid", &card->pid, &card->starttime) < 0) {
		card_err(err, errlen, "bad pause or pid line");
		return -1;
	}
	// setns: the namespaces' CLONE_NEW* bits, which fit in 31 bits.
	if (line(buf, len, &pos, "setns", v, sizeof(v)) < 0 || number(v, 16, &n) < 0 || n == 0 || n > 0x7fffffff) {
		card_err(err, errlen, "bad setns line");
		return -1;
	}
	card->setns_flags = (int)n;
	if (line(buf, len, &pos, "container", card->container, sizeof(card->container)) < 0 ||
		!exec_card_dns_label(card->container)) {
		card_err(err, errlen, "bad container line");
		return -1;
	}
	// plan: its length, then exactly that many bytes to the end.
	if (line(buf, len, &pos, "plan", v, sizeof(v)) < 0 || number(v, 10, &n) < 0 || n == 0 || n != len - pos) {
		card_err(err, errlen, "bad plan line");
		return -1;
	}
	if (n < 5 || memcmp(buf + pos, "plan", 5) != 0) {
		card_err(err, errlen, "the plan is not a plan");
		return -1;
	}
	card->plan = buf + pos;
	card->plan_len = (size_t)n;
	return 0;
}
