// SPDX-License-Identifier: GPL-2.0-only
/* Stable names: tests, reports and expectation files depend on them. */
#include <string.h>

#include "cases.h"

static const char *const case_names[CP_CASE_COUNT] = {
	[CP_CASE_SNAPSHOT] = "ro-pin-snapshot",
	[CP_CASE_RELIABLE] = "ro-pin-reliable",
	[CP_CASE_REGISTER] = "ro-register",
	[CP_CASE_FILE_INTACT] = "file-intact",
	[CP_CASE_DETECTS_STALE] = "detects-stale",
	[CP_CASE_FORK] = "ro-pin-fork",
};

static const char *const backing_names[CP_B_COUNT] = {
	[CP_B_ZEROPAGE] = "zeropage",
	[CP_B_HUGE_ZEROPAGE] = "huge-zeropage",
	[CP_B_MEMFD] = "memfd",
	[CP_B_TMPFILE] = "tmpfile",
	[CP_B_HUGETLB_2M] = "hugetlb-2M",
	[CP_B_HUGETLB_1G] = "hugetlb-1G",
	[CP_B_ANON] = "anon",
	[CP_B_SHARED_MEMFD] = "shared-memfd",
	[CP_B_RO_SHARED_FILE] = "ro-shared-file",
};

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *cp_case_name(enum cp_case c)
{
	return case_names[c];
}

int cp_case_parse(const char *name)
{
	return lookup(case_names, CP_CASE_COUNT, name);
}

const char *cp_backing_name(enum cp_backing_id b)
{
	return backing_names[b];
}

int cp_backing_parse(const char *name)
{
	return lookup(backing_names, CP_B_COUNT, name);
}
