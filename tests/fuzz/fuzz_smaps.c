// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: /proc/self/smaps text.  Input: 8 bytes of address, a
 * field name up to the first NUL, then the smaps text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"

/*
 * Properties instead of a reference parser (sscanf's "%lx" takes "0X-7f..."
 * as a header where a strict parser rightly doesn't): a value found is the
 * number after "FIELD:" on some line of the text.
 */
static bool plausible(const char *text, const char *field, long v)
{
	char needle[96];

	if (v == -1 || strlen(field) > 64)	/* nothing found, or too long to check here */
		return true;
	snprintf(needle, sizeof(needle), "%s:", field);
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		if (strtol(p + strlen(needle), NULL, 10) == v)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long addr = 0;
	const uint8_t *nul;
	char *field, *text;
	size_t flen;

	if (size < sizeof(addr) || size > 8192)
		return 0;
	memcpy(&addr, data, sizeof(addr));
	data += sizeof(addr);
	size -= sizeof(addr);
	nul = memchr(data, '\0', size);
	flen = nul ? (size_t)(nul - data) : size;
	field = strndup((const char *)data, flen);
	data += flen + !!nul;
	size -= flen + !!nul;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (!plausible(text, field, cp_smaps_parse(text, addr, field)) ||
	    !plausible(text, "Rss", cp_smaps_parse(text, addr, "Rss")))
		abort();
	free(text);
	free(field);
	return 0;
}
