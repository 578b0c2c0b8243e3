// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RDMA consumer: a memory region registered read-only
 * (IBV_ACCESS_REMOTE_READ only: no LOCAL_WRITE, REMOTE_WRITE or ATOMIC, so
 * ib_umem_get() pins without FOLL_WRITE on kernels with the R/O pinning
 * series), read back by an RDMA READ from a second RC QP on the same port
 * into a sink MR.  The sink's bytes are what "the device saw".
 *
 * Three instances share the code and differ only in the kind of device
 * they pick: rdma-rxe, rdma-siw, rdma-hca.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rdma.h"

#define SINK_LEN	(64 * 1024)
#define SINK_POISON	0xa5	/* what the sink holds before each READ lands */

struct rdma_ctx {
	struct rdma_choice ch;
	struct rdma_link link;
	void *sink;
	struct ibv_mr *sink_mr;
	struct ibv_mr *mr;		/* the MR under test, between pin_ro and unpin */
	uint64_t next_wr_id;
};

static const struct cp_option rdma_options[] = {
	{ "rdma-device", "COWPIN_RDMA_DEVICE", "verbs device (default: the first of the instance's kind)", NULL },
	{ "rdma-port", "COWPIN_RDMA_PORT", "port number (default: the first ACTIVE port)", rdma_port_check },
	{ "rdma-gid-index", "COWPIN_RDMA_GID_INDEX",
	  "GID index (default: a RoCE v2 IPv4-mapped GID on RoCE, the LID on IB)", rdma_gid_index_check },
	{ NULL, NULL, NULL, NULL },
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for the completion of wr_id within cp_wait_bound(); -EIO/-ETIMEDOUT + cp_why(). */
static int wait_wc(struct cp_env *env, struct ibv_cq *cq, uint64_t wr_id, const char *what)
{
	double bound = cp_wait_bound(env), end = now() + bound;
	const struct timespec nap = { .tv_nsec = 100 * 1000 };
	struct ibv_wc wc;

	do {
		int n = ibv_poll_cq(cq, 1, &wc);

		if (n < 0) {
			cp_why(env, "%s: ibv_poll_cq failed (%d)", what, n);
			return -EIO;
		}
		if (n == 0) {
			/* Soft drivers complete from a kernel worker: leave it the CPU. */
			nanosleep(&nap, NULL);
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS) {
			cp_why(env, "%s: %s (vendor_err 0x%x)", what,
			       ibv_wc_status_str(wc.status), wc.vendor_err);
			return -EIO;
		}
		if (wc.wr_id == wr_id)
			return 0;
		/* A completion of an earlier, timed-out request: not ours. */
	} while (now() < end);
	cp_why(env, "%s: no completion within %.1f s", what, bound);
	return -ETIMEDOUT;
}

static void add_evidence(struct cp_env *env, const struct rdma_ctx *c)
{
	struct json_object *ev = cp_evidence(env);
	const struct rdma_choice *ch = &c->ch;
	char buf[64];

	json_object_object_add(ev, "rdma_device", json_object_new_string(ch->dev));
	json_object_object_add(ev, "rdma_driver", json_object_new_string(rdma_kind_name(ch->kind)));
	snprintf(buf, sizeof(buf), "0x%x", ch->vendor_id);
	json_object_object_add(ev, "rdma_vendor_id", json_object_new_string(buf));
	json_object_object_add(ev, "rdma_port", json_object_new_int(ch->port));
	json_object_object_add(ev, "rdma_transport", json_object_new_string(
		ch->transport == IBV_TRANSPORT_IWARP ? "iWARP" :
		ch->link_layer == IBV_LINK_LAYER_ETHERNET ? "RoCE" : "IB"));
	json_object_object_add(ev, "rdma_connect", json_object_new_string(
		c->link.cm ? "rdma_cm loopback" : "explicit verbs loopback"));
	json_object_object_add(ev, "rdma_path_mtu", json_object_new_int(128 << ch->mtu));
	if (ch->gid_index >= 0) {
		json_object_object_add(ev, "rdma_gid_index", json_object_new_int(ch->gid_index));
		json_object_object_add(ev, "rdma_gid", json_object_new_string(
			rdma_gid_str(&ch->gid, buf, sizeof(buf))));
		json_object_object_add(ev, "rdma_gid_type", json_object_new_string(
			rdma_gid_type_name(ch->gid_type)));
	} else if (ch->transport != IBV_TRANSPORT_IWARP) {
		json_object_object_add(ev, "rdma_lid", json_object_new_int(ch->lid));
	}
	json_object_object_add(ev, "rdma_mr_access", json_object_new_string("IBV_ACCESS_REMOTE_READ"));
}

static int rdma_probe(struct cp_env *env, enum rdma_kind kind)
{
	struct rdma_choice ch;
	int ret = rdma_choose(env, kind, &ch);

	/* Present but failing: not absent, so no skip; open() makes it the test's error. */
	if (ret && ch.broken)
		return 0;
	/* What open() would miss for iWARP is absence too: find it here. */
	if (!ret && ch.transport == IBV_TRANSPORT_IWARP)
		ret = rdma_cm_probe(env, &ch);
	return ret;
}

static void rdma_close(struct cp_env *env, void *ctx)
{
	struct rdma_ctx *c = ctx;

	(void)env;
	if (!c)
		return;
	/* MRs before the PD they belong to; QPs go with the link. */
	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->sink_mr)
		ibv_dereg_mr(c->sink_mr);
	if (c->link.cm)
		rdma_cm_unlink(&c->link);
	else
		rdma_qp_unlink(&c->link);
	free(c->sink);
	free(c);
}

static int rdma_open(struct cp_env *env, void **ctx, enum rdma_kind kind)
{
	struct rdma_ctx *c = calloc(1, sizeof(*c));
	int access = IBV_ACCESS_LOCAL_WRITE;
	int ret;

	*ctx = NULL;
	if (!c) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	ret = rdma_choose(env, kind, &c->ch);
	if (!ret)
		ret = c->ch.transport == IBV_TRANSPORT_IWARP ?
		      rdma_cm_link(env, &c->ch, &c->link) :
		      rdma_qp_link(env, &c->ch, &c->link);
	if (ret) {
		free(c);
		return ret;
	}
	add_evidence(env, c);
	if (posix_memalign(&c->sink, 4096, SINK_LEN)) {
		cp_why(env, "no memory for the %d-byte sink", SINK_LEN);
		rdma_close(env, c);
		return -ENOMEM;
	}
	/* iWARP writes a READ's response into the sink as a tagged (remote) write. */
	if (c->link.iwarp)
		access |= IBV_ACCESS_REMOTE_WRITE;
	c->sink_mr = ibv_reg_mr(c->link.pd, c->sink, SINK_LEN, access);
	if (!c->sink_mr) {
		ret = -errno;
		cp_why(env, "ibv_reg_mr(sink, LOCAL_WRITE): %s", strerror(errno));
		rdma_close(env, c);
		return ret;
	}
	cp_diag(env, "rdma: %s port %u, %s", c->ch.dev, c->ch.port,
		c->link.cm ? "rdma_cm loopback" : "explicit verbs loopback");
	*ctx = c;
	return 0;
}

static int rdma_pin_ro(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct rdma_ctx *c = ctx;

	/* The R/O registration: a peer may read it, nobody may write it. */
	c->mr = ibv_reg_mr(c->link.pd, pin->buf, pin->len, IBV_ACCESS_REMOTE_READ);
	if (!c->mr) {
		int err = errno ? errno : EIO;

		cp_why(env, "ibv_reg_mr(%zu bytes, IBV_ACCESS_REMOTE_READ): %s",
		       pin->len, strerror(err));
		return -err;
	}
	pin->priv = c->mr;
	pin->readable = pin->len;
	return 0;
}

/* One RDMA READ of [off, off+len) of the MR under test into the sink. */
static int read_chunk(struct cp_env *env, struct rdma_ctx *c, struct cp_pin *pin,
		      size_t off, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->sink,
		.length = len,
		.lkey = c->sink_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = ++c->next_wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_RDMA_READ,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = {
			.remote_addr = (uintptr_t)pin->buf + off,
			.rkey = c->mr->rkey,
		},
	}, *bad;
	char what[96];
	int ret;

	/* Whatever the sink holds afterwards was put there by this READ. */
	memset(c->sink, SINK_POISON, len);
	ret = ibv_post_send(c->link.requester, &wr, &bad);
	if (ret) {
		cp_why(env, "ibv_post_send(RDMA READ at +%zu, %zu bytes): %s",
		       off, len, strerror(ret));
		return -EIO;
	}
	snprintf(what, sizeof(what), "RDMA READ at +%zu (%zu bytes)", off, len);
	return wait_wc(env, c->link.cq, wr.wr_id, what);
}

static int rdma_observe(struct cp_env *env, void *ctx, struct cp_pin *pin,
			struct cp_span *spans, int nspans)
{
	struct rdma_ctx *c = ctx;
	size_t max = SINK_LEN;

	if (c->ch.max_msg_sz && c->ch.max_msg_sz < max)
		max = c->ch.max_msg_sz;
	for (int i = 0; i < nspans; i++) {
		for (size_t done = 0; done < spans[i].len; ) {
			size_t n = spans[i].len - done;
			int ret;

			if (n > max)
				n = max;
			ret = read_chunk(env, c, pin, spans[i].off + done, n);
			if (ret)
				return ret;
			memcpy(spans[i].out + done, c->sink, n);
			done += n;
		}
	}
	return 0;
}

static void rdma_unpin(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct rdma_ctx *c = ctx;
	int ret;

	if (!c->mr)
		return;
	ret = ibv_dereg_mr(c->mr);
	if (ret)
		cp_diag(env, "ibv_dereg_mr: %s", strerror(ret));
	c->mr = NULL;
	pin->priv = NULL;
}

/* One instance per kind: only probe and open know which kind they are. */
#define RDMA_INSTANCE(id, cname, kind, what)					\
static int id##_probe(struct cp_env *env)					\
{										\
	return rdma_probe(env, kind);						\
}										\
static int id##_open(struct cp_env *env, void **ctx)				\
{										\
	return rdma_open(env, ctx, kind);					\
}										\
const struct consumer_ops cp_##id##_ops = {					\
	.name = cname,								\
	.summary = "RDMA verbs MR with REMOTE_READ only on " what		\
		   ", read back by RDMA READ loopback",				\
	.counter = CP_COUNTER_PINNED_VM,					\
	.writable_pin = false,							\
	.cases = CP_CASES_ALL,							\
	.backings = 0,								\
	.options = rdma_options,						\
	.probe = id##_probe,							\
	.open = id##_open,							\
	.pin_ro = rdma_pin_ro,							\
	.observe = rdma_observe,						\
	.unpin = rdma_unpin,							\
	.close = rdma_close,							\
}

RDMA_INSTANCE(rdma_rxe, "rdma-rxe", RDMA_RXE, "soft-RoCE (rxe)");
RDMA_INSTANCE(rdma_siw, "rdma-siw", RDMA_SIW, "soft-iWARP (siw)");
RDMA_INSTANCE(rdma_hca, "rdma-hca", RDMA_HCA, "an RDMA HCA");
