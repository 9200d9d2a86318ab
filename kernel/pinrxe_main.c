// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module life cycle and the "pinrxe" RDMA link type: `rdma link add NAME
 * type pinrxe netdev DEV` creates a device, netdev removal, `rdma link del`
 * and module unload remove it.
 */
#include <linux/module.h>
#include <linux/if_arp.h>
#include <rdma/rdma_netlink.h>

#include "pinrxe.h"

MODULE_AUTHOR("rdmapin developers");
MODULE_DESCRIPTION("Soft-RoCE device with FOLL_PIN-correct memory registration");
MODULE_LICENSE("Dual BSD/GPL");

/*
 * Our own device list: the driver id is RDMA_DRIVER_UNKNOWN, which ib_core
 * treats as a wildcard, so its by-driver lookups could return or unregister
 * another driver's devices.
 */
static LIST_HEAD(pinrxe_dev_list);
/* Taken with bottom halves off: packet receive looks devices up. */
static DEFINE_SPINLOCK(pinrxe_dev_lock);
static DECLARE_WAIT_QUEUE_HEAD(pinrxe_dev_wq);

/**
 * pinrxe_get_dev_by_netdev() - find the registered pinrxe device on a netdev
 * @ndev: the netdev
 *
 * Return: the device with a registration reference held (drop it with
 * pinrxe_put_dev()), or NULL when none is registered on @ndev.
 */
struct pinrxe_dev *pinrxe_get_dev_by_netdev(struct net_device *ndev)
{
	struct pinrxe_dev *pdev, *found = NULL;

	spin_lock_bh(&pinrxe_dev_lock);
	list_for_each_entry(pdev, &pinrxe_dev_list, list) {
		if (pdev->ndev == ndev && ib_device_try_get(&pdev->ib_dev)) {
			found = pdev;
			break;
		}
	}
	spin_unlock_bh(&pinrxe_dev_lock);
	return found;
}

void pinrxe_put_dev(struct pinrxe_dev *pdev)
{
	ib_device_put(&pdev->ib_dev);
}

static bool pinrxe_netdev_in_use(struct net_device *ndev)
{
	struct pinrxe_dev *pdev;
	bool used = false;

	spin_lock_bh(&pinrxe_dev_lock);
	list_for_each_entry(pdev, &pinrxe_dev_list, list)
		used |= pdev->ndev == ndev;
	spin_unlock_bh(&pinrxe_dev_lock);
	return used;
}

/**
 * pinrxe_dealloc_driver() - ib_core's last call for a device being freed
 * @ibdev: the device
 *
 * Called once unregistration has finished (or registration failed); after
 * it ib_core frees the structure, so the device leaves our list here.
 */
void pinrxe_dealloc_driver(struct ib_device *ibdev)
{
	struct pinrxe_dev *pdev = to_pdev(ibdev);

	spin_lock_bh(&pinrxe_dev_lock);
	list_del(&pdev->list);
	spin_unlock_bh(&pinrxe_dev_lock);
	pinrxe_udp_close(pdev);
	netdev_put(pdev->ndev, &pdev->ndev_tracker);
	/* ib_core destroyed every MR before this: nothing stays pinned. */
	WARN_ON(!xa_empty(&pdev->mr_xa));
	WARN_ON(atomic64_read(&pdev->pinned_pages));
	WARN_ON(atomic_read(&pdev->odp_mrs));
	xa_destroy(&pdev->mr_xa);
	/* Likewise every QP, AH and SRQ. */
	WARN_ON(!xa_empty(&pdev->qp_xa));
	WARN_ON(!xa_empty(&pdev->ah_xa));
	WARN_ON(!xa_empty(&pdev->srq_xa));
	xa_destroy(&pdev->qp_xa);
	xa_destroy(&pdev->ah_xa);
	xa_destroy(&pdev->srq_xa);
	wake_up_all(&pinrxe_dev_wq);
}

/**
 * pinrxe_newlink() - create a device for `rdma link add ... type pinrxe`
 * @ibdev_name: the requested device name
 * @ndev: the netdev, held by the caller for the duration of the call
 *
 * Return: 0, or a negative errno; nothing is left behind on failure.
 */
static int pinrxe_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct ib_device *other;
	struct pinrxe_dev *pdev;
	int err;

	/*
	 * A device with no parent bus is matched to its libibverbs provider
	 * by name prefix only: any other name would give a device that no
	 * userspace program can open.
	 */
	if (strncmp(ibdev_name, PINRXE_LINK_TYPE,
		    strlen(PINRXE_LINK_TYPE)) != 0) {
		pr_err("pinrxe: device name %s must start with \"%s\"\n",
		       ibdev_name, PINRXE_LINK_TYPE);
		return -EINVAL;
	}
	if (ndev->type != ARPHRD_ETHER) {
		pr_err("pinrxe: %s is not an Ethernet device\n", ndev->name);
		return -EINVAL;
	}
	other = ib_device_get_by_name(ibdev_name, RDMA_DRIVER_UNKNOWN);
	if (other) {
		ib_device_put(other);
		pr_err("pinrxe: an RDMA device named %s already exists\n",
		       ibdev_name);
		return -EEXIST;
	}
	if (pinrxe_netdev_in_use(ndev)) {
		pr_err("pinrxe: %s already has a pinrxe device\n", ndev->name);
		return -EEXIST;
	}

	pdev = ib_alloc_device(pinrxe_dev, ib_dev);
	if (!pdev)
		return -ENOMEM;
	pdev->ndev = ndev;
	netdev_hold(ndev, &pdev->ndev_tracker, GFP_KERNEL);

	spin_lock_bh(&pinrxe_dev_lock);
	list_add_tail(&pdev->list, &pinrxe_dev_list);
	spin_unlock_bh(&pinrxe_dev_lock);

	err = pinrxe_init_device(pdev);
	/* Fails while another socket (rdma_rxe's) holds the RoCEv2 port. */
	if (!err)
		err = pinrxe_udp_open(pdev);
	if (!err)
		err = ib_register_device(&pdev->ib_dev, ibdev_name, NULL);
	if (err) {
		/* Runs pinrxe_dealloc_driver(), which unlists the device. */
		ib_dealloc_device(&pdev->ib_dev);
		pr_err("pinrxe: cannot register %s on %s: %d\n", ibdev_name,
		       ndev->name, err);
		return err;
	}
	pr_info("pinrxe: added %s on %s\n", ibdev_name, ndev->name);
	return 0;
}

static struct rdma_link_ops pinrxe_link_ops = {
	.type = PINRXE_LINK_TYPE,
	.newlink = pinrxe_newlink,
};

static struct pinrxe_dev *pinrxe_get_any_dev(void)
{
	struct pinrxe_dev *pdev, *found = NULL;

	spin_lock_bh(&pinrxe_dev_lock);
	list_for_each_entry(pdev, &pinrxe_dev_list, list) {
		if (ib_device_try_get(&pdev->ib_dev)) {
			found = pdev;
			break;
		}
	}
	spin_unlock_bh(&pinrxe_dev_lock);
	return found;
}

static bool pinrxe_dev_list_empty(void)
{
	bool empty;

	spin_lock_bh(&pinrxe_dev_lock);
	empty = list_empty(&pinrxe_dev_list);
	spin_unlock_bh(&pinrxe_dev_lock);
	return empty;
}

static void pinrxe_unregister_all(void)
{
	struct pinrxe_dev *pdev;

	while ((pdev = pinrxe_get_any_dev()))
		ib_unregister_device_and_put(&pdev->ib_dev);
	/*
	 * Devices whose reference could not be taken are already being
	 * unregistered (queued from the netdev notifier): wait for them, as
	 * ib_core calls back into this module until dealloc_driver.
	 */
	wait_event(pinrxe_dev_wq, pinrxe_dev_list_empty());
}

static int __init pinrxe_module_init(void)
{
	int err;

	err = pinrxe_task_module_init();
	if (err)
		return err;
	err = pinrxe_odp_module_init();
	if (err)
		goto err_task;
	err = pinrxe_net_init();
	if (err)
		goto err_odp;
	rdma_link_register(&pinrxe_link_ops);
	pr_info("pinrxe: loaded\n");
	return 0;

err_odp:
	pinrxe_odp_module_exit();
err_task:
	pinrxe_task_module_exit();
	return err;
}

static void __exit pinrxe_module_exit(void)
{
	/* No new devices once this returns: it waits for running newlinks. */
	rdma_link_unregister(&pinrxe_link_ops);
	pinrxe_unregister_all();
	pinrxe_net_exit();
	pinrxe_odp_module_exit();
	pinrxe_task_module_exit();
	pr_info("pinrxe: unloaded\n");
}

module_init(pinrxe_module_init);
module_exit(pinrxe_module_exit);
MODULE_ALIAS_RDMA_LINK(PINRXE_LINK_TYPE);
