/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The RDMA consumer's internals, shared by its files:
 *   rdma-device.c  which verbs device, port and GID a test uses (and why not)
 *   rdma-qp.c      two RC QPs on that port connected by explicit verbs (IB, RoCE)
 *   rdma-cm.c      the same over rdma_cm, which iWARP (siw) requires
 *   rdma.c         the consumer: R/O MR under test, RDMA READ loopback
 */
#ifndef COWPIN_RDMA_H
#define COWPIN_RDMA_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "consumer.h"

/* Which kind of verbs device an instance (rdma-rxe, rdma-siw, rdma-hca) drives. */
enum rdma_kind {
	RDMA_RXE,	/* soft-RoCE, rdma_rxe */
	RDMA_SIW,	/* soft-iWARP, siw */
	RDMA_HCA,	/* any other verbs device: real hardware */
};

/* Vendor IDs the soft drivers report in ibv_query_device() (kernel constants). */
#define RDMA_RXE_VENDOR_ID	0xffffffu	/* RXE_VENDOR_ID, rxe_param.h */
#define RDMA_SIW_VENDOR_ID	0x626d74u	/* SIW_VENDOR_ID ("bmt"), siw.h */

/* The device, port and address a test runs on: rdma_choose() fills it. */
struct rdma_choice {
	char dev[IBV_SYSFS_NAME_MAX];
	enum rdma_kind kind;
	uint32_t vendor_id;
	uint32_t vendor_part_id;
	enum ibv_transport_type transport;
	uint8_t port;
	uint8_t link_layer;	/* IBV_LINK_LAYER_* */
	enum ibv_mtu mtu;	/* the port's active MTU */
	uint32_t max_msg_sz;
	uint16_t lid;		/* IB link layer without GRH */
	int gid_index;		/* -1: no GRH (IB LID, or iWARP) */
	union ibv_gid gid;
	uint32_t gid_type;	/* IBV_GID_TYPE_* */
	/* rdma_choose() failed on a device of this kind that is there but fails to open or query. */
	bool broken;
};

/* One side of the loopback: everything the data path needs, however it was connected. */
struct rdma_link {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *responder;	/* target of the READs: the MR under test is read through it */
	struct ibv_qp *requester;	/* posts the READs */
	bool iwarp;			/* a READ's sink must allow REMOTE_WRITE on iWARP */
	void *cm;			/* rdma-cm.c's state, NULL for explicit verbs */
};

const char *rdma_kind_name(enum rdma_kind kind);
/* The syntax of --rdma-port (1..255) and --rdma-gid-index (0..65535): decimal, hex with 0x. */
int rdma_port_check(const char *value, char *why, size_t whylen);
int rdma_gid_index_check(const char *value, char *why, size_t whylen);
/*
 * Pick device/port/GID for kind (honouring the options); -ENODEV + cp_why()
 * = skip; -EIO with ch->broken: a device that may be of the kind is present
 * but fails to open or query (an error: the probe lets open() report it).
 */
int rdma_choose(struct cp_env *env, enum rdma_kind kind, struct rdma_choice *ch);
/* "::ffff:127.0.0.1"-style text of a GID, into buf (at least 64 bytes). */
const char *rdma_gid_str(const union ibv_gid *gid, char *buf, size_t size);
const char *rdma_gid_type_name(uint32_t type);

/* Explicit verbs (rc_pingpong style): open the device and connect two RC QPs. */
int rdma_qp_link(struct cp_env *env, const struct rdma_choice *ch, struct rdma_link *l);
void rdma_qp_unlink(struct rdma_link *l);

/* rdma_cm loopback (iWARP needs a TCP connection per QP, verbs alone can't). */
/* Is rdma_cm usable here (built in, /dev/infiniband/rdma_cm present)?  -ENODEV + cp_why() = skip. */
int rdma_cm_probe(struct cp_env *env, const struct rdma_choice *ch);
int rdma_cm_link(struct cp_env *env, const struct rdma_choice *ch, struct rdma_link *l);
void rdma_cm_unlink(struct rdma_link *l);

#endif
