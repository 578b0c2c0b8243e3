// SPDX-License-Identifier: GPL-2.0-only
/*
 * The two queues.  Output: one USERPTR buffer (index 0), the buffer under
 * test; QBUF pins it, and re-queueing the same pointer and length reuses
 * that pin (videobuf2 re-acquires user memory only when they change).
 * Capture: a few MMAP buffers that vivid fills.
 *
 * Why a grabbed frame shows the output buffer's content at grab time:
 * vivid's output thread retires a buffer only while another one is
 * pending, so our single buffer stays at the head of its active list for
 * as long as the output streams, and every capture tick copies from it
 * through the pin.  Both queues are started in vivid_grab(), after the
 * caller's last write, output first (vivid decides whether it can loop
 * when the second queue starts), so even the first captured frame is
 * filled after the write; vivid_stop() stops both, so no frame filled
 * earlier can be returned by a later grab.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "consumer.h"
#include "vivid.h"

double vivid_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int vivid_cap_alloc(struct cp_env *env, struct vivid_loop *v)
{
	struct v4l2_requestbuffers rb = {
		.count = VIVID_CAP_BUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int ret = vivid_ioctl(v->cap.fd, VIDIOC_REQBUFS, &rb);

	if (ret) {
		cp_why(env, "VIDIOC_REQBUFS(%d, MMAP) on %s: %s", VIVID_CAP_BUFS, v->cap.path,
		       strerror(-ret));
		return ret;
	}
	v->ncap = 0;
	for (unsigned int i = 0; i < rb.count && i < VIVID_CAP_BUFS; i++) {
		struct v4l2_buffer b = {
			.index = i,
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};
		void *p;

		ret = vivid_ioctl(v->cap.fd, VIDIOC_QUERYBUF, &b);
		if (ret) {
			cp_why(env, "VIDIOC_QUERYBUF %u on %s: %s", i, v->cap.path, strerror(-ret));
			goto fail;
		}
		if (b.length < v->pix.sizeimage) {
			cp_why(env, "capture buffer %u holds %u bytes, frame is %u", i, b.length,
			       v->pix.sizeimage);
			ret = -EINVAL;
			goto fail;
		}
		/* Writable too: each buffer is poisoned before it is queued. */
		p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, v->cap.fd,
			 b.m.offset);
		if (p == MAP_FAILED) {
			ret = -errno;
			cp_why(env, "mmap of capture buffer %u: %s", i, strerror(errno));
			goto fail;
		}
		v->capbuf[i].addr = p;
		v->capbuf[i].len = b.length;
		v->ncap = i + 1;
	}
	if (!v->ncap) {
		cp_why(env, "%s allocated no capture buffers", v->cap.path);
		ret = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	vivid_cap_free(v);
	return ret;
}

void vivid_cap_free(struct vivid_loop *v)
{
	struct v4l2_requestbuffers rb = {
		.count = 0,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};

	for (unsigned int i = 0; i < v->ncap; i++)
		munmap(v->capbuf[i].addr, v->capbuf[i].len);
	v->ncap = 0;
	if (v->cap.fd >= 0)
		vivid_ioctl(v->cap.fd, VIDIOC_REQBUFS, &rb);
}

/* One USERPTR buffer slot on the output queue; no memory is pinned yet. */
int vivid_out_reqbufs(struct cp_env *env, struct vivid_loop *v)
{
	struct v4l2_requestbuffers rb = {
		.count = 1,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_USERPTR,
	};
	int ret;

	if (v->out_reqbufs)
		return 0;
	ret = vivid_ioctl(v->out.fd, VIDIOC_REQBUFS, &rb);
	if (ret) {
		cp_why_error(env, "VIDIOC_REQBUFS(1, USERPTR) on %s: %s", v->out.path,
			     strerror(-ret));
		return ret;
	}
	v->out_reqbufs = true;
	v->out_qbufs = 0;
	return 0;
}

/*
 * Queue [ptr, ptr+len) as output buffer 0.  The first QBUF pins it; a
 * refusal is the kernel's answer to the pin and comes back as its -errno
 * (cp_why()).  Whatever fails before QBUF is not the kernel refusing the
 * pin: cp_why_error().
 */
int vivid_out_qbuf(struct cp_env *env, struct vivid_loop *v, void *ptr, size_t len)
{
	struct v4l2_buffer b = {
		.index = 0,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_USERPTR,
		.field = v->pix.field,
		.bytesused = v->pix.sizeimage,
	};
	int ret;

	if (len > UINT32_MAX || len < v->pix.sizeimage) {
		cp_why_error(env, "a %zu-byte buffer cannot carry a %u-byte frame as one "
			     "USERPTR plane", len, v->pix.sizeimage);
		return -EINVAL;
	}
	ret = vivid_out_reqbufs(env, v);
	if (ret)
		return ret;
	b.m.userptr = (unsigned long)ptr;
	b.length = len;
	ret = vivid_ioctl(v->out.fd, VIDIOC_QBUF, &b);
	if (ret) {
		cp_why(env, "VIDIOC_QBUF of the USERPTR buffer (%zu bytes at %p) on %s: %s",
		       len, ptr, v->out.path, strerror(-ret));
		return ret;
	}
	v->out_queued = true;
	v->out_ptr = (unsigned long)ptr;
	v->out_len = len;
	v->out_qbufs++;
	return 0;
}

/* Stop and free the output queue: drops the pin. */
void vivid_out_free(struct vivid_loop *v)
{
	struct v4l2_requestbuffers rb = {
		.count = 0,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_USERPTR,
	};

	vivid_stop(v);
	if (v->out_reqbufs && v->out.fd >= 0)
		vivid_ioctl(v->out.fd, VIDIOC_REQBUFS, &rb);
	v->out_reqbufs = false;
	v->out_queued = false;
}

void vivid_stop(struct vivid_loop *v)
{
	int type;

	if (!v->streaming)
		return;
	/* Capture first: no tick may copy from an output buffer being returned. */
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	vivid_ioctl(v->cap.fd, VIDIOC_STREAMOFF, &type);
	type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	vivid_ioctl(v->out.fd, VIDIOC_STREAMOFF, &type);
	/* STREAMOFF hands every buffer back, the output one still pinned. */
	v->out_queued = false;
	v->streaming = false;
}

/*
 * Poison capture buffer i, then queue it: a frame vivid did not write
 * shows as poison (neither pattern A, nor B, nor zeros), never as an
 * earlier capture that happened to hold the expected bytes.
 */
static int cap_qbuf(struct vivid_loop *v, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};

	memset(v->capbuf[i].addr, VIVID_CAP_POISON, v->capbuf[i].len);
	return vivid_ioctl(v->cap.fd, VIDIOC_QBUF, &b);
}

static int start(struct cp_env *env, struct vivid_loop *v)
{
	int type, ret;

	v->streaming = true;	/* from here on, vivid_stop() undoes whatever started */
	type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	ret = vivid_ioctl(v->out.fd, VIDIOC_STREAMON, &type);
	if (ret) {
		cp_why(env, "VIDIOC_STREAMON on %s: %s", v->out.path, strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < v->ncap; i++) {
		ret = cap_qbuf(v, i);
		if (ret) {
			cp_why(env, "VIDIOC_QBUF capture buffer %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ret = vivid_ioctl(v->cap.fd, VIDIOC_STREAMON, &type);
	if (ret)
		cp_why(env, "VIDIOC_STREAMON on %s: %s", v->cap.path, strerror(-ret));
	return ret;
}

/*
 * Start both queues and return the first complete captured frame.  The
 * output buffer must be queued.  The frame stays valid until vivid_stop().
 */
int vivid_grab(struct cp_env *env, struct vivid_loop *v, const unsigned char **frame)
{
	double bound = cp_wait_bound(env), t0, left;
	struct pollfd pfd = { .fd = v->cap.fd, .events = POLLIN };
	int ret;

	if (!v->out_queued) {
		cp_why(env, "internal: output buffer not queued before streaming");
		return -EINVAL;
	}
	ret = start(env, v);
	if (ret)
		return ret;
	t0 = vivid_now();
	while ((left = t0 + bound - vivid_now()) > 0) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};

		ret = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			cp_why(env, "poll on %s: %s", v->cap.path, strerror(errno));
			return ret;
		}
		if (ret <= 0)
			continue;
		ret = vivid_ioctl(v->cap.fd, VIDIOC_DQBUF, &b);
		if (ret == -EAGAIN)
			continue;
		if (ret) {
			cp_why(env, "VIDIOC_DQBUF on %s: %s", v->cap.path, strerror(-ret));
			return ret;
		}
		if ((b.flags & V4L2_BUF_FLAG_ERROR) || b.bytesused < v->pix.sizeimage ||
		    b.index >= v->ncap) {
			/* vivid's error injection or a short frame: take the next one */
			cp_diag(env, "v4l2: skipped capture buffer %u (flags 0x%x, %u bytes)",
				b.index, b.flags, b.bytesused);
			if (b.index < v->ncap)
				cap_qbuf(v, b.index);
			continue;
		}
		v->cap_index = b.index;
		v->sequence = b.sequence;
		v->frame_wait = vivid_now() - t0;
		*frame = v->capbuf[b.index].addr;
		return 0;
	}
	cp_why(env, "no frame from %s within %.1f s of STREAMON", v->cap.path, bound);
	return -ETIMEDOUT;
}
