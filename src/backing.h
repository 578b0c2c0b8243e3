/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Backings: the memory under test.  Each one creates a buffer, fills it with
 * its "before" pattern (A, or zeros for the zeropage backings), read-faults
 * it, and verifies through pagemap/smaps that the process really maps what
 * the backing claims (the shared zeropage, a pagecache page, ...).  When it
 * can't, set-up fails with the exact reason and how to enable it: a SKIP.
 */
#ifndef COWPIN_BACKING_H
#define COWPIN_BACKING_H

#include <stdbool.h>
#include <stddef.h>

#include "cases.h"
#include "pattern.h"

struct cp_buffer {
	enum cp_backing_id id;
	unsigned char *addr;
	size_t len;
	size_t page_size;	/* the backing's page size: 4 KiB, 2 MiB or 1 GiB */
	int fd;			/* the file behind the mapping, or -1 */
	enum cp_pattern before;	/* what the buffer holds before the process writes */
	bool read_only;		/* mapped PROT_READ (for ro-register) */
	void *map;		/* what to munmap (may be larger than addr/len for alignment) */
	size_t map_len;
	char verified[256];	/* what set-up checked, for the evidence */
	/*
	 * Set by a failed set-up when the kernel lacks what the backing needs
	 * (it maps no shared zeropage, THP is off), not on an error of the
	 * harness (mmap ENOMEM, an unreadable pagemap): what the probe's trial
	 * set-up goes by.
	 */
	bool absent;
};

struct cp_backing_opts {
	const char *tmpdir;	/* where tmpfile/ro-shared-file live */
};

/* Properties of a backing, independent of the running kernel. */
size_t cp_backing_default_len(enum cp_backing_id id);
bool cp_backing_has_file(enum cp_backing_id id);	/* a file whose content must stay A */
bool cp_backing_is_cow(enum cp_backing_id id);		/* private mapping of a shared page */
unsigned int cp_backing_cases(enum cp_backing_id id);	/* CP_CASE_BIT()s that apply */

/*
 * Is the backing available here: 0, or -errno + why = what is absent and how
 * to enable it (the test is skipped).  Sysfs knobs, pools and permissions;
 * for the zeropage backings a trial set-up of its own, since only a read
 * fault shows whether the kernel maps the (huge) zeropage.  A trial that
 * fails for another reason (mmap ENOMEM) establishes no absence: 0, and the
 * test's own set-up then reports the error.
 */
int cp_backing_probe(enum cp_backing_id id, const struct cp_backing_opts *opts, char *why, size_t whylen);

/*
 * Create the buffer.  read_only maps it PROT_READ (ro-register).  Returns 0,
 * or -errno with why (b->absent says whether the kernel lacks what it needs).
 * After a clean probe a failure here is an error, not a skip.
 */
int cp_backing_setup(enum cp_backing_id id, size_t len, bool read_only,
		     const struct cp_backing_opts *opts, struct cp_buffer *b,
		     char *why, size_t whylen);
void cp_backing_teardown(struct cp_buffer *b);

/*
 * Make the process's mapping stop referring to the pages it maps now (the
 * ones a consumer pinned), so its next write lands in a new page while the
 * pinned pages keep the old content: the detects-stale control.  Private
 * mappings drop their entries with MADV_DONTNEED (the write then faults in a
 * fresh page: zeros, or a new copy of the file); a shared memfd punches the
 * pages out of the file with FALLOC_FL_PUNCH_HOLE (the write then allocates
 * new shmem pages).  Returns 0 with method = how, -ENOTSUP where no method
 * exists (a read-only mapping), or -errno.
 */
int cp_backing_detach(struct cp_buffer *b, const char **method, char *why, size_t whylen);
/*
 * Huge pages a detach-and-write of npages more pages would need beyond the pool's
 * free, unreserved ones: 0 when the pool has room (or the backing is not hugetlb).
 */
long cp_backing_hugetlb_shortfall(const struct cp_buffer *b, long npages, char *why, size_t whylen);

/*
 * Read the file behind the buffer with pread() (the kernel reading the
 * pagecache, not the process's mapping) and compare it with A.  Returns
 * the offset of the first differing byte, or b->len if intact; -errno on error.
 */
long cp_backing_file_mismatch(const struct cp_buffer *b, unsigned char *seen, size_t seenlen);

#endif
