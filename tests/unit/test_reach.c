// SPDX-License-Identifier: GPL-2.0-only
/*
 * drivers/vfio/reach.c: what of the test buffer (IOVA 16 MiB) a device of
 * N address bits reads.  --vfio-dma-bits 22..24 put the device's limit at
 * or below the buffer: that must be -ERANGE with nothing readable, never
 * the wrapped-around "limit - iova" that let the engine read a huge range
 * its masked addresses folded onto other mappings.
 */
#include <errno.h>

#include "reach.h"
#include "utap.h"

#define MiB	(1ull << 20)
#define IOVA	(16 * MiB)
#define PAGE	4096

static void one(unsigned int bits, size_t len, int want_err, size_t want)
{
	uint64_t limit = bits >= 64 ? UINT64_MAX : 1ull << bits;
	size_t readable = 12345;
	int err = vfio_reach(IOVA, len, limit, PAGE, &readable);

	ok(err == want_err && readable == want, "%u bits, %zu-byte buffer at 16 MiB: err %d readable %zu (want %d, %zu)",
	   bits, len, err, readable, want_err, want);
}

int main(void)
{
	utap_plan(11);
	for (unsigned int bits = 20; bits <= 24; bits++)
		one(bits, 2 * MiB, -ERANGE, 0);	/* limit at or below the buffer */
	one(25, 2 * MiB, 0, 2 * MiB);		/* 32 MiB: all of it */
	one(28, 1024 * MiB, 0, 240 * MiB);	/* edu's default, a 1 GiB buffer: up to 256 MiB */
	one(64, 1024 * MiB, 0, 1024 * MiB);	/* NVMe */
	{
		size_t r;

		ok(vfio_reach(IOVA, 2 * MiB, IOVA + PAGE, PAGE, &r) == 0 && r == PAGE,
		   "limit one page above the buffer: that page (%zu)", r);
		ok(vfio_reach(IOVA, 2 * MiB, IOVA + PAGE - 1, PAGE, &r) == -ERANGE && r == 0,
		   "limit one byte short of the first page: -ERANGE");
		ok(vfio_reach(IOVA, 2 * MiB, IOVA + 3 * PAGE + 100, PAGE, &r) == 0 && r == 3 * PAGE,
		   "a limit mid-page: whole pages only (%zu)", r);
	}
	return utap_done();
}
