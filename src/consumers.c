// SPDX-License-Identifier: GPL-2.0-only
/*
 * The consumer table: a new consumer is one file in drivers/ plus one line here
 * (a new VFIO engine family: one line in drivers/vfio/families.h).
 */
#include <string.h>

#include "consumer.h"
#include "../drivers/vfio/families.h"

extern const struct consumer_ops cp_io_uring_ops;

extern const struct consumer_ops cp_gup_test_ops;
extern const struct consumer_ops cp_gup_test_fast_ops;

extern const struct consumer_ops cp_rdma_rxe_ops;
extern const struct consumer_ops cp_rdma_siw_ops;
extern const struct consumer_ops cp_rdma_hca_ops;

VFIO_FAMILIES(VFIO_CONSUMER_DECL)

extern const struct consumer_ops cp_v4l2_ops;

const struct consumer_ops *const cp_consumers[] = {
	&cp_io_uring_ops,
	&cp_rdma_rxe_ops,
	&cp_rdma_siw_ops,
	&cp_rdma_hca_ops,
	&cp_gup_test_ops,
	&cp_gup_test_fast_ops,
	VFIO_FAMILIES(VFIO_CONSUMER_REF)
	&cp_v4l2_ops,
	NULL,
};

const struct consumer_ops *cp_consumer_find(const char *name)
{
	for (int i = 0; cp_consumers[i]; i++)
		if (!strcmp(cp_consumers[i]->name, name))
			return cp_consumers[i];
	return NULL;
}
