// SPDX-License-Identifier: GPL-2.0-only
/*
 * Finding vivid's video output and video capture nodes: the ones named on
 * the command line, or else the first pair of vivid nodes (by the driver
 * name VIDIOC_QUERYCAP reports) that belong to the same instance.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "consumer.h"
#include "vivid.h"

#define SCAN_NODES 64
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

/* A node named by the user: it must be vivid's and of the right kind. */
static int open_named(struct cp_env *env, const char *path, __u32 want,
		      const char *what, struct vivid_node *n)
{
	__u32 caps = 0;
	int ret = node_open(path, n, &caps);

	if (ret == -ENOTTY)
		cp_why(env, "%s (%s) is not a vivid node: the loopback needs vivid's %s", path,
		       what, what);
	else if (ret)
		cp_why(env, "cannot open %s (%s): %s", path, what, strerror(-ret));
	else if (!(caps & want))
		cp_why(env, "%s is not a single-planar video %s node (device caps 0x%08x)",
		       path, what, caps);
	else
		return 0;
	node_close(n);
	return ret ? (ret == -ENOENT ? -ENODEV : ret) : -ENODEV;
}

/* Scan /dev/video*: pair the first vivid output with a capture of the same instance. */
static int scan(struct cp_env *env, struct vivid_loop *v)
{
	struct vivid_node outs[SCAN_NODES], caps[SCAN_NODES];
	int nout = 0, ncap = 0, nv4l2 = 0, i, j, ret = -ENODEV;
	char path[32];

	for (i = 0; i < SCAN_NODES; i++) {
		struct vivid_node n;
		__u32 c = 0;
		int r;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		r = node_open(path, &n, &c);
		if (r == -ENOENT)
			continue;
		nv4l2++;
		if (r) {
			node_close(&n);
			continue;
		}
		if ((c & V4L2_CAP_VIDEO_OUTPUT) && nout < SCAN_NODES)
			outs[nout++] = n;
		else if ((c & V4L2_CAP_VIDEO_CAPTURE) && ncap < SCAN_NODES)
			caps[ncap++] = n;
		else
			node_close(&n);
	}
	for (i = 0; i < nout && ret; i++)
		for (j = 0; j < ncap && ret; j++)
			if (!strcmp(outs[i].bus_info, caps[j].bus_info)) {
				v->out = outs[i];
				v->cap = caps[j];
				outs[i].fd = caps[j].fd = -1;
				ret = 0;
			}
	for (i = 0; i < nout; i++)
		node_close(&outs[i]);
	for (j = 0; j < ncap; j++)
		node_close(&caps[j]);
	if (!ret)
		return 0;
	if (!nv4l2)
		cp_why(env, "no vivid device: no /dev/video* nodes; %s", SETUP_HINT);
	else if (!nout && !ncap)
		cp_why(env, "no vivid device among %d /dev/video* nodes; %s", nv4l2, SETUP_HINT);
	else if (!nout)
		cp_why(env, "vivid has no single-planar video output node; reload it: %s",
		       SETUP_HINT);
	else
		cp_why(env, "vivid has no video capture node on the same instance as its output; "
		       "reload it: %s", SETUP_HINT);
	return -ENODEV;
}

int vivid_nodes_open(struct cp_env *env, const char *out_path, const char *cap_path,
		     struct vivid_loop *v)
{
	int ret;

	v->out.fd = v->cap.fd = -1;
	if (!out_path && !cap_path)
		return scan(env, v);
	if (!out_path || !cap_path) {
		cp_why(env, "name both nodes (--video-output and --video-capture) or neither");
		return -EINVAL;
	}
	ret = open_named(env, out_path, V4L2_CAP_VIDEO_OUTPUT, "video output", &v->out);
	if (ret)
		return ret;
	ret = open_named(env, cap_path, V4L2_CAP_VIDEO_CAPTURE, "video capture", &v->cap);
	if (ret) {
		node_close(&v->out);
		return ret;
	}
	if (strcmp(v->out.bus_info, v->cap.bus_info)) {
		cp_why(env, "%s (%s) and %s (%s) are different vivid instances: the loopback "
		       "stays inside one", out_path, v->out.bus_info, cap_path, v->cap.bus_info);
		vivid_nodes_close(v);
		return -ENODEV;
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
		cp_why(env, "%s has no USERPTR I/O (vivid allocators=1 selects dma-contig); "
		       "reload vivid without allocators=1", v->out.path);
		return -ENODEV;
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
