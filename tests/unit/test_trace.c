// SPDX-License-Identifier: GPL-2.0-only
/* The mechanism classifier on recorded traces, one per class, and its contradiction check. */
#include <errno.h>
#include <string.h>

#include "procfs.h"
#include "trace.h"
#include "utap.h"

#define P(pfn) (PM_PRESENT | (uint64_t)(pfn))
#define SD PM_SOFT_DIRTY

/* One traced page: pagemap entries after fault, pin and write (0 = not taken). */
static struct cp_trace one(uint64_t f, uint64_t p, uint64_t w, bool cow, bool huge, long faults)
{
	struct cp_trace t = { .n = 1, .cow = cow, .hugetlb = huge, .write_faults = faults,
			      .written_pages = faults < 0 ? 0 : 1 };

	t.st[0][CP_STAGE_FAULTED] = (struct cp_page_state){ .valid = true, .pm = f };
	t.st[0][CP_STAGE_PINNED] = (struct cp_page_state){ .valid = true, .pm = p };
	if (w)
		t.st[0][CP_STAGE_WRITTEN] = (struct cp_page_state){ .valid = true, .pm = w };
	return t;
}

static enum cp_mechanism classify(struct cp_trace t)
{
	char why[512];

	return cp_classify(&t, why, sizeof(why));
}

int main(void)
{
	struct cp_trace mixed;

	utap_plan(15);
	/* 6.12 rxe/vfio: pin moved the page, entry clean, write faulted once */
	ok(classify(one(P(0x10), P(0x20), P(0x20), true, false, 1)) == CP_MECH_UNSHARE, "unshare-at-pin");
	/* 6.1 rxe: FOLL_FORCE|FOLL_WRITE: moved and soft-dirty */
	ok(classify(one(P(0x10), P(0x20) | SD, P(0x20) | SD, true, false, 1)) == CP_MECH_FORCED_WRITE,
	   "forced-write-at-pin from soft-dirty");
	/* no soft-dirty support (or hugetlb), but the write took no fault: the entry was writable */
	ok(classify(one(P(0x10), P(0x20), P(0x20), true, true, 0)) == CP_MECH_FORCED_WRITE,
	   "forced-write-at-pin from a fault-free write (hugetlb)");
	ok(classify(one(P(0x10), P(0x20) | SD, P(0x20), true, true, 1)) == CP_MECH_UNSHARE,
	   "hugetlb: soft-dirty ignored, write faulted: unshare");
	/* 6.1 vfio-type1: pin kept the zeropage, write moved */
	ok(classify(one(P(0x10), P(0x10), P(0x30), true, false, 1)) == CP_MECH_NO_COW_BREAK, "no-cow-break");
	ok(classify(one(P(0x10), P(0x10), P(0x10), false, false, 0)) == CP_MECH_NO_COW_NEEDED,
	   "no-cow-needed (anon/shared)");
	ok(classify(one(P(0x10), P(0x10), P(0x10), true, false, 0)) == CP_MECH_NO_COW_NEEDED,
	   "no-cow-needed (already exclusive)");
	ok(classify(one(PM_PRESENT, PM_PRESENT, PM_PRESENT, true, false, 1)) == CP_MECH_UNKNOWN,
	   "unknown without PFNs");
	ok(classify(one(P(0x10), P(0x20), 0, true, true, -1)) == CP_MECH_UNKNOWN,
	   "hugetlb without a write: unknown");
	{
		/* The same forced-write trace, but clear_refs failed: the soft-dirty bit may predate the pin. */
		struct cp_trace t = one(P(0x10), P(0x20) | SD, P(0x20) | SD, true, false, 1);

		t.soft_dirty_err = EACCES;
		ok(classify(t) == CP_MECH_UNKNOWN, "unknown when the soft-dirty reset failed");
	}
	mixed = one(P(0x10), P(0x20), P(0x20), true, false, 2);
	mixed.n = 2;
	mixed.off[1] = 4096;
	mixed.st[1][CP_STAGE_FAULTED] = (struct cp_page_state){ .valid = true, .pm = P(0x11) };
	mixed.st[1][CP_STAGE_PINNED] = (struct cp_page_state){ .valid = true, .pm = P(0x11) };
	mixed.st[1][CP_STAGE_WRITTEN] = (struct cp_page_state){ .valid = true, .pm = P(0x31) };
	ok(classify(mixed) == CP_MECH_MIXED, "mixed when pages disagree");
	ok(cp_mechanism_contradiction(CP_MECH_NO_COW_BREAK, true) != NULL,
	   "contradiction: no-cow-break but the device saw new data");
	ok(cp_mechanism_contradiction(CP_MECH_UNSHARE, false) != NULL,
	   "contradiction: unshare but the device saw stale data");
	ok(cp_mechanism_contradiction(CP_MECH_NO_COW_BREAK, false) == NULL, "consistent: no-cow-break + stale");
	ok(cp_mechanism_contradiction(CP_MECH_FORCED_WRITE, true) == NULL, "consistent: forced write + new");
	return utap_done();
}
