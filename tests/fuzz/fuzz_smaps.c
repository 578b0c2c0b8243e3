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

/* The sscanf-based parser cp_smaps_parse replaced (quadratic): same answers required. */
static long reference(const char *text, unsigned long addr, const char *field)
{
	size_t flen = strlen(field);
	const char *p = text;
	bool inside = false;

	while (p && *p) {
		unsigned long start, end;
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "%lx-%lx ", &start, &end) == 2) {
			inside = addr >= start && addr < end;
		} else if (inside && !strncmp(p, field, flen) && p[flen] == ':') {
			char *e;
			long v = strtol(p + flen + 1, &e, 10);

			return e == p + flen + 1 ? -1 : v;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -1;
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
	if (cp_smaps_parse(text, addr, field) != reference(text, addr, field) ||
	    cp_smaps_parse(text, addr, "Rss") != reference(text, addr, "Rss"))
		abort();
	free(text);
	free(field);
	return 0;
}
