// SPDX-License-Identifier: GPL-2.0-only
/* cowpin: the command. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "info.h"
#include "memlock/memlock.h"
#include "runner.h"

static int cmd_list(const struct cp_run_opts *o)
{
	struct cp_plan plan;

	if (cp_plan_build(o, &plan))
		return 1;
	for (int i = 0; i < plan.n; i++) {
		char why[512] = "";

		if (!plan.e[i].skip[0] &&
		    cp_backing_probe(plan.e[i].t.backing, &o->settings.backing, why, sizeof(why)))
			snprintf(plan.e[i].skip, sizeof(plan.e[i].skip), "backing: %s", why);
		if (plan.e[i].skip[0])
			printf("%s\tSKIP %s\n", plan.e[i].name, plan.e[i].skip);
		else
			printf("%s\n", plan.e[i].name);
	}
	cp_plan_free(&plan);
	return 0;
}

int main(int argc, char **argv)
{
	struct cp_cli cli;
	char err[1024];
	int rc = cp_cli_parse(argc, argv, &cli, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "cowpin: %s\n", err);
		cp_cli_free(&cli);
		return rc;
	}
	switch (cli.cmd) {
	case CP_CMD_LIST:
		rc = cmd_list(&cli.run);
		break;
	case CP_CMD_INFO:
		rc = cp_info(&cli.run, stdout);
		break;
	case CP_CMD_RUN:
		rc = cp_run(&cli.run);
		break;
	case CP_CMD_MEMLOCK:
		rc = cp_memlock(&cli);
		break;
	default:
		cp_cli_usage(stdout);
	}
	cp_cli_free(&cli);
	return rc;
}
