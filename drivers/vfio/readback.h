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
#include "vfio.h"

extern const struct cp_option vfio_rb_options[];

int vfio_rb_probe(struct cp_env *env, enum vfio_mode mode);
int vfio_rb_open(struct cp_env *env, enum vfio_mode mode, void **ctx);
int vfio_rb_pin_ro(struct cp_env *env, void *ctx, struct cp_pin *pin);
int vfio_rb_observe(struct cp_env *env, void *ctx, struct cp_pin *pin,
		    struct cp_span *spans, int nspans);
void vfio_rb_unpin(struct cp_env *env, void *ctx, struct cp_pin *pin);
void vfio_rb_close(struct cp_env *env, void *ctx);

#endif
