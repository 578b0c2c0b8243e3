/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Numbers the user names (block ranges, ports, bit counts): decimal, or hex
 * with 0x, nothing else.  strtoull(s, 0) would read "0100" as octal 64 and
 * accept " 12", "-1" and "12abc"-style prefixes: a block the user did not name.
 */
#ifndef COWPIN_NUMBER_H
#define COWPIN_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse the number at the start of s into *v (decimal; hex after "0x"/"0X";
 * leading zeros are decimal).  *end: the first byte after it.  -EINVAL when s
 * does not start with a digit, -ERANGE when it exceeds UINT64_MAX.
 */
int cp_number_prefix(const char *s, uint64_t *v, const char **end);
/* All of s one number in [min, max]: 0, -EINVAL or -ERANGE. */
int cp_number(const char *s, uint64_t min, uint64_t max, uint64_t *v);
/*
 * A struct cp_option check: 0 when value is one number in [min, max], else
 * -EINVAL with "not WHAT from MIN to MAX (decimal, or 0x)" in why.
 */
int cp_number_check(const char *value, uint64_t min, uint64_t max, const char *what,
		    char *why, size_t whylen);

#endif
