// execcard_test.c: unit tests of the exec card's parser (execcard.c),
// built with AddressSanitizer and UBSan and run by nsenter's
// TestExecCardC, which passes argv[1], a card that Go's ExecCard.Encode
// wrote: it is parsed and printed back for Go to compare, then cut and
// mutated at every byte to check that no input makes the parser read out
// of bounds or crash. Cards that are wrong in one field each must be
// refused. It prints "ok" last; a failure prints "FAIL ..." and exits 1.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../execcard.h"
#include "check.h"

// parse copies s into a buffer of exactly its size, so that ASan sees any
// read past its end.
static int parse(const char *s, size_t len, struct exec_card *c)
{
	char err[128];
	char *b = malloc(len ? len : 1);
	memcpy(b, s, len);
	int r = exec_card_parse(b, len, c, err, sizeof(err));
	free(b);
	return r;
}

static const char good[] = "podctl-exec-card 1\nboot 79c590d1-e40d-46b9-9fdd-a691859f21a8\nexe 1 2 3 4 5\npod p\n"
			   "pause 41 6\npid 42 7\nsetns 0x7e020000\ncontainer web\nplan 5\nplan\0";

static void test_bad_cards(void)
{
	struct exec_card c;
	CHECK(parse(good, sizeof(good) - 1, &c) == 0, "the good card is refused");
	static const struct {
		const char *from, *to;
	} bad[] = {
		{"card 1", "card 2"},          // another version
		{"boot 79c5", "boot 9c5"},     // a boot id of 35 characters
		{"pid 42 7", "pid 0 7"},       // no pid 0
		{"pid 42 7", "pid -4 7"},      // nor a negative one
		{"pid 42 7", "pid 4194305 7"}, // nor past PID_MAX_LIMIT
		{"pid 42 7", "pid 42"},        // no start time
		{"pid 42 7", "pid 42 7x"},     // trailing garbage
		{"pid 42 7", "pid 42 99999999999999999999"}, // overflow
		{"setns 0x7e", "setns 7e"},    // hex with its 0x
		{"setns 0x7e020000", "setns 0x0"},
		{"setns 0x7e020000", "setns 0x17e020000"}, // past 31 bits
		{"container web", "container Web"},       // not a DNS label
		{"container web", "container -web"},
		{"container web", "container we/b"},
		{"plan 5", "plan 6"},          // longer than what follows
		{"plan 5", "plan 4"},          // shorter
		{"\nboot", "\nBoot"},          // a line out of its place
		{"exe 1 2 3 4 5", "exe 1 2 3 4"},   // five numbers
		{"exe 1 2 3 4 5", "exe 1 2 3 4 5 6"},
		{"exe 1 2 3 4 5", "exe 1 2  3 4 5"},
		{"pod p", "pod P"},
		{"pause 41 6", "pause 0 6"},
		{"pause 41 6", "pause 41"},
		{"plan\0", "plax\0"},             // a plan that is not one
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char b[512];
		const char *at = memmem(good, sizeof(good) - 1, bad[i].from, strlen(bad[i].from));
		CHECK(at != NULL, "case %zu: %s not in the card", i, bad[i].from);
		if (at == NULL)
			continue;
		size_t pre = (size_t)(at - good), fl = strlen(bad[i].from), tl = strlen(bad[i].to);
		size_t post = sizeof(good) - 1 - pre - fl;
		memcpy(b, good, pre);
		memcpy(b + pre, bad[i].to, tl);
		memcpy(b + pre + tl, at + fl, post);
		CHECK(parse(b, pre + tl + post, &c) < 0, "case %zu (%s -> %s) was accepted", i, bad[i].from, bad[i].to);
	}
	CHECK(exec_card_dns_label("a") && exec_card_dns_label("a-1") && !exec_card_dns_label("") &&
		!exec_card_dns_label("a-") && !exec_card_dns_label("a.b") &&
		!exec_card_dns_label("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		"exec_card_dns_label");
}

// mutate: every prefix, and every byte replaced by a few values: parsed or
// refused, never a crash or a read out of bounds.
static void mutate(const char *card, size_t len)
{
	struct exec_card c;
	for (size_t cut = 0; cut < len; cut++)
		CHECK(parse(card, cut, &c) < 0, "the card cut to %zu bytes was accepted", cut);
	char *b = malloc(len);
	static const char vals[] = {'\0', '\n', ' ', '0', '9', 'x', '\xff', '-'};
	for (size_t i = 0; i < len; i++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(b, card, len);
			b[i] = vals[v];
			parse(b, len, &c);
		}
	free(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: execcard_test CARD\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	static char card[1 << 16];
	size_t len = f ? fread(card, 1, sizeof(card), f) : 0;
	CHECK(f != NULL, "reading %s", argv[1]);
	if (f == NULL)
		return 1;
	fclose(f);
	struct exec_card c;
	char err[128];
	if (exec_card_parse(card, len, &c, err, sizeof(err)) < 0) {
		printf("FAIL parsing Go's card: %s\n", err);
		return 1;
	}
	printf("boot %s\nexe %llu %llu %llu %llu %llu\npod %s\npause %lld %llu\npid %lld %llu\nsetns %#x\ncontainer %s\nplan %zu [",
		c.boot, c.exe[0], c.exe[1], c.exe[2], c.exe[3], c.exe[4], c.pod, c.pause_pid, c.pause_starttime, c.pid,
		c.starttime, c.setns_flags, c.container, c.plan_len);
	fwrite(c.plan, 1, c.plan_len, stdout);
	printf("]\n");
	mutate(card, len);
	test_bad_cards();
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}
