// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loopback over rdma_cm, for iWARP devices (siw, and iWARP hardware).
 *
 * An iWARP QP only reaches RTS with a TCP connection under it (siw refuses
 * RTS without its LLP handle), which only the kernel's connection manager
 * sets up: so here a listener and a client in this one process connect to
 * each other through the device's own IPv4 address.
 */
#include <errno.h>
#include <string.h>

#include "rdma.h"

#include <unistd.h>

#define RDMA_CM_NODE "/dev/infiniband/rdma_cm"

#ifndef COWPIN_HAVE_RDMACM

int rdma_cm_probe(struct cp_env *env, const struct rdma_choice *ch)
{
	cp_why(env, "%s is iWARP, which needs rdma_cm: cowpin was built without librdmacm "
	       "(apt-get install librdmacm-dev and rebuild)", ch->dev);
	return -ENODEV;
}

/* Not reached: the probe said skip. */
int rdma_cm_link(struct cp_env *env, const struct rdma_choice *ch, struct rdma_link *l)
{
	memset(l, 0, sizeof(*l));
	rdma_cm_probe(env, ch);
	return -EOPNOTSUPP;
}

void rdma_cm_unlink(struct rdma_link *l)
{
	(void)l;
}

#else

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <rdma/rdma_cma.h>

/* Only looks: the event channel rdma_cm_link() opens is this node. */
int rdma_cm_probe(struct cp_env *env, const struct rdma_choice *ch)
{
	if (!access(RDMA_CM_NODE, F_OK))
		return 0;
	cp_why(env, "%s is iWARP, which needs rdma_cm: " RDMA_CM_NODE " is missing "
	       "(modprobe rdma_ucm, or scripts/setup-rdma up)", ch->dev);
	return -ENODEV;
}

struct cm_state {
	struct rdma_event_channel *chan;
	struct rdma_cm_id *listener;
	struct rdma_cm_id *server;	/* the listener's side of the connection */
	struct rdma_cm_id *client;
	char addr[INET_ADDRSTRLEN];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Next CM event of type want within the deadline; its id (new one on CONNECT_REQUEST). */
static int wait_event(struct cp_env *env, struct cm_state *st,
		      enum rdma_cm_event_type want, double end,
		      struct rdma_cm_id **id)
{
	struct pollfd pfd = { .fd = st->chan->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int left = (end - now()) * 1000, status;
	enum rdma_cm_event_type got;

	if (left < 0 || poll(&pfd, 1, left) != 1) {
		cp_why(env, "rdma_cm: no %s within the wait bound", rdma_event_str(want));
		return -ETIMEDOUT;
	}
	if (rdma_get_cm_event(st->chan, &ev)) {
		cp_why(env, "rdma_get_cm_event: %s", strerror(errno));
		return -EIO;
	}
	got = ev->event;
	status = ev->status;
	if (id)
		*id = ev->id;
	rdma_ack_cm_event(ev);
	if (got != want) {
		cp_why(env, "rdma_cm on %s: expected %s, got %s (status %d)", st->addr,
		       rdma_event_str(want), rdma_event_str(got), status);
		return -EIO;
	}
	return 0;
}

/*
 * The listener, bound to an IPv4 address rdma_cm maps to our device.  Which
 * device an address maps to is the kernel's decision, so ask it: bind each
 * local address and keep the first that lands on ch->dev.
 */
static int listen_on_device(struct cp_env *env, const struct rdma_choice *ch,
			    struct cm_state *st, struct sockaddr_in *sin)
{
	struct ifaddrs *ifs, *i;
	int ret = -ENODEV;

	if (getifaddrs(&ifs)) {
		cp_why(env, "getifaddrs: %s", strerror(errno));
		return -EIO;
	}
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP))
			continue;
		if (rdma_create_id(st->chan, &st->listener, NULL, RDMA_PS_TCP)) {
			cp_why(env, "rdma_create_id: %s", strerror(errno));
			ret = -EIO;
			break;
		}
		memcpy(sin, i->ifa_addr, sizeof(*sin));
		sin->sin_port = 0;
		if (!rdma_bind_addr(st->listener, (struct sockaddr *)sin) &&
		    st->listener->verbs &&
		    !strcmp(ibv_get_device_name(st->listener->verbs->device), ch->dev)) {
			inet_ntop(AF_INET, &sin->sin_addr, st->addr, sizeof(st->addr));
			ret = 0;
			break;
		}
		rdma_destroy_id(st->listener);
		st->listener = NULL;
	}
	freeifaddrs(ifs);
	if (ret == -ENODEV)
		cp_why(env, "rdma_cm maps none of this host's IPv4 addresses to %s: its netdev "
		       "(`rdma link show`) needs an IPv4 address and a non-zero MAC, which lo "
		       "lacks (scripts/setup-rdma puts siw on a dummy netdev)", ch->dev);
	if (ret)
		return ret;
	if (rdma_listen(st->listener, 1)) {
		cp_why(env, "rdma_listen on %s: %s", st->addr, strerror(errno));
		return -EIO;
	}
	sin->sin_port = rdma_get_src_port(st->listener);
	return 0;
}

static int make_qp(struct cp_env *env, struct rdma_link *l, struct rdma_cm_id *id,
		   const char *who)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = l->cq,
		.recv_cq = l->cq,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};

	if (id->verbs != l->ctx) {
		cp_why(env, "rdma_cm put the %s on %s, not %s", who,
		       ibv_get_device_name(id->verbs->device),
		       ibv_get_device_name(l->ctx->device));
		return -EIO;
	}
	if (rdma_create_qp(id, l->pd, &ia)) {
		cp_why(env, "rdma_create_qp (%s): %s", who, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int connect_pair(struct cp_env *env, struct rdma_link *l, struct cm_state *st,
			struct sockaddr_in *dst)
{
	struct rdma_conn_param cp = {
		.responder_resources = 1,
		.initiator_depth = 1,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};
	double end = now() + cp_wait_bound(env);
	int ms = cp_wait_bound(env) * 1000, ret;

	if (rdma_create_id(st->chan, &st->client, NULL, RDMA_PS_TCP)) {
		cp_why(env, "rdma_create_id: %s", strerror(errno));
		return -EIO;
	}
	if (rdma_resolve_addr(st->client, NULL, (struct sockaddr *)dst, ms)) {
		cp_why(env, "rdma_resolve_addr(%s): %s", st->addr, strerror(errno));
		return -EIO;
	}
	ret = wait_event(env, st, RDMA_CM_EVENT_ADDR_RESOLVED, end, NULL);
	if (ret)
		return ret;
	if (rdma_resolve_route(st->client, ms)) {
		cp_why(env, "rdma_resolve_route(%s): %s", st->addr, strerror(errno));
		return -EIO;
	}
	ret = wait_event(env, st, RDMA_CM_EVENT_ROUTE_RESOLVED, end, NULL);
	if (!ret)
		ret = make_qp(env, l, st->client, "requester");
	if (ret)
		return ret;
	if (rdma_connect(st->client, &cp)) {
		cp_why(env, "rdma_connect(%s): %s", st->addr, strerror(errno));
		return -EIO;
	}
	ret = wait_event(env, st, RDMA_CM_EVENT_CONNECT_REQUEST, end, &st->server);
	if (!ret)
		ret = make_qp(env, l, st->server, "responder");
	if (ret)
		return ret;
	if (rdma_accept(st->server, &cp)) {
		cp_why(env, "rdma_accept(%s): %s", st->addr, strerror(errno));
		return -EIO;
	}
	/* Both ends report ESTABLISHED, in either order. */
	ret = wait_event(env, st, RDMA_CM_EVENT_ESTABLISHED, end, NULL);
	if (!ret)
		ret = wait_event(env, st, RDMA_CM_EVENT_ESTABLISHED, end, NULL);
	return ret;
}

int rdma_cm_link(struct cp_env *env, const struct rdma_choice *ch, struct rdma_link *l)
{
	struct cm_state *st = calloc(1, sizeof(*st));
	struct sockaddr_in sin;
	int ret;

	memset(l, 0, sizeof(*l));
	if (!st) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	l->cm = st;
	l->iwarp = true;
	st->chan = rdma_create_event_channel();
	if (!st->chan) {
		ret = errno ? -errno : -EIO;
		cp_why(env, "rdma_create_event_channel: %s", strerror(-ret));
		goto fail;
	}
	ret = listen_on_device(env, ch, st, &sin);
	if (ret)
		goto fail;
	/* librdmacm opened the device: the PD and CQ must live on that context. */
	l->ctx = st->listener->verbs;
	l->pd = ibv_alloc_pd(l->ctx);
	l->cq = l->pd ? ibv_create_cq(l->ctx, 8, NULL, NULL, 0) : NULL;
	if (!l->cq) {
		cp_why(env, "ibv_alloc_pd/ibv_create_cq(%s): %s", ch->dev, strerror(errno));
		ret = -EIO;
		goto fail;
	}
	ret = connect_pair(env, l, st, &sin);
	if (ret)
		goto fail;
	l->requester = st->client->qp;
	l->responder = st->server->qp;
	json_object_object_add(cp_evidence(env), "rdma_cm_addr", json_object_new_string(st->addr));
	return 0;
fail:
	rdma_cm_unlink(l);
	return ret;
}

void rdma_cm_unlink(struct rdma_link *l)
{
	struct cm_state *st = l->cm;

	if (!st)
		return;
	/* QPs first (they hold the CQ and PD), then the ids, then what they used. */
	if (st->client && st->client->qp)
		rdma_destroy_qp(st->client);
	if (st->server && st->server->qp)
		rdma_destroy_qp(st->server);
	if (l->cq)
		ibv_destroy_cq(l->cq);
	if (l->pd)
		ibv_dealloc_pd(l->pd);
	if (st->client)
		rdma_destroy_id(st->client);
	if (st->server)
		rdma_destroy_id(st->server);
	if (st->listener)
		rdma_destroy_id(st->listener);
	if (st->chan)
		rdma_destroy_event_channel(st->chan);
	free(st);
	memset(l, 0, sizeof(*l));
}

#endif
