// SPDX-License-Identifier: GPL-2.0-only
/* Patterns: B differs from A and from zero at every byte; fill and byte agree. */
#include <string.h>

#include "pattern.h"
#include "utap.h"

int main(void)
{
	static unsigned char buf[3 << 20];
	size_t same = 0, zero = 0, periodic = 0;

	utap_plan(6);
	for (size_t off = 0; off < sizeof(buf); off++) {
		same += cp_pattern_byte(CP_PAT_A, off) == cp_pattern_byte(CP_PAT_B, off);
		zero += cp_pattern_byte(CP_PAT_B, off) == 0;
	}
	ok(same == 0, "B differs from A at every byte of 3 MiB");
	ok(zero == 0, "B is never zero (differs from the zeropage)");
	cp_pattern_fill(CP_PAT_B, buf, 12345, sizeof(buf) - 12345);
	ok(cp_pattern_mismatch(CP_PAT_B, buf, 12345, sizeof(buf) - 12345) == sizeof(buf) - 12345,
	   "template fill agrees with the byte function across the period");
	buf[777] ^= 1;
	ok(cp_pattern_mismatch(CP_PAT_B, buf, 12345, sizeof(buf) - 12345) == 777,
	   "mismatch names the first differing offset");
	for (size_t page = 1; page < 255; page++)
		periodic += !memcmp(buf, buf + page * 4096, 4096);
	ok(periodic == 0, "no page repeats another within the 255-page period");
	ok(!strcmp(cp_pattern_name(CP_PAT_ZERO), "zeros"), "pattern names");
	return utap_done();
}
