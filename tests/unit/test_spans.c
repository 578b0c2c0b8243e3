// SPDX-License-Identifier: GPL-2.0-only
/*
 * cp_check_spans(): every span it hands the device lies inside what the
 * device can read, in order, apart and 8-byte aligned, for every readable
 * size.  Sizes 768..4095 used to put the middle span at (size_t)-128.
 */
#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "trace.h"
#include "utap.h"

#define SPAN 256

/* The spans for readable are sane: NULL, or what is wrong with them (in why). */
static const char *bad_spans(size_t readable, char *why, size_t len)
{
	size_t offs[CP_MAX_SPANS];
	int n = cp_check_spans(readable, SPAN, offs, CP_MAX_SPANS);

	if (n != (readable >= 3 * SPAN ? 3 : readable >= SPAN ? 1 : 0)) {
		snprintf(why, len, "%d spans for %zu bytes", n, readable);
		return why;
	}
	for (int i = 0; i < n; i++) {
		if (offs[i] > readable || readable - offs[i] < SPAN)
			snprintf(why, len, "span %d at %zu beyond %zu bytes", i, offs[i], readable);
		else if (i && offs[i] < offs[i - 1] + SPAN)
			snprintf(why, len, "%zu bytes: span %d at %zu overlaps span %d at %zu", readable, i, offs[i],
				 i - 1, offs[i - 1]);
		else if (i == 1 && offs[i] % 8)
			snprintf(why, len, "%zu bytes: middle span at %zu is not 8-byte aligned", readable, offs[i]);
		else
			continue;
		return why;
	}
	return NULL;
}

int main(void)
{
	static const size_t big[] = { 2 << 20, (2 << 20) - 4096, (1ul << 30), 8192, 8191, 12288, 4096 * 3 + 17 };
	char why[256];
	const char *first = NULL;
	size_t offs[CP_MAX_SPANS];

	utap_plan(4);
	for (size_t r = 0; r <= 3 * 4096 && !first; r++)
		first = bad_spans(r, why, sizeof(why));
	ok(!first, "every readable size 0..12288: spans inside, ordered, apart%s%s", first ? ": " : "",
	   first ? first : "");
	first = NULL;
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]) && !first; i++)
		first = bad_spans(big[i], why, sizeof(why));
	ok(!first, "large sizes (2 MiB, 1 GiB, ...)%s%s", first ? ": " : "", first ? first : "");
	/* The wrap itself: 1000 readable bytes put the middle span in the middle, not at -128. */
	ok(cp_check_spans(1000, SPAN, offs, CP_MAX_SPANS) == 3 && offs[1] == 368 && offs[2] == 744,
	   "1000 bytes: spans 0, %zu, %zu", offs[1], offs[2]);
	/* 2 MiB as before the fix: the middle page's middle. */
	ok(cp_check_spans(2 << 20, SPAN, offs, CP_MAX_SPANS) == 3 && offs[1] == (1 << 20) + 2048 - 128 &&
	   offs[2] == (2 << 20) - SPAN, "2 MiB: spans 0, 0x%zx, 0x%zx", offs[1], offs[2]);
	return utap_done();
}
