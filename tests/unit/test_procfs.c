// SPDX-License-Identifier: GPL-2.0-only
/* Parsers of kernel text: /proc/self/status, smaps, /dev/kmsg records. */
#include <errno.h>
#include <string.h>

#include "kmsg.h"
#include "procfs.h"
#include "utap.h"

static const char status[] =
	"Name:\tcowpin\nVmPeak:\t  10000 kB\nVmLck:\t       8 kB\nVmPin:\t    2048 kB\n"
	"VmRSS:\t    1234 kB\nThreads:\t1\n";

static const char smaps[] =
	"55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                132 kB\n"
	"Rss:                  12 kB\n"
	"7f0000000000-7f0000200000 rw-p 00000000 00:00 0 \n"
	"Size:               2048 kB\n"
	"KernelPageSize:        4 kB\n"
	"Rss:                   0 kB\n"
	"AnonHugePages:         0 kB\n"
	"VmFlags: rd wr mr mw me ac nh\n"
	"7f0000400000-7f0000600000 rw-p 00000000 00:0f 1234 /memfd:cowpin (deleted)\n"
	"Size:               2048 kB\n"
	"KernelPageSize:     2048 kB\n"
	"Rss:                2048 kB\n";

int main(void)
{
	struct cp_status st;
	char text[128];
	int level;

	utap_plan(23);
	ok(!cp_status_parse(status, &st), "status parses");
	ok(st.vm_pin_kb == 2048 && st.vm_lck_kb == 8 && st.vm_rss_kb == 1234, "VmPin/VmLck/VmRSS values");
	ok(cp_status_parse("Name:\tx\n", &st) && st.vm_pin_kb == -1, "missing fields read as -1, error");
	ok(!cp_status_parse("VmRSS:\t1 kB", &st) && st.vm_rss_kb == 1, "last line without newline");
	ok(cp_status_parse("VmRSS:\t-5 kB\n", &st) != 0, "negative value rejected");
	ok(cp_smaps_parse(smaps, 0x7f0000001000, "Rss") == 0, "smaps: Rss of the anon VMA");
	ok(cp_smaps_parse(smaps, 0x7f0000400000, "KernelPageSize") == 2048, "smaps: KernelPageSize of hugetlb VMA");
	ok(cp_smaps_parse(smaps, 0x55d0c0000010, "Rss") == 12, "smaps: heap");
	ok(cp_smaps_parse(smaps, 0x1000, "Rss") == -1, "smaps: address outside every VMA");
	ok(cp_smaps_parse(smaps, 0x7f0000001000, "Nope") == -1, "smaps: absent field");
	ok(!cp_kmsg_parse("4,1234,5678,-;WARNING: CPU: 0 PID: 1 at mm/gup.c:1\n SUBSYSTEM=x\n", 60, &level,
			  text, sizeof(text)) && level == 4 && !strcmp(text, "WARNING: CPU: 0 PID: 1 at mm/gup.c:1"),
	   "kmsg record: level and first line");
	ok(cp_kmsg_is_bad(text), "WARNING is bad");
	ok(cp_kmsg_is_bad("BUG: Bad page state in process cowpin"), "Bad page state is bad");
	ok(!cp_kmsg_is_bad("rdma_rxe: loaded"), "ordinary line is fine");
	ok(cp_kmsg_is_bad("BUG kmalloc-64 (Not tainted): Redzone overwritten"), "SLUB's BUG kmalloc-... is bad");
	ok(cp_kmsg_is_bad("BUG skbuff_head_cache (Tainted: G        W ): Poison overwritten"),
	   "SLUB's BUG of any cache is bad");
	ok(cp_kmsg_is_bad("INFO: task cowpin:4242 blocked for more than 120 seconds."), "a hung task is bad");
	ok(!cp_kmsg_is_bad("BUGS reported to the list"), "a line merely starting with BUG is fine");
	ok(cp_kmsg_parse("garbage", 7, &level, text, sizeof(text)) < 0, "kmsg garbage rejected");
	ok(cp_kmsg_parse("x,1;y", 5, &level, text, sizeof(text)) < 0, "kmsg bad priority rejected");
	{
		struct cp_foll_pins fp = { 0 };

		ok(!cp_foll_pins_parse("nr_free_pages 5\nnr_foll_pin_acquired 120\nnr_foll_pin_released 118\n", &fp) &&
		   fp.acquired == 120 && fp.released == 118, "vmstat: FOLL_PIN counters");
		ok(cp_foll_pins_parse("nr_foll_pin_acquired 1\n", &fp) == -ENOENT, "vmstat: missing released counter");
		ok(cp_foll_pins_parse("xnr_foll_pin_acquired 1\nnr_foll_pin_released 1\n", &fp) == -ENOENT,
		   "vmstat: a longer key is not the counter");
	}
	return utap_done();
}
