// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "result.h"

static const char *const verdict_names[CP_V_COUNT] = {
	[CP_V_PASS] = "pass", [CP_V_FAIL] = "fail", [CP_V_SKIP] = "skip",
	[CP_V_REFUSED] = "refused", [CP_V_ERROR] = "error", [CP_V_HAZARD] = "hazard",
};

const char *cp_verdict_name(enum cp_verdict v)
{
	return verdict_names[v];
}

int cp_verdict_parse(const char *name)
{
	for (int i = 0; i < CP_V_COUNT; i++)
		if (name && !strcmp(verdict_names[i], name))
			return i;
	return -1;
}

/* Every kind cp_result_fail() is given anywhere: an --expect must name one of them. */
static const char *const fail_kinds[] = {
	"stale", "corrupt", "reads-mapping", "child-saw-write", "file-changed", "kernel-log", "pin-leak",
	"crash", "timeout",
};

bool cp_fail_kind_known(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(fail_kinds) / sizeof(fail_kinds[0]); i++)
		if (!strcmp(kind, fail_kinds[i]))
			return true;
	return false;
}

const char *cp_fail_kinds_list(void)
{
	static char list[256];

	if (!list[0])
		for (size_t i = 0, used = 0; i < sizeof(fail_kinds) / sizeof(fail_kinds[0]); i++)
			used += snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", fail_kinds[i]);
	return list;
}

struct json_object *cp_result_new(const struct cp_test *t)
{
	struct json_object *r = json_object_new_object();
	char name[256];

	snprintf(name, sizeof(name), "%s.%s.%s", t->ops->name, cp_backing_name(t->backing),
		 cp_case_name(t->kase));
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "consumer", json_object_new_string(t->ops->name));
	json_object_object_add(r, "backing", json_object_new_string(cp_backing_name(t->backing)));
	json_object_object_add(r, "case", json_object_new_string(cp_case_name(t->kase)));
	json_object_object_add(r, "pin", json_object_new_string(t->ops->writable_pin ? "writable (reference)"
										     : "read-only"));
	json_object_object_add(r, "counter", json_object_new_string(
		t->ops->counter == CP_COUNTER_PINNED_VM ? "VmPin" :
		t->ops->counter == CP_COUNTER_LOCKED_VM ? "VmLck" : "none"));
	cp_result_verdict(r, CP_V_ERROR, 0, "no verdict reached");
	return r;
}

static void set_verdict(struct json_object *res, enum cp_verdict v, int err, const char *fmt, va_list ap)
{
	char reason[2048];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	json_object_object_add(res, "verdict", json_object_new_string(verdict_names[v]));
	json_object_object_del(res, "fail_kind");
	json_object_object_add(res, "reason", json_object_new_string(reason));
	if (err) {
		json_object_object_add(res, "errno", json_object_new_int(err));
		json_object_object_add(res, "errno_name", json_object_new_string(strerrorname_np(err) ?: "?"));
	} else {
		json_object_object_add(res, "errno", json_object_new_int(0));
		json_object_object_del(res, "errno_name");
	}
}

void cp_result_verdict(struct json_object *res, enum cp_verdict v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_verdict(res, v, err, fmt, ap);
	va_end(ap);
}

void cp_result_fail(struct json_object *res, const char *kind, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_verdict(res, CP_V_FAIL, err, fmt, ap);
	va_end(ap);
	json_object_object_add(res, "fail_kind", json_object_new_string(kind));
}

const char *cp_result_str(struct json_object *res, const char *key)
{
	struct json_object *o;

	if (!json_object_object_get_ex(res, key, &o))
		return NULL;
	return json_object_get_string(o);
}

enum cp_verdict cp_result_get_verdict(struct json_object *res)
{
	int v = cp_verdict_parse(cp_result_str(res, "verdict"));

	return v < 0 ? CP_V_ERROR : v;
}

void cp_result_set_mechanism(struct json_object *res, const char *mech, const char *why)
{
	json_object_object_add(res, "mechanism", json_object_new_string(mech));
	json_object_object_add(res, "mechanism_why", json_object_new_string(why));
}

enum cp_mechanism cp_result_mechanism(struct json_object *res)
{
	const char *m = cp_result_str(res, "mechanism");

	for (int i = CP_MECH_UNKNOWN; m && i <= CP_MECH_MIXED; i++)
		if (!strcmp(cp_mechanism_name(i), m))
			return i;
	return CP_MECH_UNKNOWN;
}
