// SPDX-License-Identifier: GPL-2.0-only
/* Patterns: B differs from A and from zero at every byte; fill and byte agree. */
#include <stdbool.h>
#include <string.h>

#include "pattern.h"
#include "utap.h"

int main(void)
{
	static unsigned char buf[3 << 20];
	size_t same = 0, zero = 0, periodic = 0, missed = 0;
	bool bad = false;

	utap_plan(7);
	for (size_t off = 0; off < sizeof(buf); off++) {
		same += cp_pattern_byte(CP_PAT_A, off) == cp_pattern_byte(CP_PAT_B, off);
		zero += cp_pattern_byte(CP_PAT_B, off) == 0;
	}
	ok(same == 0, "B differs from A at every byte of 3 MiB");
	ok(zero == 0, "B is never zero (differs from the zeropage)");
	cp_pattern_fill(CP_PAT_B, buf, 12345, sizeof(buf) - 12345);
	for (size_t i = 0; i < sizeof(buf) - 12345 && !bad; i++)
		bad = buf[i] != cp_pattern_byte(CP_PAT_B, 12345 + i);
	ok(!bad && cp_pattern_mismatch(CP_PAT_B, buf, 12345, sizeof(buf) - 12345) == sizeof(buf) - 12345,
	   "template fill agrees with the byte function across the period");
	buf[777] ^= 1;
	ok(cp_pattern_mismatch(CP_PAT_B, buf, 12345, sizeof(buf) - 12345) == 777,
	   "mismatch names the first differing offset");
	/* The chunked compare finds one flipped byte wherever it is: either side of the period, in zeros too. */
	for (int p = CP_PAT_ZERO; p <= CP_PAT_B; p++) {
		static const size_t at[] = { 0, 1, 4095, 4096, 255 * 4096 - 12346, 255 * 4096 - 12345,
					     255 * 4096 - 12344, (2 << 20) + 5, sizeof(buf) - 12346 };

		cp_pattern_fill(p, buf, 12345, sizeof(buf) - 12345);
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			size_t got;

			buf[at[k]] ^= 0x10;
			got = cp_pattern_mismatch(p, buf, 12345, sizeof(buf) - 12345);
			buf[at[k]] ^= 0x10;
			if (got != at[k] && !missed)
				missed = at[k] + 1;
		}
	}
	ok(!missed, "mismatch finds a flipped byte at every place tried, for zeros, A and B%s",
	   missed ? " (missed one)" : "");
	for (size_t page = 1; page < 255; page++)
		periodic += !memcmp(buf, buf + page * 4096, 4096);
	ok(periodic == 0, "no page repeats another within the 255-page period");
	ok(!strcmp(cp_pattern_name(CP_PAT_ZERO), "zeros"), "pattern names");
	return utap_done();
}
