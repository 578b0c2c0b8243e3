// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA-engine driver for QEMU's educational "edu" device (1234:11e8).
 *
 * edu has no RAM-to-RAM copy: it moves data between RAM and a 4 KiB
 * buffer of its own at device address 0x40000, one transfer at a time,
 * ~100 ms each (a QEMU timer), so transfers are what a read-back costs.
 * A gather of n pieces -> dst is n + 1 transfers through a part of the
 * edu buffer that no gather has used since it was poisoned:
 *   1..n. piece i -> the next bytes of that part (consecutive slots);
 *   n+1.  the whole part, every piece at once -> dst.
 * A transfer that fails silently (e.g. an IOMMU fault) so leaves poison,
 * never older data, in its piece's slot.  When the next gather no longer
 * fits in the unused rest, one more transfer first poisons the whole
 * buffer again from the driver's poison region: at the first gather after
 * init (what the buffer holds is unknown), then every ~5th read-back of
 * 3 x 256 bytes.  A read-back of 3 spans is so 4 transfers (5 with the
 * poison: a lab test opens the device afresh), not the 6 (7) of a copy
 * per span; poisoning before every copy had cost another 100 ms per span.
 * Quirks (QEMU 7.2): a 4096-byte transfer aborts QEMU (off-by-one in its
 * range check), so at most 4095 bytes; bus addresses are masked to the
 * device's dma_mask, 28 bits unless QEMU was given -device edu,dma_mask=.
 * BAR0 has no window on the edu buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer.h"
#include "dma.h"
#include "env.h"
#include "vfio.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

#define EDU_REG_ID	0x00	/* 0x010000ed: version 1.0 */
#define EDU_REG_LIVE	0x04	/* reads back the inverse of what was written */
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_CNT	0x90
#define EDU_REG_CMD	0x98
#define EDU_CMD_START	0x1	/* cleared by the device when the transfer is done */
#define EDU_CMD_TO_RAM	0x2	/* direction: 0 = RAM -> edu buffer, 1 = edu buffer -> RAM */

#define EDU_BUF		0x40000
#define EDU_MAX_LEN	4095
#define EDU_POISON	0xe5

struct edu {
	void *bar;
	struct vfio_dma_region region;
	size_t fresh;		/* edu buffer bytes [fresh, EDU_MAX_LEN) still hold poison */
	bool busy;		/* a transfer may still be in flight (one timed out) */
};

static bool edu_probe(uint16_t vendor, uint16_t device, uint32_t class)
{
	(void)class;
	return vendor == EDU_VENDOR && device == EDU_DEVICE;
}

/* Wait, bounded, for the transfer in flight to finish. */
static int edu_idle(struct edu *edu, double deadline)
{
	const struct timespec tick = { .tv_nsec = 1000000 };

	for (;;) {
		if (!(mmio_read32(edu->bar, EDU_REG_CMD) & EDU_CMD_START))
			return 0;
		if (cp_now_s() > deadline)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

static void edu_transfer(struct edu *edu, uint64_t src, uint64_t dst, size_t len,
			 bool to_ram)
{
	__sync_synchronize();	/* CPU writes to RAM before the device reads it */
	mmio_write64(edu->bar, EDU_REG_SRC, src);
	mmio_write64(edu->bar, EDU_REG_DST, dst);
	mmio_write64(edu->bar, EDU_REG_CNT, len);
	mmio_write32(edu->bar, EDU_REG_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
}

static int edu_init(struct cp_env *env, struct vfio_dev *dev,
		    const struct vfio_dma_region *region, void **priv)
{
	struct edu *edu;
	size_t size;
	uint32_t id, live;
	int err = -EIO;	/* the probe saw an edu: whatever fails here is the device's */

	edu = calloc(1, sizeof(*edu));
	if (!edu) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	edu->bar = vfio_dev_bar(env, dev, 0, &size);
	if (!edu->bar)
		goto fail;
	if (size < EDU_REG_CMD + 8) {
		cp_why(env, "edu BAR0 of %s is only %zu bytes", dev->bdf, size);
		goto fail;
	}
	id = mmio_read32(edu->bar, EDU_REG_ID);
	mmio_write32(edu->bar, EDU_REG_LIVE, 0x5a5aa5a5);
	live = mmio_read32(edu->bar, EDU_REG_LIVE);
	if ((id & 0xff) != 0xed || live != ~0x5a5aa5a5u) {
		cp_why(env, "%s does not answer like edu: id 0x%08x, liveness 0x%08x",
		       dev->bdf, id, live);
		goto fail;
	}
	/* A copy left running by a killed process must not race ours. */
	if (edu_idle(edu, cp_now_s() + cp_wait_bound(env))) {
		cp_why(env, "edu %s stays busy for %.0f s: cmd 0x%x", dev->bdf,
		       cp_wait_bound(env), mmio_read32(edu->bar, EDU_REG_CMD));
		err = -EBUSY;
		goto fail;
	}
	edu->region = *region;
	edu->fresh = EDU_MAX_LEN;	/* unknown content: the first copy poisons */
	memset(region->va, EDU_POISON, region->len);
	cp_diag(env, "edu %s: id 0x%08x, poison region at bus 0x%llx", dev->bdf, id,
		(unsigned long long)region->iova);
	*priv = edu;
	return 0;
fail:
	free(edu);
	return err;
}

static void edu_remove(struct cp_env *env, void *priv)
{
	struct edu *edu = priv;

	/* Leave nothing in flight towards memory that is about to be unmapped. */
	if (edu->busy)
		edu_idle(edu, cp_now_s() + cp_wait_bound(env));
	free(edu);
}

/* Transfer k of n (what) and wait for it: -ETIMEDOUT + cp_why() naming it. */
static int edu_run(struct cp_env *env, struct edu *edu, size_t k, size_t n, const char *what,
		   uint64_t src, uint64_t dst, size_t len, bool to_ram, double timeout)
{
	edu_transfer(edu, src, dst, len, to_ram);
	edu->busy = true;
	if (edu_idle(edu, cp_now_s() + timeout)) {
		cp_why(env, "edu transfer %zu/%zu (%s, %zu bytes, src 0x%llx dst 0x%llx) not done after %.1f s: cmd 0x%x",
		       k, n, what, len, (unsigned long long)mmio_read64(edu->bar, EDU_REG_SRC),
		       (unsigned long long)mmio_read64(edu->bar, EDU_REG_DST), timeout,
		       mmio_read32(edu->bar, EDU_REG_CMD));
		return -ETIMEDOUT;
	}
	edu->busy = false;
	return 0;
}

static int edu_gather(struct cp_env *env, void *priv, const struct vfio_dma_piece *pieces,
		      size_t n, uint64_t dst, double timeout)
{
	struct edu *edu = priv;
	size_t i, k = 0, nt, slot, at, total = 0;
	char what[96];
	int err;

	for (i = 0; i < n; i++) {
		if (!pieces[i].len || pieces[i].len > EDU_MAX_LEN) {
			cp_why(env, "edu piece of %zu bytes: at most %d per transfer", pieces[i].len,
			       EDU_MAX_LEN);
			return -EINVAL;
		}
		total += pieces[i].len;
	}
	if (!n || total > EDU_MAX_LEN || total > edu->region.len) {
		cp_why(env, "edu gather of %zu pieces, %zu bytes: 1 or more, at most %d bytes",
		       n, total, EDU_MAX_LEN);
		return -EINVAL;
	}
	if (edu->busy) {
		cp_why(env, "edu gather started while a transfer is in flight");
		return -EBUSY;
	}
	nt = n + 1;
	if (edu->fresh + total > EDU_MAX_LEN) {
		/* Poison the whole buffer again first. */
		edu->fresh = 0;
		err = edu_run(env, edu, ++k, ++nt, "poison -> edu buffer", edu->region.iova,
			      EDU_BUF, EDU_MAX_LEN, false, timeout);
		if (err)
			return err;
	}
	slot = edu->fresh;
	edu->fresh += total;	/* used even if a transfer fails: never read twice */
	for (i = 0, at = slot; i < n; at += pieces[i++].len) {
		snprintf(what, sizeof(what), "piece %zu/%zu -> edu buffer +0x%zx", i + 1, n, at);
		err = edu_run(env, edu, ++k, nt, what, pieces[i].src, EDU_BUF + at, pieces[i].len,
			      false, timeout);
		if (err)
			return err;
	}
	err = edu_run(env, edu, ++k, nt, "edu buffer -> destination", EDU_BUF + slot, dst, total,
		      true, timeout);
	__sync_synchronize();	/* the device's writes before the CPU reads them */
	return err;
}

const struct vfio_dma_driver vfio_edu_driver = {
	.name = "edu",
	.probe = edu_probe,
	.max_len = EDU_MAX_LEN,
	.dma_bits = 28,
	.region_len = 4096,
	.poison = EDU_POISON,
	.init = edu_init,
	.remove = edu_remove,
	.gather = edu_gather,
};
