// SPDX-License-Identifier: GPL-2.0-only
/*
 * drivers/vfio/iommu_fault.c's reading of /proc/interrupts: the count of
 * the IOMMU's fault interrupt (Intel: DMAR-MSI, named after the IOMMU,
 * "dmar0") is the sign of a fault the kernel log's rate limit can hide.
 * The text is a lab 6.12 guest's (scripts/lab exec --edu), after 12 tests
 * with --test-dma-fault unmapped; mutants: the name of another line, a
 * prefix of the name, a line without counts.
 */
#include <string.h>

#include "iommu_fault.h"
#include "utap.h"

static const char lab_612[] =
	"           CPU0       CPU1       \n"
	"  0:         34          0   IO-APIC   2-edge      timer\n"
	" 24:       1811          7  DMAR-MSI   0-edge      dmar0\n"
	" 25:          0          0  IR-PCI-MSIX-0000:00:04.0   0-edge      virtio1-config\n"
	" 26:       4145          0  IR-PCI-MSIX-0000:00:04.0   1-edge      virtio1-requests\n"
	" 33:          0          9  IR-PCI-MSIX-0000:00:03.0   2-edge      virtio0-req.1\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"LOC:      52110      48113   Local timer interrupts\n"
	"ERR:          0\n";

int main(void)
{
	utap_plan(8);
	ok(iommu_irq_count(lab_612, "dmar0") == 1818, "dmar0: 1811 + 7 over both CPUs (%lld)",
	   iommu_irq_count(lab_612, "dmar0"));
	ok(iommu_irq_count(lab_612, "dmar1") == -1, "an IOMMU without a line: -1");
	ok(iommu_irq_count(lab_612, "dmar") == -1, "a prefix of the name is not the name");
	ok(iommu_irq_count(lab_612, "virtio1-requests") == 4145, "another line's count is its own");
	ok(iommu_irq_count(lab_612, "Local") == -1, "LOC: has no number: never an IOMMU's");
	ok(iommu_irq_count("", "dmar0") == -1, "empty text: -1");
	ok(iommu_irq_count(" 24:       5  DMAR-MSI   0-edge      foo, dmar0\n", "dmar0") == 5,
	   "a shared line names dmar0 among its actions");
	ok(iommu_irq_count(" 24:       5  DMAR-MSI   0-edge      dmar0", "dmar0") == 5,
	   "the last line without its newline");
	return utap_done();
}
