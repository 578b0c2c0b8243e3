// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two RC QPs on one port, connected to each other by explicit verbs the way
 * rdma-core's rc_pingpong does it, only both ends live in this process:
 * RESET -> INIT -> RTR -> RTS, each QP's destination being the other.
 * On RoCE the address vector carries a GRH with the port's own GID.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rdma.h"

static int to_init(struct cp_env *env, const struct rdma_choice *ch,
		   struct ibv_qp *qp, int access, const char *who)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = ch->port,
		.qp_access_flags = access,
	};
	int ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);

	if (ret)
		cp_why(env, "%s QP RESET->INIT: %s", who, strerror(ret));
	return ret ? -EIO : 0;
}

static int to_rtr(struct cp_env *env, const struct rdma_choice *ch,
		  struct ibv_qp *qp, uint32_t dest_qpn, uint32_t dest_psn,
		  const char *who)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = ch->mtu,
		.dest_qp_num = dest_qpn,
		.rq_psn = dest_psn,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = {
			.dlid = ch->lid,
			.sl = 0,
			.src_path_bits = 0,
			.port_num = ch->port,
		},
	};
	int ret;

	if (ch->gid_index >= 0) {
		/* Loopback: the destination GID is our own. */
		a.ah_attr.is_global = 1;
		a.ah_attr.grh.dgid = ch->gid;
		a.ah_attr.grh.sgid_index = ch->gid_index;
		a.ah_attr.grh.hop_limit = 1;
	}
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		cp_why(env, "%s QP INIT->RTR: %s", who, strerror(ret));
	return ret ? -EIO : 0;
}

static int to_rts(struct cp_env *env, struct ibv_qp *qp, uint32_t psn,
		  const char *who)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTS,
		.timeout = 14,		/* 4.096 us << 14 = 67 ms per try */
		.retry_cnt = 7,
		.rnr_retry = 7,
		.sq_psn = psn,
		.max_rd_atomic = 1,
	};
	int ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
				IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);

	if (ret)
		cp_why(env, "%s QP RTR->RTS: %s", who, strerror(ret));
	return ret ? -EIO : 0;
}

static struct ibv_qp *make_qp(struct cp_env *env, struct rdma_link *l, const char *who)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = l->cq,
		.recv_cq = l->cq,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_qp *qp = ibv_create_qp(l->pd, &ia);

	if (!qp)
		cp_why(env, "ibv_create_qp (%s): %s", who, strerror(errno));
	return qp;
}

static struct ibv_device *find_device(struct ibv_device **list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			return list[i];
	return NULL;
}

static int open_device(struct cp_env *env, const char *name, struct rdma_link *l)
{
	struct ibv_device **list;
	struct ibv_device *dev;
	int n = 0;

	list = ibv_get_device_list(&n);
	if (!list) {
		cp_why(env, "ibv_get_device_list: %s", strerror(errno));
		return -ENODEV;
	}
	dev = find_device(list, n, name);
	if (dev)
		l->ctx = ibv_open_device(dev);
	if (!l->ctx)
		cp_why(env, "%s: %s", name, dev ? strerror(errno) : "gone since probe");
	ibv_free_device_list(list);
	return l->ctx ? 0 : -ENODEV;
}

int rdma_qp_link(struct cp_env *env, const struct rdma_choice *ch, struct rdma_link *l)
{
	/* PSNs only need to agree between the two ends; vary them per run. */
	uint32_t psn_resp = (getpid() * 2654435761u) & 0xffffff;
	uint32_t psn_req = (psn_resp + 0x5a5a5) & 0xffffff;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = open_device(env, ch->dev, l);
	if (ret)
		return ret;
	l->pd = ibv_alloc_pd(l->ctx);
	if (!l->pd) {
		cp_why(env, "ibv_alloc_pd(%s): %s", ch->dev, strerror(errno));
		goto fail;
	}
	l->cq = ibv_create_cq(l->ctx, 8, NULL, NULL, 0);
	if (!l->cq) {
		cp_why(env, "ibv_create_cq(%s): %s", ch->dev, strerror(errno));
		goto fail;
	}
	l->responder = make_qp(env, l, "responder");
	l->requester = l->responder ? make_qp(env, l, "requester") : NULL;
	if (!l->requester)
		goto fail;
	/* Only the responder lets its peer READ; the requester allows nothing remote. */
	if (to_init(env, ch, l->responder, IBV_ACCESS_REMOTE_READ, "responder") ||
	    to_init(env, ch, l->requester, 0, "requester") ||
	    to_rtr(env, ch, l->responder, l->requester->qp_num, psn_req, "responder") ||
	    to_rtr(env, ch, l->requester, l->responder->qp_num, psn_resp, "requester") ||
	    to_rts(env, l->responder, psn_resp, "responder") ||
	    to_rts(env, l->requester, psn_req, "requester"))
		goto fail;
	return 0;
fail:
	rdma_qp_unlink(l);
	return -EIO;
}

void rdma_qp_unlink(struct rdma_link *l)
{
	if (l->requester)
		ibv_destroy_qp(l->requester);
	if (l->responder)
		ibv_destroy_qp(l->responder);
	if (l->cq)
		ibv_destroy_cq(l->cq);
	if (l->pd)
		ibv_dealloc_pd(l->pd);
	if (l->ctx)
		ibv_close_device(l->ctx);
	memset(l, 0, sizeof(*l));
}
