/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO and iommufd UAPI this consumer uses.
 *
 * Debian 12's linux-libc-dev carries the 6.1 headers: <linux/iommufd.h> is
 * missing and <linux/vfio.h> predates the VFIO device cdev (6.6).  The
 * definitions below are the fallbacks for exactly what is missing, with the
 * values of the kernel's include/uapi/linux/{iommufd,vfio}.h (stable ABI).
 * Newer headers win: every fallback is guarded.
 */
#ifndef COWPIN_VFIO_UAPI_H
#define COWPIN_VFIO_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

#if defined(__has_include) && __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif

/* ---- iommufd (Linux 6.2+), fallback for 6.1 headers ---- */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')

#define IOMMUFD_CMD_DESTROY	0x80
#define IOMMUFD_CMD_IOAS_ALLOC	0x81
#define IOMMUFD_CMD_IOAS_MAP	0x85
#define IOMMUFD_CMD_IOAS_UNMAP	0x86

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#endif /* IOMMUFD_TYPE */

/* ---- VFIO device cdev (Linux 6.6+), fallback for 6.1 headers ---- */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

#endif
