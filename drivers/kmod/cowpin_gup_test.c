// SPDX-License-Identifier: GPL-2.0-only
/*
 * cowpin_gup_test: /sys/kernel/debug/gup_test for kernels without
 * CONFIG_GUP_TEST (every distribution kernel), and for Linux 6.1, whose
 * gup_test predates the R/O pin interface.
 *
 * Only the long-term pin test of Linux 6.12's mm/gup_test.c, with its ABI
 * (ioctl numbers, struct layout, flags, errnos), so that cowpin's gup-test
 * consumers and the unmodified tools/testing/selftests/mm/cow.c run on it:
 *
 *   PIN_LONGTERM_TEST_START  pin [addr, addr+size) with FOLL_LONGTERM through
 *                            pin_user_pages() (or pin_user_pages_fast() with
 *                            USE_FAST); FOLL_WRITE only with USE_WRITE
 *   PIN_LONGTERM_TEST_READ   copy the pinned pages themselves (kmap of the
 *                            struct pages held, not the user mapping) to a
 *                            user buffer: the "device read"
 *   PIN_LONGTERM_TEST_STOP   unpin
 *
 * As upstream, one global pin slot under a mutex; closing any file of it
 * unpins.  Differences, all on paths cow.c never takes: the benchmark
 * ioctls (GUP_FAST_BENCHMARK, ...) are EINVAL, a pin larger than
 * MAX_PIN_BYTES is E2BIG (upstream lets kvcalloc() WARN on huge sizes, and
 * on 6.1 every zeropage pin adds 1024 to its refcount), and READ stops on
 * a fatal signal.  The module refuses to load where a gup_test exists.
 */
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#define COWPIN_GUP_TEST_VERSION "1"

/* mm/gup_test.h of Linux 6.12 (not a UAPI header: restated here). */
struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

#define PIN_LONGTERM_TEST_START		_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP		_IO('g', 8)
#define PIN_LONGTERM_TEST_READ		_IOW('g', 9, __u64)
#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define PIN_LONGTERM_TEST_FLAG_USE_FAST		2

/*
 * 4 GiB: cow.c pins at most one 1 GiB hugetlb page.  Bounds the page
 * array well below kvmalloc's INT_MAX and 6.1's zeropage refcount below
 * overflow (2^20 pins of GUP_PIN_COUNTING_BIAS each).
 */
#define MAX_PIN_BYTES	(4ULL << 30)

static DEFINE_MUTEX(pin_mutex);
static struct page **pin_pages;		/* NULL: no pin */
static unsigned long pin_nr;		/* pages pinned in pin_pages */
static struct dentry *gup_test_file;

static void pin_stop(void)
{
	lockdep_assert_held(&pin_mutex);
	if (!pin_pages)
		return;
	if (pin_nr)
		unpin_user_pages(pin_pages, pin_nr);
	kvfree(pin_pages);
	pin_pages = NULL;
	pin_nr = 0;
}

/* pin_user_pages() lost its vmas argument in 6.5; the caller holds mmap_lock. */
static long pin_slow(unsigned long addr, unsigned long nr, unsigned int gup_flags,
		     struct page **pages)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(addr, nr, gup_flags, pages, NULL);
#else
	return pin_user_pages(addr, nr, gup_flags, pages);
#endif
}

static int pin_start(unsigned long arg)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	struct pin_longterm_test args;
	unsigned long nr_pages;
	bool fast;
	int ret = 0;

	if (pin_pages)
		return -EINVAL;		/* one pin at a time, as upstream */
	if (copy_from_user(&args, (void __user *)arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(PIN_LONGTERM_TEST_FLAG_USE_WRITE |
			   PIN_LONGTERM_TEST_FLAG_USE_FAST))
		return -EINVAL;
	if (!IS_ALIGNED(args.addr | args.size, PAGE_SIZE) || !args.size)
		return -EINVAL;
	if (args.size > MAX_PIN_BYTES)
		return -E2BIG;
	/* A range that wraps maps nothing: what GUP would say (EFAULT). */
	if (args.addr + args.size < args.addr)
		return -EFAULT;
	nr_pages = args.size >> PAGE_SHIFT;

	pin_pages = kvcalloc(nr_pages, sizeof(*pin_pages),
			     GFP_KERNEL | __GFP_NOWARN);
	if (!pin_pages)
		return -ENOMEM;
	pin_nr = 0;

	if (args.flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE)
		gup_flags |= FOLL_WRITE;
	fast = args.flags & PIN_LONGTERM_TEST_FLAG_USE_FAST;

	if (!fast && mmap_read_lock_killable(current->mm)) {
		kvfree(pin_pages);
		pin_pages = NULL;
		return -EINTR;
	}
	/* GUP may pin fewer pages than asked: go on where it stopped. */
	while (pin_nr < nr_pages) {
		unsigned long addr = args.addr + (pin_nr << PAGE_SHIFT);
		unsigned long left = nr_pages - pin_nr;
		long got;

		if (fast)
			got = pin_user_pages_fast(addr, min_t(unsigned long, left, INT_MAX),
						  gup_flags, pin_pages + pin_nr);
		else
			got = pin_slow(addr, left, gup_flags, pin_pages + pin_nr);
		if (got <= 0) {
			/* 0 would loop forever; GUP never means it, so call it a fault. */
			ret = got ? got : -EFAULT;
			break;
		}
		pin_nr += got;
	}
	if (!fast)
		mmap_read_unlock(current->mm);
	if (ret)
		pin_stop();	/* all or nothing, as upstream */
	return ret;
}

static int pin_read(unsigned long arg)
{
	unsigned long i;
	u64 to;

	if (!pin_pages)
		return -EINVAL;
	if (copy_from_user(&to, (void __user *)arg, sizeof(to)))
		return -EFAULT;
	for (i = 0; i < pin_nr; i++, to += PAGE_SIZE) {
		/* The pinned page itself: what a device's DMA would read. */
		void *from = kmap_local_page(pin_pages[i]);
		unsigned long left;

		left = copy_to_user(u64_to_user_ptr(to), from, PAGE_SIZE);
		kunmap_local(from);
		if (left)
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static long gup_test_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long ret;

	switch (cmd) {
	case PIN_LONGTERM_TEST_START:
	case PIN_LONGTERM_TEST_STOP:
	case PIN_LONGTERM_TEST_READ:
		break;
	default:
		return -EINVAL;
	}
	if (mutex_lock_killable(&pin_mutex))
		return -EINTR;
	if (cmd == PIN_LONGTERM_TEST_START) {
		ret = pin_start(arg);
	} else if (cmd == PIN_LONGTERM_TEST_READ) {
		ret = pin_read(arg);
	} else {
		pin_stop();
		ret = 0;
	}
	mutex_unlock(&pin_mutex);
	return ret;
}

static int gup_test_release(struct inode *inode, struct file *file)
{
	/* As upstream: any close drops the pin (upstream does it unlocked). */
	mutex_lock(&pin_mutex);
	pin_stop();
	mutex_unlock(&pin_mutex);
	return 0;
}

static const struct file_operations gup_test_fops = {
	.owner = THIS_MODULE,	/* an open file keeps the module loaded */
	.open = nonseekable_open,
	.unlocked_ioctl = gup_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = gup_test_release,
};

static int __init cowpin_gup_test_init(void)
{
	struct dentry *old = debugfs_lookup("gup_test", NULL);

	if (old) {
		/* CONFIG_GUP_TEST: the kernel's own gup_test stays the judge. */
		dput(old);
		pr_info("cowpin_gup_test: the kernel has its own gup_test; not loading\n");
		return -EEXIST;
	}
	gup_test_file = debugfs_create_file_unsafe("gup_test", 0600, NULL, NULL,
						   &gup_test_fops);
	if (IS_ERR(gup_test_file))
		return PTR_ERR(gup_test_file);	/* debugfs off (debugfs=off) */
	pr_info("cowpin_gup_test " COWPIN_GUP_TEST_VERSION
		": /sys/kernel/debug/gup_test (PIN_LONGTERM_TEST_*)\n");
	return 0;
}

static void __exit cowpin_gup_test_exit(void)
{
	debugfs_remove(gup_test_file);
	/* No file is open (fops.owner), so no pin is left; make sure. */
	mutex_lock(&pin_mutex);
	pin_stop();
	mutex_unlock(&pin_mutex);
}

module_init(cowpin_gup_test_init);
module_exit(cowpin_gup_test_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(COWPIN_GUP_TEST_VERSION);
MODULE_DESCRIPTION("gup_test's R/O long-term pin interface (PIN_LONGTERM_TEST_*) for kernels without CONFIG_GUP_TEST");
MODULE_AUTHOR("cowpin");
