// SPDX-License-Identifier: GPL-2.0-only
/* Command line: valid input parses, bad input is exit code 2 naming the valid values. */
#include <string.h>

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

	utap_plan(14);
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
	ok(parse(&cli, err, "run", "--expect", "vfio-type1.*=6.1 lacks the fix", NULL) == 0 &&
	   cli.run.nexpect == 1 && !strcmp(cli.expect[0].reason, "6.1 lacks the fix"), "--expect GLOB=WHY");
	ok(parse(&cli, err, "memlock", "--size", "32M", NULL) == 0 && cli.sizes[0] == 32u << 20, "--size 32M");
	ok(parse(&cli, err, "memlock", "--size", "0", NULL) == 2, "--size 0 rejected");
	ok(parse(&cli, err, "run", "stray", NULL, NULL) == 2, "stray argument rejected");
	cp_cli_free(&cli);
	return utap_done();
}
