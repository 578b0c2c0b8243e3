// SPDX-License-Identifier: GPL-2.0-only
/* What of the test buffer the device reaches (reach.h). */
#include <errno.h>

#include "reach.h"

int vfio_reach(uint64_t iova, size_t len, uint64_t limit, size_t page, size_t *readable)
{
	uint64_t room;

	if (limit <= iova || limit - iova < page) {
		*readable = 0;
		return -ERANGE;
	}
	room = (limit - iova) / page * page;
	*readable = room < len ? (size_t)room : len;
	return 0;
}
