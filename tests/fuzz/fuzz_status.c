// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: /proc/self/status text (VmPin, VmLck, VmRSS). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_status st;
	char *text = malloc(size + 1);
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';
	rc = cp_status_parse(text, &st);
	/* Counters are kB or -1 (absent); success means VmRSS was found. */
	if (st.vm_pin_kb < -1 || st.vm_lck_kb < -1 || st.vm_rss_kb < -1 || (rc == 0) != (st.vm_rss_kb >= 0))
		abort();
	free(text);
	return 0;
}
