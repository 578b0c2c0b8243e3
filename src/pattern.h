/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test patterns.  A is what the buffer holds before the pin (zeros for the
 * zeropage backings), B is what the process writes after it.  Both depend
 * on the offset, so a device reading the wrong place is caught too, and
 * B differs from A (and from zero) at every byte, so every stale byte shows.
 */
#ifndef COWPIN_PATTERN_H
#define COWPIN_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

enum cp_pattern { CP_PAT_ZERO, CP_PAT_A, CP_PAT_B };

unsigned char cp_pattern_byte(enum cp_pattern p, size_t off);
void cp_pattern_fill(enum cp_pattern p, unsigned char *dst, size_t off, size_t len);
/* Offset (relative to dst) of the first byte that is not pattern p at off, or len if all match. */
size_t cp_pattern_mismatch(enum cp_pattern p, const unsigned char *buf, size_t off, size_t len);
const char *cp_pattern_name(enum cp_pattern p);

#endif
