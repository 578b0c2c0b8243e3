// SPDX-License-Identifier: GPL-2.0-only
/* The memlock JSON: built from synthetic attempts, it parses back with the fields the plot reads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memlock/output.h"
#include "utap.h"

static struct cp_ml_counters ctr(long lck, long pin, long rss, long mcg)
{
	return (struct cp_ml_counters){ { .vm_pin_kb = pin, .vm_lck_kb = lck, .vm_rss_kb = rss }, rss, mcg };
}

static struct json_object *at(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static long num(struct json_object *o, const char *k)
{
	return json_object_get_int64(at(o, k));
}

int main(void)
{
	static struct cp_ml_attempt meas, adm, ref;
	struct json_object *doc = cp_ml_doc_new(NULL), *e, *back, *m, *l, *attempts = json_object_new_array();
	struct cp_bisect b = { .lo = 0, .hi = 4096, .hint = 514, .max_steps = 40,
			       .status = CP_BISECT_FOUND, .found = 514, .refused_below = 513, .steps = 2 };
	double v[] = { 5, 1, 3, 2, 4 }, w[] = { 4, 1, 3, 2 };
	char *txt, *table;
	size_t len;
	FILE *f;

	utap_plan(16);
	ok(cp_ml_median(v, 5) == 3 && cp_ml_median(w, 4) == 2.5 && cp_ml_median(v, 0) == 0, "median");

	meas = (struct cp_ml_attempt){ .size = 2 << 20, .stage = CP_ML_DONE, .nsamples = 3,
				       .pin_s = { 0.002, 0.001, 0.004 } };
	meas.base = ctr(8, 0, 1000, -1);
	meas.pinned = ctr(2056, 0, 3048, -1);
	meas.unpinned = ctr(8, 0, 3048, -1);
	e = cp_ml_entry_new("vfio-type1", "zeropage", 2 << 20);
	cp_ml_entry_measured(e, &meas);
	cp_ml_entry_status(e, CP_ML_OK, 0, "measured");

	adm = (struct cp_ml_attempt){ .limit_kb = 2056, .stage = CP_ML_DONE, .base = ctr(8, 0, 900, -1) };
	ref = (struct cp_ml_attempt){ .limit_kb = 2052, .stage = CP_ML_PIN, .err = -ENOMEM,
				      .base = ctr(8, 0, 900, -1) };
	snprintf(ref.why, sizeof(ref.why), "VFIO_IOMMU_MAP_DMA: Cannot allocate memory");
	json_object_array_add(attempts, cp_ml_attempt_json(&adm));
	json_object_array_add(attempts, cp_ml_attempt_json(&ref));
	cp_ml_entry_limit(e, &b, 4, attempts, NULL);
	cp_ml_entry_add(doc, e);
	e = cp_ml_entry_new("rdma-rxe", "anon", 2 << 20);
	cp_ml_entry_status(e, CP_ML_SKIP, ENODEV, "no rxe device");
	cp_ml_entry_add(doc, e);

	f = open_memstream(&txt, &len);
	cp_ml_doc_write(doc, f);
	fclose(f);
	back = json_tokener_parse(txt);
	ok(back && at(back, "kernel") && at(back, "machine") && json_object_is_type(at(back, "memlock"), json_type_array),
	   "document parses back with kernel, machine, memlock[]");
	m = json_object_array_get_idx(at(back, "memlock"), 0);
	ok(!strcmp(json_object_get_string(at(m, "consumer")), "vfio-type1") &&
	   !strcmp(json_object_get_string(at(m, "backing")), "zeropage") && num(m, "size") == 2 << 20 &&
	   num(m, "size_kb") == 2048, "entry names consumer, backing, size");
	ok(num(at(m, "registered_kb"), "vm_lck") == 2048 && num(at(m, "registered_kb"), "rss") == 2048,
	   "registered deltas: VmLck +2048, RSS +2048");
	ok(num(at(m, "unregistered_kb"), "vm_lck") == 0 && json_object_get_boolean(at(m, "returned_to_baseline")),
	   "unregistered: back to baseline");
	ok(at(at(m, "registered_kb"), "memcg") == NULL, "memcg null when unknown");
	ok(json_object_get_double(at(at(m, "throughput"), "median_gibps")) > 0.97 &&
	   json_object_get_double(at(at(m, "throughput"), "median_gibps")) < 0.98,
	   "throughput: 2 MiB / median 2 ms = 0.977 GiB/s");
	l = at(m, "limit");
	ok(l && num(l, "limit_kb") == 2056 && !strcmp(json_object_get_string(at(l, "status")), "found"),
	   "limit found at 2056 KiB");
	ok(num(l, "base_kb") == 8 && num(l, "registration_kb") == 2048, "consumer's own 8 KiB split off");
	ok(json_object_get_double(at(l, "fraction")) > 1.0 && json_object_get_double(at(l, "registration_fraction")) == 1.0,
	   "fractions of the size");
	ok(json_object_get_boolean(at(l, "confirmed")), "admitted at the limit, refused one page below: confirmed");
	ok(!strcmp(json_object_get_string(at(at(l, "below_limit"), "errno_name")), "ENOMEM") &&
	   num(at(l, "below_limit"), "limit_kb") == 2052, "below_limit: 2052 KiB, ENOMEM");
	ok(num(at(back, "summary"), "ok") == 1 && num(at(back, "summary"), "skip") == 1, "summary counts statuses");
	m = json_object_array_get_idx(at(back, "memlock"), 1);
	ok(!strcmp(json_object_get_string(at(m, "status")), "skip") && num(m, "errno") == ENODEV &&
	   strstr(json_object_get_string(at(m, "reason")), "rxe"), "skip entry keeps its reason and errno");

	f = open_memstream(&table, &len);
	cp_ml_table(f, back);
	fclose(f);
	ok(strstr(table, "vfio-type1") && strstr(table, "2056") && strstr(table, "ENOMEM"),
	   "table shows the limit and the refusal below it");
	ok(strstr(table, "skip: no rxe device") != NULL, "table shows the skip reason");
	free(txt);
	free(table);
	json_object_put(back);
	json_object_put(doc);
	return utap_done();
}
