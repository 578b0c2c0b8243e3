// SPDX-License-Identifier: GPL-2.0-only
/*
 * Finding vivid's video output and video capture nodes: the ones named on
 * the command line, or else the first vivid instance with both, by the
 * names vivid gives them in sysfs ("vivid-NNN-vid-out", "vivid-NNN-vid-cap").
 * The probe only looks (sysfs, /dev); open() then checks with
 * VIDIOC_QUERYCAP that the nodes answer as vivid's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "consumer.h"
#include "procfs.h"
#include "vivid.h"

#define V4L_CLASS "/sys/class/video4linux"
#define SETUP_HINT "modprobe vivid n_devs=1 node_types=0x101 (or scripts/setup-vivid up)"

int vivid_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static __u32 node_caps(const struct v4l2_capability *c)
{
	return (c->capabilities & V4L2_CAP_DEVICE_CAPS) ? c->device_caps : c->capabilities;
}

/* Open path and describe it; -errno on failure (node left closed). */
static int node_open(const char *path, struct vivid_node *n, __u32 *caps)
{
	struct v4l2_capability c;
	int ret;

	memset(n, 0, sizeof(*n));
	/* Non-blocking: every wait for a frame is a bounded poll(). */
	n->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->fd < 0)
		return -errno;
	memset(&c, 0, sizeof(c));
	ret = vivid_ioctl(n->fd, VIDIOC_QUERYCAP, &c);
	if (ret) {
		close(n->fd);
		n->fd = -1;
		return ret;
	}
	snprintf(n->path, sizeof(n->path), "%s", path);
	snprintf(n->bus_info, sizeof(n->bus_info), "%s", (char *)c.bus_info);
	snprintf(n->card, sizeof(n->card), "%s", (char *)c.card);
	n->version = c.version;
	*caps = node_caps(&c);
	return strcmp((char *)c.driver, "vivid") ? -ENOTTY : 0;
}

static void node_close(struct vivid_node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

/* A node the probe found: it must answer as vivid's, of the right kind. */
static int open_found(struct cp_env *env, const char *path, __u32 want,
		      const char *what, struct vivid_node *n)
{
	__u32 caps = 0;
	int ret = node_open(path, n, &caps);

	if (ret == -ENOTTY)
		cp_why(env, "%s (%s) does not answer VIDIOC_QUERYCAP as vivid", path, what);
	else if (ret)
		cp_why(env, "cannot open %s (%s): %s", path, what, strerror(-ret));
	else if (!(caps & want))
		cp_why(env, "%s is not a single-planar video %s node (device caps 0x%08x)",
		       path, what, caps);
	else
		return 0;
	node_close(n);
	return ret ? ret : -EINVAL;
}

/* sysfs name of /dev/videoN ("vivid-000-vid-out"), or "" */
static void sysfs_name(const char *dev, char *name, size_t len)
{
	const char *base = strrchr(dev, '/');
	char path[128];

	snprintf(path, sizeof(path), V4L_CLASS "/%s/name", base ? base + 1 : dev);
	if (cp_read_text(path, name, len))
		name[0] = '\0';
}

/* Instance of a vivid node named "vivid-NNN-<kind>", or -1. */
static int vivid_inst(const char *name, const char *kind)
{
	int inst, n = 0;

	if (sscanf(name, "vivid-%d-%n", &inst, &n) != 1 || !n || strcmp(name + n, kind))
		return -1;
	return inst;
}

/* Element inst of vivid's array parameter ("0,0,1,..."), or -1 if unreadable. */
static long vivid_param(const char *param, int inst)
{
	char path[128], buf[512];
	const char *p = buf;

	snprintf(path, sizeof(path), "/sys/module/vivid/parameters/%s", param);
	if (cp_read_text(path, buf, sizeof(buf)))
		return -1;
	for (int i = 0; i < inst && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return p ? strtol(p, NULL, 0) : -1;
}

/* The first vivid instance with both nodes in sysfs: "/dev/videoN" paths. */
static int sysfs_pair(struct cp_env *env, char *out, char *cap, size_t len)
{
	DIR *d = opendir(V4L_CLASS);
	struct dirent *e = NULL;
	int best = -1, inst;
	char name[64];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "video", 5))
			continue;
		sysfs_name(e->d_name, name, sizeof(name));
		inst = vivid_inst(name, "vid-out");
		if (inst >= 0 && (best < 0 || inst < best)) {
			best = inst;
			snprintf(out, len, "/dev/%s", e->d_name);
		}
	}
	if (best >= 0)
		rewinddir(d);
	while (best >= 0 && (e = readdir(d))) {
		sysfs_name(e->d_name, name, sizeof(name));
		if (!strncmp(e->d_name, "video", 5) && vivid_inst(name, "vid-cap") == best) {
			snprintf(cap, len, "/dev/%s", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	if (best >= 0 && e)
		return best;
	if (best >= 0)
		cp_why(env, "vivid instance %d has no video capture node in " V4L_CLASS
		       " (vivid-%03d-vid-cap); reload it: %s", best, best, SETUP_HINT);
	else if (access("/sys/module/vivid", F_OK))
		cp_why(env, "no vivid device: /sys/module/vivid is missing (not loaded); %s",
		       SETUP_HINT);
	else
		cp_why(env, "no vivid device with a video output node in " V4L_CLASS
		       " (vivid-NNN-vid-out); reload it: %s", SETUP_HINT);
	return -ENODEV;
}

/* The instance of the nodes the user named, from their sysfs names. */
static int named_pair(struct cp_env *env, const char *out, const char *cap)
{
	char on[64], cn[64];
	int inst;

	sysfs_name(out, on, sizeof(on));
	sysfs_name(cap, cn, sizeof(cn));
	inst = vivid_inst(on, "vid-out");
	if (inst < 0) {
		cp_why(env, "--video-output %s is not vivid's video output (" V4L_CLASS
		       " name \"%s\"); %s", out, on, SETUP_HINT);
		return -ENODEV;
	}
	if (vivid_inst(cn, "vid-cap") != inst) {
		cp_why(env, "--video-capture %s is not the video capture of vivid instance %d "
		       "(" V4L_CLASS " name \"%s\"): the loopback stays inside one", cap, inst, cn);
		return -ENODEV;
	}
	return inst;
}

/*
 * The probe's look, again in open: which nodes, and whether this vivid
 * instance can loop a USERPTR buffer at all.  Only sysfs and /dev: nothing
 * is opened.  -ENODEV + cp_why() = absent, with how to get it.
 */
int vivid_nodes_find(struct cp_env *env, const char *out_path, const char *cap_path,
		     char *out, char *cap, size_t len)
{
	int inst;

	if (!out_path != !cap_path) {
		cp_why(env, "name both nodes (--video-output and --video-capture) or neither");
		return -EINVAL;
	}
	if (out_path) {
		snprintf(out, len, "%s", out_path);
		snprintf(cap, len, "%s", cap_path);
		inst = named_pair(env, out, cap);
	} else {
		inst = sysfs_pair(env, out, cap, len);
	}
	if (inst < 0)
		return inst;
	if (vivid_param("allocators", inst) > 0) {
		cp_why(env, "vivid instance %d uses allocators=1 (dma-contig), which has no USERPTR "
		       "I/O; reload vivid without allocators=1", inst);
		return -ENODEV;
	}
	if (vivid_param("multiplanar", inst) == 2) {
		cp_why(env, "vivid instance %d is multi-planar (multiplanar=2); the loopback uses "
		       "single-planar buffers: reload vivid with multiplanar=1", inst);
		return -ENODEV;
	}
	for (int i = 0; i < 2; i++) {
		const char *p = i ? cap : out;

		if (access(p, R_OK | W_OK)) {
			cp_why(env, "no vivid device to use: %s: %s%s", p, strerror(errno),
			       errno == ENOENT ? " (its sysfs entry exists: no devtmpfs/udev?)" :
			       " (root or the video group)");
			return -ENODEV;
		}
	}
	return 0;
}

/* Open what vivid_nodes_find() names: the probe found it, so failing now is an error. */
int vivid_nodes_open(struct cp_env *env, const char *out_path, const char *cap_path,
		     struct vivid_loop *v)
{
	char out[32], cap[32];
	int ret;

	v->out.fd = v->cap.fd = -1;
	ret = vivid_nodes_find(env, out_path, cap_path, out, cap, sizeof(out));
	if (ret)
		return ret;
	ret = open_found(env, out, V4L2_CAP_VIDEO_OUTPUT, "video output", &v->out);
	if (ret)
		return ret;
	ret = open_found(env, cap, V4L2_CAP_VIDEO_CAPTURE, "video capture", &v->cap);
	if (ret) {
		node_close(&v->out);
		return ret;
	}
	if (strcmp(v->out.bus_info, v->cap.bus_info)) {
		cp_why(env, "%s (%s) and %s (%s) are different vivid instances: the loopback "
		       "stays inside one", out, v->out.bus_info, cap, v->cap.bus_info);
		vivid_nodes_close(v);
		return -EINVAL;
	}
	return 0;
}

void vivid_nodes_close(struct vivid_loop *v)
{
	node_close(&v->out);
	node_close(&v->cap);
}

/*
 * REQBUFS(0) checks a queue without allocating: EINVAL = no such I/O mode,
 * EBUSY = another file handle owns the queue's buffers.
 */
static int reqbufs0(struct vivid_node *n, __u32 type, __u32 memory)
{
	struct v4l2_requestbuffers rb = { .count = 0, .type = type, .memory = memory };

	return vivid_ioctl(n->fd, VIDIOC_REQBUFS, &rb);
}

/*
 * USERPTR on the output queue needs vivid's default vmalloc allocator, and
 * both queues must be free.  A previous test process that was killed may
 * still be leaving the kernel with them: wait for it, bounded.
 */
int vivid_out_userptr_check(struct cp_env *env, struct vivid_loop *v)
{
	double until = vivid_now() + cp_wait_bound(env), t0 = vivid_now();
	struct vivid_node *busy;
	int ret;

	for (;;) {
		busy = &v->out;
		ret = reqbufs0(busy, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_USERPTR);
		if (!ret) {
			busy = &v->cap;
			ret = reqbufs0(busy, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_MMAP);
		}
		if (ret != -EBUSY || vivid_now() > until)
			break;
		usleep(250000);
	}
	if (ret == -EINVAL && busy == &v->out) {
		cp_why(env, "%s has no USERPTR I/O though vivid's allocators parameter says "
		       "vmalloc", v->out.path);
		return -EOPNOTSUPP;
	}
	if (ret == -EBUSY) {
		cp_why(env, "%s stayed busy for %.0f s: another process owns its buffers",
		       busy->path, vivid_now() - t0);
		return -EBUSY;
	}
	if (ret) {
		cp_why(env, "VIDIOC_REQBUFS(0) on %s: %s", busy->path, strerror(-ret));
		return ret;
	}
	if (vivid_now() - t0 > 0.5)
		cp_diag(env, "v4l2: waited %.1f s for another owner to release vivid's queues",
			vivid_now() - t0);
	return 0;
}
