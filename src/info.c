// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backing.h"
#include "info.h"
#include "procfs.h"

static void show(FILE *f, const char *label, const char *path)
{
	char buf[256];

	fprintf(f, "  %-28s %s\n", label, cp_read_text(path, buf, sizeof(buf)) ? "(absent)" : buf);
}

/*
 * Whether a read fault maps the shared (huge) zeropage is only known by
 * trying: some kernels never map it (e.g. booted with pvm_no_zero_page=1).
 * Set the backing up as a test would; its pagemap/kpageflags check decides
 * (buf.absent: the kernel mapped some other page).
 */
static void show_zeropage(FILE *f, enum cp_backing_id b, const struct cp_backing_opts *opts)
{
	const char *what = b == CP_B_ZEROPAGE ? "zeropage" : "huge zeropage";
	struct cp_buffer buf;
	char why[512];
	int err = cp_backing_setup(b, cp_backing_default_len(b), false, opts, &buf, why, sizeof(why));

	if (!err) {
		fprintf(f, "  %-28s available: %s\n", cp_backing_name(b), buf.verified);
		cp_backing_teardown(&buf);
	} else if (buf.absent) {
		fprintf(f, "  %-28s absent: %s; this kernel maps no %s\n", cp_backing_name(b), why, what);
	} else {
		fprintf(f, "  %-28s unavailable: %s\n", cp_backing_name(b), why);
	}
}

int cp_info(const struct cp_run_opts *o, FILE *f)
{
	struct utsname u;
	struct rlimit rl;

	uname(&u);
	fprintf(f, "kernel: %s %s (%s)\n", u.release, u.version, u.machine);
	fprintf(f, "uid: %d (%s)\n", (int)geteuid(),
		geteuid() ? "not root: no PFNs in pagemap, no kpageflags, most consumers need root" : "root");
	if (!getrlimit(RLIMIT_MEMLOCK, &rl))
		fprintf(f, "RLIMIT_MEMLOCK: %lld kB\n",
			rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)(rl.rlim_cur >> 10));
	fprintf(f, "transparent hugepages:\n");
	show(f, "enabled", "/sys/kernel/mm/transparent_hugepage/enabled");
	show(f, "defrag", "/sys/kernel/mm/transparent_hugepage/defrag");
	show(f, "use_zero_page", "/sys/kernel/mm/transparent_hugepage/use_zero_page");
	fprintf(f, "hugetlb pools (total/free):\n");
	for (int giga = 0; giga < 2; giga++) {
		const char *dir = giga ? "/sys/kernel/mm/hugepages/hugepages-1048576kB"
				       : "/sys/kernel/mm/hugepages/hugepages-2048kB";
		char p[128];
		long total, avail;

		snprintf(p, sizeof(p), "%s/nr_hugepages", dir);
		total = cp_read_long(p, -1);
		snprintf(p, sizeof(p), "%s/free_hugepages", dir);
		avail = cp_read_long(p, -1);
		if (total < 0)
			fprintf(f, "  %-28s (no pool)\n", giga ? "1 GiB" : "2 MiB");
		else
			fprintf(f, "  %-28s %ld/%ld\n", giga ? "1 GiB" : "2 MiB", total, avail);
	}
	fprintf(f, "backings:\n");
	for (int b = 0; b < CP_B_COUNT; b++) {
		char why[512];

		if (cp_backing_probe(b, &o->settings.backing, why, sizeof(why)))
			fprintf(f, "  %-28s unavailable: %s\n", cp_backing_name(b), why);
		else if (b == CP_B_ZEROPAGE || b == CP_B_HUGE_ZEROPAGE)
			show_zeropage(f, b, &o->settings.backing);
		else
			fprintf(f, "  %-28s available\n", cp_backing_name(b));
	}
	fprintf(f, "consumers:\n");
	for (int ci = 0; cp_consumers[ci]; ci++) {
		char why[512];

		if (cp_probe_consumer(cp_consumers[ci], &o->settings, why, sizeof(why)))
			fprintf(f, "  %-28s unavailable: %s\n", cp_consumers[ci]->name, why);
		else
			fprintf(f, "  %-28s available: %s\n", cp_consumers[ci]->name, cp_consumers[ci]->summary);
	}
	return 0;
}
