// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: plants a real kernel WARNING when loaded, so the test
 * guest's splat detection is itself tested against the genuine article.
 * With leak=1 it plants a memory leak instead, for the debug kernel's
 * kmemleak check.
 */
#include <linux/module.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/slab.h>
#include <linux/string.h>

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "leak an object instead of warning");

#define RDMAPIN_SPLAT_LEAK_SIZE 96

/*
 * The object's only pointer is dropped on return: kmemleak finds it
 * unreferenced, allocated from this module's init code.
 */
static int rdmapin_splat_leak(void)
{
	void *lost = kmalloc(RDMAPIN_SPLAT_LEAK_SIZE, GFP_KERNEL);

	if (!lost)
		return -ENOMEM;
	memset(lost, 0x5a, RDMAPIN_SPLAT_LEAK_SIZE);
	/*
	 * Nothing reads the bytes and the pointer never escapes, so the
	 * compiler may drop the memset as a dead store (gcc 12 does): the
	 * report would show stale slab bytes, not the pattern it is found by.
	 */
	barrier_data(lost);
	pr_info("rdmapin_splat: planted a leak of %d bytes\n",
		RDMAPIN_SPLAT_LEAK_SIZE);
	return 0;
}

static int __init rdmapin_splat_init(void)
{
	if (leak)
		return rdmapin_splat_leak();
	WARN(1, "rdmapin_splat: planted warning\n");
	return 0;
}

static void __exit rdmapin_splat_exit(void)
{
}

module_init(rdmapin_splat_init);
module_exit(rdmapin_splat_exit);
MODULE_DESCRIPTION("rdmapin test: plant a kernel WARNING or a memory leak");
MODULE_LICENSE("GPL");
