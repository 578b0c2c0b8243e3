/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the three VFIO consumers share: open the named device in a VFIO
 * mode, set its DMA engine up, map the test buffer read-only (the R/O pin)
 * and read spans back through the device into a read/write bounce buffer.
 * Each consumer file is its mode's probe text plus these calls.
 */
#ifndef COWPIN_VFIO_READBACK_H
#define COWPIN_VFIO_READBACK_H

#include "consumer.h"
#include "families.h"
#include "vfio.h"

/*
 * Which engines a consumer drives: copy engines (edu) read spans through a
 * bounce page; storage engines (NVMe) read the whole buffer, compared byte
 * for byte by the core.  Each mode makes one consumer per family
 * (families.h); its options name the device and what the engine needs.
 */
struct vfio_rb_family {
	const char *device_opt;	/* option naming the device: never guessed */
	const char *what;	/* the device wanted, for skip reasons */
	bool storage;		/* engines with readback() */
};

extern const struct vfio_rb_family vfio_rb_copy, vfio_rb_nvme;
extern const struct cp_option vfio_rb_copy_options[], vfio_rb_nvme_options[];

/*
 * Before any mode or device check: storage engines write to the device,
 * so without the device and the blocks named the consumer refuses (skips).
 */
int vfio_rb_permit(struct cp_env *env, const struct vfio_rb_family *fam);
int vfio_rb_probe(struct cp_env *env, enum vfio_mode mode, const struct vfio_rb_family *fam);
int vfio_rb_open(struct cp_env *env, enum vfio_mode mode, const struct vfio_rb_family *fam, void **ctx);
int vfio_rb_pin_ro(struct cp_env *env, void *ctx, struct cp_pin *pin);
int vfio_rb_observe(struct cp_env *env, void *ctx, struct cp_pin *pin,
		    struct cp_span *spans, int nspans);
void vfio_rb_unpin(struct cp_env *env, void *ctx, struct cp_pin *pin);
void vfio_rb_close(struct cp_env *env, void *ctx);

/*
 * One VFIO consumer: mode x family.  probe(env, fam) is the mode's own
 * probe; summary is the mode's half of the one-line summary.
 */
#define VFIO_RB_CONSUMER(mode_id, cname, mode, probe_fn, csummary, ccounter, nopin, fam, suffix, fsummary) \
	static int mode_id##_##fam##_probe(struct cp_env *env) \
	{ \
		return vfio_rb_permit(env, &vfio_rb_##fam) ?: probe_fn(env, &vfio_rb_##fam); \
	} \
	static int mode_id##_##fam##_open(struct cp_env *env, void **ctx) \
	{ \
		return vfio_rb_open(env, mode, &vfio_rb_##fam, ctx); \
	} \
	const struct consumer_ops cp_##mode_id##_##fam##_ops = { \
		.name = cname suffix, \
		.summary = csummary fsummary, \
		.counter = ccounter, \
		.no_kernel_pin = nopin, \
		.cases = CP_CASES_ALL, \
		.options = vfio_rb_##fam##_options, \
		.probe = mode_id##_##fam##_probe, \
		.open = mode_id##_##fam##_open, \
		.pin_ro = vfio_rb_pin_ro, \
		.observe = vfio_rb_observe, \
		.unpin = vfio_rb_unpin, \
		.close = vfio_rb_close, \
	};

#endif
