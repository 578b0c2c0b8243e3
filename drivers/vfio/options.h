/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The syntax of the VFIO consumers' options, checked when cowpin parses its
 * command line and environment (struct cp_option.check): a malformed device
 * address, block range or bit count is exit 2 before anything is touched.
 */
#ifndef COWPIN_VFIO_OPTIONS_H
#define COWPIN_VFIO_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/*
 * --nvme-scratch-lba "START[+COUNT]" in logical blocks, decimal unless 0x
 * ("0100+8" is blocks 100..107, never octal 64..71); COUNT omitted (*count 0)
 * = as many blocks as the buffer needs.  -ENOENT when nothing is named,
 * -EINVAL when malformed (COUNT 0, a range past 2^64, anything after it).
 */
int vfio_lba_range_parse(const char *s, uint64_t *start, uint64_t *count);
int vfio_lba_range_check(const char *value, char *why, size_t whylen);
/* --vfio-dma-bits: a count from 20 to 64, decimal (leading zeros too), or 0x. */
int vfio_dma_bits_check(const char *value, char *why, size_t whylen);
/* TEST ONLY --test-dma-fault: unmapped or wrong-iova. */
int test_dma_fault_check(const char *value, char *why, size_t whylen);
/* --vfio-device, --vfio-nvme-device: pci_bdf_check() of pci_sysfs.h. */

#endif
