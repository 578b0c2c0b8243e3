// SPDX-License-Identifier: GPL-2.0-only
/*
 * Each backing sets up and verifies itself on the running kernel, or says
 * exactly why it can't (then this test SKIPs with that reason).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "utap.h"

int main(void)
{
	struct cp_backing_opts opts = { .tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp" };

	utap_plan(CP_B_COUNT * 2 + 1);
	for (int id = 0; id < CP_B_COUNT; id++) {
		struct cp_buffer b;
		char why[512];
		bool ro = id == CP_B_RO_SHARED_FILE;
		int err = cp_backing_setup(id, cp_backing_default_len(id), ro, &opts, &b, why, sizeof(why));

		if (err) {
			skip(why, "%s set up and verified", cp_backing_name(id));
			skip(why, "%s file holds A", cp_backing_name(id));
			continue;
		}
		ok(b.addr && b.verified[0], "%s set up and verified: %s", cp_backing_name(id), b.verified);
		if (cp_backing_has_file(id) || id == CP_B_RO_SHARED_FILE) {
			unsigned char seen[16];

			ok(cp_backing_file_mismatch(&b, seen, sizeof(seen)) == (long)b.len, "%s file holds A",
			   cp_backing_name(id));
		} else {
			skip("no file behind this backing", "%s file holds A", cp_backing_name(id));
		}
		cp_backing_teardown(&b);
	}
	{
		struct cp_buffer b;
		char why[512];

		ok(cp_backing_setup(CP_B_ANON, 4096, true, &opts, &b, why, sizeof(why)) == -EINVAL,
		   "anon has no read-only variant: %s", why);
	}
	return utap_done();
}
