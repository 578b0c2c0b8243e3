// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>

#include "buildid.h"
#include "report.h"
#include "result.h"

void cp_tap_header(FILE *f, int ntests)
{
	fprintf(f, "TAP version 13\n1..%d\n", ntests);
	fflush(f);
}

/* TAP descriptions and directives are one line; '#' would start a directive. */
static void one_line(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < len; src++)
		dst[i++] = (*src == '\n' || *src == '#') ? ' ' : *src;
	dst[i] = '\0';
}

void cp_tap_diag(FILE *f, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fprintf(f, "# %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
}

void cp_tap_result(FILE *f, int num, struct json_object *res, const char *todo)
{
	enum cp_verdict v = cp_result_get_verdict(res);
	const char *name = cp_result_str(res, "name");
	const char *reason = cp_result_str(res, "reason");
	const char *mech = cp_result_str(res, "mechanism");
	char line[2048];
	struct json_object *dmesg;

	one_line(line, sizeof(line), reason);
	switch (v) {
	case CP_V_PASS:
		if (todo) {
			char t[512];

			/* An expected failure that passed: meson's UNEXPECTEDPASS. */
			one_line(t, sizeof(t), todo);
			fprintf(f, "ok %d %s # TODO %s\n", num, name, t);
			cp_tap_diag(f, "unexpected pass (declared expected: %s): %s", todo, reason);
			break;
		}
		fprintf(f, "ok %d %s\n", num, name);
		cp_tap_diag(f, "%s", reason);
		break;
	case CP_V_HAZARD:
		fprintf(f, "ok %d %s\n", num, name);
		cp_tap_diag(f, "hazard: %s", reason);
		break;
	case CP_V_SKIP:
		fprintf(f, "ok %d %s # SKIP %s\n", num, name, line);
		break;
	default:
		if (todo) {
			char t[512];

			one_line(t, sizeof(t), todo);
			fprintf(f, "not ok %d %s # TODO %s\n", num, name, t);
		} else {
			fprintf(f, "not ok %d %s\n", num, name);
		}
		if (cp_result_str(res, "fail_kind"))
			cp_tap_diag(f, "%s (%s): %s", cp_verdict_name(v), cp_result_str(res, "fail_kind"), reason);
		else
			cp_tap_diag(f, "%s: %s", cp_verdict_name(v), reason);
	}
	if (cp_result_str(res, "expectation_unmet"))
		cp_tap_diag(f, "%s", cp_result_str(res, "expectation_unmet"));
	if (mech)
		cp_tap_diag(f, "mechanism: %s (%s)", mech, cp_result_str(res, "mechanism_why"));
	if (json_object_object_get_ex(res, "dmesg", &dmesg))
		for (size_t i = 0; i < json_object_array_length(dmesg); i++)
			cp_tap_diag(f, "dmesg: %s", json_object_get_string(json_object_array_get_idx(dmesg, i)));
	/* The consumer's cp_diag() lines (e.g. which NVMe namespace it wrote to), after the reason. */
	if (json_object_object_get_ex(res, "diag", &dmesg))
		for (size_t i = 0; i < json_object_array_length(dmesg); i++)
			cp_tap_diag(f, "%s", json_object_get_string(json_object_array_get_idx(dmesg, i)));
	fflush(f);
}

struct json_object *cp_report_new(const char *run_id)
{
	return cp_report_doc("results", run_id);
}

struct json_object *cp_report_doc(const char *key, const char *run_id)
{
	const char *build_id = cp_build_id();
	struct json_object *doc = json_object_new_object();
	struct utsname u;

	uname(&u);
	json_object_object_add(doc, "kernel", json_object_new_string(u.release));
	json_object_object_add(doc, "kernel_version", json_object_new_string(u.version));
	json_object_object_add(doc, "machine", json_object_new_string(u.machine));
	json_object_object_add(doc, "cowpin", json_object_new_string(COWPIN_VERSION));
	json_object_object_add(doc, "build_id", build_id ? json_object_new_string(build_id) : NULL);
	json_object_object_add(doc, "run_id", run_id ? json_object_new_string(run_id) : NULL);
	json_object_object_add(doc, key, json_object_new_array());
	return doc;
}

void cp_report_add(struct json_object *doc, struct json_object *res)
{
	json_object_array_add(json_object_object_get(doc, "results"), json_object_get(res));
}

int cp_report_write(struct json_object *doc, FILE *f)
{
	struct json_object *results = json_object_object_get(doc, "results");
	struct json_object *sum = json_object_new_object();
	int count[CP_V_COUNT] = { 0 };

	for (size_t i = 0; i < json_object_array_length(results); i++)
		count[cp_result_get_verdict(json_object_array_get_idx(results, i))]++;
	for (int v = 0; v < CP_V_COUNT; v++)
		json_object_object_add(sum, cp_verdict_name(v), json_object_new_int(count[v]));
	json_object_object_add(doc, "summary", sum);
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
	return fflush(f);
}
