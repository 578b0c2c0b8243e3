// SPDX-License-Identifier: GPL-2.0-only
/* The plan: names unique and well formed; the JSON document parses back with every field. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "buildid.h"
#include "report.h"
#include "result.h"
#include "runner.h"
#include "utap.h"

int main(void)
{
	struct cp_run_opts o = { .settings.timeout_s = 10 };
	struct cp_plan plan;
	struct json_object *doc, *back, *res;
	int dup = 0, badname = 0;
	char *txt;
	size_t len;
	FILE *f;

	utap_plan(13);
	ok(!cp_plan_build(&o, &plan) && plan.n > 0, "plan has %d tests", plan.n);
	for (int i = 0; i < plan.n; i++) {
		badname += fnmatch("*.*.*", plan.e[i].name, 0) != 0;
		for (int j = i + 1; j < plan.n; j++)
			dup += !strcmp(plan.e[i].name, plan.e[j].name);
	}
	ok(dup == 0, "test names are unique");
	ok(badname == 0, "test names are consumer.backing.case");

	doc = cp_report_new(NULL);
	res = cp_result_new(&plan.e[0].t);
	cp_result_verdict(res, CP_V_REFUSED, 14, "R/O registration refused: \"quoted\"\n newline");
	cp_report_add(doc, res);
	json_object_put(res);
	f = open_memstream(&txt, &len);
	cp_report_write(doc, f);
	fclose(f);
	back = json_tokener_parse(txt);
	ok(back != NULL, "JSON document parses back");
	res = json_object_array_get_idx(json_object_object_get(back, "results"), 0);
	ok(res && !strcmp(cp_result_str(res, "verdict"), "refused") &&
	   json_object_get_int(json_object_object_get(res, "errno")) == 14 &&
	   !strcmp(cp_result_str(res, "errno_name"), "EFAULT"), "verdict, errno and its name survive");
	ok(cp_result_str(back, "kernel") && cp_result_str(back, "machine"), "kernel and machine present");
	ok(json_object_get_int(json_object_object_get(json_object_object_get(back, "summary"), "refused")) == 1,
	   "summary counts verdicts");
	ok(json_object_is_type(json_object_object_get(back, "run_id"), json_type_null) &&
	   json_object_object_get_ex(back, "run_id", NULL), "no --run-id: \"run_id\": null");
	json_object_put(back);
	json_object_put(doc);
	free(txt);

	/* The run the document belongs to, and the binary that wrote it (readelf -n's Build ID). */
	doc = cp_report_doc("memlock", "20261202T151134.000001Z-t-b");
	ok(!strcmp(cp_result_str(doc, "run_id"), "20261202T151134.000001Z-t-b") &&
	   cp_result_str(doc, "build_id") && strlen(cp_result_str(doc, "build_id")) == 40 &&
	   !strcmp(cp_result_str(doc, "build_id"), cp_build_id()), "run_id and build_id %s stamped",
	   cp_build_id());
	json_object_put(doc);
	ok(cp_run_id_valid("20261202T151134.000001Z-0a1b-ffee") && !cp_run_id_valid("") &&
	   !cp_run_id_valid("a b") && !cp_run_id_valid("a'b") && !cp_run_id_valid(NULL),
	   "run ids: 1-200 of A-Za-z0-9._:+-");

	/* TAP lines: an expected failure is TODO; one that passes is meson's UNEXPECTEDPASS. */
	res = cp_result_new(&plan.e[0].t);
	cp_result_fail(res, "stale", 0, "device read stale data");
	f = open_memstream(&txt, &len);
	cp_tap_result(f, 1, res, "6.1 lacks the fix");
	fclose(f);
	ok(!strncmp(txt, "not ok 1 ", 9) && strstr(txt, " # TODO 6.1 lacks the fix\n") &&
	   strstr(txt, "fail (stale)"), "expected failure: not ok with a TODO directive, and its fail kind");
	free(txt);
	ok(!strcmp(cp_result_str(res, "fail_kind"), "stale"), "fail carries its kind");
	cp_result_verdict(res, CP_V_PASS, 0, "device read B");
	f = open_memstream(&txt, &len);
	cp_tap_result(f, 2, res, "6.1 lacks the fix");
	fclose(f);
	ok(!strncmp(txt, "ok 2 ", 5) && strstr(txt, " # TODO 6.1 lacks the fix\n") &&
	   !cp_result_str(res, "fail_kind"), "expected failure that passed: ok with a TODO directive (unexpected pass), no fail kind");
	free(txt);
	json_object_put(res);
	cp_plan_free(&plan);
	return utap_done();
}
