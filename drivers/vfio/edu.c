// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA-engine driver for QEMU's educational "edu" device (1234:11e8).
 *
 * edu has no RAM-to-RAM copy: it moves data between RAM and a 4 KiB
 * buffer of its own at device address 0x40000, one transfer at a time,
 * ~100 ms each (a QEMU timer).  A copy src -> dst is two transfers into a
 * part of the edu buffer that no copy has used since it was poisoned:
 *   1. src -> that part of the edu buffer;  2. that part -> dst.
 * A transfer that fails silently (e.g. an IOMMU fault) so leaves poison,
 * never older data.  When the next copy no longer fits in the unused rest,
 * a third transfer first poisons the whole buffer again from the driver's
 * poison region.  (Poisoning before every copy cost a third of the
 * vfio-type1 tests' time in the lab: 100 ms per span.)
 * Quirks (QEMU 7.2): a 4096-byte transfer aborts QEMU (off-by-one in its
 * range check), so at most 4095 bytes; bus addresses are masked to the
 * device's dma_mask, 28 bits unless QEMU was given -device edu,dma_mask=.
 * BAR0 has no window on the edu buffer.
 */
#include <errno.h>
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
	uint64_t src, dst;
	size_t len;
	size_t fresh;		/* edu buffer bytes [fresh, EDU_MAX_LEN) still hold poison */
	size_t slot;		/* offset in the edu buffer of the copy in flight */
	int step;		/* transfer in flight: 0 poison, 1 in, 2 out, 3 = done */
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

static void edu_step(struct edu *edu)
{
	switch (edu->step) {
	case 0:
		edu_transfer(edu, edu->region.iova, EDU_BUF, EDU_MAX_LEN, false);
		break;
	case 1:
		edu_transfer(edu, edu->src, EDU_BUF + edu->slot, edu->len, false);
		break;
	case 2:
		edu_transfer(edu, EDU_BUF + edu->slot, edu->dst, edu->len, true);
		break;
	}
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
	edu->step = 3;
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
	if (edu->step < 3)
		edu_idle(edu, cp_now_s() + cp_wait_bound(env));
	free(edu);
}

static int edu_dma_start(struct cp_env *env, void *priv, uint64_t src, uint64_t dst,
			 size_t len)
{
	struct edu *edu = priv;

	if (!len || len > EDU_MAX_LEN || len > edu->region.len) {
		cp_why(env, "edu copy of %zu bytes: at most %d per transfer", len, EDU_MAX_LEN);
		return -EINVAL;
	}
	if (edu->step < 3) {
		cp_why(env, "edu copy started while another is in flight");
		return -EBUSY;
	}
	edu->src = src;
	edu->dst = dst;
	edu->len = len;
	edu->step = 1;
	if (edu->fresh + len > EDU_MAX_LEN) {
		edu->step = 0;		/* poison the whole buffer again first */
		edu->fresh = 0;
	}
	edu->slot = edu->fresh;
	edu->fresh += len;
	edu_step(edu);
	return 0;
}

static int edu_dma_wait(struct cp_env *env, void *priv, double timeout)
{
	static const char *const what[] = {
		"poison -> edu buffer", "source -> edu buffer", "edu buffer -> destination",
	};
	struct edu *edu = priv;
	double deadline = cp_now_s() + timeout;

	while (edu->step < 3) {
		if (edu_idle(edu, deadline)) {
			cp_why(env, "edu transfer %d/3 (%s, %zu bytes, src 0x%llx dst 0x%llx) not done after %.1f s: cmd 0x%x",
			       edu->step + 1, what[edu->step], edu->len,
			       (unsigned long long)mmio_read64(edu->bar, EDU_REG_SRC),
			       (unsigned long long)mmio_read64(edu->bar, EDU_REG_DST),
			       timeout, mmio_read32(edu->bar, EDU_REG_CMD));
			return -ETIMEDOUT;
		}
		if (++edu->step < 3)
			edu_step(edu);
	}
	__sync_synchronize();	/* the device's writes before the CPU reads them */
	return 0;
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
	.dma_start = edu_dma_start,
	.dma_wait = edu_dma_wait,
};
