// check.h: the C unit tests' one assertion. CHECK prints "FAIL file:line:
// message" and counts the failure; each test program prints "ok" last
// when failures is 0, and exits 1 otherwise.
#ifndef PODCTL_CTEST_CHECK_H
#define PODCTL_CTEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                  \
			printf("\n");                         \
			failures++;                           \
		}                                             \
	} while (0)

#endif
