// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backing.h"
#include "procfs.h"

#define SZ_2M (2ul << 20)
#define SZ_1G (1ul << 30)

size_t cp_backing_default_len(enum cp_backing_id id)
{
	/* 2 MiB = 512 base pages = one huge page: every backing tests the same range. */
	return id == CP_B_HUGETLB_1G ? SZ_1G : SZ_2M;
}

bool cp_backing_has_file(enum cp_backing_id id)
{
	switch (id) {
	case CP_B_MEMFD:
	case CP_B_TMPFILE:
	case CP_B_HUGETLB_2M:
	case CP_B_HUGETLB_1G:
		return true;
	default:
		return false;
	}
}

bool cp_backing_is_cow(enum cp_backing_id id)
{
	return id != CP_B_ANON && id != CP_B_SHARED_MEMFD && id != CP_B_RO_SHARED_FILE;
}

unsigned int cp_backing_cases(enum cp_backing_id id)
{
	unsigned int data = CP_CASE_BIT(CP_CASE_SNAPSHOT) | CP_CASE_BIT(CP_CASE_RELIABLE) |
			    CP_CASE_BIT(CP_CASE_DETECTS_STALE);

	if (id == CP_B_RO_SHARED_FILE)
		return CP_CASE_BIT(CP_CASE_REGISTER);
	if (id != CP_B_SHARED_MEMFD)
		/* A private mapping: a child forked after the pin must keep the old content. */
		data |= CP_CASE_BIT(CP_CASE_FORK);
	if (cp_backing_has_file(id))
		/* ro-register here = the same file mapped PROT_READ, MAP_PRIVATE */
		return data | CP_CASE_BIT(CP_CASE_REGISTER) | CP_CASE_BIT(CP_CASE_FILE_INTACT);
	return data;
}

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

/* Write pattern A into fd through pwrite (regular files and shmem). */
static int fill_file(int fd, size_t len)
{
	unsigned char chunk[65536];

	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		cp_pattern_fill(CP_PAT_A, chunk, off, n);
		if (pwrite(fd, chunk, n, off) != (ssize_t)n)
			return -errno ? -errno : -EIO;
	}
	return 0;
}

static void read_fault(const struct cp_buffer *b)
{
	for (size_t off = 0; off < b->len; off += 4096)
		(void)*(volatile unsigned char *)(b->addr + off);
}

static int map_file(struct cp_buffer *b, int flags)
{
	int prot = b->read_only ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(NULL, b->len, prot, flags, b->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	b->addr = b->map = p;
	b->map_len = b->len;
	return 0;
}

/*
 * Check every base page: present, and file-backed (PM_FILE) or not as
 * expected.  Returns 0 or -EINVAL with why.
 */
/* Without sysfs every THP/hugetlb file is missing: say that, not "kernel without ...". */
static int sysfs_missing(char *why, size_t whylen)
{
	if (!access("/sys/kernel/mm", F_OK))
		return 0;
	return fail(why, whylen, ENOTSUP, "sysfs is not mounted (no /sys/kernel/mm): mount -t sysfs sysfs /sys");
}

/* The pagemap entries of every 4 KiB of the buffer, in one read (caller frees); NULL + errno. */
static uint64_t *pagemap_of(const struct cp_buffer *b)
{
	uint64_t *pm = malloc(b->len / 4096 * sizeof(*pm));
	int err;

	if (!pm)
		return NULL;
	err = cp_pagemap_range(b->addr, b->len, pm);
	if (err) {
		free(pm);
		errno = -err;
		return NULL;
	}
	return pm;
}

/*
 * Check every page of the buffer in one pagemap read: present, file-backed
 * or not as expected, and (want_pfn != 0) mapping that one pfn: the shared
 * zeropage.  0, or -EINVAL with why.
 */
static int verify_pages(struct cp_buffer *b, bool want_file, uint64_t want_pfn,
			char *why, size_t whylen)
{
	uint64_t *pm = pagemap_of(b);
	int err = 0;

	if (!pm)
		return fail(why, whylen, errno, "cannot read /proc/self/pagemap: %s", strerror(errno));
	for (size_t off = 0; off < b->len && !err; off += b->page_size) {
		uint64_t e = pm[off / 4096];

		if (!(e & PM_PRESENT))
			err = fail(why, whylen, EINVAL, "page at +0x%zx not present after the read fault", off);
		else if (!!(e & PM_FILE) != want_file)
			err = fail(why, whylen, EINVAL, "page at +0x%zx is %s, expected %s", off,
				   (e & PM_FILE) ? "a file/shared page" : "anonymous",
				   want_file ? "a pagecache page" : "anonymous");
		else if (want_pfn && (e & PM_PFN_MASK) != want_pfn && (b->absent = true))
			/* A kernel that maps no shared zeropage (pvm_no_zero_page=1): absent. */
			err = fail(why, whylen, EINVAL,
				   "read fault at +0x%zx mapped pfn 0x%llx, not the shared zeropage 0x%llx",
				   off, (unsigned long long)(e & PM_PFN_MASK), (unsigned long long)want_pfn);
	}
	free(pm);
	return err;
}

static uint64_t pfn_of(const void *addr)
{
	uint64_t e = 0;

	if (cp_pagemap_entry(addr, &e) || !(e & PM_PRESENT))
		return 0;
	return e & PM_PFN_MASK;
}

static int setup_zeropage(struct cp_buffer *b, char *why, size_t whylen)
{
	uint64_t pfn0, kpf;
	void *p = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail(why, whylen, errno, "mmap: %s", strerror(errno));
	b->addr = b->map = p;
	b->map_len = b->len;
	/* 4 KiB zeropage, not the huge one: keep THP out of this range. */
	madvise(p, b->len, MADV_NOHUGEPAGE);
	read_fault(b);
	b->before = CP_PAT_ZERO;
	/* Without CAP_SYS_ADMIN pfn0 reads 0: then only presence is checked here. */
	pfn0 = pfn_of(b->addr);
	if (verify_pages(b, false, pfn0, why, whylen))
		return -EINVAL;
	if (pfn0) {
		if (!cp_kpageflags(pfn0, &kpf) && !(kpf & (1ull << KPF_ZERO_PAGE)) && (b->absent = true))
			return fail(why, whylen, EINVAL, "pfn 0x%llx lacks KPF_ZERO_PAGE",
				    (unsigned long long)pfn0);
		snprintf(b->verified, sizeof(b->verified),
			 "all %zu pages map one pfn 0x%llx (the shared zeropage)",
			 b->len / 4096, (unsigned long long)pfn0);
	} else {
		/* Without CAP_SYS_ADMIN pagemap hides PFNs: the zeropage isn't in Rss. */
		if (cp_smaps_field(b->addr, "Rss") != 0 && (b->absent = true))
			return fail(why, whylen, EINVAL, "read-faulted range has Rss %ld kB, not the zeropage",
				    cp_smaps_field(b->addr, "Rss"));
		snprintf(b->verified, sizeof(b->verified),
			 "all pages present with Rss 0 kB (PFNs hidden: not CAP_SYS_ADMIN)");
	}
	return 0;
}

/* THP on and the huge zeropage allowed: 0, or -errno with how to enable it. */
static int huge_zeropage_ready(char *why, size_t whylen)
{
	char thp[128];

	if (cp_read_text("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp)))
		return sysfs_missing(why, whylen) ?:
		       fail(why, whylen, ENOTSUP, "kernel without transparent hugepages (CONFIG_TRANSPARENT_HUGEPAGE)");
	if (strstr(thp, "[never]"))
		return fail(why, whylen, ENOTSUP,
			    "THP disabled: echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
	if (cp_read_long("/sys/kernel/mm/transparent_hugepage/use_zero_page", 0) != 1)
		return fail(why, whylen, ENOTSUP,
			    "huge zeropage disabled: echo 1 > /sys/kernel/mm/transparent_hugepage/use_zero_page");
	return 0;
}

static int setup_huge_zeropage(struct cp_buffer *b, char *why, size_t whylen)
{
	uint64_t pfn, kpf;
	int err;
	unsigned char *p;

	if ((err = huge_zeropage_ready(why, whylen))) {
		b->absent = true;
		return err;
	}
	/* Over-allocate to get a 2 MiB-aligned range. */
	b->map_len = b->len + SZ_2M;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return fail(why, whylen, errno, "mmap: %s", strerror(errno));
	}
	p = (unsigned char *)(((unsigned long)b->map + SZ_2M - 1) & ~(SZ_2M - 1));
	b->addr = p;
	if (madvise(p, b->len, MADV_HUGEPAGE))
		return fail(why, whylen, errno, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	read_fault(b);
	b->before = CP_PAT_ZERO;
	pfn = pfn_of(p);
	b->absent = true;	/* what fails from here is what the kernel maps, or may show */
	if (!pfn)
		return fail(why, whylen, EPERM,
			    "cannot confirm the huge zeropage: PFNs in /proc/self/pagemap need CAP_SYS_ADMIN (run as root)");
	if (cp_kpageflags(pfn, &kpf))
		return fail(why, whylen, EPERM, "cannot read /proc/kpageflags (run as root)");
	if ((kpf & ((1ull << KPF_ZERO_PAGE) | (1ull << KPF_THP))) !=
	    ((1ull << KPF_ZERO_PAGE) | (1ull << KPF_THP)))
		return fail(why, whylen, EINVAL,
			    "read fault did not map the huge zeropage (pfn 0x%llx kpageflags 0x%llx); "
			    "check /sys/kernel/mm/transparent_hugepage/{enabled,defrag}",
			    (unsigned long long)pfn, (unsigned long long)kpf);
	/* Every 2 MiB of the range maps the same huge zeropage (sizes above 2 MiB: cowpin memlock). */
	for (size_t off = 0; off < b->len; off += SZ_2M)
		if (pfn_of(p + off) != pfn || pfn_of(p + off + SZ_2M - 4096) != pfn + SZ_2M / 4096 - 1)
			return fail(why, whylen, EINVAL, "range is not one huge zeropage mapping at +0x%zx", off);
	b->absent = false;
	snprintf(b->verified, sizeof(b->verified),
		 "pfn 0x%llx..+512 is ZERO_PAGE|THP: the huge zeropage, mapped by all %zu PMDs",
		 (unsigned long long)pfn, b->len / SZ_2M);
	return 0;
}

static int verify_file(struct cp_buffer *b, const char *what, char *why, size_t whylen)
{
	if (verify_pages(b, true, 0, why, whylen))
		return -EINVAL;
	snprintf(b->verified, sizeof(b->verified), "%zu %s pages present, file-backed (pagemap PM_FILE)",
		 b->len / b->page_size, what);
	return 0;
}

static int setup_shmem_file(struct cp_buffer *b, int map_flags, char *why, size_t whylen)
{
	int err;

	b->fd = memfd_create("cowpin", MFD_CLOEXEC);
	if (b->fd < 0)
		return fail(why, whylen, errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(b->fd, b->len) || (err = fill_file(b->fd, b->len)))
		return fail(why, whylen, errno, "filling the memfd: %s", strerror(errno));
	err = map_file(b, map_flags);
	if (err)
		return fail(why, whylen, err, "mmap: %s", strerror(-err));
	madvise(b->addr, b->len, MADV_NOHUGEPAGE);
	read_fault(b);
	return verify_file(b, "shmem", why, whylen);
}

static int open_tmpfile(const char *dir, bool named, char *path, size_t plen)
{
	int fd = -1;

	if (!named)
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* Filesystems without O_TMPFILE: a named file, unlinked at once. */
		snprintf(path, plen, "%s/cowpin-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0 && !named)
			unlink(path);
	}
	return fd;
}

static int setup_tmpfile(struct cp_buffer *b, const char *dir, char *why, size_t whylen)
{
	char path[4096];
	int err;

	b->fd = open_tmpfile(dir, false, path, sizeof(path));
	if (b->fd < 0)
		return fail(why, whylen, errno, "cannot create a file in %s: %s (choose one with --tmpdir)",
			    dir, strerror(errno));
	if ((err = fill_file(b->fd, b->len)) || fsync(b->fd))
		return fail(why, whylen, errno, "writing the file in %s: %s", dir, strerror(errno));
	err = map_file(b, MAP_PRIVATE);
	if (err)
		return fail(why, whylen, err, "mmap of a file in %s: %s", dir, strerror(-err));
	read_fault(b);
	return verify_file(b, "pagecache", why, whylen);
}

static int setup_ro_shared_file(struct cp_buffer *b, const char *dir, char *why, size_t whylen)
{
	char path[4096];
	int fd, err;

	/* The point: a file the process may only read, shared, as with O_RDONLY data files. */
	fd = open_tmpfile(dir, true, path, sizeof(path));
	if (fd < 0)
		return fail(why, whylen, errno, "cannot create a file in %s: %s (choose one with --tmpdir)",
			    dir, strerror(errno));
	err = fill_file(fd, b->len);
	close(fd);
	b->fd = err ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (b->fd < 0)
		return fail(why, whylen, err ? err : errno, "preparing %s: %s", path, strerror(err ? -err : errno));
	b->read_only = true;
	err = map_file(b, MAP_SHARED);
	if (err)
		return fail(why, whylen, err, "mmap: %s", strerror(-err));
	read_fault(b);
	return verify_file(b, "read-only shared", why, whylen);
}

static int setup_hugetlb(struct cp_buffer *b, char *why, size_t whylen)
{
	bool giga = b->id == CP_B_HUGETLB_1G;
	const char *pool = giga ? "/sys/kernel/mm/hugepages/hugepages-1048576kB"
				: "/sys/kernel/mm/hugepages/hugepages-2048kB";
	char path[256];
	long free_pages;
	size_t need = b->len / b->page_size;
	void *p;
	int err;

	snprintf(path, sizeof(path), "%s/free_hugepages", pool);
	free_pages = cp_read_long(path, -1);
	if (free_pages < 0)
		return sysfs_missing(why, whylen) ?:
		       fail(why, whylen, ENOTSUP, "no %s hugetlb pool (%s): kernel without that huge page size%s",
			    giga ? "1 GiB" : "2 MiB", pool,
			    giga ? " or booted without hugepagesz=1G" : "");
	/* One page for the file, one for the private copy a COW break makes. */
	if ((size_t)free_pages < 2 * need)
		return fail(why, whylen, ENOSPC, "%ld free %s huge pages, need %zu: %s", free_pages,
			    giga ? "1 GiB" : "2 MiB", 2 * need,
			    giga ? "boot with hugepagesz=1G hugepages=2"
				 : "echo 4 > /proc/sys/vm/nr_hugepages");
	b->fd = memfd_create("cowpin-hugetlb", MFD_CLOEXEC | MFD_HUGETLB |
			     (giga ? MFD_HUGE_1GB : MFD_HUGE_2MB));
	if (b->fd < 0)
		return fail(why, whylen, errno, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	if (ftruncate(b->fd, b->len) || fallocate(b->fd, 0, 0, b->len))
		return fail(why, whylen, errno, "allocating huge pages: %s", strerror(errno));
	/* hugetlbfs has no write(): fill A through a shared mapping, so the pagecache holds A. */
	p = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED)
		return fail(why, whylen, errno, "mmap(MAP_SHARED) of the hugetlb memfd: %s", strerror(errno));
	cp_pattern_fill(CP_PAT_A, p, 0, b->len);
	munmap(p, b->len);
	err = map_file(b, MAP_PRIVATE);
	if (err)
		return fail(why, whylen, err, "mmap(MAP_PRIVATE) of the hugetlb memfd: %s", strerror(-err));
	read_fault(b);
	if (cp_smaps_field(b->addr, "KernelPageSize") != (long)(b->page_size >> 10))
		return fail(why, whylen, EINVAL, "mapping's KernelPageSize is %ld kB, not %zu kB",
			    cp_smaps_field(b->addr, "KernelPageSize"), b->page_size >> 10);
	return verify_file(b, giga ? "1 GiB hugetlb" : "2 MiB hugetlb", why, whylen);
}

static int setup_anon(struct cp_buffer *b, char *why, size_t whylen)
{
	void *p = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail(why, whylen, errno, "mmap: %s", strerror(errno));
	b->addr = b->map = p;
	b->map_len = b->len;
	madvise(p, b->len, MADV_NOHUGEPAGE);
	cp_pattern_fill(CP_PAT_A, p, 0, b->len);
	if (verify_pages(b, false, 0, why, whylen))
		return -EINVAL;
	snprintf(b->verified, sizeof(b->verified), "%zu anonymous pages present, written before the pin",
		 b->len / 4096);
	return 0;
}

static int probe_hugetlb(bool giga, char *why, size_t whylen)
{
	const char *pool = giga ? "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"
				: "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
	long free_pages = cp_read_long(pool, -1);

	if (free_pages < 0)
		return sysfs_missing(why, whylen) ?:
		       fail(why, whylen, ENOTSUP, "no %s hugetlb pool%s", giga ? "1 GiB" : "2 MiB",
			    giga ? ": boot with hugepagesz=1G hugepages=2" : " (CONFIG_HUGETLBFS)");
	if (free_pages < 2)
		return fail(why, whylen, ENOSPC, "%ld free %s huge pages, need 2: %s", free_pages,
			    giga ? "1 GiB" : "2 MiB",
			    giga ? "boot with hugepagesz=1G hugepages=2" : "echo 4 > /proc/sys/vm/nr_hugepages");
	return 0;
}

/*
 * Whether a read fault maps the shared (huge) zeropage is only known by
 * trying (some kernels never map it, e.g. booted with pvm_no_zero_page=1):
 * set the backing up as a test would.  Only an absence it shows counts.
 */
static int zeropage_trial(enum cp_backing_id id, const struct cp_backing_opts *opts, char *why, size_t whylen)
{
	struct cp_buffer b;
	int err = cp_backing_setup(id, cp_backing_default_len(id), false, opts, &b, why, whylen);

	if (!err)
		cp_backing_teardown(&b);
	return err && b.absent ? err : 0;
}

int cp_backing_probe(enum cp_backing_id id, const struct cp_backing_opts *opts, char *why, size_t whylen)
{
	const char *dir = opts && opts->tmpdir ? opts->tmpdir : "/var/tmp";
	int err;

	switch (id) {
	case CP_B_ZEROPAGE:
		return zeropage_trial(id, opts, why, whylen);
	case CP_B_HUGE_ZEROPAGE:
		if ((err = huge_zeropage_ready(why, whylen)))
			return err;
		if (geteuid())
			return fail(why, whylen, EPERM, "confirming the huge zeropage needs root (pagemap PFNs, kpageflags)");
		return zeropage_trial(id, opts, why, whylen);
	case CP_B_HUGETLB_2M:
	case CP_B_HUGETLB_1G:
		return probe_hugetlb(id == CP_B_HUGETLB_1G, why, whylen);
	case CP_B_TMPFILE:
	case CP_B_RO_SHARED_FILE:
		if (access(dir, W_OK))
			return fail(why, whylen, errno, "%s is not writable: choose a directory with --tmpdir", dir);
		return 0;
	default:
		return 0;
	}
}

int cp_backing_setup(enum cp_backing_id id, size_t len, bool read_only,
		     const struct cp_backing_opts *opts, struct cp_buffer *b,
		     char *why, size_t whylen)
{
	const char *dir = opts && opts->tmpdir ? opts->tmpdir : "/var/tmp";
	int err;

	memset(b, 0, sizeof(*b));
	b->id = id;
	b->len = len;
	b->fd = -1;
	b->before = CP_PAT_A;
	b->read_only = read_only;
	b->page_size = id == CP_B_HUGETLB_2M ? SZ_2M : id == CP_B_HUGETLB_1G ? SZ_1G : 4096;
	if (read_only && !cp_backing_has_file(id) && id != CP_B_RO_SHARED_FILE)
		return fail(why, whylen, EINVAL, "%s has no read-only variant", cp_backing_name(id));

	switch (id) {
	case CP_B_ZEROPAGE:
		err = setup_zeropage(b, why, whylen);
		break;
	case CP_B_HUGE_ZEROPAGE:
		err = setup_huge_zeropage(b, why, whylen);
		break;
	case CP_B_MEMFD:
		err = setup_shmem_file(b, MAP_PRIVATE, why, whylen);
		break;
	case CP_B_SHARED_MEMFD:
		err = setup_shmem_file(b, MAP_SHARED, why, whylen);
		break;
	case CP_B_TMPFILE:
		err = setup_tmpfile(b, dir, why, whylen);
		break;
	case CP_B_HUGETLB_2M:
	case CP_B_HUGETLB_1G:
		err = setup_hugetlb(b, why, whylen);
		break;
	case CP_B_ANON:
		err = setup_anon(b, why, whylen);
		break;
	case CP_B_RO_SHARED_FILE:
		err = setup_ro_shared_file(b, dir, why, whylen);
		break;
	default:
		err = fail(why, whylen, EINVAL, "unknown backing %d", id);
	}
	if (err)
		cp_backing_teardown(b);
	return err;
}

void cp_backing_teardown(struct cp_buffer *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->map_len);
	if (b->fd >= 0)
		close(b->fd);
	b->map = NULL;
	b->addr = NULL;
	b->fd = -1;
}

long cp_backing_file_mismatch(const struct cp_buffer *b, unsigned char *seen, size_t seenlen)
{
	unsigned char chunk[65536];

	if (b->fd < 0)
		return -EBADF;
	for (size_t off = 0; off < b->len; off += sizeof(chunk)) {
		size_t n = b->len - off < sizeof(chunk) ? b->len - off : sizeof(chunk);
		size_t bad;

		if (pread(b->fd, chunk, n, off) != (ssize_t)n)
			return -errno ? -errno : -EIO;
		bad = cp_pattern_mismatch(CP_PAT_A, chunk, off, n);
		if (bad < n) {
			size_t k = n - bad < seenlen ? n - bad : seenlen;

			memcpy(seen, chunk + bad, k);
			return off + bad;
		}
	}
	return b->len;
}

int cp_backing_detach(struct cp_buffer *b, const char **method, char *why, size_t whylen)
{
	if (b->read_only)
		return fail(why, whylen, ENOTSUP, "a read-only mapping cannot be written: no detach method");
	if (b->id == CP_B_SHARED_MEMFD) {
		/* MADV_DONTNEED would only unmap: the next fault would map the same shmem page. */
		*method = "fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) of the shared memfd";
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, b->len))
			return fail(why, whylen, errno, "%s: %s", *method, strerror(errno));
		return 0;
	}
	/* A private mapping: zap its entries; a later write faults in a new anon page. */
	*method = "madvise(MADV_DONTNEED) of the private mapping";
	if (madvise(b->addr, b->len, MADV_DONTNEED))
		return fail(why, whylen, errno, "%s: %s", *method, strerror(errno));
	return 0;
}

long cp_backing_hugetlb_shortfall(const struct cp_buffer *b, long npages, char *why, size_t whylen)
{
	char dir[96], path[160];
	long free_pages, resv;

	if (b->page_size <= 4096 || b->id == CP_B_HUGE_ZEROPAGE)
		return 0;
	snprintf(dir, sizeof(dir), "/sys/kernel/mm/hugepages/hugepages-%zukB", b->page_size >> 10);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	free_pages = cp_read_long(path, -1);
	snprintf(path, sizeof(path), "%s/resv_hugepages", dir);
	resv = cp_read_long(path, -1);
	if (free_pages < 0 || resv < 0) {
		snprintf(why, whylen, "cannot read %s/free_hugepages and resv_hugepages", dir);
		return npages;
	}
	if (free_pages - resv >= npages)
		return 0;
	snprintf(why, whylen, "%ld free unreserved %zu kB huge pages, %ld needed (the pinned page stays "
		 "allocated while the write faults in new ones): raise %s/nr_hugepages",
		 free_pages - resv, b->page_size >> 10, npages, dir);
	return npages - (free_pages - resv);
}
