// SPDX-License-Identifier: GPL-2.0-only
/*
 * Storage engine: a user-space NVMe driver (any controller, class 01:08:02).
 *
 * An NVMe Write is a device read of host memory: the controller reads the
 * R/O-mapped test buffer through the IOMMU and stores it in a scratch LBA
 * range the user named; a Read of that range into the bounce gives the
 * bytes the device saw, all of them.  Per read-back, three passes over the
 * range, each split by MDTS (and by one PRP list page, 512 entries):
 *   1. Write from the poison page (every PRP entry points at it), so a
 *      Write that silently moved nothing leaves poison, never older data:
 *      never-written blocks read as zeros (a sparse image, a deallocated
 *      SSD block), just what a zeropage test expects, and another test's
 *      data can be this one's; with this pass skipped and the Writes
 *      dropped the lab passed zeropage snapshots and failed 6.12 as stale.
 *      It costs ~2 ms of a ~175 ms test under TCG;
 *   2. Write from the test buffer;  3. Read into the bounce.
 * One admin and one I/O queue pair, polled completions (no interrupts),
 * 4 KiB memory pages (CC.MPS = 0), namespace 1.  Every wait is bounded;
 * controller fatal status (CSTS.CFS) and every completion status are errors.
 * The engine never writes an LBA outside [start, start+count).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer.h"
#include "dma.h"
#include "options.h"
#include "env.h"
#include "vfio.h"

#define NVME_CLASS	0x010802	/* mass storage, NVM, NVM Express */

#define REG_CAP		0x00
#define REG_VS		0x08
#define REG_CC		0x14
#define REG_CSTS	0x1c
#define REG_AQA		0x24
#define REG_ASQ		0x28
#define REG_ACQ		0x30
#define REG_DBS		0x1000

#define CC_EN		(1u << 0)
#define CC_IOSQES	(6u << 16)	/* 64-byte submission entries */
#define CC_IOCQES	(4u << 20)	/* 16-byte completion entries */
#define CSTS_RDY	(1u << 0)
#define CSTS_CFS	(1u << 1)

#define OP_DELETE_SQ	0x00
#define OP_CREATE_SQ	0x01
#define OP_DELETE_CQ	0x04
#define OP_CREATE_CQ	0x05
#define OP_IDENTIFY	0x06
#define OP_WRITE	0x01
#define OP_READ		0x02

#define PAGE		4096ul
#define QDEPTH		64
#define NSID		1
#define NVME_POISON	0xe5

/* The engine's private pages (region). */
enum { PG_ASQ, PG_ACQ, PG_IOSQ, PG_IOCQ, PG_IDENT, PG_PRP, PG_POISON, PG_COUNT };

struct queue {
	unsigned char *sq, *cq;
	uint64_t sq_bus, cq_bus;
	uint16_t qid, tail, head, depth, cid;
	int phase;
};

struct nvme {
	void *bar;
	const char *bdf;
	struct vfio_dma_region region;
	unsigned int dstrd;
	double to_s;		/* CAP.TO: the controller's own bound for (dis)enabling */
	struct queue admin, io;
	bool io_up;
	char model[41], serial[21];
	uint64_t nsze;
	unsigned int lba_size;
	size_t max_xfer;	/* bytes per command: MDTS, and one PRP list page */
	uint64_t start, count;	/* the scratch range the user named */
	long commands[3];	/* poison writes, writes, reads */
};

static bool nvme_probe(uint16_t vendor, uint16_t device, uint32_t class)
{
	(void)vendor;
	(void)device;
	return class == NVME_CLASS;
}

static int nvme_permit(struct cp_env *env)
{
	uint64_t start, count;
	int err = vfio_lba_range_parse(cp_opt(env, "nvme-scratch-lba"), &start, &count);

	if (err == -ENOENT) {
		cp_why(env, "refusing to write to the NVMe namespace: the check overwrites a scratch LBA range of namespace 1 "
		       "(2 MiB per test, 1 GiB for hugetlb-1G) with test data; name one you can lose with "
		       "--nvme-scratch-lba START[+COUNT] or COWPIN_NVME_SCRATCH_LBA (the lab's scripts/setup-vfio up names its throwaway image)");
		return -ENODEV;
	}
	if (err) {
		cp_why(env, "--nvme-scratch-lba '%s' is not START[+COUNT] (logical blocks, COUNT > 0)",
		       cp_opt(env, "nvme-scratch-lba"));
		return -ENODEV;
	}
	return 0;
}

static uint32_t rd32(struct nvme *n, size_t off)
{
	return mmio_read32(n->bar, off);
}

static void wr32(struct nvme *n, size_t off, uint32_t v)
{
	mmio_write32(n->bar, off, v);
}

/* 64-bit registers as two dwords, low first: every controller takes that. */
static void wr64(struct nvme *n, size_t off, uint64_t v)
{
	wr32(n, off, (uint32_t)v);
	wr32(n, off + 4, (uint32_t)(v >> 32));
}

static uint64_t rd64(struct nvme *n, size_t off)
{
	return rd32(n, off) | (uint64_t)rd32(n, off + 4) << 32;
}

static void doorbell(struct nvme *n, uint16_t qid, bool cq, uint16_t val)
{
	wr32(n, REG_DBS + (2 * qid + cq) * (4u << n->dstrd), val);
}

static void tick(unsigned int *spins)
{
	const struct timespec ts = { .tv_nsec = 200000 };

	if (++*spins > 200)
		nanosleep(&ts, NULL);
}

/* Wait, bounded, for CSTS.RDY == rdy; CSTS.CFS ends the wait early. */
static int wait_ready(struct cp_env *env, struct nvme *n, bool rdy, double bound)
{
	double deadline = cp_now_s() + bound;
	unsigned int spins = 0;
	uint32_t csts;

	for (;;) {
		csts = rd32(n, REG_CSTS);
		if (csts == 0xffffffff) {
			cp_why(env, "NVMe %s reads CSTS as all ones: the device is gone or its BAR is dead", n->bdf);
			return -EIO;
		}
		if (rdy && (csts & CSTS_CFS)) {
			cp_why(env, "NVMe %s: controller fatal status (CSTS 0x%x) while enabling", n->bdf, csts);
			return -EIO;
		}
		if (!!(csts & CSTS_RDY) == rdy)
			return 0;
		if (cp_now_s() > deadline) {
			cp_why(env, "NVMe %s: CSTS.RDY stays %d for %.1f s after CC.EN=%d (CC 0x%x, CSTS 0x%x)",
			       n->bdf, !rdy, bound, rdy, rd32(n, REG_CC), csts);
			return -ETIMEDOUT;
		}
		tick(&spins);
	}
}

static const char *status_text(unsigned int sct, unsigned int sc)
{
	if (sct == 0) {
		switch (sc) {
		case 0x01: return "invalid command opcode";
		case 0x02: return "invalid field in command";
		case 0x04: return "data transfer error (the device could not DMA the data: IOMMU fault?)";
		case 0x06: return "internal error";
		case 0x0b: return "invalid namespace or format";
		case 0x80: return "LBA out of range";
		case 0x81: return "capacity exceeded";
		case 0x82: return "namespace not ready";
		}
		return "generic command status";
	}
	if (sct == 1)
		return "command specific status";
	if (sct == 2)
		return sc == 0x80 ? "write fault" : sc == 0x81 ? "unrecovered read error" : "media or data integrity error";
	return "path or vendor status";
}

/* Submit one 64-byte command and wait, bounded, for its completion. */
static int submit(struct cp_env *env, struct nvme *n, struct queue *q, uint32_t *cmd,
		  double bound, const char *what)
{
	double deadline = cp_now_s() + bound;
	unsigned int spins = 0;
	volatile uint32_t *cqe;
	uint32_t dw3, csts;
	uint16_t cid = q->cid++;

	cmd[0] = (cmd[0] & 0xff) | (uint32_t)cid << 16;
	memcpy(q->sq + q->tail * 64, cmd, 64);
	q->tail = (q->tail + 1) % q->depth;
	__sync_synchronize();	/* the entry (and its data) in memory before the doorbell */
	doorbell(n, q->qid, false, q->tail);
	for (;;) {
		cqe = (volatile uint32_t *)(q->cq + q->head * 16);
		dw3 = cqe[3];
		if ((int)((dw3 >> 16) & 1) == q->phase)
			break;
		if (!(spins & 63) || cp_now_s() > deadline) {
			csts = rd32(n, REG_CSTS);
			if (csts & CSTS_CFS) {
				cp_why(env, "NVMe %s: controller fatal status (CSTS 0x%x) during %s", n->bdf, csts, what);
				return -EIO;
			}
			if (cp_now_s() > deadline) {
				cp_why(env, "NVMe %s: %s (queue %u, command %u) not complete after %.1f s (CSTS 0x%x)",
				       n->bdf, what, q->qid, cid, bound, csts);
				return -ETIMEDOUT;
			}
		}
		tick(&spins);
	}
	__sync_synchronize();	/* the completion before the data it covers */
	if (++q->head == q->depth) {
		q->head = 0;
		q->phase ^= 1;
	}
	doorbell(n, q->qid, true, q->head);
	if ((dw3 & 0xffff) != cid) {
		cp_why(env, "NVMe %s: %s completed as command %u, expected %u", n->bdf, what, dw3 & 0xffff, cid);
		return -EIO;
	}
	if ((dw3 >> 17) & 0x7ff) {
		unsigned int sct = (dw3 >> 25) & 7, sc = (dw3 >> 17) & 0xff;

		cp_why(env, "NVMe %s: %s failed: status type %u code 0x%02x (%s)%s", n->bdf, what, sct, sc,
		       status_text(sct, sc), dw3 >> 31 ? ", do not retry" : "");
		return -EIO;
	}
	return 0;
}

static uint32_t *command(uint32_t cmd[16], uint8_t op, uint32_t nsid, uint64_t prp1, uint64_t prp2)
{
	memset(cmd, 0, 64);
	cmd[0] = op;
	cmd[1] = nsid;
	cmd[6] = (uint32_t)prp1;
	cmd[7] = (uint32_t)(prp1 >> 32);
	cmd[8] = (uint32_t)prp2;
	cmd[9] = (uint32_t)(prp2 >> 32);
	return cmd;
}

static void *page_va(struct nvme *n, int pg)
{
	return (char *)n->region.va + pg * PAGE;
}

static uint64_t page_bus(struct nvme *n, int pg)
{
	return n->region.page_bus[pg];
}

static int identify(struct cp_env *env, struct nvme *n, uint32_t cns, uint32_t nsid, const char *what)
{
	uint32_t cmd[16];

	memset(page_va(n, PG_IDENT), 0, PAGE);
	command(cmd, OP_IDENTIFY, nsid, page_bus(n, PG_IDENT), 0);
	cmd[10] = cns;
	return submit(env, n, &n->admin, cmd, n->to_s, what);
}

/* Identify text fields are space-padded ASCII. */
static void text(char *dst, const unsigned char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && (dst[len - 1] == ' ' || !dst[len - 1]))
		dst[--len] = '\0';
}

static int identify_all(struct cp_env *env, struct nvme *n, unsigned int mpsmin)
{
	const unsigned char *id = page_va(n, PG_IDENT);
	unsigned int mdts, lbaf, ms;
	uint32_t f;
	int err;

	err = identify(env, n, 1, 0, "Identify Controller");
	if (err)
		return err;
	text(n->serial, id + 4, 20);
	text(n->model, id + 24, 40);
	mdts = id[77];
	/* MDTS counts in units of the minimum memory page size, 0 = no limit. */
	n->max_xfer = 512 * PAGE;	/* one PRP list page of 512 entries, plus PRP1 */
	if (mdts && mdts + 12 + mpsmin < 32 && (PAGE << mpsmin << mdts) < n->max_xfer)
		n->max_xfer = PAGE << mpsmin << mdts;
	if (n->max_xfer > 511 * PAGE)
		n->max_xfer = 511 * PAGE;
	err = identify(env, n, 0, NSID, "Identify Namespace 1");
	if (err)
		return err;
	memcpy(&n->nsze, id, 8);
	lbaf = id[26] & 0xf;
	memcpy(&f, id + 128 + 4 * lbaf, 4);
	ms = f & 0xffff;
	n->lba_size = (f >> 16) & 0xff ? 1u << ((f >> 16) & 0xff) : 0;
	if (!n->nsze || n->lba_size < 512 || n->lba_size > PAGE) {
		cp_why(env, "NVMe %s namespace 1: %llu blocks of %u bytes: cowpin needs an active namespace 1 with 512..4096-byte blocks",
		       n->bdf, (unsigned long long)n->nsze, n->lba_size);
		return -EIO;
	}
	if (ms && (id[26] & 0x10)) {
		cp_why(env, "NVMe %s namespace 1 interleaves %u bytes of metadata with each block: not supported",
		       n->bdf, ms);
		return -EIO;
	}
	return 0;
}

static int create_io_queues(struct cp_env *env, struct nvme *n)
{
	uint32_t cmd[16];
	int err;

	n->io = (struct queue){ page_va(n, PG_IOSQ), page_va(n, PG_IOCQ), page_bus(n, PG_IOSQ),
				page_bus(n, PG_IOCQ), 1, 0, 0, n->admin.depth, 0, 1 };
	command(cmd, OP_CREATE_CQ, 0, n->io.cq_bus, 0);
	cmd[10] = (uint32_t)(n->io.depth - 1) << 16 | n->io.qid;
	cmd[11] = 1;	/* physically contiguous, no interrupts */
	err = submit(env, n, &n->admin, cmd, n->to_s, "Create I/O Completion Queue");
	if (err)
		return err;
	command(cmd, OP_CREATE_SQ, 0, n->io.sq_bus, 0);
	cmd[10] = (uint32_t)(n->io.depth - 1) << 16 | n->io.qid;
	cmd[11] = (uint32_t)n->io.qid << 16 | 1;
	err = submit(env, n, &n->admin, cmd, n->to_s, "Create I/O Submission Queue");
	if (err) {
		command(cmd, OP_DELETE_CQ, 0, 0, 0);
		cmd[10] = n->io.qid;
		submit(env, n, &n->admin, cmd, n->to_s, "Delete I/O Completion Queue");
		return err;
	}
	n->io_up = true;
	return 0;
}

/* Reset, then enable with the admin queues in the region. */
static int enable(struct cp_env *env, struct nvme *n, uint64_t cap)
{
	unsigned int mqes = (cap & 0xffff) + 1;
	uint16_t depth = mqes < QDEPTH ? mqes : QDEPTH;
	int err;

	if (rd32(n, REG_CC) & CC_EN) {
		/* Left enabled by the kernel's driver or a killed run: reset first. */
		wr32(n, REG_CC, 0);
		err = wait_ready(env, n, false, n->to_s);
		if (err)
			return err;
	}
	memset(n->region.va, 0, PG_POISON * PAGE);
	n->admin = (struct queue){ page_va(n, PG_ASQ), page_va(n, PG_ACQ), page_bus(n, PG_ASQ),
				   page_bus(n, PG_ACQ), 0, 0, 0, depth, 0, 1 };
	wr32(n, REG_AQA, (uint32_t)(depth - 1) << 16 | (depth - 1));
	wr64(n, REG_ASQ, n->admin.sq_bus);
	wr64(n, REG_ACQ, n->admin.cq_bus);
	wr32(n, REG_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	return wait_ready(env, n, true, n->to_s);
}

static void disable(struct cp_env *env, struct nvme *n)
{
	wr32(n, REG_CC, 0);
	if (wait_ready(env, n, false, n->to_s))
		cp_diag(env, "%s", "NVMe controller did not finish its reset; vfio-pci resets it at release");
}

static void nvme_remove(struct cp_env *env, void *priv)
{
	struct nvme *n = priv;
	uint32_t cmd[16];

	if (n->io_up) {
		command(cmd, OP_DELETE_SQ, 0, 0, 0);
		cmd[10] = n->io.qid;
		if (!submit(env, n, &n->admin, cmd, n->to_s, "Delete I/O Submission Queue")) {
			command(cmd, OP_DELETE_CQ, 0, 0, 0);
			cmd[10] = n->io.qid;
			submit(env, n, &n->admin, cmd, n->to_s, "Delete I/O Completion Queue");
		}
	}
	/* Nothing may touch memory that is about to be unmapped. */
	disable(env, n);
	free(n);
}

static void evidence(struct cp_env *env, struct nvme *n)
{
	struct json_object *o = json_object_new_object();
	char range[64];

	snprintf(range, sizeof(range), "%llu+%llu", (unsigned long long)n->start,
		 (unsigned long long)n->count);
	json_object_object_add(o, "model", json_object_new_string(n->model));
	json_object_object_add(o, "serial", json_object_new_string(n->serial));
	json_object_object_add(o, "nsid", json_object_new_int(NSID));
	json_object_object_add(o, "blocks", json_object_new_int64(n->nsze));
	json_object_object_add(o, "lba_size", json_object_new_int(n->lba_size));
	json_object_object_add(o, "max_transfer", json_object_new_int64(n->max_xfer));
	json_object_object_add(o, "scratch_lba", json_object_new_string(range));
	json_object_object_add(cp_evidence(env), "nvme", o);
}

static int nvme_init(struct cp_env *env, struct vfio_dev *dev, const struct vfio_dma_region *region,
		     void **priv)
{
	struct nvme *n;
	uint64_t cap;
	size_t size;
	unsigned int mpsmin;
	int err = -EIO;

	if (region->len < PG_COUNT * PAGE) {
		cp_why(env, "NVMe engine given %zu bytes of private DMA memory, needs %lu", region->len,
		       PG_COUNT * PAGE);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	n->bdf = dev->bdf;
	n->region = *region;
	if (vfio_lba_range_parse(cp_opt(env, "nvme-scratch-lba"), &n->start, &n->count)) {
		nvme_permit(env);
		err = -EINVAL;
		goto fail;
	}
	n->bar = vfio_dev_bar(env, dev, 0, &size);
	if (!n->bar)
		goto fail;
	if (size < REG_DBS + 16) {
		cp_why(env, "NVMe %s BAR0 is only %zu bytes", dev->bdf, size);
		goto fail;
	}
	cap = rd64(n, REG_CAP);
	n->dstrd = (cap >> 32) & 0xf;
	mpsmin = (cap >> 48) & 0xf;
	n->to_s = ((cap >> 24) & 0xff) * 0.5;
	/* CAP.TO is for real hardware; TCG gets the run's own bound on top. */
	if (n->to_s < cp_wait_bound(env))
		n->to_s = cp_wait_bound(env);
	if (cap == ~0ull || mpsmin || !(cap & (1ull << 37))) {
		cp_why(env, "NVMe %s: CAP 0x%llx: cowpin needs 4 KiB memory pages (MPSMIN 0) and the NVM command set",
		       dev->bdf, (unsigned long long)cap);
		goto fail;
	}
	err = enable(env, n, cap);
	if (!err)
		err = identify_all(env, n, mpsmin);
	if (err)
		goto disable;
	if (n->start >= n->nsze || (n->count && n->count > n->nsze - n->start)) {
		cp_why_error(env, "--nvme-scratch-lba %s is outside namespace 1 of NVMe %s (%llu blocks of %u bytes): nothing written",
			     cp_opt(env, "nvme-scratch-lba"), dev->bdf, (unsigned long long)n->nsze, n->lba_size);
		err = -ERANGE;
		goto disable;
	}
	if (!n->count)
		n->count = n->nsze - n->start;	/* bounded again per read-back by what it needs */
	err = create_io_queues(env, n);
	if (err)
		goto disable;
	memset(page_va(n, PG_POISON), NVME_POISON, PAGE);
	evidence(env, n);
	cp_diag(env, "NVMe %s: '%s' serial '%s' VS 0x%x, namespace 1: %llu blocks of %u bytes (%llu MiB); scratch LBAs %llu..%llu may be overwritten",
		dev->bdf, n->model, n->serial, rd32(n, REG_VS), (unsigned long long)n->nsze, n->lba_size,
		(unsigned long long)(n->nsze * n->lba_size >> 20), (unsigned long long)n->start,
		(unsigned long long)(n->start + n->count - 1));
	*priv = n;
	return 0;
disable:
	disable(env, n);
fail:
	free(n);
	return err;
}

/*
 * One pass over the range: len bytes from (or to) the pages at bus
 * addresses pages[] (NULL: every page is the poison page).
 */
static int pass(struct cp_env *env, struct nvme *n, uint8_t op, const uint64_t *pages, size_t len,
		double bound, long *count)
{
	static const char *const name[] = { [OP_WRITE] = "Write", [OP_READ] = "Read" };
	uint64_t *prp = page_va(n, PG_PRP), lba = n->start;
	size_t done = 0;
	uint32_t cmd[16];
	char what[96];
	int err;

	while (done < len) {
		size_t chunk = len - done < n->max_xfer ? len - done : n->max_xfer;
		size_t np = (chunk + PAGE - 1) / PAGE, first = done / PAGE;
		uint32_t nlb = chunk / n->lba_size;
		uint64_t p1, p2 = 0;

		p1 = pages ? pages[first] : page_bus(n, PG_POISON);
		if (np == 2)
			p2 = pages ? pages[first + 1] : p1;
		if (np > 2) {
			for (size_t i = 1; i < np; i++)
				prp[i - 1] = pages ? pages[first + i] : p1;
			p2 = page_bus(n, PG_PRP);
		}
		command(cmd, op, NSID, p1, p2);
		cmd[10] = (uint32_t)lba;
		cmd[11] = (uint32_t)(lba >> 32);
		cmd[12] = nlb - 1;
		snprintf(what, sizeof(what), "%s%s of LBAs %llu..%llu", name[op], pages ? "" : " (poison)",
			 (unsigned long long)lba, (unsigned long long)(lba + nlb - 1));
		err = submit(env, n, &n->io, cmd, bound, what);
		if (err)
			return err;
		++*count;
		done += chunk;
		lba += nlb;
	}
	return 0;
}

static int nvme_readback(struct cp_env *env, void *priv, const uint64_t *src, const uint64_t *dst,
			 size_t len, double timeout)
{
	struct nvme *n = priv;
	uint64_t blocks = len / n->lba_size;
	struct json_object *o;
	int err;

	if (len % n->lba_size || blocks > n->count) {
		cp_why(env, "the NVMe scratch range %llu+%llu (%u-byte blocks) cannot hold the %zu bytes to read back: name at least %llu blocks; nothing written",
		       (unsigned long long)n->start, (unsigned long long)n->count, n->lba_size, len,
		       (unsigned long long)((len + n->lba_size - 1) / n->lba_size));
		return -ERANGE;
	}
	/* Said before the first block is written, not in the result after the test. */
	cp_notice(env, "NVMe %s: '%s' serial '%s', namespace 1: %llu blocks of %u bytes (%llu MiB): "
		  "about to overwrite LBAs %llu..%llu (%llu blocks, of the named %s)",
		  n->bdf, n->model, n->serial, (unsigned long long)n->nsze, n->lba_size,
		  (unsigned long long)(n->nsze * n->lba_size >> 20), (unsigned long long)n->start,
		  (unsigned long long)(n->start + blocks - 1), (unsigned long long)blocks,
		  cp_opt(env, "nvme-scratch-lba"));
	err = pass(env, n, OP_WRITE, NULL, len, timeout, &n->commands[0]);
	if (!err)
		err = pass(env, n, OP_WRITE, src, len, timeout, &n->commands[1]);
	if (!err)
		err = pass(env, n, OP_READ, dst, len, timeout, &n->commands[2]);
	if (json_object_object_get_ex(cp_evidence(env), "nvme", &o)) {
		char range[64];

		snprintf(range, sizeof(range), "%llu..%llu", (unsigned long long)n->start,
			 (unsigned long long)(n->start + blocks - 1));
		json_object_object_add(o, "lba_written", json_object_new_string(range));
		json_object_object_add(o, "poison_writes", json_object_new_int64(n->commands[0]));
		json_object_object_add(o, "writes", json_object_new_int64(n->commands[1]));
		json_object_object_add(o, "reads", json_object_new_int64(n->commands[2]));
	}
	return err;
}

const struct vfio_dma_driver vfio_nvme_driver = {
	.name = "nvme",
	.probe = nvme_probe,
	.dma_bits = 64,
	.region_len = PG_COUNT * PAGE,
	.poison = NVME_POISON,
	.permit = nvme_permit,
	.init = nvme_init,
	.remove = nvme_remove,
	.readback = nvme_readback,
};
