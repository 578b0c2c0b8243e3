// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the user names is read exactly: numbers decimal unless 0x (never
 * octal), block ranges START[+COUNT], PCI addresses DDDD:BB:DD.F only.
 * Each malformed input must be rejected, each well-formed one read as meant.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "number.h"
#include "options.h"
#include "pci_sysfs.h"
#include "utap.h"

static bool range_is(const char *s, uint64_t start, uint64_t count)
{
	uint64_t a = 7, n = 7;

	return !vfio_lba_range_parse(s, &a, &n) && a == start && n == count;
}

int main(void)
{
	static const char *const bad_ranges[] = {
		"abc", "-1", " 12", "12 ", "+8", "12+", "12+0", "12+-1", "0x", "0x+1", "1e3", "08x",
		"18446744073709551616", "18446744073709551615+2", "1+2+3", "100,8",
	};
	static const char *const bad_bdfs[] = {
		"zz", "00:1f.7", "0:0:1f.7", "0000:00:1f.8", "0000:00:20.0", "00000:00:1f.7", "0000:000:1f.7",
		"0000:00:1f.7 ", " 0000:00:1f.7", "0000-00-1f.7", "0000:00:1f", "0000:0g:1f.7", "",
	};
	char why[256], bdf[16];
	uint64_t v, n;
	const char *first = NULL;

	utap_plan(14);
	ok(range_is("0100+8", 100, 8), "0100+8 is blocks 100..107 (decimal), not octal 64..71");
	ok(range_is("2048+4096", 2048, 4096) && range_is("2048", 2048, 0), "2048+4096, 2048 (COUNT omitted: 0)");
	ok(range_is("0x800+0x10", 2048, 16), "0x800+0x10 is hex");
	for (size_t i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]) && !first; i++)
		if (vfio_lba_range_parse(bad_ranges[i], &v, &n) != -EINVAL || !vfio_lba_range_check(bad_ranges[i], why, sizeof(why)))
			first = bad_ranges[i];
	ok(!first, "malformed ranges rejected (abc, -1, 12+, 12+0, a range past 2^64, ...)%s%s",
	   first ? ": accepted " : "", first ? first : "");
	ok(vfio_lba_range_parse(NULL, &v, &n) == -ENOENT && vfio_lba_range_parse("", &v, &n) == -ENOENT,
	   "nothing named is -ENOENT (the refusal), not malformed");
	ok(!cp_number("010", 0, 100, &v) && v == 10 && !cp_number("0x1F", 0, 100, &v) && v == 31,
	   "numbers: 010 is ten, 0x1F is 31");
	ok(cp_number("65", 20, 64, &v) == -ERANGE && cp_number("19", 20, 64, &v) == -ERANGE &&
	   cp_number("40x", 20, 64, &v) == -EINVAL, "numbers outside [min, max] or with a tail rejected");
	ok(!vfio_dma_bits_check("40", why, sizeof(why)) && !vfio_dma_bits_check("0x28", why, sizeof(why)) &&
	   vfio_dma_bits_check("forty", why, sizeof(why)) && vfio_dma_bits_check("", why, sizeof(why)) &&
	   vfio_dma_bits_check("19", why, sizeof(why)) && !vfio_dma_bits_check("040", why, sizeof(why)),
	   "--vfio-dma-bits 40, 0x28 and 040 (forty, as dma_bits() reads it) taken; forty, '', 19 rejected");
	ok(!test_dma_fault_check("unmapped", why, sizeof(why)) && !test_dma_fault_check("wrong-iova", why, sizeof(why)) &&
	   test_dma_fault_check("unmaped", why, sizeof(why)) && test_dma_fault_check("", why, sizeof(why)),
	   "TEST ONLY --test-dma-fault: unmapped, wrong-iova taken; a misspelling and '' rejected");
	ok(!pci_bdf_normalize("FFFF:00:1F.7", bdf) && !strcmp(bdf, "ffff:00:1f.7"),
	   "DDDD:BB:DD.F taken and lower-cased: %s", bdf);
	ok(!pci_bdf_normalize("0000:3a:00.0", bdf) && !strcmp(bdf, "0000:3a:00.0"), "0000:3a:00.0 taken");
	first = NULL;
	for (size_t i = 0; i < sizeof(bad_bdfs) / sizeof(bad_bdfs[0]) && !first; i++)
		if (pci_bdf_normalize(bad_bdfs[i], bdf) != -EINVAL || !pci_bdf_check(bad_bdfs[i], why, sizeof(why)))
			first = bad_bdfs[i];
	ok(!first, "malformed PCI addresses rejected (zz, the short form 00:1f.7, device 20, function 8, blanks, ...)%s%s",
	   first ? ": accepted " : "", first ? first : "");
	ok(pci_bdf_normalize(NULL, bdf) == -EINVAL, "no address is rejected");
	ok(!pci_bdf_check("ffff:00:1f.7", why, sizeof(why)), "the test address ffff:00:1f.7 is well-formed");
	return utap_done();
}
