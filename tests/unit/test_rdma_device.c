// SPDX-License-Identifier: GPL-2.0-only
/*
 * A verbs device that is there but fails is an error, never a skip: the
 * libibverbs calls rdma-device.c makes are replaced here (the test's own
 * definitions win over libibverbs.so's at link time) by a device list with
 * one device whose open or query fails.  The real rdma-rxe consumer must
 * then probe clean (no skip) and its test end in "error"; a failing device
 * that cannot be the kind asked for, or no device at all, stays a skip.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "result.h"
#include "runner.h"
#include "utap.h"

enum fake { NONE, OPEN_FAILS, QUERY_FAILS };

static struct ibv_device dev;
static struct ibv_device *devs[2];
static enum fake how;
static int ctx_dummy;

struct ibv_device **ibv_get_device_list(int *n)
{
	devs[0] = how == NONE ? NULL : &dev;
	devs[1] = NULL;
	*n = how == NONE ? 0 : 1;
	return devs;
}

void ibv_free_device_list(struct ibv_device **list)
{
	(void)list;
}

const char *ibv_get_device_name(struct ibv_device *d)
{
	return d->name;
}

struct ibv_context *ibv_open_device(struct ibv_device *d)
{
	(void)d;
	if (how == OPEN_FAILS) {
		errno = EIO;
		return NULL;
	}
	return (struct ibv_context *)&ctx_dummy;
}

int ibv_query_device(struct ibv_context *c, struct ibv_device_attr *a)
{
	(void)c;
	(void)a;
	errno = ENODEV;
	return ENODEV;
}

int ibv_close_device(struct ibv_context *c)
{
	(void)c;
	return 0;
}

/* A fake device: name, transport and a sysfs path made under dir (virtual or PCI-like). */
static void fake(enum fake f, const char *dir, bool virt, enum ibv_transport_type tr)
{
	char cmd[PATH_MAX + 64];

	how = f;
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "%s", tr == IBV_TRANSPORT_IWARP ? "siw0" : "rxe0");
	snprintf(dev.ibdev_path, sizeof(dev.ibdev_path), "%s/%s/infiniband/%s", dir,
		 virt ? "devices/virtual" : "devices/pci0000:00/0000:00:03.0", dev.name);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dev.ibdev_path);
	if (system(cmd))
		fprintf(stderr, "cannot make %s\n", dev.ibdev_path);
	dev.transport_type = tr;
	dev.node_type = tr == IBV_TRANSPORT_IWARP ? IBV_NODE_RNIC : IBV_NODE_CA;
}

static int probe(const char *consumer, char *why, size_t len)
{
	struct cp_settings s = { .backing.tmpdir = "/var/tmp", .timeout_s = 20 };

	return cp_probe_consumer(cp_consumer_find(consumer), &s, why, len);
}

/* The test's verdict and reason through the real consumer. */
static const char *run(const char *consumer, char *reason, size_t len)
{
	static char verdict[16];
	struct cp_settings s = { .backing.tmpdir = "/var/tmp", .timeout_s = 20 };
	struct cp_test t = { .ops = cp_consumer_find(consumer), .backing = CP_B_ANON, .kase = CP_CASE_RELIABLE };
	struct json_object *r = cp_check_run(&t, &s);

	snprintf(verdict, sizeof(verdict), "%s", cp_result_str(r, "verdict"));
	snprintf(reason, len, "%s", cp_result_str(r, "reason"));
	json_object_put(r);
	return verdict;
}

int main(void)
{
	char dir[] = "/tmp/cowpin-rdma-XXXXXX", why[1024], reason[1024], cmd[64];
	const char *v;

	utap_plan(7);
	if (!mkdtemp(dir))
		return 1;
	fake(OPEN_FAILS, dir, true, IBV_TRANSPORT_IB);
	ok(!probe("rdma-rxe", why, sizeof(why)), "an rxe that fails to open probes present (no skip): %s", why);
	v = run("rdma-rxe", reason, sizeof(reason));
	ok(!strcmp(v, "error") && strstr(reason, "ibv_open_device(rxe0)"), "and its test is an error: %s: %s", v,
	   reason);
	fake(QUERY_FAILS, dir, true, IBV_TRANSPORT_IB);
	v = run("rdma-rxe", reason, sizeof(reason));
	ok(!probe("rdma-rxe", why, sizeof(why)) && !strcmp(v, "error") && strstr(reason, "ibv_query_device(rxe0)"),
	   "an rxe that fails ibv_query_device is an error: %s: %s", v, reason);
	fake(OPEN_FAILS, dir, true, IBV_TRANSPORT_IWARP);
	v = run("rdma-siw", reason, sizeof(reason));
	ok(!probe("rdma-siw", why, sizeof(why)) && !strcmp(v, "error"), "a siw that fails to open is an error: %s: %s",
	   v, reason);
	ok(probe("rdma-rxe", why, sizeof(why)) && !strstr(why, "siw0"),
	   "a failing iWARP device is no rxe: rdma-rxe still skips: %s", why);
	fake(OPEN_FAILS, dir, false, IBV_TRANSPORT_IB);
	ok(probe("rdma-rxe", why, sizeof(why)) && !probe("rdma-hca", reason, sizeof(reason)),
	   "a failing PCI device is no rxe (skip: %s) but may be an HCA (error)", why);
	fake(NONE, dir, true, IBV_TRANSPORT_IB);
	ok(probe("rdma-rxe", why, sizeof(why)) == -ENODEV, "no device at all is a skip: %s", why);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return utap_done();
}
