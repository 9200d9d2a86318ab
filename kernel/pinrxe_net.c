// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The netdev side: port state follows the bound netdev's carrier, and a
 * netdev that goes away takes its device with it (moving it to another
 * network namespace counts: the device's UDP socket stays behind).  GIDs
 * need nothing here: ib_core's RoCE GID management follows the netdev's
 * addresses on its own once the port is bound with ib_device_set_netdev().
 * The wire itself is pinrxe_udp.c's.
 */
#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>

#include "pinrxe.h"
#include "pinrxe_opcode.h"

/**
 * pinrxe_netdev_port_state() - the IB port state a netdev implies
 * @ndev: the netdev
 *
 * Return: IB_PORT_ACTIVE when the netdev is up with carrier, else
 * IB_PORT_DOWN.
 */
enum ib_port_state pinrxe_netdev_port_state(struct net_device *ndev)
{
	return netif_running(ndev) && netif_carrier_ok(ndev) ?
		IB_PORT_ACTIVE : IB_PORT_DOWN;
}

/**
 * pinrxe_port_update() - report a port state change to ib_core
 * @pdev: the device
 *
 * Called under RTNL from the netdev notifier, which serialises updates of
 * @pdev->port_state.  Consumers (the ib_core cache, uverbs async events)
 * get IB_EVENT_PORT_ACTIVE or IB_EVENT_PORT_ERR once per transition.
 */
void pinrxe_port_update(struct pinrxe_dev *pdev)
{
	enum ib_port_state state = pinrxe_netdev_port_state(pdev->ndev);
	struct ib_event ev = {
		.device = &pdev->ib_dev,
		.element.port_num = PINRXE_PORT,
	};

	ASSERT_RTNL();
	if (state == pdev->port_state)
		return;
	pdev->port_state = state;
	ev.event = state == IB_PORT_ACTIVE ? IB_EVENT_PORT_ACTIVE :
					     IB_EVENT_PORT_ERR;
	ib_dispatch_event(&ev);
}

static int pinrxe_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *arg)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(arg);
	struct pinrxe_dev *pdev;

	pdev = pinrxe_get_dev_by_netdev(ndev);
	if (!pdev)
		return NOTIFY_DONE;

	switch (event) {
	case NETDEV_UNREGISTER:
		/*
		 * Unregistering here would wait for users under RTNL; the
		 * queued form runs from a workqueue and drops the netdev
		 * reference that this unregistration is waiting for.
		 */
		ib_unregister_device_queued(&pdev->ib_dev);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		pinrxe_port_update(pdev);
		break;
	default:
		break;
	}
	pinrxe_put_dev(pdev);
	return NOTIFY_DONE;
}

static struct notifier_block pinrxe_netdev_nb = {
	.notifier_call = pinrxe_netdev_event,
};

/**
 * pinrxe_net_init() - set up the network side at module load
 *
 * Return: 0, or an error with nothing left registered.
 */
int pinrxe_net_init(void)
{
	int err;

	pinrxe_opcode_init();
	err = pinrxe_udp_init();
	if (err)
		return err;
	err = register_netdevice_notifier(&pinrxe_netdev_nb);
	if (err)
		pinrxe_udp_exit();
	return err;
}

/**
 * pinrxe_net_exit() - undo pinrxe_net_init() once every device is gone
 */
void pinrxe_net_exit(void)
{
	unregister_netdevice_notifier(&pinrxe_netdev_nb);
	pinrxe_udp_exit();
}
