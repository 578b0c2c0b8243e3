/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How much of a buffer mapped at bus address iova a device that drives
 * only the addresses below limit can read.  Its own file so the unit suite
 * can hold it to the cases that once went wrong: with --vfio-dma-bits 22
 * to 24 the limit (4..16 MiB) lies below the test buffer's IOVA (16 MiB)
 * and "limit - iova" wrapped around to a huge readable length.
 */
#ifndef COWPIN_VFIO_REACH_H
#define COWPIN_VFIO_REACH_H

#include <stddef.h>
#include <stdint.h>

/*
 * *readable = the bytes from the start of [iova, iova + len) below limit,
 * whole pages of page bytes, at most len; -ERANGE if not even the first
 * page is below limit (nothing to read).
 */
int vfio_reach(uint64_t iova, size_t len, uint64_t limit, size_t page, size_t *readable);

#endif
