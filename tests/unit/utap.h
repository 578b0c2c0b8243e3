/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal TAP producer for unit tests: one "ok"/"not ok" per check. */
#ifndef COWPIN_UTAP_H
#define COWPIN_UTAP_H

#include <stdio.h>
#include <stdlib.h>

static int utap_n, utap_failed;

#define utap_plan(n) printf("TAP version 13\n1..%d\n", (n))
#define ok(cond, ...)                                                   \
	do {                                                            \
		int _c = !!(cond);                                      \
		printf("%sok %d ", _c ? "" : "not ", ++utap_n);         \
		printf(__VA_ARGS__);                                    \
		printf("\n");                                           \
		if (!_c) {                                              \
			utap_failed++;                                  \
			printf("# failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                       \
	} while (0)
#define skip(reason, ...)                                               \
	do {                                                            \
		printf("ok %d ", ++utap_n);                             \
		printf(__VA_ARGS__);                                    \
		printf(" # SKIP %s\n", reason);                         \
	} while (0)
#define utap_done() (fflush(stdout), utap_failed ? 1 : 0)

#endif
