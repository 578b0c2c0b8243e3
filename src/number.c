// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stddef.h>

#include "number.h"

static int digit(char c, unsigned int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return d < (int)base ? d : -1;
}

int cp_number_prefix(const char *s, uint64_t *v, const char **end)
{
	unsigned int base = 10;
	uint64_t n = 0;
	const char *p = s;
	int d;

	if (!s || digit(*s, 10) < 0)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p = s + 2;
		if (digit(*p, 16) < 0)
			return -EINVAL;
	}
	for (; (d = digit(*p, base)) >= 0; p++) {
		if (n > (UINT64_MAX - d) / base)
			return -ERANGE;
		n = n * base + d;
	}
	*v = n;
	if (end)
		*end = p;
	return 0;
}

int cp_number(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	const char *end;
	int err = cp_number_prefix(s, v, &end);

	if (err)
		return err;
	if (*end)
		return -EINVAL;
	return *v < min || *v > max ? -ERANGE : 0;
}

int cp_number_check(const char *value, uint64_t min, uint64_t max, const char *what,
		    char *why, size_t whylen)
{
	uint64_t v;

	if (value && !cp_number(value, min, max, &v))
		return 0;
	snprintf(why, whylen, "not %s from %llu to %llu (decimal, or 0x)", what,
		 (unsigned long long)min, (unsigned long long)max);
	return -EINVAL;
}
