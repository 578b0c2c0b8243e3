// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO consumers' common path.  Bus address layout (IOVA for type1 and
 * iommufd, kept low because edu drives only 28 address bits by default):
 *   1 MiB   the DMA engine's private page (read/write)
 *   2 MiB   the bounce page (read/write): the device copies spans here
 *   16 MiB  the test buffer, mapped WITHOUT write permission: the R/O pin
 * noiommu has no IOVAs: bus addresses are physical addresses read from
 * /proc/self/pagemap, and nothing is pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "procfs.h"
#include "dma.h"
#include "iommu_fault.h"
#include "pci_sysfs.h"
#include "readback.h"

#define RB_REGION_IOVA	0x100000ull
#define RB_BOUNCE_IOVA	0x200000ull
#define RB_TEST_IOVA	0x1000000ull
#define RB_PAGE		4096ul
#define RB_BOUNCE_POISON 0xb7

const struct cp_option vfio_rb_options[] = {
	{ "vfio-device", "COWPIN_VFIO_DEVICE",
	  "PCI device (BDF) bound to vfio-pci whose DMA engine reads the buffer back; never guessed" },
	{ "vfio-dma-bits", "COWPIN_VFIO_DMA_BITS",
	  "bus address bits the device drives (edu: 28, unless QEMU got -device edu,dma_mask=...)" },
	{ NULL, NULL, NULL },
};

struct rb_page {
	void *va;
	uint64_t bus;
	bool mapped;
};

struct rb {
	struct vfio_dev dev;
	const struct vfio_dma_driver *drv;
	void *drv_priv;
	struct rb_page region, bounce;
	unsigned int dma_bits;
	uint64_t dma_limit;	/* first bus address the device cannot reach */
	bool test_mapped;
	size_t test_len;
	uint64_t *pfn;		/* noiommu: pagemap of the buffer when it was "pinned" */
	size_t npfn;
	struct iommu_faults faults;
};

static struct json_object *evidence(struct cp_env *env)
{
	struct json_object *ev = cp_evidence(env), *v;

	if (!json_object_object_get_ex(ev, "vfio", &v)) {
		v = json_object_new_object();
		json_object_object_add(ev, "vfio", v);
	}
	return v;
}

static void ev_add(struct cp_env *env, const char *key, struct json_object *val)
{
	json_object_object_add(evidence(env), key, val);
}

static char *hexstr(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)v);
	return buf;
}

static void ev_hex(struct cp_env *env, const char *key, uint64_t v)
{
	char buf[32];

	ev_add(env, key, json_object_new_string(hexstr(buf, sizeof(buf), v)));
}

static int named_device(struct cp_env *env, char bdf[16])
{
	const char *name = cp_opt(env, "vfio-device");

	if (!name || !*name) {
		cp_why(env, "no VFIO device named: pass --vfio-device BDF or set COWPIN_VFIO_DEVICE "
		       "(a device with a DMA engine cowpin drives: %s, bound with scripts/vfio-bind BDF; "
		       "the lab's scripts/setup-vfio up names its own edu device)",
		       vfio_dma_drivers_supported());
		return -ENODEV;
	}
	if (pci_bdf_normalize(name, bdf)) {
		cp_why(env, "--vfio-device '%s' is not a PCI address (DDDD:BB:DD.F)", name);
		return -EINVAL;
	}
	if (pci_dev_exists(bdf)) {
		cp_why(env, "no PCI device %s (/sys/bus/pci/devices/%s)", bdf, bdf);
		return -ENODEV;
	}
	return 0;
}

static unsigned int dma_bits(struct cp_env *env, const struct vfio_dma_driver *drv)
{
	const char *s = cp_opt(env, "vfio-dma-bits");
	unsigned long bits = s ? strtoul(s, NULL, 0) : 0;

	return bits >= 20 && bits <= 64 ? bits : drv->dma_bits;
}

/* Without permission to open the node the device is out of reach: absent for us. */
static int may_open(struct cp_env *env, const char *path)
{
	if (!access(path, F_OK) && access(path, R_OK | W_OK)) {
		cp_why(env, "cannot open %s: %s (VFIO needs root)", path, strerror(errno));
		return -ENODEV;
	}
	return 0;
}

int vfio_rb_probe(struct cp_env *env, enum vfio_mode mode)
{
	const struct vfio_dma_driver *drv;
	uint16_t vendor, device;
	char bdf[16], driver[64], path[64], cdev[32];
	int err, group;

	err = named_device(env, bdf);
	if (err)
		return err;
	if (pci_dev_ids(bdf, &vendor, &device)) {
		cp_why(env, "cannot read the PCI ids of %s", bdf);
		return -ENODEV;
	}
	drv = vfio_dma_driver_find(vendor, device);
	if (!drv) {
		cp_why(env, "%s (%04x:%04x) has no cowpin DMA-engine driver (supported: %s)", bdf,
		       vendor, device, vfio_dma_drivers_supported());
		return -ENODEV;
	}
	pci_dev_driver(bdf, driver, sizeof(driver));
	if (strcmp(driver, "vfio-pci")) {
		cp_why(env, "%s is %s%s, not to vfio-pci: scripts/vfio-bind %s", bdf,
		       *driver ? "bound to " : "bound to no driver", driver, bdf);
		return -ENODEV;
	}
	group = pci_dev_iommu_group(bdf);
	if (mode == VFIO_MODE_IOMMUFD) {
		snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", group);
		if (group < 0 || !access(path, F_OK)) {
			cp_why(env, "%s has no IOMMU (%s): vfio-iommufd needs one (QEMU: -device intel-iommu, guest: intel_iommu=on)",
			       bdf, group < 0 ? "no IOMMU group" : path);
			return -ENODEV;
		}
		if (pci_dev_vfio_cdev(bdf, cdev, sizeof(cdev))) {
			cp_why(env, "%s has no VFIO device cdev (/sys/bus/pci/devices/%s/vfio-dev): the kernel needs CONFIG_VFIO_DEVICE_CDEV=y (Linux 6.6+)",
			       bdf, bdf);
			return -ENODEV;
		}
		return may_open(env, "/dev/iommu");
	}
	snprintf(path, sizeof(path), "/dev/vfio/%s%d", mode == VFIO_MODE_NOIOMMU ? "noiommu-" : "",
		 group);
	if (group < 0 || access(path, F_OK)) {
		if (mode == VFIO_MODE_NOIOMMU)
			cp_why(env, "%s is not in a VFIO noiommu group (%s missing): noiommu groups exist only for devices without an IOMMU (no vIOMMU / intel_iommu=off) bound to vfio-pci after noiommu mode was enabled",
			       bdf, path);
		else
			cp_why(env, "%s has no VFIO group (%s missing)%s", bdf, group < 0 ? "no IOMMU group" : path,
			       group < 0 ? ": the kernel runs without an IOMMU (QEMU: -device intel-iommu, guest: intel_iommu=on)" :
			       ": it sits in a noiommu group, use vfio-noiommu");
		return -ENODEV;
	}
	return may_open(env, path);
}

static void page_free(struct rb_page *p)
{
	if (p->va)
		munmap(p->va, RB_PAGE);
	p->va = NULL;
}

/* noiommu: the physical address of a (locked) page. */
static int page_phys(struct cp_env *env, const void *va, uint64_t *bus)
{
	uint64_t e;
	int err = cp_pagemap_entry(va, &e);

	if (err || !(e & PM_PRESENT) || !(e & PM_PFN_MASK)) {
		cp_why(env, "no physical address for %p in /proc/self/pagemap (%s): noiommu needs CAP_SYS_ADMIN to read PFNs",
		       va, err ? strerror(-err) : "PFN hidden or page absent");
		return err ? err : -EPERM;
	}
	*bus = (e & PM_PFN_MASK) * RB_PAGE;
	return 0;
}

/* A read/write page the device may DMA to; exclusive anon, written first. */
static int page_setup(struct cp_env *env, struct rb *rb, struct rb_page *p, uint64_t iova)
{
	int err;

	p->va = mmap(NULL, RB_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->va == MAP_FAILED) {
		p->va = NULL;
		cp_why(env, "mmap of a DMA page: %s", strerror(errno));
		return -ENOMEM;
	}
	memset(p->va, 0, RB_PAGE);
	if (rb->dev.mode == VFIO_MODE_NOIOMMU) {
		/* Not a pin: keeps the page resident; noiommu has nothing better. */
		if (mlock(p->va, RB_PAGE)) {
			err = -errno;
			cp_why(env, "mlock of a DMA page: %s", strerror(-err));
			return err;
		}
		err = page_phys(env, p->va, &p->bus);
		if (err)
			return err;
	} else {
		err = vfio_dma_map(&rb->dev, p->va, RB_PAGE, iova, true);
		if (err) {
			cp_why(env, "read/write DMA map of a 4 KiB page at IOVA 0x%llx: %s",
			       (unsigned long long)iova, strerror(-err));
			return err;
		}
		p->mapped = true;
		p->bus = iova;
	}
	if (p->bus + RB_PAGE > rb->dma_limit) {
		cp_why(env, "DMA page at bus address 0x%llx is beyond the device's %u-bit reach (raise QEMU's -device edu,dma_mask= and pass --vfio-dma-bits)",
		       (unsigned long long)p->bus, rb->dma_bits);
		return -ERANGE;
	}
	return 0;
}

void vfio_rb_close(struct cp_env *env, void *ctx)
{
	struct rb *rb = ctx;

	if (!rb)
		return;
	if (rb->drv_priv)
		rb->drv->remove(env, rb->drv_priv);
	if (rb->dev.fd >= 0)
		vfio_dev_restore_command(&rb->dev);
	if (rb->region.mapped)
		vfio_dma_unmap(&rb->dev, rb->region.bus, RB_PAGE);
	if (rb->bounce.mapped)
		vfio_dma_unmap(&rb->dev, rb->bounce.bus, RB_PAGE);
	/* Closing the container / iommufd also drops any mapping left over. */
	vfio_dev_close(&rb->dev);
	iommu_faults_close(&rb->faults);
	page_free(&rb->region);
	page_free(&rb->bounce);
	free(rb->pfn);
	free(rb);
}

int vfio_rb_open(struct cp_env *env, enum vfio_mode mode, void **ctx)
{
	struct vfio_dma_region region;
	struct rb *rb;
	char bdf[16], ids[16];
	int err;

	err = named_device(env, bdf);
	if (err)
		return err;
	rb = calloc(1, sizeof(*rb));
	if (!rb) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	rb->faults.fd = -1;
	err = vfio_dev_open(env, &rb->dev, mode, bdf);
	if (err) {
		free(rb);
		return err;
	}
	if (mode != VFIO_MODE_NOIOMMU && (err = iommu_faults_open(&rb->faults, bdf)))
		cp_diag(env, "IOMMU faults of %s cannot be told from data (/dev/kmsg: %s)", bdf,
			strerror(-err));
	rb->drv = vfio_dma_driver_find(rb->dev.vendor, rb->dev.device);
	if (!rb->drv) {
		cp_why(env, "%s (%04x:%04x) through VFIO differs from its sysfs ids: no cowpin DMA-engine driver",
		       bdf, rb->dev.vendor, rb->dev.device);
		err = -EIO;
		goto fail;
	}
	rb->dma_bits = dma_bits(env, rb->drv);
	rb->dma_limit = rb->dma_bits >= 64 ? UINT64_MAX : 1ull << rb->dma_bits;
	snprintf(ids, sizeof(ids), "%04x:%04x", rb->dev.vendor, rb->dev.device);
	ev_add(env, "bdf", json_object_new_string(bdf));
	ev_add(env, "ids", json_object_new_string(ids));
	ev_add(env, "mode", json_object_new_string(vfio_mode_name(mode)));
	ev_add(env, "engine", json_object_new_string(rb->drv->name));
	ev_add(env, "dma_bits", json_object_new_int(rb->dma_bits));

	err = page_setup(env, rb, &rb->region, RB_REGION_IOVA);
	if (!err)
		err = page_setup(env, rb, &rb->bounce, RB_BOUNCE_IOVA);
	if (err)
		goto fail;
	ev_hex(env, "bounce_bus", rb->bounce.bus);

	err = vfio_dev_enable_dma(env, &rb->dev);
	if (err)
		goto fail;
	region = (struct vfio_dma_region){ rb->region.va, rb->region.bus, RB_PAGE };
	if (rb->drv->region_len < region.len && rb->drv->region_len)
		region.len = rb->drv->region_len;
	err = rb->drv->init(env, &rb->dev, &region, &rb->drv_priv);
	if (err) {
		rb->drv_priv = NULL;
		goto fail;
	}
	*ctx = rb;
	return 0;
fail:
	vfio_rb_close(env, rb);
	return err;
}

static const char *map_ioctl(enum vfio_mode mode)
{
	return mode == VFIO_MODE_IOMMUFD ? "IOMMU_IOAS_MAP(READABLE)" :
	       "VFIO_IOMMU_MAP_DMA(VFIO_DMA_MAP_FLAG_READ)";
}

static int noiommu_pin(struct cp_env *env, struct rb *rb, struct cp_pin *pin)
{
	size_t i;
	int err;

	/*
	 * No registration call exists here, so nothing below is the kernel
	 * refusing a pin: every failure is the harness's (an error).
	 */
	rb->npfn = pin->len / RB_PAGE;
	rb->pfn = calloc(rb->npfn, sizeof(*rb->pfn));
	if (!rb->pfn) {
		cp_why_error(env, "no memory for the PFNs of %zu pages", rb->npfn);
		return -ENOMEM;
	}
	err = cp_pagemap_range(pin->buf, pin->len, rb->pfn);
	if (err) {
		cp_why_error(env, "reading /proc/self/pagemap: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < rb->npfn; i++) {
		if (!(rb->pfn[i] & PM_PRESENT) || !(rb->pfn[i] & PM_PFN_MASK)) {
			cp_why_error(env, "page +0x%zx has no PFN in /proc/self/pagemap (%s): noiommu needs CAP_SYS_ADMIN and a faulted-in buffer",
				     i * RB_PAGE, rb->pfn[i] & PM_PRESENT ? "hidden" : "not present");
			return -EPERM;
		}
		rb->pfn[i] &= PM_PFN_MASK;
	}
	pin->readable = pin->len;
	ev_add(env, "pin", json_object_new_string(
		"none: noiommu has no DMA map ioctl; the device was given the physical addresses /proc/self/pagemap showed after the read fault"));
	return 0;
}

int vfio_rb_pin_ro(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct rb *rb = ctx;
	int err;

	if (rb->dev.mode == VFIO_MODE_NOIOMMU)
		return noiommu_pin(env, rb, pin);

	err = vfio_dma_map(&rb->dev, pin->buf, pin->len, RB_TEST_IOVA, false);
	if (err) {
		cp_why(env, "%s of %zu bytes at IOVA 0x%llx: %s", map_ioctl(rb->dev.mode), pin->len,
		       (unsigned long long)RB_TEST_IOVA, strerror(-err));
		return err;
	}
	rb->test_mapped = true;
	rb->test_len = pin->len;
	pin->readable = pin->len;
	if (RB_TEST_IOVA + pin->len > rb->dma_limit) {
		pin->readable = (rb->dma_limit - RB_TEST_IOVA) & ~(RB_PAGE - 1);
		cp_diag(env, "%s reaches only %u address bits: it reads the first %zu MiB of the %zu MiB buffer (all of it is mapped and pinned)",
			rb->drv->name, rb->dma_bits, pin->readable >> 20, pin->len >> 20);
	}
	ev_hex(env, "test_iova", RB_TEST_IOVA);
	ev_add(env, "map", json_object_new_string(map_ioctl(rb->dev.mode)));
	ev_add(env, "readable", json_object_new_int64(pin->readable));
	return 0;
}

void vfio_rb_unpin(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct rb *rb = ctx;
	int err;

	if (rb->test_mapped) {
		err = vfio_dma_unmap(&rb->dev, RB_TEST_IOVA, rb->test_len);
		if (err)
			cp_diag(env, "unmapping the test buffer: %s (closing the device drops it)",
				strerror(-err));
		rb->test_mapped = false;
	}
	free(rb->pfn);
	rb->pfn = NULL;
}

static bool all_bytes(const unsigned char *p, size_t n, int c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* One device copy of n bytes from bus address src into out, via the bounce page. */
static int rb_copy(struct cp_env *env, struct rb *rb, uint64_t src, unsigned char *out, size_t n)
{
	unsigned char *bounce = rb->bounce.va;
	uint64_t bus;
	int err;

	if (rb->dev.mode == VFIO_MODE_NOIOMMU) {
		/* Nothing holds these pages in place: fail rather than DMA into a stranger's page. */
		if (page_phys(env, rb->bounce.va, &bus))
			return -EIO;
		if (bus != rb->bounce.bus || page_phys(env, rb->region.va, &bus) ||
		    bus != rb->region.bus) {
			cp_why(env, "a DMA page moved in physical memory (noiommu cannot pin it)");
			return -EIO;
		}
	}
	memset(bounce, RB_BOUNCE_POISON, n);
	err = rb->drv->dma_start(env, rb->drv_priv, src, rb->bounce.bus, n);
	if (!err)
		err = rb->drv->dma_wait(env, rb->drv_priv, cp_wait_bound(env));
	if (err)
		return err;
	if (n >= 16 && all_bytes(bounce, n, RB_BOUNCE_POISON)) {
		cp_why(env, "%s wrote nothing to the bounce page (bus 0x%llx): its DMA write failed (IOMMU fault? see dmesg)",
		       rb->drv->name, (unsigned long long)rb->bounce.bus);
		return -EIO;
	}
	if (n >= 16 && rb->drv->poison >= 0 && all_bytes(bounce, n, rb->drv->poison)) {
		cp_why(env, "%s did not read the source at bus 0x%llx (its staging poison came back): DMA read failed (IOMMU fault? see dmesg)",
		       rb->drv->name, (unsigned long long)src);
		return -EIO;
	}
	memcpy(out, bounce, n);
	return 0;
}

/* noiommu evidence: the page the device was given vs the page the process maps now. */
static void noiommu_moved(struct cp_env *env, struct rb *rb, struct cp_pin *pin,
			  struct cp_span *spans, int nspans)
{
	struct json_object *arr = json_object_new_array();
	char a[32], b[32];

	for (int i = 0; i < nspans; i++) {
		size_t page = spans[i].off / RB_PAGE;
		struct json_object *o = json_object_new_object();
		uint64_t e = 0;

		cp_pagemap_entry((char *)pin->buf + page * RB_PAGE, &e);
		json_object_object_add(o, "off", json_object_new_int64(page * RB_PAGE));
		json_object_object_add(o, "pfn_given", json_object_new_string(hexstr(a, sizeof(a), rb->pfn[page])));
		json_object_object_add(o, "pfn_now", json_object_new_string(hexstr(b, sizeof(b), e & PM_PFN_MASK)));
		json_object_array_add(arr, o);
	}
	ev_add(env, "pages", arr);
}

int vfio_rb_observe(struct cp_env *env, void *ctx, struct cp_pin *pin,
		    struct cp_span *spans, int nspans)
{
	struct rb *rb = ctx;
	bool noiommu = rb->dev.mode == VFIO_MODE_NOIOMMU;
	char line[512];
	int err;

	if (noiommu)
		noiommu_moved(env, rb, pin, spans, nspans);
	for (int i = 0; i < nspans; i++) {
		size_t off = spans[i].off, done = 0;

		if (off + spans[i].len > pin->readable) {
			cp_why(env, "span +0x%zx..+0x%zx is beyond what the device reads (%zu bytes)",
			       off, off + spans[i].len, pin->readable);
			return -ERANGE;
		}
		while (done < spans[i].len) {
			size_t n = spans[i].len - done, at = off + done;
			uint64_t src;

			if (n > rb->drv->max_len)
				n = rb->drv->max_len;
			if (n > RB_PAGE)
				n = RB_PAGE;
			if (noiommu) {
				/* Physically contiguous only within a page. */
				if (n > RB_PAGE - at % RB_PAGE)
					n = RB_PAGE - at % RB_PAGE;
				src = rb->pfn[at / RB_PAGE] * RB_PAGE + at % RB_PAGE;
				if (src + n > rb->dma_limit) {
					cp_why(env, "page +0x%zx is at physical 0x%llx, beyond %s's %u-bit DMA reach: start QEMU with -device edu,dma_mask=0xffffffffff and pass --vfio-dma-bits 40",
					       at & ~(RB_PAGE - 1), (unsigned long long)(src & ~(RB_PAGE - 1)),
					       rb->drv->name, rb->dma_bits);
					return -ERANGE;
				}
			} else {
				src = RB_TEST_IOVA + at;
			}
			err = rb_copy(env, rb, src, spans[i].out + done, n);
			if (err)
				return err;
			done += n;
		}
	}
	if (iommu_faults_check(&rb->faults, line, sizeof(line))) {
		cp_why(env, "the IOMMU faulted %s's DMA (\"%s\"): a faulted read hands the device zeros (QEMU), so this read-back is no evidence",
		       rb->drv->name, line);
		return -EIO;
	}
	return 0;
}
