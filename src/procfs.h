/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel says about this process and its pages: /proc/self/status
 * counters, /proc/self/pagemap entries, /proc/kpageflags, smaps fields.
 * Parsers take text so they can be unit-tested and fuzzed without a kernel.
 */
#ifndef COWPIN_PROCFS_H
#define COWPIN_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_status {
	long vm_pin_kb;		/* mm->pinned_vm */
	long vm_lck_kb;		/* mm->locked_vm */
	long vm_rss_kb;
};

/* Parse /proc/<pid>/status text; missing fields read as -1.  Returns 0 if VmRSS was found. */
int cp_status_parse(const char *text, struct cp_status *st);
int cp_status_read(struct cp_status *st);

/*
 * System-wide FOLL_PIN counters of /proc/vmstat (Linux 5.8+): every pin taken
 * and released, whichever mm counter (if any) the consumer charges.
 */
struct cp_foll_pins {
	long long acquired;	/* nr_foll_pin_acquired */
	long long released;	/* nr_foll_pin_released */
	bool exact;		/* per-CPU deltas were folded in first (root) */
};

/* Parse /proc/vmstat text: 0, or -ENOENT when a counter is missing. */
int cp_foll_pins_parse(const char *text, struct cp_foll_pins *p);
/*
 * Read them exactly: node counters keep per-CPU deltas that /proc/vmstat
 * shows only once folded (every second or so), so a one-page leak would be
 * invisible; writing /proc/sys/vm/stat_refresh (root) folds them first.
 */
int cp_foll_pins_read(struct cp_foll_pins *p);

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT	(1ull << 63)
#define PM_SWAP		(1ull << 62)
#define PM_FILE		(1ull << 61)	/* file page or shared anon */
#define PM_EXCLUSIVE	(1ull << 56)	/* page exclusively mapped */
#define PM_SOFT_DIRTY	(1ull << 55)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_ANON	12
#define KPF_COMPOUND_HEAD 15
#define KPF_HUGE	17
#define KPF_THP		22
#define KPF_ZERO_PAGE	24

int cp_pagemap_entry(const void *addr, uint64_t *entry);
/* Entries of every base page of [addr, addr+len) in one read; out holds len/4096. */
int cp_pagemap_range(const void *addr, size_t len, uint64_t *out);
/* 0 and the flags, or -errno (EPERM/EACCES without CAP_SYS_ADMIN). */
int cp_kpageflags(uint64_t pfn, uint64_t *flags);
/* Write 4 to /proc/self/clear_refs: clear the soft-dirty bits. */
int cp_clear_soft_dirty(void);

/* Value (in kB) of field for the VMA containing addr in smaps text; -1 if absent. */
long cp_smaps_parse(const char *text, unsigned long addr, const char *field);
long cp_smaps_field(const void *addr, const char *field);

/* Read a small text file (sysfs/procfs) into buf, NUL-terminated, trailing newline cut. */
int cp_read_text(const char *path, char *buf, size_t size);
/* Read a whole (possibly large) text file; caller frees.  NULL on error (errno set). */
char *cp_slurp(const char *path);
long cp_read_long(const char *path, long dflt);
int cp_write_text(const char *path, const char *text);

#endif
