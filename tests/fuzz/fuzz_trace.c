// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the page-trace classifier.  The input fills a struct
 * cp_trace (spans, pagemap entries and kpageflags at the three stages, COW
 * and hugetlb flags, write faults) and a saved pagemap range, as the core
 * builds them from /proc/self/pagemap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, size_t n)
{
	uint64_t v = 0;

	if (n > in->left)
		n = in->left;
	memcpy(&v, in->p, n);
	in->p += n;
	in->left -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct cp_trace t;
	struct json_object *j;
	enum cp_mechanism m;
	uint64_t *saved;
	size_t whylen, nsaved;
	char *why;

	memset(&t, 0, sizeof(t));
	t.n = take(&in, 1) % (CP_MAX_SPANS + 1);
	uint64_t flags = take(&in, 1);
	t.cow = flags & 1;
	t.hugetlb = flags & 2;
	t.write_faults = (int64_t)take(&in, 8);
	t.written_pages = (int)take(&in, 4);
	whylen = 1 + take(&in, 2) % 1024;
	for (int i = 0; i < t.n; i++) {
		t.off[i] = take(&in, 4);
		for (int s = 0; s < CP_STAGE_COUNT; s++) {
			struct cp_page_state *st = &t.st[i][s];
			uint64_t v = take(&in, 1);

			st->valid = v & 1;
			st->kpf_valid = v & 2;
			st->pm = take(&in, 8);
			st->kpf = take(&in, 8);
		}
	}
	/* Replay some stages from a saved pagemap range, as the runner does. */
	nsaved = in.left / 8;
	saved = malloc((nsaved ? nsaved : 1) * 8);
	memcpy(saved, in.p, nsaved * 8);
	if (flags & 4)
		cp_trace_take_saved(&t, CP_STAGE_FAULTED, nsaved ? saved : NULL, nsaved);
	if (flags & 8)
		cp_trace_take_saved(&t, CP_STAGE_WRITTEN, saved, nsaved);

	why = malloc(whylen);
	m = cp_classify(&t, why, whylen);
	if (m > CP_MECH_MIXED || strlen(why) >= whylen || !cp_mechanism_name(m))
		abort();
	(void)cp_mechanism_contradiction(m, true);
	(void)cp_mechanism_contradiction(m, false);
	j = cp_trace_json(&t);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	free(why);
	free(saved);
	return 0;
}
