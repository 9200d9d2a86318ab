// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: plants a real kernel WARNING when loaded, so the test
 * guest's splat detection is itself tested against the genuine article.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init rdmapin_splat_init(void)
{
	WARN(1, "rdmapin_splat: planted warning\n");
	return 0;
}

static void __exit rdmapin_splat_exit(void)
{
}

module_init(rdmapin_splat_init);
module_exit(rdmapin_splat_exit);
MODULE_DESCRIPTION("rdmapin test: plant a kernel WARNING");
MODULE_LICENSE("GPL");
