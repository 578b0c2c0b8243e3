// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

/*
 * B(off) = 1 + (T[off % 4096] + page * 157) % 255 with page = off / 4096:
 * never zero, different in neighbouring bytes and pages, and periodic only
 * every 255 pages, so a device reading the wrong page shows.  A = B ^ 0x80
 * differs from B at every byte.  The period lets a 1 GiB fill be a memcpy
 * from a template: under QEMU TCG a per-byte hash of 1 GiB takes minutes.
 */
#define PERIOD_PAGES 255
#define PERIOD (PERIOD_PAGES * 4096ul)

static unsigned char page_table[4096];
static unsigned char *tmpl[2];

static void init_table(void)
{
	static int done;
	unsigned long long x = 0x6a09e667f3bcc909ull;

	if (done)
		return;
	for (int i = 0; i < 4096; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page_table[i] = (unsigned char)(x % 255);
	}
	done = 1;
}

unsigned char cp_pattern_byte(enum cp_pattern p, size_t off)
{
	unsigned int page = (off / 4096) % PERIOD_PAGES;
	unsigned char b;

	if (p == CP_PAT_ZERO)
		return 0;
	init_table();
	b = 1 + (page_table[off % 4096] + page * 157) % 255;
	return p == CP_PAT_A ? b ^ 0x80 : b;
}

static const unsigned char *template_of(enum cp_pattern p)
{
	int i = p == CP_PAT_A ? 0 : 1;

	if (!tmpl[i]) {
		unsigned char *t = malloc(PERIOD);

		if (!t)
			return NULL;
		for (size_t off = 0; off < PERIOD; off++)
			t[off] = cp_pattern_byte(p, off);
		tmpl[i] = t;
	}
	return tmpl[i];
}

void cp_pattern_fill(enum cp_pattern p, unsigned char *dst, size_t off, size_t len)
{
	const unsigned char *t = p == CP_PAT_ZERO ? NULL : template_of(p);

	if (p == CP_PAT_ZERO) {
		memset(dst, 0, len);
		return;
	}
	while (len) {
		size_t at = off % PERIOD, n = PERIOD - at < len ? PERIOD - at : len;

		if (t) {
			memcpy(dst, t + at, n);
		} else {
			for (size_t i = 0; i < n; i++)
				dst[i] = cp_pattern_byte(p, off + i);
		}
		dst += n;
		off += n;
		len -= n;
	}
}

/* The first byte of buf[0, len) that differs from want[], or len. */
static size_t first_diff(const unsigned char *buf, const unsigned char *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != want[i])
			return i;
	return len;
}

/*
 * memcmp() against the template (or zeros), chunk by chunk, and a byte
 * search only in a chunk that differs: whole-buffer compares (gup-test, the
 * NVMe engines) of 2 MiB cost a per-byte hash each under TCG otherwise.
 */
size_t cp_pattern_mismatch(enum cp_pattern p, const unsigned char *buf, size_t off, size_t len)
{
	static const unsigned char zeros[4096];
	const unsigned char *t = p == CP_PAT_ZERO ? NULL : template_of(p);
	size_t done = 0;

	if (p != CP_PAT_ZERO && !t) {
		for (size_t i = 0; i < len; i++)
			if (buf[i] != cp_pattern_byte(p, off + i))
				return i;
		return len;
	}
	while (done < len) {
		size_t at = (off + done) % PERIOD, n = len - done;
		const unsigned char *want = t ? t + at : zeros;

		if (t && n > PERIOD - at)
			n = PERIOD - at;
		if (!t && n > sizeof(zeros))
			n = sizeof(zeros);
		if (memcmp(buf + done, want, n))
			return done + first_diff(buf + done, want, n);
		done += n;
	}
	return len;
}

const char *cp_pattern_name(enum cp_pattern p)
{
	switch (p) {
	case CP_PAT_ZERO:
		return "zeros";
	case CP_PAT_A:
		return "A";
	default:
		return "B";
	}
}
