/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * For the guest test programs that hold objects while their device is
 * removed: block until the device reports IBV_EVENT_DEVICE_FATAL.
 */
#ifndef RDMAPIN_TEST_FATAL_H
#define RDMAPIN_TEST_FATAL_H

#include <errno.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "check.h"

static inline void wait_device_fatal(struct ibv_context *ctx)
{
	struct ibv_async_event ev;

	for (;;) {
		CHECK(ibv_get_async_event(ctx, &ev) == 0,
		      "ibv_get_async_event: %s", strerror(errno));
		ibv_ack_async_event(&ev);
		if (ev.event_type == IBV_EVENT_DEVICE_FATAL)
			return;
	}
}

#endif /* RDMAPIN_TEST_FATAL_H */
