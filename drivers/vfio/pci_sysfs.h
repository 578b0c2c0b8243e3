/* SPDX-License-Identifier: GPL-2.0-only */
/* What sysfs says about a PCI device and what the running kernel offers for VFIO. */
#ifndef COWPIN_VFIO_PCI_SYSFS_H
#define COWPIN_VFIO_PCI_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/* Exactly "DDDD:BB:DD.F" (hex), lower-cased into out[16]; -EINVAL otherwise. */
int pci_bdf_normalize(const char *in, char out[16]);
/* The same as a cp_option check: 0, or -EINVAL with why. */
int pci_bdf_check(const char *value, char *why, size_t whylen);
/* 0 if /sys/bus/pci/devices/bdf exists, else -ENODEV. */
int pci_dev_exists(const char *bdf);
/* Vendor, device and class (0x010802 = NVMe). */
int pci_dev_ids(const char *bdf, uint16_t *vendor, uint16_t *device, uint32_t *class);
/* Name of the bound driver into buf, "" when none. */
int pci_dev_driver(const char *bdf, char *buf, size_t len);
/* IOMMU group number, or -ENOENT when the device has no group. */
int pci_dev_iommu_group(const char *bdf);
/* Name of the VFIO device cdev ("vfio0") into buf, or -ENOENT. */
int pci_dev_vfio_cdev(const char *bdf, char *buf, size_t len);
/*
 * Kernel config symbol of the running kernel: 'y', 'm', 'n', or 0 when no
 * config file is readable (/boot/config-$(uname -r)).
 */
char kconfig_get(const char *sym);
/* 1 if /sys/module/name exists (built in or loaded), else 0. */
int kmod_present(const char *name);

#endif
