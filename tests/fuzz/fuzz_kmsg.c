// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: one /dev/kmsg record, exactly as read() returns it (not
 * NUL-terminated), then the bad-line matcher on the text it yields.  The
 * first byte picks the caller's text buffer size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t textlen;
	char *rec, *text;
	int level = -1;

	if (size < 1)
		return 0;
	textlen = 1 + data[0] * 4;
	data++;
	size--;
	/* An exact-size copy: reading past the record trips ASan. */
	rec = malloc(size ? size : 1);
	memcpy(rec, data, size);
	text = malloc(textlen);
	if (!cp_kmsg_parse(rec, size, &level, text, textlen)) {
		if (level < 0 || level > 7 || strlen(text) >= textlen)
			abort();
		(void)cp_kmsg_is_bad(text);
	}
	free(text);
	free(rec);
	return 0;
}
