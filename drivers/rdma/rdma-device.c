// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which verbs device, port and GID a test runs on.
 *
 * An rxe is told from a siw and from hardware by the vendor ID the driver
 * reports (RXE_VENDOR_ID / SIW_VENDOR_ID): the device's name is whatever
 * `rdma link add` was given, so it proves nothing.  When nothing fits, the
 * reason names what is missing and the command that provides it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "number.h"
#include "rdma.h"

/* Per kind: the kernel module, its Kconfig symbol and how to make a device. */
static const struct {
	const char *name;
	const char *module;	/* file name stem in modules.dep/modules.builtin */
	const char *config;
	const char *link_cmd;
} kinds[] = {
	[RDMA_RXE] = { "rxe", "rdma_rxe", "CONFIG_RDMA_RXE",
		       "rdma link add cowpin_rxe0 type rxe netdev lo" },
	[RDMA_SIW] = { "siw", "siw", "CONFIG_RDMA_SIW",
		       "rdma link add cowpin_siw0 type siw netdev DEV (DEV with an IPv4 address "
		       "and a MAC: not lo)" },
	[RDMA_HCA] = { "hca", NULL, NULL, NULL },
};

const char *rdma_kind_name(enum rdma_kind kind)
{
	return kinds[kind].name;
}

static enum rdma_kind kind_of(const struct ibv_device_attr *attr)
{
	if (attr->vendor_id == RDMA_RXE_VENDOR_ID)
		return RDMA_RXE;
	if (attr->vendor_id == RDMA_SIW_VENDOR_ID)
		return RDMA_SIW;
	return RDMA_HCA;
}

const char *rdma_gid_str(const union ibv_gid *gid, char *buf, size_t size)
{
	if (!inet_ntop(AF_INET6, gid->raw, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

const char *rdma_gid_type_name(uint32_t type)
{
	switch (type) {
	case IBV_GID_TYPE_IB:		return "IB";
	case IBV_GID_TYPE_ROCE_V1:	return "RoCE v1";
	case IBV_GID_TYPE_ROCE_V2:	return "RoCE v2";
	}
	return "?";
}

/*
 * Is <module>.ko listed in /lib/modules/<release>/<file>?  1 yes, 0 no,
 * -1 the list is missing (then nothing can be said about the kernel's build).
 */
static int module_listed(const char *file, const char *module)
{
	struct utsname u;
	char path[512], line[1024], pat[64];
	int found = 0;
	FILE *f;

	if (uname(&u))
		return -1;
	snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	snprintf(pat, sizeof(pat), "/%s.ko", module);
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon)
			*colon = '\0';	/* modules.dep: "path: deps" */
		found = strstr(line, pat) != NULL;
	}
	fclose(f);
	return found;
}

static bool module_loaded(const char *module)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return !stat(path, &st);
}

/* How many entries /sys/class/infiniband holds (the kernel's view, provider or not). */
static int kernel_ib_devices(void)
{
	DIR *d = opendir("/sys/class/infiniband");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Nothing of this kind: say what is missing and how to get it. */
static int why_none(struct cp_env *env, enum rdma_kind kind, int listed)
{
	const char *mod = kinds[kind].module;
	bool builtin;
	int modular;

	if (!listed && kernel_ib_devices()) {
		cp_why(env, "the kernel has RDMA devices but libibverbs lists none: "
		       "modprobe ib_uverbs, and apt-get install ibverbs-providers");
		return -ENODEV;
	}
	if (kind == RDMA_HCA) {
		cp_why(env, "no verbs device other than rxe/siw (no RDMA hardware here)");
		return -ENODEV;
	}
	builtin = module_listed("modules.builtin", mod) == 1;
	modular = module_listed("modules.dep", mod);
	if (builtin || module_loaded(mod))
		cp_why(env, "no %s device: %s (or scripts/setup-rdma up)",
		       kinds[kind].name, kinds[kind].link_cmd);
	else if (modular == 1)
		cp_why(env, "no %s device: modprobe %s && %s (or scripts/setup-rdma up)",
		       kinds[kind].name, mod, kinds[kind].link_cmd);
	else if (modular == 0)
		cp_why(env, "%s not built in this kernel (%s)", mod, kinds[kind].config);
	else
		cp_why(env, "no %s device, %s not loaded, and this kernel has no module list "
		       "in /lib/modules to look for it: is %s built? (modprobe %s && %s)",
		       kinds[kind].name, mod, kinds[kind].config, mod, kinds[kind].link_cmd);
	return -ENODEV;
}

/*
 * Which kinds a device could be, known without opening it (for one that
 * fails to open or be queried): rxe is a virtual device with the IB
 * transport (RoCE), siw an iWARP one (under its netdev's parent, so maybe
 * a PCI path, as hardware iWARP); anything else with the IB transport
 * outside /sys/devices/virtual is hardware.
 */
static unsigned int kinds_possible(struct ibv_device *d)
{
	char real[PATH_MAX];
	bool virt = realpath(d->ibdev_path, real) && strstr(real, "/devices/virtual/");

	if (d->transport_type == IBV_TRANSPORT_IWARP)
		return 1u << RDMA_SIW | (virt ? 0 : 1u << RDMA_HCA);
	return virt ? 1u << RDMA_RXE : 1u << RDMA_HCA;
}

static bool gid_v4_mapped(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

/*
 * RoCE: a GRH is mandatory, so a GID is needed.  Prefer RoCE v2 with an
 * IPv4-mapped address (routable over lo), then any RoCE v2, then RoCE v1.
 */
static int choose_gid(struct cp_env *env, struct ibv_context *ctx,
		      const struct ibv_port_attr *pa, struct rdma_choice *ch)
{
	const char *opt = cp_opt(env, "rdma-gid-index");
	int best = -1, best_rank = 0;
	struct ibv_gid_entry e;

	if (opt) {
		uint64_t i;

		if (cp_number(opt, 0, 65535, &i) || (long)i >= pa->gid_tbl_len) {
			cp_why(env, "bad --rdma-gid-index '%s' (%s port %u has %d GIDs)",
			       opt, ch->dev, ch->port, pa->gid_tbl_len);
			return -EINVAL;
		}
		if (ibv_query_gid_ex(ctx, ch->port, i, &e, 0)) {
			cp_why(env, "%s port %u: GID index %llu is empty", ch->dev, ch->port, (unsigned long long)i);
			return -ENODEV;
		}
		ch->gid_index = i;
		ch->gid = e.gid;
		ch->gid_type = e.gid_type;
		return 0;
	}
	for (int i = 0; i < pa->gid_tbl_len; i++) {
		int rank;

		if (ibv_query_gid_ex(ctx, ch->port, i, &e, 0))
			continue;	/* empty slot */
		if (e.gid_type == IBV_GID_TYPE_ROCE_V2)
			rank = gid_v4_mapped(&e.gid) ? 3 : 2;
		else
			rank = e.gid_type == IBV_GID_TYPE_ROCE_V1 ? 1 : 0;
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
			ch->gid = e.gid;
			ch->gid_type = e.gid_type;
		}
	}
	if (best < 0) {
		cp_why(env, "%s port %u: no RoCE GID (does its netdev have an IP address?); "
		       "pick one with --rdma-gid-index", ch->dev, ch->port);
		return -ENODEV;
	}
	ch->gid_index = best;
	return 0;
}

int rdma_port_check(const char *value, char *why, size_t whylen)
{
	return cp_number_check(value, 1, 255, "a port number", why, whylen);
}

int rdma_gid_index_check(const char *value, char *why, size_t whylen)
{
	return cp_number_check(value, 0, 65535, "a GID index", why, whylen);
}

static int parse_port(struct cp_env *env, int *port)
{
	const char *opt = cp_opt(env, "rdma-port");
	uint64_t p;

	*port = 0;
	if (!opt)
		return 0;
	if (cp_number(opt, 1, 255, &p)) {
		cp_why(env, "bad --rdma-port '%s' (ports count from 1)", opt);
		return -EINVAL;
	}
	*port = p;
	return 0;
}

/* Port (given or the first ACTIVE) and its address on an open device. */
static int choose_port(struct cp_env *env, struct ibv_context *ctx,
		       const struct ibv_device_attr *da, int want,
		       struct rdma_choice *ch)
{
	struct ibv_port_attr pa;
	int first = want ? want : 1, last = want ? want : da->phys_port_cnt;

	for (int p = first; p <= last; p++) {
		if (ibv_query_port(ctx, p, &pa)) {
			cp_why(env, "%s has no port %d (it has %u)", ch->dev, p,
			       da->phys_port_cnt);
			return -ENODEV;
		}
		if (pa.state != IBV_PORT_ACTIVE)
			continue;
		ch->port = p;
		ch->link_layer = pa.link_layer;
		ch->mtu = pa.active_mtu;
		ch->max_msg_sz = pa.max_msg_sz;
		ch->lid = pa.lid;
		ch->gid_index = -1;
		if (ch->transport == IBV_TRANSPORT_IWARP)
			return 0;	/* connected by IP address through rdma_cm */
		if (pa.link_layer == IBV_LINK_LAYER_ETHERNET || cp_opt(env, "rdma-gid-index"))
			return choose_gid(env, ctx, &pa, ch);
		if (!pa.lid) {
			cp_why(env, "%s port %d is ACTIVE but has LID 0 (no subnet manager?); "
			       "use a GID with --rdma-gid-index", ch->dev, p);
			return -ENODEV;
		}
		return 0;
	}
	if (want)
		cp_why(env, "%s port %d is not ACTIVE (is its netdev up?)", ch->dev, want);
	else
		cp_why(env, "%s has no ACTIVE port (is its netdev up? `rdma link show`)", ch->dev);
	return -ENODEV;
}

int rdma_choose(struct cp_env *env, enum rdma_kind kind, struct rdma_choice *ch)
{
	const char *want = cp_opt(env, "rdma-device");
	bool named = false, seen = false;
	char broken[512] = "";	/* a device that may be of this kind but fails to open or query */
	struct ibv_device **list;
	int n = 0, port, ret;

	memset(ch, 0, sizeof(*ch));
	ret = parse_port(env, &port);
	if (ret)
		return ret;
	list = ibv_get_device_list(&n);
	if (!list)
		return why_none(env, kind, 0);
	ret = -ENODEV;
	for (int i = 0; i < n; i++) {
		const char *name = ibv_get_device_name(list[i]);
		struct ibv_device_attr da;
		struct ibv_context *ctx;
		enum rdma_kind k;

		if (want && strcmp(name, want))
			continue;
		named = true;
		ctx = ibv_open_device(list[i]);
		if (!ctx || ibv_query_device(ctx, &da)) {
			int err = errno;

			/* Present but failing: an error if it may be the device asked for, never absence. */
			if (want || (kinds_possible(list[i]) & (1u << kind)))
				snprintf(broken, sizeof(broken), "%s(%s) failed: %s (%s, %s transport): a present "
					 "device that fails is an error, not an absent one",
					 ctx ? "ibv_query_device" : "ibv_open_device", name, strerror(err),
					 list[i]->ibdev_path, list[i]->transport_type == IBV_TRANSPORT_IWARP ?
					 "iWARP" : "IB/RoCE");
			if (ctx)
				ibv_close_device(ctx);
			continue;
		}
		k = kind_of(&da);
		if (k != kind) {
			if (want)
				cp_why(env, "--rdma-device %s is %s, not %s (vendor id 0x%x)",
				       want, kinds[k].name, kinds[kind].name, da.vendor_id);
			ibv_close_device(ctx);
			continue;
		}
		seen = true;
		snprintf(ch->dev, sizeof(ch->dev), "%s", name);
		ch->kind = k;
		ch->vendor_id = da.vendor_id;
		ch->vendor_part_id = da.vendor_part_id;
		ch->transport = list[i]->transport_type;
		/* The first device of the kind with a usable port wins; else the last reason stays. */
		ret = choose_port(env, ctx, &da, port, ch);
		ibv_close_device(ctx);
		if (!ret || ret == -EINVAL)
			break;
	}
	ibv_free_device_list(list);
	if (want && !named) {
		cp_why(env, "no verbs device named %s (see `ibv_devices`)", want);
		return -ENODEV;
	}
	if (ret && broken[0] && !seen) {
		cp_why(env, "%s", broken);
		ch->broken = true;
		return -EIO;
	}
	if (!seen && !want)
		return why_none(env, kind, n);
	return ret;
}
