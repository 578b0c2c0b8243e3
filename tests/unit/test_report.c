// SPDX-License-Identifier: GPL-2.0-only
/* The plan: names unique and well formed; the JSON document parses back with every field. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

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

	utap_plan(10);
	ok(!cp_plan_build(&o, &plan) && plan.n > 0, "plan has %d tests", plan.n);
	for (int i = 0; i < plan.n; i++) {
		badname += fnmatch("*.*.*", plan.e[i].name, 0) != 0;
		for (int j = i + 1; j < plan.n; j++)
			dup += !strcmp(plan.e[i].name, plan.e[j].name);
	}
	ok(dup == 0, "test names are unique");
	ok(badname == 0, "test names are consumer.backing.case");

	doc = cp_report_new();
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
	json_object_put(back);
	json_object_put(doc);
	free(txt);

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
