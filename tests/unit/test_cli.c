// SPDX-License-Identifier: GPL-2.0-only
/* Command line: valid input parses, bad input is exit code 2 naming the valid values. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "utap.h"

static int parse(struct cp_cli *cli, char *err, const char *a0, const char *a1, const char *a2,
		 const char *a3)
{
	char *argv[6] = { "cowpin", (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	cp_cli_free(cli);
	return cp_cli_parse(argc, argv, cli, err, 512);
}

int main(void)
{
	struct cp_cli cli = { 0 };
	char err[512];

	utap_plan(29);
	ok(parse(&cli, err, "run", "--backing", "memfd", NULL) == 0 && cli.cmd == CP_CMD_RUN &&
	   cli.run.backings == CP_BACKING_BIT(CP_B_MEMFD), "run --backing memfd");
	ok(parse(&cli, err, "run", "--case", "ro-pin-reliable", "--format=json") == 0 && cli.run.json &&
	   cli.run.cases == CP_CASE_BIT(CP_CASE_RELIABLE), "run --case ... --format=json");
	ok(parse(&cli, err, "run", "--backing", "nope", NULL) == 2 && strstr(err, "hugetlb-2M"),
	   "unknown backing names the valid ones: %s", err);
	ok(parse(&cli, err, "run", "--consumer", "nope", NULL) == 2 && strstr(err, "io_uring"),
	   "unknown consumer names the valid ones");
	ok(parse(&cli, err, "run", "--case", "nope", NULL) == 2 && strstr(err, "file-intact"),
	   "unknown case names the valid ones");
	ok(parse(&cli, err, "run", "--format", "xml", NULL) == 2 && strstr(err, "tap, json"),
	   "unknown format");
	ok(parse(&cli, err, "frobnicate", NULL, NULL, NULL) == 2 && strstr(err, "memlock"), "unknown command");
	ok(parse(&cli, err, "run", "--bogus", NULL, NULL) == 2, "unknown option");
	ok(parse(&cli, err, "run", "--timeout", "-3", NULL) == 2, "negative timeout");
	ok(parse(&cli, err, "run", "--timeout", "12.5", NULL) == 0 && cli.run.settings.timeout_s == 12.5,
	   "fractional timeout");
	ok(parse(&cli, err, "run", "--expect", "vfio-type1.*=stale:6.1 lacks the fix", NULL) == 0 &&
	   cli.run.nexpect == 1 && !strcmp(cli.expect[0].kind, "stale") &&
	   !strcmp(cli.expect[0].pattern, "vfio-type1.*") &&
	   !strcmp(cli.expect[0].reason, "6.1 lacks the fix"), "--expect GLOB=KIND:WHY");
	ok(parse(&cli, err, "run", "--expect", "vfio-type1.*=6.1 lacks the fix", NULL) == 2 &&
	   strstr(err, "not a failure kind") && strstr(err, "stale"), "--expect without a kind rejected: %s", err);
	ok(parse(&cli, err, "run", "--expect", "vfio-type1.*=fail:x", NULL) == 2, "--expect =fail:... (no kind) rejected");
	ok(parse(&cli, err, "run", "--expect", "vfio-type1.*", NULL) == 2, "--expect without = rejected");
	ok(parse(&cli, err, "run", "--expect", "=stale:x", NULL) == 2, "--expect without a glob rejected");
	ok(parse(&cli, err, "run", "--expect", "x=timeout", NULL) == 0 && !strcmp(cli.expect[0].kind, "timeout") &&
	   !strcmp(cli.expect[0].reason, "declared expected"), "--expect GLOB=KIND without WHY");
	{
		char path[] = "/tmp/cowpin-test-cli-XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		bool good;

		if (f) {
			fputs("# comment\n\ngup-test.*=stale:6.1\n  rdma-*.memfd.*=corrupt:why: with colon\n", f);
			fclose(f);
		}
		good = f && parse(&cli, err, "run", "--expect-file", path, NULL) == 0 && cli.run.nexpect == 2 &&
		       !strcmp(cli.expect[1].pattern, "rdma-*.memfd.*") && !strcmp(cli.expect[1].kind, "corrupt") &&
		       !strcmp(cli.expect[1].reason, "why: with colon");
		ok(good, "--expect-file lines GLOB=KIND:WHY");
		f = fopen(path, "a");
		if (f) {
			fputs("io_uring.* old kernel\n", f);
			fclose(f);
		}
		ok(parse(&cli, err, "run", "--expect-file", path, NULL) == 2 && strstr(err, "line 5"),
		   "--expect-file line without a kind rejected: %s", err);
		unlink(path);
	}
	{
		/* Which expectation a result meets: only a fail of the named kind, or a pass (unexpected). */
		static const struct cp_expect ex[] = {
			{ "vfio-type1.*", "stale", "6.1" }, { "vfio-type1.*", "corrupt", "also" },
		};
		const struct cp_expect *other;

		ok(cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_FAIL, "stale", &other) == &ex[0] &&
		   !other, "expected kind meets the expectation");
		ok(cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_FAIL, "corrupt", &other) == &ex[1],
		   "a second expectation of the same glob");
		ok(!cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_FAIL, "timeout", &other) &&
		   other == &ex[0], "timeout under a stale expectation is a plain failure");
		ok(!cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_FAIL, "kernel-log", &other),
		   "kernel-log under a stale expectation is a plain failure");
		ok(!cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_FAIL, NULL, &other),
		   "a fail without a kind meets no expectation");
		ok(!cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_ERROR, NULL, &other) && !other &&
		   !cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_REFUSED, NULL, &other),
		   "an error or a refusal is never expected");
		ok(cp_expectation(ex, 2, "vfio-type1.anon.ro-pin-reliable", CP_V_PASS, NULL, &other) == &ex[0],
		   "a pass under an expectation is an unexpected pass");
		ok(!cp_expectation(ex, 2, "io_uring.anon.ro-pin-reliable", CP_V_FAIL, "stale", &other) && !other,
		   "another test's failure is not expected");
	}
	ok(parse(&cli, err, "memlock", "--size", "32M", NULL) == 0 && cli.sizes[0] == 32u << 20, "--size 32M");
	ok(parse(&cli, err, "memlock", "--size", "0", NULL) == 2, "--size 0 rejected");
	ok(parse(&cli, err, "run", "stray", NULL, NULL) == 2, "stray argument rejected");
	cp_cli_free(&cli);
	return utap_done();
}
