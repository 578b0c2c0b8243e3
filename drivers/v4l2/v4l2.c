// SPDX-License-Identifier: GPL-2.0-only
/*
 * The v4l2 consumer: a video OUTPUT queue's USERPTR buffer, pinned by
 * videobuf2 at QBUF, read by vivid and looped back to its capture node.
 *
 * pin_ro   = QBUF of the buffer (the long-term pin; 6.1 takes it with
 *            FOLL_FORCE|FOLL_WRITE and refuses read-only mappings).
 * observe  = re-queue the same pointer and length if needed (vb2 keeps the
 *            pin), stream, take the first looped frame, copy the spans out
 *            of the captured frame, stop.  The process's mapping is never
 *            read: the bytes come from the device's capture buffer.
 * unpin    = STREAMOFF + REQBUFS(0), which drops the pin.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "vivid.h"

struct v4l2_ctx {
	struct vivid_loop v;
	unsigned int observes;
};

static const struct cp_option v4l2_options[] = {
	{ "video-output", "COWPIN_VIDEO_OUTPUT",
	  "vivid's video output node, e.g. /dev/video1 (default: found by driver name)", NULL },
	{ "video-capture", "COWPIN_VIDEO_CAPTURE",
	  "vivid's video capture node of the same instance, e.g. /dev/video0", NULL },
	{ NULL, NULL, NULL, NULL },
};

static void teardown(struct vivid_loop *v)
{
	vivid_out_free(v);
	vivid_cap_free(v);
	vivid_loop_restore(v);
	vivid_nodes_close(v);
}

static int setup(struct cp_env *env, struct vivid_loop *v)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = vivid_nodes_open(env, cp_opt(env, "video-output"), cp_opt(env, "video-capture"), v);
	if (ret)
		return ret;
	ret = vivid_out_userptr_check(env, v);
	if (!ret)
		ret = vivid_loop_setup(env, v);
	if (!ret)
		ret = vivid_cap_alloc(env, v);
	if (!ret)
		ret = vivid_out_reqbufs(env, v);
	if (ret)
		teardown(v);
	return ret;
}

static unsigned char calib_byte(size_t i)
{
	/* varies along and across lines, so a shifted or scaled copy shows */
	return (unsigned char)(i * 131 + (i >> 11) * 7 + 0x5a);
}

/*
 * Prove the loop byte-exact with a private, already-written buffer (a
 * writable pin on every kernel) before any verdict depends on it.
 */
static int self_test(struct cp_env *env, struct vivid_loop *v)
{
	size_t n = v->pix.sizeimage, len = (n + 4095) & ~(size_t)4095, bad = 0, first = 0;
	const unsigned char *frame;
	unsigned char *buf;
	int ret;

	buf = aligned_alloc(4096, len);
	if (!buf) {
		cp_why(env, "no memory for the loopback self-test");
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = calib_byte(i);
	ret = vivid_out_qbuf(env, v, buf, len);
	if (!ret)
		ret = vivid_grab(env, v, &frame);
	if (!ret) {
		for (size_t i = 0; i < n; i++)
			if (frame[i] != calib_byte(i) && !bad++)
				first = i;
		if (bad) {
			cp_why(env, "vivid's loopback (%s -> %s) did not reproduce a known frame: "
			       "%zu of %zu bytes differ, first at %zu (0x%02x, want 0x%02x); "
			       "is another program changing vivid's controls?", v->out.path,
			       v->cap.path, bad, n, first, frame[first], calib_byte(first));
			ret = -EIO;
		}
	}
	vivid_out_free(v);	/* unpins buf before it is freed */
	free(buf);
	return ret;
}

/* Only looks (sysfs, /dev): the device is first touched by open(). */
static int v4l2_probe(struct cp_env *env)
{
	char out[32], cap[32];

	return vivid_nodes_find(env, cp_opt(env, "video-output"), cp_opt(env, "video-capture"),
				out, cap, sizeof(out));
}

static void add_fact(struct cp_env *env, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_fact(struct cp_env *env, const char *key, const char *fmt, ...)
{
	struct json_object *ev = cp_evidence(env);
	char s[256];
	va_list ap;

	if (!ev)
		return;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	json_object_object_add(ev, key, json_object_new_string(s));
}

static int v4l2_open(struct cp_env *env, void **ctxp)
{
	struct v4l2_ctx *ctx = calloc(1, sizeof(*ctx));
	struct vivid_loop *v;
	int ret;

	if (!ctx) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	v = &ctx->v;
	/*
	 * Every test proves the loop byte-exact first: a loop that fails it
	 * is an error of each test that needed it, never a skip.
	 */
	ret = setup(env, v);
	if (!ret) {
		ret = self_test(env, v);
		if (!ret)
			ret = vivid_out_reqbufs(env, v);
		if (ret)
			teardown(v);
	}
	if (ret) {
		free(ctx);
		return ret;
	}
	add_fact(env, "video_output", "%s (%s, %s, media %u.%u.%u)", v->out.path, v->out.card,
		 v->out.bus_info, v->out.version >> 16, (v->out.version >> 8) & 0xff,
		 v->out.version & 0xff);
	add_fact(env, "video_capture", "%s (%s, %s)", v->cap.path, v->cap.card, v->cap.bus_info);
	add_fact(env, "loopback", "output %d \"%s\" -> input %d \"%s\", std 0x%llx; "
		 "\"%s\" = %d; \"%s\" = %d", v->output, v->output_name, v->input, v->input_name,
		 (unsigned long long)v->std, v->loop.name, v->loop.val, v->osd.name, v->osd.val);
	add_fact(env, "format", "%.4s %ux%u %s, %u bytes/line, sizeimage %u, both sides",
		 (char *)&v->pix.pixelformat, v->pix.width, v->pix.height,
		 v->pix.field == V4L2_FIELD_INTERLACED ? "interlaced" : "other field",
		 v->pix.bytesperline, v->pix.sizeimage);
	*ctxp = ctx;
	return 0;
}

static int v4l2_pin_ro(struct cp_env *env, void *ctxp, struct cp_pin *pin)
{
	struct v4l2_ctx *ctx = ctxp;
	double t0 = vivid_now();
	int ret;

	ret = vivid_out_qbuf(env, &ctx->v, pin->buf, pin->len);
	if (ret)
		return ret;
	cp_diag(env, "v4l2: QBUF (the pin) of %zu bytes took %.3f s", pin->len, vivid_now() - t0);
	pin->readable = ctx->v.pix.sizeimage;
	add_fact(env, "pin", "VIDIOC_QBUF USERPTR %p + %zu on the OUTPUT queue: videobuf2's "
		 "long-term pin (frame vector); the device reads the first %zu bytes", pin->buf,
		 pin->len, pin->readable);
	return 0;
}

static bool all_poison(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != VIVID_CAP_POISON)
			return false;
	return true;
}

static int v4l2_observe(struct cp_env *env, void *ctxp, struct cp_pin *pin,
			struct cp_span *spans, int nspans)
{
	struct v4l2_ctx *ctx = ctxp;
	struct vivid_loop *v = &ctx->v;
	const unsigned char *frame;
	int ret = 0;

	for (int i = 0; i < nspans; i++)
		if (spans[i].off > pin->readable || spans[i].len > pin->readable - spans[i].off) {
			cp_why(env, "span %zu+%zu lies outside the %zu-byte frame", spans[i].off,
			       spans[i].len, pin->readable);
			return -EINVAL;
		}
	/* After a previous observe the buffer is back with us: same ptr/len keeps the pin. */
	if (!v->out_queued)
		ret = vivid_out_qbuf(env, v, pin->buf, pin->len);
	if (!ret)
		ret = vivid_grab(env, v, &frame);
	for (int i = 0; !ret && i < nspans; i++) {
		if (all_poison(frame + spans[i].off, spans[i].len)) {
			cp_why(env, "capture buffer %u (frame seq %u) still holds the poison 0x%02x "
			       "at +%zu..+%zu: vivid did not write it", v->cap_index, v->sequence,
			       VIVID_CAP_POISON, spans[i].off, spans[i].off + spans[i].len);
			ret = -EIO;
			break;
		}
		memcpy(spans[i].out, frame + spans[i].off, spans[i].len);
	}
	vivid_stop(v);
	if (ret)
		return ret;
	ctx->observes++;
	cp_diag(env, "v4l2: observe %u: capture frame seq %u, %.3f s after STREAMON; "
		"output buffer queued %u times with the same pointer and length",
		ctx->observes, v->sequence, v->frame_wait, v->out_qbufs);
	add_fact(env, "output_qbufs", "%u QBUFs of %p + %u (vb2 re-pins only if they change)",
		 v->out_qbufs, (void *)v->out_ptr, v->out_len);
	return 0;
}

static void v4l2_unpin(struct cp_env *env, void *ctxp, struct cp_pin *pin)
{
	struct v4l2_ctx *ctx = ctxp;

	(void)env;
	(void)pin;
	vivid_out_free(&ctx->v);
}

static void v4l2_close(struct cp_env *env, void *ctxp)
{
	struct v4l2_ctx *ctx = ctxp;

	(void)env;
	teardown(&ctx->v);
	free(ctx);
}

const struct consumer_ops cp_v4l2_ops = {
	.name = "v4l2",
	.summary = "V4L2 USERPTR output buffer (videobuf2 pin), read back through vivid's loopback",
	.counter = CP_COUNTER_NONE,
	.writable_pin = false,
	.cases = CP_CASES_ALL,
	.backings = 0,
	.options = v4l2_options,
	.probe = v4l2_probe,
	.open = v4l2_open,
	.pin_ro = v4l2_pin_ro,
	.observe = v4l2_observe,
	.unpin = v4l2_unpin,
	.close = v4l2_close,
};
