/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The v4l2 consumer's internals: vivid's video output looped back into its
 * video capture.  The buffer under test is the OUTPUT queue's USERPTR
 * buffer: videobuf2 pins it long-term at QBUF (6.1: FOLL_FORCE|FOLL_WRITE,
 * 6.2+: read-only), vivid reads it through that pin whenever it fills a
 * capture frame, so the captured frame is what the device saw.
 */
#ifndef COWPIN_V4L2_VIVID_H
#define COWPIN_V4L2_VIVID_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/videodev2.h>

struct cp_env;

#define VIVID_CAP_BUFS 3
#define VIVID_CAP_POISON 0xa5	/* what a capture buffer holds until vivid fills it */

struct vivid_node {
	int fd;
	char path[32];
	char bus_info[32];
	char card[32];
	__u32 version;		/* KERNEL_VERSION of the media subsystem */
};

/* A control we set, and what to put back. */
struct vivid_ctrl {
	__u32 id;
	char name[32];
	__s32 val;		/* what we set */
	__s32 saved;
	bool changed;
};

struct vivid_loop {
	struct vivid_node out, cap;

	/* What set-up chose and changed; vivid_loop_restore() puts it back. */
	int input, saved_input;
	int output, saved_output;
	char input_name[32], output_name[32];
	v4l2_std_id std, saved_std_cap;
	bool input_changed, output_changed, std_cap_changed;
	struct v4l2_format saved_fmt_out, saved_fmt_cap;
	bool fmt_out_changed, fmt_cap_changed;
	struct vivid_ctrl loop, osd;

	struct v4l2_pix_format pix;	/* the same format on both sides */

	/* Capture side: MMAP buffers, allocated once per open. */
	struct {
		void *addr;
		size_t len;
	} capbuf[VIVID_CAP_BUFS];
	unsigned int ncap;

	/* Output side: one USERPTR buffer, index 0. */
	bool out_reqbufs;	/* REQBUFS(USERPTR) done: index 0 may hold a pin */
	bool out_queued;	/* index 0 is queued (QUEUED or with the driver) */
	unsigned long out_ptr;
	__u32 out_len;
	unsigned int out_qbufs;	/* QBUFs of index 0 since REQBUFS */
	bool streaming;
	unsigned int cap_index;	/* capture buffer of the last captured frame */
	__u32 sequence;		/* of the last captured frame */
	double frame_wait;	/* seconds from STREAMON to that frame */
};

/* nodes.c: find (sysfs and /dev only: the probe) and open vivid's output and capture nodes. */
int vivid_nodes_find(struct cp_env *env, const char *out_path, const char *cap_path,
		     char *out, char *cap, size_t len);
int vivid_nodes_open(struct cp_env *env, const char *out_path,
		     const char *cap_path, struct vivid_loop *v);
void vivid_nodes_close(struct vivid_loop *v);
int vivid_out_userptr_check(struct cp_env *env, struct vivid_loop *v);

/* loopback.c: route output to capture byte for byte, and undo it. */
int vivid_loop_setup(struct cp_env *env, struct vivid_loop *v);
void vivid_loop_restore(struct vivid_loop *v);

/* stream.c: the two queues. */
int vivid_cap_alloc(struct cp_env *env, struct vivid_loop *v);
void vivid_cap_free(struct vivid_loop *v);
int vivid_out_reqbufs(struct cp_env *env, struct vivid_loop *v);
int vivid_out_qbuf(struct cp_env *env, struct vivid_loop *v, void *ptr,
		   size_t len);
void vivid_out_free(struct vivid_loop *v);
int vivid_grab(struct cp_env *env, struct vivid_loop *v,
	       const unsigned char **frame);
void vivid_stop(struct vivid_loop *v);

/* CLOCK_MONOTONIC seconds. */
double vivid_now(void);

/* ioctl() that retries on EINTR; returns 0 or -errno. */
int vivid_ioctl(int fd, unsigned long req, void *arg);

#endif
