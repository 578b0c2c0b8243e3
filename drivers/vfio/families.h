/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO engine families: every VFIO mode (type1, iommufd, noiommu) is
 * one consumer per family, named vfio-<mode><suffix>.  A new family is one
 * line here: X(C name, name suffix, how its engine reads the buffer back).
 * Included by the mode files and by src/consumers.c.
 */
#ifndef COWPIN_VFIO_FAMILIES_H
#define COWPIN_VFIO_FAMILIES_H

#define VFIO_FAMILIES(X) \
	X(copy, "", "a DMA engine (edu) reads the buffer back") \
	X(nvme, "-nvme", "an NVMe controller writes all of the buffer to scratch blocks, read back and compared byte for byte")

/* The consumer table's entries: every mode of every family. */
#define VFIO_CONSUMER_DECL(fam, suffix, summary) \
	extern const struct consumer_ops cp_vfio_type1_##fam##_ops, cp_vfio_iommufd_##fam##_ops, \
		cp_vfio_noiommu_##fam##_ops;
#define VFIO_CONSUMER_REF(fam, suffix, summary) \
	&cp_vfio_type1_##fam##_ops, &cp_vfio_iommufd_##fam##_ops, &cp_vfio_noiommu_##fam##_ops,

#endif
