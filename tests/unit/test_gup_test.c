// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gup-test consumer against a stand-in for /sys/kernel/debug/gup_test:
 * statfs, access, open and ioctl are replaced here (the test's definitions
 * win over libc's at link time; every other path and fd goes to the real
 * system call).  Checked:
 *   - the probe never opens gup_test (closing any of its files would drop
 *     a concurrent user's pin);
 *   - START's EINVAL (the module's one pin slot taken) is an error, not
 *     the kernel's refusal; another errno (EFAULT) stays a refusal;
 *   - what READ copies is compared whole: one byte flipped outside the
 *     spans makes the snapshot corrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "result.h"
#include "runner.h"
#include "utap.h"

#define GUP "/sys/kernel/debug/gup_test"
#define FLIP_OFF (5 * 4096 + 33)

struct pin_longterm_test {
	uint64_t addr, size;
	uint32_t flags;
};

static int gup_opens, fake_fd = -1, start_errno;
static bool flip;
static struct pin_longterm_test pinned;

int statfs(const char *path, struct statfs *buf)
{
	if (!strcmp(path, "/sys/kernel/debug")) {
		memset(buf, 0, sizeof(*buf));
		buf->f_type = 0x64626720;	/* DEBUGFS_MAGIC */
		return 0;
	}
	return syscall(SYS_statfs, path, buf);
}

int access(const char *path, int mode)
{
	/* gup_test is there, answered by cowpin_gup_test.ko (its version file). */
	if (!strcmp(path, GUP) || !strcmp(path, "/sys/module/cowpin_gup_test/version"))
		return 0;
	return syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!strcmp(path, GUP)) {
		gup_opens++;
		fake_fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
		return fake_fd;
	}
	return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || fd < 0)
		return syscall(SYS_ioctl, fd, req, arg);
	switch (_IOC_NR(req)) {
	case 7:	/* PIN_LONGTERM_TEST_START */
		if (!arg) {	/* copy_from_user() of nothing, as the module says */
			errno = EFAULT;
			return -1;
		}
		if (start_errno) {
			errno = start_errno;
			return -1;
		}
		memcpy(&pinned, arg, sizeof(pinned));
		return 0;
	case 9: {	/* PIN_LONGTERM_TEST_READ: the "pinned pages" are the mapping here */
		uint64_t to;

		memcpy(&to, arg, sizeof(to));
		memcpy((void *)(uintptr_t)to, (void *)(uintptr_t)pinned.addr, pinned.size);
		if (flip)
			((unsigned char *)(uintptr_t)to)[FLIP_OFF] ^= 0xff;
		return 0;
	}
	case 8:	/* STOP */
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static struct json_object *run(enum cp_case kase)
{
	static struct cp_settings s = { .backing.tmpdir = "/var/tmp", .timeout_s = 20 };
	struct cp_test t = { .ops = cp_consumer_find("gup-test"), .backing = CP_B_ANON, .kase = kase };

	return cp_check_run(&t, &s);
}

int main(void)
{
	struct cp_settings s = { .backing.tmpdir = "/var/tmp", .timeout_s = 20 };
	struct json_object *r;
	char why[512];
	int err;

	utap_plan(5);
	err = cp_probe_consumer(cp_consumer_find("gup-test"), &s, why, sizeof(why));
	ok(!err && gup_opens == 0, "the probe finds gup_test without opening it (%d opens): %s", gup_opens, why);

	start_errno = EINVAL;
	r = run(CP_CASE_SNAPSHOT);
	ok(!strcmp(cp_result_str(r, "verdict"), "error") && strstr(cp_result_str(r, "reason"), "slot"),
	   "START's EINVAL (pin slot taken) is an error: %s: %s", cp_result_str(r, "verdict"),
	   cp_result_str(r, "reason"));
	json_object_put(r);

	start_errno = EFAULT;
	r = run(CP_CASE_SNAPSHOT);
	ok(!strcmp(cp_result_str(r, "verdict"), "refused"), "START's EFAULT stays a refusal: %s: %s",
	   cp_result_str(r, "verdict"), cp_result_str(r, "reason"));
	json_object_put(r);

	start_errno = 0;
	r = run(CP_CASE_SNAPSHOT);
	ok(!strcmp(cp_result_str(r, "verdict"), "pass") &&
	   json_object_get_int64(json_object_object_get(r, "compared_bytes")) == 2 << 20,
	   "a faithful READ passes, all %lld bytes compared: %s",
	   (long long)json_object_get_int64(json_object_object_get(r, "compared_bytes")), cp_result_str(r, "reason"));
	json_object_put(r);

	flip = true;
	r = run(CP_CASE_SNAPSHOT);
	ok(!strcmp(cp_result_str(r, "verdict"), "fail") && !strcmp(cp_result_str(r, "fail_kind") ?: "", "corrupt"),
	   "a byte READ got wrong outside the spans is corrupt: %s: %s", cp_result_str(r, "verdict"),
	   cp_result_str(r, "reason"));
	json_object_put(r);
	return utap_done();
}
