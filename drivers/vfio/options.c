// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "number.h"
#include "options.h"

int vfio_lba_range_parse(const char *s, uint64_t *start, uint64_t *count)
{
	const char *end;

	if (!s || !*s)
		return -ENOENT;
	*count = 0;
	if (cp_number_prefix(s, start, &end))
		return -EINVAL;
	if (*end == '+' && (cp_number_prefix(end + 1, count, &end) || !*count || *count - 1 > UINT64_MAX - *start))
		return -EINVAL;
	return *end ? -EINVAL : 0;
}

int vfio_lba_range_check(const char *value, char *why, size_t whylen)
{
	uint64_t start, count;

	if (!vfio_lba_range_parse(value, &start, &count))
		return 0;
	snprintf(why, whylen, "not START[+COUNT]: logical blocks of namespace 1, decimal (hex only with 0x), "
		 "COUNT > 0, e.g. 2048+4096");
	return -EINVAL;
}

int vfio_dma_bits_check(const char *value, char *why, size_t whylen)
{
	/* readback.c's dma_bits() reads it with cp_number() too: "040" is 40. */
	return cp_number_check(value, 20, 64, "a count of bus address bits", why, whylen);
}

int test_dma_fault_check(const char *value, char *why, size_t whylen)
{
	if (value && (!strcmp(value, "unmapped") || !strcmp(value, "wrong-iova")))
		return 0;
	snprintf(why, whylen, "TEST ONLY --test-dma-fault wants unmapped or wrong-iova");
	return -EINVAL;
}
