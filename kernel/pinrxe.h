/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pinrxe: a soft-RoCE verbs device whose memory registration follows the
 * FOLL_PIN rules for long-term DMA pins.  This is the driver's one local
 * header: objects, limits and the functions each stage exports to the others.
 */
#ifndef PINRXE_H
#define PINRXE_H

#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/atomic.h>
#include <rdma/ib_verbs.h>

#include "pinrxe_abi.h"

#define PINRXE_LINK_TYPE	"pinrxe"

#define PINRXE_VENDOR_ID	0xFFFFFF
#define PINRXE_VENDOR_PART_ID	0x7078	/* "px" */
#define PINRXE_HW_VER		1
#define PINRXE_FW_MAJOR		0
#define PINRXE_FW_MINOR		1

#define PINRXE_PORT		1
#define PINRXE_MAX_PD		0x10000
#define PINRXE_GID_TBL_LEN	1024
#define PINRXE_PKEY_TBL_LEN	1
#define PINRXE_DEFAULT_PKEY	0xffff
#define PINRXE_MAX_MSG_SZ	0x80000000u

/**
 * struct pinrxe_dev - one pinrxe device, bound to one Ethernet netdev
 * @ib_dev: the core device; must stay first for ib_alloc_device()
 * @list: entry in the module's device list, for lookup by netdev and unload
 * @ndev: the bound netdev, held until dealloc_driver so that queries made
 *	while a netdev removal is unregistering the device stay safe
 * @ndev_tracker: reference tracker for @ndev
 * @port_state: last port state reported to ib_core; changed under RTNL only
 * @num_pd: protection domains in use, bounded by attr.max_pd
 * @attr: device attributes, fixed at creation
 */
struct pinrxe_dev {
	struct ib_device ib_dev;
	struct list_head list;
	struct net_device *ndev;
	netdevice_tracker ndev_tracker;
	enum ib_port_state port_state;
	atomic_t num_pd;
	struct ib_device_attr attr;
};

struct pinrxe_ucontext {
	struct ib_ucontext ibuc;
};

struct pinrxe_pd {
	struct ib_pd ibpd;
};

static inline struct pinrxe_dev *to_pdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct pinrxe_dev, ib_dev);
}

/* pinrxe_main.c */
struct pinrxe_dev *pinrxe_get_dev_by_netdev(struct net_device *ndev);
void pinrxe_put_dev(struct pinrxe_dev *pdev);
void pinrxe_dealloc_driver(struct ib_device *ibdev);

/* pinrxe_verbs.c */
int pinrxe_init_device(struct pinrxe_dev *pdev);

/* pinrxe_net.c */
enum ib_port_state pinrxe_netdev_port_state(struct net_device *ndev);
void pinrxe_port_update(struct pinrxe_dev *pdev);
int pinrxe_net_init(void);
void pinrxe_net_exit(void);

#endif /* PINRXE_H */
