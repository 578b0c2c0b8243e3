// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO consumers' common path.  Bus address layout (IOVA for type1 and
 * iommufd, kept low because edu drives only 28 address bits by default):
 *   1 MiB   the DMA engine's private pages (read/write)
 *   2 MiB   the bounce page (read/write): a copy engine copies spans here
 *   16 MiB  the test buffer, mapped WITHOUT write permission: the R/O pin
 *   4 GiB   storage engines (NVMe): the whole-buffer bounce (read/write),
 *           mapped only while the device writes it, so the pin's counters
 *           and the memlock story are the R/O map's alone
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
#include "gather.h"
#include "iommu_fault.h"
#include "number.h"
#include "options.h"
#include "pci_sysfs.h"
#include "reach.h"
#include "readback.h"

#define RB_REGION_IOVA	0x100000ull
#define RB_BOUNCE_IOVA	0x200000ull
#define RB_TEST_IOVA	0x1000000ull
#define RB_WHOLE_IOVA	0x100000000ull
#define RB_PAGE		4096ul

/*
 * TEST ONLY: make every engine read of the test buffer fault in the IOMMU,
 * so the lab can show a faulted read is an error, never data (a faulted
 * read hands a QEMU device zeros: a zeropage test's expected bytes).
 * "unmapped": the source IOVA moved past the end of the R/O map by the
 * map's length, where nothing is mapped; "wrong-iova": one page low, so
 * page 0's reads hit the unmapped page below the map.  IOMMU modes only.
 */
#define RB_TEST_FAULT_HELP "TEST ONLY, never for real runs: unmapped|wrong-iova makes the engine (edu and NVMe: the -nvme consumers too) DMA from an IOVA that is not mapped (past the R/O map) or one page low, so an IOMMU fault must give ERROR"
enum rb_test_fault { RB_FAULT_NONE, RB_FAULT_UNMAPPED, RB_FAULT_WRONG_IOVA };

const struct cp_option vfio_rb_copy_options[] = {
	{ "vfio-device", "COWPIN_VFIO_DEVICE",
	  "PCI device (DDDD:BB:DD.F) bound to vfio-pci whose DMA engine reads the buffer back; never guessed",
	  pci_bdf_check },
	{ "vfio-dma-bits", "COWPIN_VFIO_DMA_BITS",
	  "bus address bits the device drives (edu: 28, unless QEMU got -device edu,dma_mask=...)",
	  vfio_dma_bits_check },
	{ "test-dma-fault", "COWPIN_TEST_DMA_FAULT", RB_TEST_FAULT_HELP, test_dma_fault_check },
	{ NULL, NULL, NULL, NULL },
};

const struct cp_option vfio_rb_nvme_options[] = {
	{ "vfio-nvme-device", "COWPIN_VFIO_NVME_DEVICE",
	  "NVMe controller (DDDD:BB:DD.F) bound to vfio-pci that writes the buffer to scratch blocks and reads it back; never guessed",
	  pci_bdf_check },
	{ "nvme-scratch-lba", "COWPIN_NVME_SCRATCH_LBA",
	  "START[+COUNT]: logical blocks of namespace 1 cowpin may overwrite, decimal (0x for hex; COUNT omitted: what the buffer needs); required",
	  vfio_lba_range_check },
	{ NULL, NULL, NULL, NULL },
};

const struct vfio_rb_family vfio_rb_copy = {
	.device_opt = "vfio-device",
	.what = "a device with a DMA engine cowpin drives",
};

const struct vfio_rb_family vfio_rb_nvme = {
	.device_opt = "vfio-nvme-device",
	.what = "an NVMe controller",
	.storage = true,
};

/* DMA memory the process owns: R/W for the device, one bus address per page. */
struct rb_mem {
	void *va;
	size_t len;
	uint64_t *pages;
	bool mapped;
};

struct rb {
	struct vfio_dev dev;
	const struct vfio_rb_family *fam;
	const struct vfio_dma_driver *drv;
	void *drv_priv;
	struct rb_mem region, bounce, whole;
	unsigned int dma_bits;
	uint64_t dma_limit;	/* first bus address the device cannot reach */
	bool test_mapped;
	size_t test_len;
	uint64_t *pfn;		/* noiommu: pagemap of the buffer when it was "pinned" */
	size_t npfn;
	struct iommu_faults faults;
	enum rb_test_fault test_fault;	/* TEST ONLY (--test-dma-fault) */
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

static int named_device(struct cp_env *env, const struct vfio_rb_family *fam, char bdf[16])
{
	const char *name = cp_opt(env, fam->device_opt);

	if (!name || !*name) {
		cp_why(env, "no VFIO device named: pass --%s BDF or set %s "
		       "(%s; supported: %s; bound with scripts/vfio-bind BDF; "
		       "the lab's scripts/setup-vfio up names its own devices)",
		       fam->device_opt, fam == &vfio_rb_nvme ? "COWPIN_VFIO_NVME_DEVICE" : "COWPIN_VFIO_DEVICE",
		       fam->what, vfio_dma_drivers_supported());
		return -ENODEV;
	}
	if (pci_bdf_normalize(name, bdf)) {
		cp_why(env, "--%s '%s' is not a PCI address (DDDD:BB:DD.F)", fam->device_opt, name);
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
	/* The value passed vfio_dma_bits_check() when cowpin parsed it. */
	const char *s = cp_opt(env, "vfio-dma-bits");
	uint64_t bits;

	return s && !cp_number(s, 20, 64, &bits) ? (unsigned int)bits : drv->dma_bits;
}

/* TEST ONLY: --test-dma-fault; never in noiommu, where a wrong bus address is some stranger's page. */
static int test_fault(struct cp_env *env, struct rb *rb)
{
	/* Listed once, with the copy consumers' options (--help): the -nvme ones read it here too. */
	const char *s = cp_opt(env, "test-dma-fault") ?: getenv("COWPIN_TEST_DMA_FAULT");

	rb->test_fault = RB_FAULT_NONE;
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "unmapped"))
		rb->test_fault = RB_FAULT_UNMAPPED;
	else if (!strcmp(s, "wrong-iova"))
		rb->test_fault = RB_FAULT_WRONG_IOVA;
	if (!rb->test_fault || rb->dev.mode == VFIO_MODE_NOIOMMU) {
		cp_why(env, "--test-dma-fault '%s': unmapped or wrong-iova, and only with an IOMMU (not %s)", s,
		       vfio_mode_name(rb->dev.mode));
		return -EINVAL;
	}
	ev_add(env, "test_dma_fault", json_object_new_string(s));
	cp_diag(env, "TEST ONLY --test-dma-fault %s: the engine reads the test buffer from a wrong IOVA", s);
	return 0;
}

/* The bus address the engine is told to read test IOVA iova from: iova, unless the test switch is on. */
static uint64_t test_src(const struct rb *rb, uint64_t iova)
{
	switch (rb->test_fault) {
	case RB_FAULT_UNMAPPED:
		return iova + (rb->test_len + RB_PAGE - 1) / RB_PAGE * RB_PAGE;
	case RB_FAULT_WRONG_IOVA:
		return iova - RB_PAGE;
	default:
		return iova;
	}
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

/* The engine for the device, if it is of the consumer's family. */
static const struct vfio_dma_driver *family_driver(struct cp_env *env, const struct vfio_rb_family *fam,
						  const char *bdf, uint16_t vendor, uint16_t device,
						  uint32_t class)
{
	const struct vfio_dma_driver *drv = vfio_dma_driver_find(vendor, device, class);

	if (!drv) {
		cp_why(env, "%s (%04x:%04x class %06x) has no cowpin DMA-engine driver (supported: %s)", bdf,
		       vendor, device, class, vfio_dma_drivers_supported());
		return NULL;
	}
	if (!drv->readback != !fam->storage) {
		cp_why(env, "%s is a %s engine: --%s wants %s", bdf, drv->name, fam->device_opt, fam->what);
		return NULL;
	}
	return drv;
}

int vfio_rb_permit(struct cp_env *env, const struct vfio_rb_family *fam)
{
	const char *name = cp_opt(env, fam->device_opt);

	if (!fam->storage)
		return 0;
	if (!name || !*name) {
		cp_why(env, "refusing to write: vfio-*-nvme overwrites blocks of an NVMe namespace with test data; "
		       "name the controller with --%s BDF or COWPIN_VFIO_NVME_DEVICE (bound with scripts/vfio-bind BDF) "
		       "and the blocks it may overwrite with --nvme-scratch-lba START[+COUNT] or COWPIN_NVME_SCRATCH_LBA "
		       "(the lab's scripts/setup-vfio up names its throwaway NVMe)", fam->device_opt);
		return -ENODEV;
	}
	return vfio_dma_permit(env);
}

int vfio_rb_probe(struct cp_env *env, enum vfio_mode mode, const struct vfio_rb_family *fam)
{
	const struct vfio_dma_driver *drv;
	uint16_t vendor, device;
	uint32_t class;
	char bdf[16], driver[64], path[64], cdev[32];
	int err, group;

	err = named_device(env, fam, bdf);
	if (err)
		return err;
	if (pci_dev_ids(bdf, &vendor, &device, &class)) {
		cp_why(env, "cannot read the PCI ids of %s", bdf);
		return -ENODEV;
	}
	drv = family_driver(env, fam, bdf, vendor, device, class);
	if (!drv)
		return -ENODEV;
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

static void mem_unmap(struct rb *rb, struct rb_mem *m)
{
	if (m->mapped)
		vfio_dma_unmap(&rb->dev, m->pages[0], m->len);
	m->mapped = false;
}

static void mem_free(struct rb *rb, struct rb_mem *m)
{
	mem_unmap(rb, m);
	if (m->va)
		munmap(m->va, m->len);
	free(m->pages);
	*m = (struct rb_mem){ NULL };
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

/* len bytes of read/write memory the device may DMA to; exclusive anon, written first. */
static int mem_setup(struct cp_env *env, struct rb *rb, struct rb_mem *m, size_t len, uint64_t iova)
{
	size_t i, n = len / RB_PAGE;
	int err;

	m->pages = calloc(n, sizeof(*m->pages));
	m->va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->va == MAP_FAILED || !m->pages) {
		m->va = m->va == MAP_FAILED ? NULL : m->va;
		cp_why(env, "mmap of %zu bytes of DMA memory: %s", len, strerror(errno));
		return -ENOMEM;
	}
	m->len = len;
	memset(m->va, 0, len);
	if (rb->dev.mode == VFIO_MODE_NOIOMMU) {
		/* Not a pin: keeps the pages resident; noiommu has nothing better. */
		if (mlock(m->va, len)) {
			err = -errno;
			cp_why(env, "mlock of %zu bytes of DMA memory: %s", len, strerror(-err));
			return err;
		}
		for (i = 0; i < n; i++)
			if ((err = page_phys(env, (char *)m->va + i * RB_PAGE, &m->pages[i])))
				return err;
	} else {
		err = vfio_dma_map(&rb->dev, m->va, len, iova, true);
		if (err) {
			cp_why(env, "read/write DMA map of %zu bytes at IOVA 0x%llx: %s", len,
			       (unsigned long long)iova, strerror(-err));
			return err;
		}
		m->mapped = true;
		for (i = 0; i < n; i++)
			m->pages[i] = iova + i * RB_PAGE;
	}
	for (i = 0; i < n; i++)
		if (m->pages[i] + RB_PAGE > rb->dma_limit) {
			cp_why(env, "DMA page at bus address 0x%llx is beyond the device's %u-bit reach (raise QEMU's -device edu,dma_mask= and pass --vfio-dma-bits)",
			       (unsigned long long)m->pages[i], rb->dma_bits);
			return -ERANGE;
		}
	return 0;
}

/* noiommu: nothing holds these pages in place; fail rather than DMA into a stranger's page. */
static int mem_unmoved(struct cp_env *env, struct rb *rb, const struct rb_mem *m)
{
	uint64_t bus;

	if (rb->dev.mode != VFIO_MODE_NOIOMMU)
		return 0;
	for (size_t i = 0; i < m->len / RB_PAGE; i++)
		if (page_phys(env, (char *)m->va + i * RB_PAGE, &bus) || bus != m->pages[i]) {
			cp_why(env, "a DMA page moved in physical memory (noiommu cannot pin it)");
			return -EIO;
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
	mem_unmap(rb, &rb->region);
	mem_unmap(rb, &rb->bounce);
	mem_unmap(rb, &rb->whole);
	/* Closing the container / iommufd also drops any mapping left over. */
	vfio_dev_close(&rb->dev);
	iommu_faults_close(&rb->faults);
	mem_free(rb, &rb->region);
	mem_free(rb, &rb->bounce);
	mem_free(rb, &rb->whole);
	free(rb->pfn);
	free(rb);
}

int vfio_rb_open(struct cp_env *env, enum vfio_mode mode, const struct vfio_rb_family *fam, void **ctx)
{
	struct vfio_dma_region region;
	struct rb *rb;
	char bdf[16], ids[16], line[256];
	int err;

	err = named_device(env, fam, bdf);
	if (err)
		return err;
	rb = calloc(1, sizeof(*rb));
	if (!rb) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	rb->faults.log.fd = -1;
	rb->faults.irqs = -1;	/* noiommu: no IOMMU, nothing to watch */
	rb->fam = fam;
	/*
	 * Before the device is touched: a read the IOMMU faulted hands the
	 * device zeros, so without sight of the faults no read-back is evidence.
	 */
	if (mode != VFIO_MODE_NOIOMMU && (err = iommu_faults_open(&rb->faults, bdf, line, sizeof(line)))) {
		cp_why(env, "cannot watch the IOMMU's faults of %s: %s; a faulted DMA read hands the device zeros, which no byte it returns tells from a zeropage's, so no read-back would be evidence",
		       bdf, line);
		free(rb);
		return err;
	}
	err = vfio_dev_open(env, &rb->dev, mode, bdf);
	if (err) {
		iommu_faults_close(&rb->faults);
		free(rb);
		return err;
	}
	if (mode != VFIO_MODE_NOIOMMU) {
		ev_add(env, "iommu", rb->faults.iommu[0] ? json_object_new_string(rb->faults.iommu) : NULL);
		ev_add(env, "iommu_fault_irqs", json_object_new_int64(rb->faults.irqs));
		if (rb->faults.irqs < 0)
			cp_diag(env, "%s's IOMMU (%s) has no fault interrupt in /proc/interrupts: only the kernel log shows its faults, and it is rate-limited",
				bdf, rb->faults.iommu[0] ? rb->faults.iommu : "none in sysfs");
	}
	rb->drv = family_driver(env, fam, bdf, rb->dev.vendor, rb->dev.device, rb->dev.class);
	if (!rb->drv) {
		/* The probe saw the right engine in sysfs: config space disagreeing is the device's error. */
		err = -EIO;
		goto fail;
	}
	err = test_fault(env, rb);
	if (err)
		goto fail;
	rb->dma_bits = dma_bits(env, rb->drv);
	rb->dma_limit = rb->dma_bits >= 64 ? UINT64_MAX : 1ull << rb->dma_bits;
	snprintf(ids, sizeof(ids), "%04x:%04x", rb->dev.vendor, rb->dev.device);
	ev_add(env, "bdf", json_object_new_string(bdf));
	ev_add(env, "ids", json_object_new_string(ids));
	ev_add(env, "mode", json_object_new_string(vfio_mode_name(mode)));
	ev_add(env, "engine", json_object_new_string(rb->drv->name));
	ev_add(env, "dma_bits", json_object_new_int(rb->dma_bits));

	err = mem_setup(env, rb, &rb->region, rb->drv->region_len ?
			(rb->drv->region_len + RB_PAGE - 1) / RB_PAGE * RB_PAGE : RB_PAGE, RB_REGION_IOVA);
	if (!err && !fam->storage)
		err = mem_setup(env, rb, &rb->bounce, RB_PAGE, RB_BOUNCE_IOVA);
	if (err)
		goto fail;
	if (!fam->storage)
		ev_hex(env, "bounce_bus", rb->bounce.pages[0]);

	err = vfio_dev_enable_dma(env, &rb->dev);
	if (err)
		goto fail;
	region = (struct vfio_dma_region){ rb->region.va, rb->region.pages[0], rb->region.len,
					   rb->region.pages };
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
	if (vfio_reach(RB_TEST_IOVA, pin->len, rb->dma_limit, RB_PAGE, &pin->readable)) {
		cp_why_error(env, "%s drives %u address bits (bus addresses below 0x%llx): the test buffer at IOVA 0x%llx is out of its reach; --vfio-dma-bits must be at least 25",
			     rb->drv->name, rb->dma_bits, (unsigned long long)rb->dma_limit,
			     (unsigned long long)RB_TEST_IOVA);
		vfio_dma_unmap(&rb->dev, RB_TEST_IOVA, rb->test_len);
		rb->test_mapped = false;
		return -ERANGE;
	}
	if (pin->readable < pin->len) {
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
	mem_free(rb, &rb->whole);
	pin->seen = NULL;
}

/* Storage engines: all of [0, readable) through the device into the whole-buffer bounce. */
static int rb_whole(struct cp_env *env, struct rb *rb, struct cp_pin *pin, struct cp_span *spans,
		    int nspans)
{
	size_t i, n = pin->readable / RB_PAGE;
	uint64_t *src, src0;
	int err;

	mem_free(rb, &rb->whole);
	src = calloc(n, sizeof(*src));
	if (!src) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		src[i] = rb->dev.mode == VFIO_MODE_NOIOMMU ? rb->pfn[i] * RB_PAGE :
			 test_src(rb, RB_TEST_IOVA + i * RB_PAGE);
	src0 = src[0];
	err = mem_setup(env, rb, &rb->whole, n * RB_PAGE, RB_WHOLE_IOVA);
	if (!err)
		err = mem_unmoved(env, rb, &rb->region);
	if (!err) {
		memset(rb->whole.va, VFIO_BOUNCE_POISON, rb->whole.len);
		err = rb->drv->readback(env, rb->drv_priv, src, rb->whole.pages, rb->whole.len,
					cp_wait_bound(env));
	}
	if (!err)
		err = mem_unmoved(env, rb, &rb->whole);
	/* The read/write map lives only as long as the device writes into it. */
	mem_unmap(rb, &rb->whole);
	free(src);
	if (!err)
		err = vfio_poison_check(env, rb->drv, rb->whole.va, rb->whole.len, rb->whole.pages[0], src0);
	if (err)
		return err;
	for (int s = 0; s < nspans; s++)
		memcpy(spans[s].out, (unsigned char *)rb->whole.va + spans[s].off, spans[s].len);
	pin->seen = rb->whole.va;
	ev_add(env, "bounce", json_object_new_string(
		"whole buffer: read/write, mapped at IOVA 0x100000000 only during the read-back"));
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

/*
 * Copy engines: split the spans into pieces the device can copy (each
 * within max_len and a page; noiommu: within a physical page), piece i
 * going to out[i].  *n: the number of pieces; *np must be large enough.
 */
static int rb_pieces(struct cp_env *env, struct rb *rb, struct cp_pin *pin, struct cp_span *spans,
		     int nspans, struct vfio_dma_piece *pieces, unsigned char **out, size_t *np)
{
	bool noiommu = rb->dev.mode == VFIO_MODE_NOIOMMU;
	size_t k = 0;

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
				src = test_src(rb, RB_TEST_IOVA + at);
				if (src + n > rb->dma_limit) {
					/* Only the test switch's shifted address can get here (vfio_reach bounds readable). */
					cp_why(env, "%sbus address 0x%llx is beyond %s's %u-bit reach",
					       rb->test_fault ? "--test-dma-fault: " : "", (unsigned long long)src,
					       rb->drv->name, rb->dma_bits);
					return -ERANGE;
				}
			}
			pieces[k] = (struct vfio_dma_piece){ src, n };
			out[k++] = spans[i].out + done;
			done += n;
		}
	}
	*np = k;
	return 0;
}

/* Copy engines: every span through the bounce page, as few gathers as fit. */
static int rb_gathers(struct cp_env *env, struct rb *rb, struct cp_pin *pin, struct cp_span *spans,
		      int nspans)
{
	struct vfio_bounce bounce = { rb->bounce.va, rb->bounce.pages[0], RB_PAGE };
	size_t limit = rb->drv->max_len < RB_PAGE ? rb->drv->max_len : RB_PAGE;
	struct vfio_dma_piece *pieces;
	unsigned char **out;
	size_t i, k, n = 0;
	int err;

	/* A span has at most one piece per limit bytes plus one per page boundary. */
	for (int s = 0; s < nspans; s++)
		n += spans[s].len / limit + spans[s].len / RB_PAGE + 2;
	pieces = calloc(n + 1, sizeof(*pieces));
	out = calloc(n + 1, sizeof(*out));
	err = pieces && out ? rb_pieces(env, rb, pin, spans, nspans, pieces, out, &n) : -ENOMEM;
	if (err == -ENOMEM)
		cp_why(env, "out of memory");
	for (i = 0; !err && i < n; i += k) {
		k = vfio_gather_fit(pieces + i, n - i, limit);
		if (mem_unmoved(env, rb, &rb->bounce) || mem_unmoved(env, rb, &rb->region))
			err = -EIO;
		else
			err = vfio_gather_read(env, rb->drv, rb->drv_priv, &bounce, pieces + i, out + i, k,
					       cp_wait_bound(env));
	}
	free(pieces);
	free(out);
	return err;
}

/* TEST ONLY: what the engine handed back from the wrong IOVA (first 16 bytes of each span). */
static void test_fault_seen(struct cp_env *env, const struct cp_span *spans, int nspans)
{
	struct json_object *arr = json_object_new_array();
	char hex[64];

	for (int i = 0; i < nspans; i++) {
		size_t n = spans[i].len < 16 ? spans[i].len : 16;

		for (size_t j = 0; j < n; j++)
			snprintf(hex + 2 * j, 3, "%02x", spans[i].out[j]);
		json_object_array_add(arr, json_object_new_string(hex));
	}
	ev_add(env, "test_fault_seen", arr);
}

int vfio_rb_observe(struct cp_env *env, void *ctx, struct cp_pin *pin,
		    struct cp_span *spans, int nspans)
{
	struct rb *rb = ctx;
	char line[512];
	int err;

	if (rb->dev.mode == VFIO_MODE_NOIOMMU)
		noiommu_moved(env, rb, pin, spans, nspans);
	err = rb->fam->storage ? rb_whole(env, rb, pin, spans, nspans) :
	      rb_gathers(env, rb, pin, spans, nspans);
	if (!err && rb->test_fault)
		test_fault_seen(env, spans, nspans);
	if (err)
		return err;
	if (iommu_faults_check(&rb->faults, line, sizeof(line))) {
		cp_why(env, "DMA fault: the IOMMU faulted %s's DMA (%s): a faulted read hands the device zeros (QEMU), so this read-back is no evidence",
		       rb->drv->name, line);
		return -EIO;
	}
	return 0;
}
