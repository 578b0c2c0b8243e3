// SPDX-License-Identifier: GPL-2.0-only
/*
 * Routing vivid's video output into its video capture so that a captured
 * frame equals the output frame byte for byte:
 *  - capture input and output of the same analog kind (S-Video), same TV
 *    standard, same pixel format, size, field and bytesperline on both
 *    sides (vivid then copies lines without scaling or conversion);
 *  - the loop control: Linux 6.1 has the boolean "Loop Video"; newer
 *    kernels replaced it with a per-input menu "S-Video NNN-M Is Connected
 *    To" whose items name the outputs ("Output S-Video NNN-K").  Detected by
 *    name, never by kernel version;
 *  - "OSD Text Mode" = None, or vivid prints counters over the frame.
 * Everything changed is remembered and put back by vivid_loop_restore().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "consumer.h"
#include "vivid.h"

#define ANALOG_PREFIX "S-Video"

static int find_input(int fd, char *name, size_t namelen)
{
	struct v4l2_input in;

	for (__u32 i = 0; i < 64; i++) {
		memset(&in, 0, sizeof(in));
		in.index = i;
		if (vivid_ioctl(fd, VIDIOC_ENUMINPUT, &in))
			break;
		if (!strncmp((char *)in.name, ANALOG_PREFIX, strlen(ANALOG_PREFIX))) {
			snprintf(name, namelen, "%s", (char *)in.name);
			return i;
		}
	}
	return -1;
}

static int find_output(int fd, char *name, size_t namelen)
{
	struct v4l2_output out;

	for (__u32 i = 0; i < 64; i++) {
		memset(&out, 0, sizeof(out));
		out.index = i;
		if (vivid_ioctl(fd, VIDIOC_ENUMOUTPUT, &out))
			break;
		if (!strncmp((char *)out.name, ANALOG_PREFIX, strlen(ANALOG_PREFIX))) {
			snprintf(name, namelen, "%s", (char *)out.name);
			return i;
		}
	}
	return -1;
}

/* Find a control by its name; 0 and *q filled, or -ENOENT. */
static int find_ctrl(int fd, const char *name, struct v4l2_query_ext_ctrl *q)
{
	__u32 id = V4L2_CTRL_FLAG_NEXT_CTRL;

	for (int n = 0; n < 4096; n++) {
		memset(q, 0, sizeof(*q));
		q->id = id;
		if (vivid_ioctl(fd, VIDIOC_QUERY_EXT_CTRL, q))
			break;
		if (!(q->flags & V4L2_CTRL_FLAG_DISABLED) && !strcmp(q->name, name))
			return 0;
		id = q->id | V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return -ENOENT;
}

/* Index of the menu item called name, or -1 (skipped items don't enumerate). */
static int find_menu(int fd, const struct v4l2_query_ext_ctrl *q, const char *name)
{
	struct v4l2_querymenu m;

	for (__s64 i = q->minimum; i <= q->maximum; i++) {
		memset(&m, 0, sizeof(m));
		m.id = q->id;
		m.index = i;
		if (vivid_ioctl(fd, VIDIOC_QUERYMENU, &m))
			continue;
		if (!strcmp((char *)m.name, name))
			return i;
	}
	return -1;
}

static int set_ctrl(struct cp_env *env, int fd, const struct v4l2_query_ext_ctrl *q,
		    __s32 val, struct vivid_ctrl *c)
{
	struct v4l2_control ctl = { .id = q->id };
	int ret;

	c->id = q->id;
	snprintf(c->name, sizeof(c->name), "%s", q->name);
	c->val = val;
	ret = vivid_ioctl(fd, VIDIOC_G_CTRL, &ctl);
	if (ret) {
		cp_why(env, "VIDIOC_G_CTRL \"%s\": %s", q->name, strerror(-ret));
		return ret;
	}
	c->saved = ctl.value;
	if (ctl.value == val)
		return 0;
	ctl.value = val;
	ret = vivid_ioctl(fd, VIDIOC_S_CTRL, &ctl);
	if (ret) {
		cp_why(env, "VIDIOC_S_CTRL \"%s\" = %d: %s", q->name, val, strerror(-ret));
		return ret;
	}
	c->changed = true;
	return 0;
}

static void restore_ctrl(int fd, struct vivid_ctrl *c)
{
	struct v4l2_control ctl = { .id = c->id, .value = c->saved };

	if (c->changed)
		vivid_ioctl(fd, VIDIOC_S_CTRL, &ctl);
	c->changed = false;
}

/* Turn the loop on: whichever of the two control generations exists. */
static int enable_loop(struct cp_env *env, struct vivid_loop *v)
{
	struct v4l2_query_ext_ctrl q;
	char name[64], item[64];
	int idx;

	if (!find_ctrl(v->cap.fd, "Loop Video", &q))
		return set_ctrl(env, v->cap.fd, &q, 1, &v->loop);

	snprintf(name, sizeof(name), "%s Is Connected To", v->input_name);
	if (find_ctrl(v->cap.fd, name, &q)) {
		cp_why(env, "%s has neither a \"Loop Video\" control (Linux <= 6.1) nor "
		       "\"%s\" (newer kernels): cannot loop video output to capture",
		       v->cap.path, name);
		return -ENODEV;
	}
	snprintf(item, sizeof(item), "Output %s", v->output_name);
	idx = find_menu(v->cap.fd, &q, item);
	if (idx < 0) {
		cp_why(env, "control \"%s\" on %s offers no item \"%s\" (another input may "
		       "already be connected to it)", name, v->cap.path, item);
		return -ENODEV;
	}
	return set_ctrl(env, v->cap.fd, &q, idx, &v->loop);
}

static int osd_off(struct cp_env *env, struct vivid_loop *v)
{
	struct v4l2_query_ext_ctrl q;
	int idx;

	if (find_ctrl(v->cap.fd, "OSD Text Mode", &q)) {
		cp_why(env, "%s has no \"OSD Text Mode\" control: vivid would print over "
		       "looped frames", v->cap.path);
		return -ENODEV;
	}
	idx = find_menu(v->cap.fd, &q, "None");
	if (idx < 0) {
		cp_why(env, "\"OSD Text Mode\" on %s has no item \"None\"", v->cap.path);
		return -ENODEV;
	}
	return set_ctrl(env, v->cap.fd, &q, idx, &v->osd);
}

static int select_io(struct cp_env *env, struct vivid_loop *v)
{
	int ret;

	v->input = find_input(v->cap.fd, v->input_name, sizeof(v->input_name));
	v->output = find_output(v->out.fd, v->output_name, sizeof(v->output_name));
	if (v->input < 0 || v->output < 0) {
		cp_why(env, "vivid has no %s %s (default input_types/output_types have one): "
		       "reload it: modprobe vivid n_devs=1 node_types=0x101",
		       ANALOG_PREFIX, v->input < 0 ? "capture input" : "output");
		return -ENODEV;
	}
	ret = vivid_ioctl(v->cap.fd, VIDIOC_G_INPUT, &v->saved_input);
	if (!ret && v->saved_input != v->input) {
		ret = vivid_ioctl(v->cap.fd, VIDIOC_S_INPUT, &v->input);
		v->input_changed = !ret;
	}
	if (ret) {
		cp_why(env, "selecting input %d (%s) on %s: %s", v->input, v->input_name,
		       v->cap.path, strerror(-ret));
		return ret;
	}
	ret = vivid_ioctl(v->out.fd, VIDIOC_G_OUTPUT, &v->saved_output);
	if (!ret && v->saved_output != v->output) {
		ret = vivid_ioctl(v->out.fd, VIDIOC_S_OUTPUT, &v->output);
		v->output_changed = !ret;
	}
	if (ret) {
		cp_why(env, "selecting output %d (%s) on %s: %s", v->output, v->output_name,
		       v->out.path, strerror(-ret));
		return ret;
	}
	/* vivid loops only between the same 50/60 Hz standard: copy the output's. */
	ret = vivid_ioctl(v->out.fd, VIDIOC_G_STD, &v->std);
	if (!ret)
		ret = vivid_ioctl(v->cap.fd, VIDIOC_G_STD, &v->saved_std_cap);
	if (!ret && v->saved_std_cap != v->std) {
		ret = vivid_ioctl(v->cap.fd, VIDIOC_S_STD, &v->std);
		v->std_cap_changed = !ret;
	}
	if (ret) {
		cp_why(env, "matching the TV standard of %s and %s: %s", v->out.path,
		       v->cap.path, strerror(-ret));
		return ret;
	}
	return 0;
}

static int set_fmt(struct cp_env *env, struct vivid_node *n, __u32 type,
		   const struct v4l2_pix_format *want, bool *changed, struct v4l2_pix_format *got)
{
	struct v4l2_format f = { .type = type };
	int ret;

	f.fmt.pix = *want;
	ret = vivid_ioctl(n->fd, VIDIOC_S_FMT, &f);
	if (ret) {
		cp_why(env, "VIDIOC_S_FMT on %s: %s", n->path, strerror(-ret));
		return ret;
	}
	*changed = true;
	*got = f.fmt.pix;
	return 0;
}

/* Before anything changes: switching input or output resets the formats. */
static int save_formats(struct cp_env *env, struct vivid_loop *v)
{
	int ret;

	v->saved_fmt_out.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	ret = vivid_ioctl(v->out.fd, VIDIOC_G_FMT, &v->saved_fmt_out);
	if (!ret) {
		v->saved_fmt_cap.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		ret = vivid_ioctl(v->cap.fd, VIDIOC_G_FMT, &v->saved_fmt_cap);
	}
	if (ret)
		cp_why(env, "VIDIOC_G_FMT on %s / %s: %s", v->out.path, v->cap.path,
		       strerror(-ret));
	return ret;
}

static int match_formats(struct cp_env *env, struct vivid_loop *v)
{
	struct v4l2_pix_format want = {
		.width = 720,
		.height = (v->std & V4L2_STD_525_60) ? 480 : 576,
		/* 4:2:2 packed, one plane: vivid copies it line by line, no conversion */
		.pixelformat = V4L2_PIX_FMT_YUYV,
		.field = V4L2_FIELD_INTERLACED,
	};
	struct v4l2_pix_format po, pc;
	int ret;

	ret = set_fmt(env, &v->out, V4L2_BUF_TYPE_VIDEO_OUTPUT, &want, &v->fmt_out_changed, &po);
	if (ret)
		return ret;
	want = po;	/* the capture side takes exactly what the output got */
	ret = set_fmt(env, &v->cap, V4L2_BUF_TYPE_VIDEO_CAPTURE, &want, &v->fmt_cap_changed, &pc);
	if (ret)
		return ret;
	if (po.pixelformat != V4L2_PIX_FMT_YUYV || po.pixelformat != pc.pixelformat ||
	    po.width != pc.width || po.height != pc.height || po.field != pc.field ||
	    po.bytesperline != pc.bytesperline || po.bytesperline != po.width * 2 ||
	    po.sizeimage < po.bytesperline * po.height) {
		cp_why(env, "vivid would not match formats for a byte-exact loop: output "
		       "%.4s %ux%u field %u bpl %u, capture %.4s %ux%u field %u bpl %u",
		       (char *)&po.pixelformat, po.width, po.height, po.field, po.bytesperline,
		       (char *)&pc.pixelformat, pc.width, pc.height, pc.field, pc.bytesperline);
		return -ENODEV;
	}
	v->pix = po;
	return 0;
}

int vivid_loop_setup(struct cp_env *env, struct vivid_loop *v)
{
	int ret = save_formats(env, v);

	if (!ret)
		ret = select_io(env, v);
	if (!ret)
		ret = match_formats(env, v);
	if (!ret)
		ret = osd_off(env, v);
	if (!ret)
		ret = enable_loop(env, v);
	return ret;
}

void vivid_loop_restore(struct vivid_loop *v)
{
	restore_ctrl(v->cap.fd, &v->loop);
	restore_ctrl(v->cap.fd, &v->osd);
	/* Input, output and standard first: changing them resets the formats. */
	if (v->std_cap_changed)
		vivid_ioctl(v->cap.fd, VIDIOC_S_STD, &v->saved_std_cap);
	if (v->input_changed)
		vivid_ioctl(v->cap.fd, VIDIOC_S_INPUT, &v->saved_input);
	if (v->output_changed)
		vivid_ioctl(v->out.fd, VIDIOC_S_OUTPUT, &v->saved_output);
	if (v->fmt_cap_changed)
		vivid_ioctl(v->cap.fd, VIDIOC_S_FMT, &v->saved_fmt_cap);
	if (v->fmt_out_changed)
		vivid_ioctl(v->out.fd, VIDIOC_S_FMT, &v->saved_fmt_out);
	v->std_cap_changed = v->input_changed = v->output_changed = false;
	v->fmt_cap_changed = v->fmt_out_changed = false;
}
