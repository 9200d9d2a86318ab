/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * librdmapin internals shared between its files and its unit tests (which
 * link the objects directly); nothing here is exported.
 */
#ifndef RDMAPIN_INT_H
#define RDMAPIN_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "rdmapin.h"

/* error.c */
/* Record a message for rdmapin_last_error(); returns @err. */
int rdmapin_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rdmapin_err_clear(void);
/* "2 MiB", "64 KiB", "12 B" */
void rdmapin_fmt_bytes(char *buf, size_t len, uint64_t bytes);

/* policy.c: the decision, a pure function of its inputs. */
struct rdmapin_caps {
	bool pinrxedv;	/* the pinrxe provider's direct verbs drive the PD */
	bool odp;	/* the device offers ODP */
};

enum rdmapin_action {
	RDMAPIN_ACT_PIN,		/* ibv_reg_mr() */
	RDMAPIN_ACT_PIN_STRICT,		/* pinrxedv_reg_mr(NO_FALLBACK) */
	RDMAPIN_ACT_PIN_OR_ODP,		/* pinrxedv_reg_mr(FALLBACK_ODP) */
	RDMAPIN_ACT_ODP,		/* ibv_reg_mr(| IBV_ACCESS_ON_DEMAND) */
	RDMAPIN_ACT_FAIL,		/* give up with the pin's error */
	RDMAPIN_ACT_FAIL_NO_ODP,	/* give up: ODP asked for, none */
	RDMAPIN_ACT_INVALID,		/* bad policy */
};

/* What a failed pin tells: ENOMEM -> memlock; EFAULT on a mapped range ->
 * the kernel refused the long-term pin. */
enum rdmapin_reason rdmapin_pin_failure(int pin_err, bool range_mapped);

/*
 * The next step for @policy on a device with @caps: @pin_err 0 for the
 * first step, else the errno the pinned attempt failed with and @why what
 * rdmapin_pin_failure() made of it.
 */
enum rdmapin_action rdmapin_decide(enum rdmapin_policy policy,
				   const struct rdmapin_caps *caps,
				   int pin_err, enum rdmapin_reason why);

/* What the library remembers of its own registrations. */
struct rdmapin_record {
	enum rdmapin_path path;
	enum rdmapin_reason reason;
	int pin_errno;
};
int rdmapin_record_find(struct ibv_mr *mr, struct rdmapin_record *out);

/* pinrxedv.c: libpinrxe.so.1 loaded on demand; mirrors pinrxedv.h. */
struct rdmapin_dv_info {
	int mode;	/* 1 pinned, 2 odp, 3 odp implicit */
	int reason;	/* 0 none, 1 memlock, 2 pin refused */
	int pin_errno;
};
#define RDMAPIN_DV_FALLBACK_ODP 1u
#define RDMAPIN_DV_NO_FALLBACK 2u
bool rdmapin_dv_supported(struct ibv_device *dev);
struct ibv_mr *rdmapin_dv_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
				 unsigned int access, uint32_t flags);
int rdmapin_dv_query_mr(struct ibv_mr *mr, struct rdmapin_dv_info *info);

/* devices.c */
bool rdmapin_ctx_odp(struct ibv_context *ctx);

/* nldev.c: rdma netlink.  The parsers take whole reply buffers (one or
 * more netlink messages) so that unit tests can feed recorded bytes. */
struct rdmapin_nl_dev {
	uint32_t index;
	char name[64];
	uint32_t nports;
};

/* Called for each message of a reply; returns 0 or an errno value. */
typedef int (*rdmapin_nl_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/* Walk the messages of @buf: EPROTO when one is truncated or malformed,
 * the kernel's errno for an NLMSG_ERROR, 0 at NLMSG_DONE or the end. */
int rdmapin_nl_walk(const void *buf, size_t len, rdmapin_nl_msg_fn fn,
		    void *arg);

int rdmapin_nl_parse_dev(const struct nlmsghdr *nlh,
			 struct rdmapin_nl_dev *out);
int rdmapin_nl_parse_port_ndev(const struct nlmsghdr *nlh, char *ndev,
			       size_t len);
int rdmapin_nl_parse_driver_id(const struct nlmsghdr *nlh, uint64_t *id);

/* Entries of one RES_MR_GET message, appended to a growing array. */
struct rdmapin_mr_vec {
	struct rdmapin_mr_entry *v;
	size_t n, cap;
	pid_t pid;	/* keep only this pid's; 0: all */
};
int rdmapin_nl_parse_mrs(const struct nlmsghdr *nlh, struct rdmapin_mr_vec *vec);

struct rdmapin_stat_vec {
	struct rdmapin_stat *v;
	size_t n, cap;
	bool seen;	/* a STAT_HWCOUNTERS table was present */
};
int rdmapin_nl_parse_stats(const struct nlmsghdr *nlh,
			   struct rdmapin_stat_vec *vec);

/* Requests: one round trip each; the reply goes to @fn message by message. */
int rdmapin_nl_request(uint16_t cmd, bool dump, uint32_t dev_index,
		       uint32_t port, const char *chardev_type,
		       rdmapin_nl_msg_fn fn, void *arg);
/* All devices (malloc()ed array). */
int rdmapin_nl_devs(struct rdmapin_nl_dev **out, size_t *n);
/* A device's index by name: ENODEV when there is none. */
int rdmapin_nl_dev_index(const char *name, uint32_t *index);

#endif /* RDMAPIN_INT_H */
