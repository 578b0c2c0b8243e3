// SPDX-License-Identifier: GPL-2.0-only
/* The consumer table: a new consumer is one file in drivers/ plus one line here. */
#include <string.h>

#include "consumer.h"

extern const struct consumer_ops cp_io_uring_ops;

const struct consumer_ops *const cp_consumers[] = {
	&cp_io_uring_ops,
	NULL,
};

const struct consumer_ops *cp_consumer_find(const char *name)
{
	for (int i = 0; cp_consumers[i]; i++)
		if (!strcmp(cp_consumers[i]->name, name))
			return cp_consumers[i];
	return NULL;
}
