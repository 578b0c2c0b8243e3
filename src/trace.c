// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "procfs.h"
#include "trace.h"

static const char *const mech_names[] = {
	[CP_MECH_UNKNOWN] = "unknown",
	[CP_MECH_UNSHARE] = "unshare-at-pin",
	[CP_MECH_FORCED_WRITE] = "forced-write-at-pin",
	[CP_MECH_NO_COW_BREAK] = "no-cow-break",
	[CP_MECH_NO_COW_NEEDED] = "no-cow-needed",
	[CP_MECH_MIXED] = "mixed",
};

const char *cp_mechanism_name(enum cp_mechanism m)
{
	return mech_names[m];
}

static void add_kpf(struct cp_page_state *s)
{
	if (s->valid && (s->pm & PM_PRESENT) && (s->pm & PM_PFN_MASK))
		s->kpf_valid = !cp_kpageflags(s->pm & PM_PFN_MASK, &s->kpf);
}

void cp_trace_take(struct cp_trace *t, enum cp_stage stage, const unsigned char *base)
{
	for (int i = 0; i < t->n; i++) {
		struct cp_page_state *s = &t->st[i][stage];

		memset(s, 0, sizeof(*s));
		s->valid = !cp_pagemap_entry(base + t->off[i], &s->pm);
		add_kpf(s);
	}
}

void cp_trace_take_saved(struct cp_trace *t, enum cp_stage stage, const uint64_t *saved, size_t nsaved)
{
	for (int i = 0; i < t->n; i++) {
		struct cp_page_state *s = &t->st[i][stage];
		size_t page = t->off[i] / 4096;

		memset(s, 0, sizeof(*s));
		if (!saved || page >= nsaved)
			continue;
		s->valid = true;
		s->pm = saved[page];
		add_kpf(s);
	}
}

static uint64_t pfn(const struct cp_page_state *s)
{
	return s->valid && (s->pm & PM_PRESENT) ? s->pm & PM_PFN_MASK : 0;
}

static enum cp_mechanism classify_one(const struct cp_trace *t, int i, char *why, size_t whylen)
{
	const struct cp_page_state *f = &t->st[i][CP_STAGE_FAULTED];
	const struct cp_page_state *p = &t->st[i][CP_STAGE_PINNED];
	const struct cp_page_state *w = &t->st[i][CP_STAGE_WRITTEN];
	bool soft_dirty, no_write_fault;

	if (!pfn(f) || !pfn(p)) {
		snprintf(why, whylen, "no PFN in pagemap (needs CAP_SYS_ADMIN, or page not present)");
		return CP_MECH_UNKNOWN;
	}
	if (!t->cow) {
		if (pfn(f) != pfn(p) || (pfn(w) && pfn(w) != pfn(p))) {
			snprintf(why, whylen, "page moved in a mapping without COW: pfn 0x%llx -> 0x%llx -> 0x%llx",
				 (unsigned long long)pfn(f), (unsigned long long)pfn(p),
				 (unsigned long long)pfn(w));
			return CP_MECH_UNKNOWN;
		}
		snprintf(why, whylen, "exclusive or shared page, pfn 0x%llx throughout", (unsigned long long)pfn(f));
		return CP_MECH_NO_COW_NEEDED;
	}
	if (pfn(f) == pfn(p)) {
		if (!pfn(w)) {
			snprintf(why, whylen, "pin kept pfn 0x%llx; no write traced", (unsigned long long)pfn(p));
			return CP_MECH_UNKNOWN;
		}
		if (pfn(w) != pfn(p)) {
			snprintf(why, whylen, "pin kept shared pfn 0x%llx; the write moved the process to pfn 0x%llx",
				 (unsigned long long)pfn(p), (unsigned long long)pfn(w));
			return CP_MECH_NO_COW_BREAK;
		}
		snprintf(why, whylen, "pfn 0x%llx unchanged by pin and write: page was already exclusive",
			 (unsigned long long)pfn(p));
		return CP_MECH_NO_COW_NEEDED;
	}
	/* The pin replaced the page: by an unshare, or by a (forced) write fault? */
	soft_dirty = !t->hugetlb && (p->pm & PM_SOFT_DIRTY);
	no_write_fault = t->write_faults == 0 && t->written_pages > 0;
	if (soft_dirty || no_write_fault) {
		snprintf(why, whylen, "pin replaced pfn 0x%llx by 0x%llx%s%s",
			 (unsigned long long)pfn(f), (unsigned long long)pfn(p),
			 soft_dirty ? ", entry soft-dirty (written)" : "",
			 no_write_fault ? ", process write took no fault (entry already writable)" : "");
		return CP_MECH_FORCED_WRITE;
	}
	if (t->write_faults < 0 && t->hugetlb) {
		snprintf(why, whylen, "pin replaced pfn 0x%llx by 0x%llx; hugetlb hides soft-dirty and no write was traced",
			 (unsigned long long)pfn(f), (unsigned long long)pfn(p));
		return CP_MECH_UNKNOWN;
	}
	snprintf(why, whylen, "pin replaced pfn 0x%llx by 0x%llx, entry clean%s",
		 (unsigned long long)pfn(f), (unsigned long long)pfn(p),
		 t->write_faults > 0 ? " and read-only (process write faulted)" : "");
	return CP_MECH_UNSHARE;
}

enum cp_mechanism cp_classify(const struct cp_trace *t, char *why, size_t whylen)
{
	enum cp_mechanism m = CP_MECH_UNKNOWN;

	if (!t->n) {
		snprintf(why, whylen, "nothing traced");
		return m;
	}
	if (t->soft_dirty_err) {
		/* Without the reset, a soft-dirty bit may be older than the pin: no guess. */
		snprintf(why, whylen, "soft-dirty bits could not be reset before the pin (clear_refs: %s)",
			 strerror(t->soft_dirty_err));
		return m;
	}
	for (int i = 0; i < t->n; i++) {
		char one[256];
		enum cp_mechanism k = classify_one(t, i, one, sizeof(one));

		if (i == 0) {
			m = k;
			snprintf(why, whylen, "+0x%zx: %s", t->off[i], one);
		} else if (k != m) {
			size_t used = strlen(why);

			snprintf(why + used, whylen - used, "; +0x%zx: %s", t->off[i], one);
			m = CP_MECH_MIXED;
		}
	}
	return m;
}

const char *cp_mechanism_contradiction(enum cp_mechanism m, bool saw_new)
{
	if (m == CP_MECH_NO_COW_BREAK && saw_new)
		return "trace says the pin kept the old page, yet the device saw the new data";
	if ((m == CP_MECH_UNSHARE || m == CP_MECH_FORCED_WRITE || m == CP_MECH_NO_COW_NEEDED) && !saw_new)
		return "trace says the pinned page is the process's page, yet the device saw old data";
	return NULL;
}

static struct json_object *state_json(const struct cp_page_state *s)
{
	static const struct { int bit; const char *name; } kpf[] = {
		{ KPF_ANON, "ANON" }, { KPF_ZERO_PAGE, "ZERO_PAGE" }, { KPF_THP, "THP" },
		{ KPF_HUGE, "HUGE" }, { KPF_COMPOUND_HEAD, "COMPOUND_HEAD" },
	};
	struct json_object *o = json_object_new_object();
	char hex[32];

	if (!s->valid)
		return o;
	json_object_object_add(o, "present", json_object_new_boolean(!!(s->pm & PM_PRESENT)));
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)(s->pm & PM_PFN_MASK));
	json_object_object_add(o, "pfn", json_object_new_string(hex));
	json_object_object_add(o, "file", json_object_new_boolean(!!(s->pm & PM_FILE)));
	json_object_object_add(o, "exclusive", json_object_new_boolean(!!(s->pm & PM_EXCLUSIVE)));
	json_object_object_add(o, "soft_dirty", json_object_new_boolean(!!(s->pm & PM_SOFT_DIRTY)));
	if (s->kpf_valid) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < sizeof(kpf) / sizeof(kpf[0]); i++)
			if (s->kpf & (1ull << kpf[i].bit))
				json_object_array_add(a, json_object_new_string(kpf[i].name));
		json_object_object_add(o, "kpageflags", a);
	}
	return o;
}

struct json_object *cp_trace_json(const struct cp_trace *t)
{
	static const char *const stage[] = { "faulted", "pinned", "written" };
	struct json_object *o = json_object_new_object(), *pts = json_object_new_array();

	for (int i = 0; i < t->n; i++) {
		struct json_object *pt = json_object_new_object();

		json_object_object_add(pt, "off", json_object_new_int64(t->off[i]));
		for (int s = 0; s < CP_STAGE_COUNT; s++)
			if (t->st[i][s].valid)
				json_object_object_add(pt, stage[s], state_json(&t->st[i][s]));
		json_object_array_add(pts, pt);
	}
	json_object_object_add(o, "pages", pts);
	json_object_object_add(o, "write_faults", json_object_new_int64(t->write_faults));
	json_object_object_add(o, "written_pages", json_object_new_int(t->written_pages));
	return o;
}
