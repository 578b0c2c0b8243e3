/* SPDX-License-Identifier: GPL-2.0-only */
/* The fixed vocabulary of test names: consumer.backing.case. */
#ifndef COWPIN_CASES_H
#define COWPIN_CASES_H

enum cp_case {
	CP_CASE_SNAPSHOT,	/* ro-pin-snapshot: device reads pattern A right after the pin */
	CP_CASE_RELIABLE,	/* ro-pin-reliable: pin, process writes B, device must read B */
	CP_CASE_REGISTER,	/* ro-register: R/O registration of a read-only mapping */
	CP_CASE_FILE_INTACT,	/* file-intact: private writes never reach the file */
	CP_CASE_DETECTS_STALE,	/* detects-stale: positive control, the device must read the pinned (old) pages */
	CP_CASE_FORK,		/* ro-pin-fork: pin, fork a child, the parent writes B: device reads B, child keeps A */
	CP_CASE_COUNT
};

#define CP_CASE_BIT(c) (1u << (c))
#define CP_CASES_ALL ((1u << CP_CASE_COUNT) - 1)

enum cp_backing_id {
	CP_B_ZEROPAGE,
	CP_B_HUGE_ZEROPAGE,
	CP_B_MEMFD,
	CP_B_TMPFILE,
	CP_B_HUGETLB_2M,
	CP_B_HUGETLB_1G,
	CP_B_ANON,		/* control: exclusive anon, written before the pin */
	CP_B_SHARED_MEMFD,	/* control: MAP_SHARED, no COW */
	CP_B_RO_SHARED_FILE,	/* control: O_RDONLY + PROT_READ + MAP_SHARED, registration only */
	CP_B_COUNT
};

#define CP_BACKING_BIT(b) (1u << (b))

const char *cp_case_name(enum cp_case c);
int cp_case_parse(const char *name);		/* -1 if unknown */
const char *cp_backing_name(enum cp_backing_id b);
int cp_backing_parse(const char *name);		/* -1 if unknown */

#endif
