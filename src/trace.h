/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page-level trace behind a verdict: what the process maps at each
 * tested offset after the read fault, right after the pin and after the
 * process's write, and the mechanism that explains it:
 *   unshare-at-pin       the pin replaced the shared page by an exclusive anon
 *                        page without writing it (FAULT_FLAG_UNSHARE, 6.2+);
 *   forced-write-at-pin  the pin replaced it by writing (FOLL_FORCE|FOLL_WRITE);
 *   no-cow-break         the pin kept the shared page, the write moved away:
 *                        the device holds a page the process no longer maps;
 *   no-cow-needed        the page was exclusive anon already, or shared.
 */
#ifndef COWPIN_TRACE_H
#define COWPIN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CP_MAX_SPANS 4

enum cp_stage { CP_STAGE_FAULTED, CP_STAGE_PINNED, CP_STAGE_WRITTEN, CP_STAGE_COUNT };

struct cp_page_state {
	bool valid;		/* pagemap read */
	uint64_t pm;		/* pagemap entry */
	bool kpf_valid;		/* /proc/kpageflags read (root) */
	uint64_t kpf;
};

struct cp_trace {
	int n;
	size_t off[CP_MAX_SPANS];
	struct cp_page_state st[CP_MAX_SPANS][CP_STAGE_COUNT];
	bool cow;		/* the backing is a private mapping of a shared page */
	bool hugetlb;		/* soft-dirty is not reported for hugetlb */
	long write_faults;	/* minor faults taken by the process's write; -1 = no write */
	int written_pages;	/* distinct pages that write touched */
	int soft_dirty_err;	/* errno of the soft-dirty reset before the pin, 0 = reset */
};

enum cp_mechanism {
	CP_MECH_UNKNOWN,
	CP_MECH_UNSHARE,
	CP_MECH_FORCED_WRITE,
	CP_MECH_NO_COW_BREAK,
	CP_MECH_NO_COW_NEEDED,
	CP_MECH_MIXED,
};

const char *cp_mechanism_name(enum cp_mechanism m);
/* Record the pagemap/kpageflags state of every traced offset at one stage. */
void cp_trace_take(struct cp_trace *t, enum cp_stage stage, const unsigned char *base);
/* Fill one stage from pagemap entries saved earlier (all pages of the buffer, 4 KiB each). */
void cp_trace_take_saved(struct cp_trace *t, enum cp_stage stage, const uint64_t *saved, size_t nsaved);
/* Classify; why explains the call (which bits decided it). */
enum cp_mechanism cp_classify(const struct cp_trace *t, char *why, size_t whylen);
/*
 * NULL when mechanism and device view agree, else the contradiction.
 * saw_new: the device read the data the process wrote after the pin.
 */
const char *cp_mechanism_contradiction(enum cp_mechanism m, bool saw_new);
struct json_object *cp_trace_json(const struct cp_trace *t);

#endif
