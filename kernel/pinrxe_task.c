// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-QP work scheduling.  Each QP owns one work item that runs its data
 * path: the requester (after a post_send doorbell), the completer (after
 * an ACK or a timeout) and the responder (after a request packet), and, in
 * the error states, the flush of its queues.  Whoever has work for a QP
 * sets a bit in task.pending and queues the work item; the work item
 * takes all bits at once and runs what they ask for.
 *
 * Why one work item and not one per stage: a work item never runs on two
 * CPUs at once, so the stages of one QP, the flush and the ring accesses
 * they make are serialised with no lock, while different QPs run in
 * parallel.  modify_qp and destroy_qp stop the work item (and wait for a
 * run in progress) before they change what the data path reads.
 *
 * No wakeup is lost: a scheduler sets its bit before queueing, and the
 * work item clears the bits before it runs the stages, so a bit set while
 * a run is in progress either is seen by that run or re-queues the work
 * item (queue_work() succeeds again once a run has started).
 */
#include <linux/workqueue.h>

#include "pinrxe.h"

/*
 * Calls of a stage returning "again" per run: past this the run re-queues
 * itself rather than keep a worker (and other QPs) waiting.
 */
#define PINRXE_TASK_BUDGET	64

static struct workqueue_struct *pinrxe_wq;

/*
 * Run one stage until it runs out of work.  Returns false when the budget
 * ran out first; the stage then still has work.
 */
static bool pinrxe_task_run_stage(struct pinrxe_qp *qp,
				  int (*stage)(struct pinrxe_qp *qp),
				  unsigned int *budget)
{
	while (stage(qp) == 0) {
		if (!--*budget)
			return false;
	}
	return true;
}

static void pinrxe_task_work(struct work_struct *work)
{
	struct pinrxe_qp *qp = container_of(work, struct pinrxe_qp, task.work);
	unsigned int budget = PINRXE_TASK_BUDGET;
	unsigned long todo;

	while ((todo = atomic_long_xchg(&qp->task.pending, 0))) {
		if ((todo & PINRXE_TASK_RESP) &&
		    !pinrxe_task_run_stage(qp, pinrxe_responder, &budget))
			goto requeue;
		todo &= ~PINRXE_TASK_RESP;
		if ((todo & PINRXE_TASK_COMP) &&
		    !pinrxe_task_run_stage(qp, pinrxe_completer, &budget))
			goto requeue;
		todo &= ~PINRXE_TASK_COMP;
		if ((todo & PINRXE_TASK_REQ) &&
		    !pinrxe_task_run_stage(qp, pinrxe_requester, &budget))
			goto requeue;
		/* Every stage has stopped: what is left in the queues goes. */
		pinrxe_qp_flush(qp);
	}
	return;

requeue:
	/* The interrupted stage and the ones after it run next time. */
	pinrxe_task_sched(qp, todo);
}

/**
 * pinrxe_task_init() - set up a new QP's work item
 * @qp: the QP, not yet visible to anyone who could schedule it
 */
void pinrxe_task_init(struct pinrxe_qp *qp)
{
	INIT_WORK(&qp->task.work, pinrxe_task_work);
	atomic_long_set(&qp->task.pending, 0);
}

/**
 * pinrxe_task_sched() - have a QP's task run some of its stages
 * @qp: the QP; the caller keeps it alive (a reference, or being a verb or
 *	the task itself)
 * @what: PINRXE_TASK_* bits
 *
 * Callable from any context.  While the task is stopped the bits are kept
 * and the run happens when it starts again.
 */
void pinrxe_task_sched(struct pinrxe_qp *qp, unsigned long what)
{
	/*
	 * What the caller prepared for the stages (a queued packet, a posted
	 * WQE) is visible before the bit; the work item's xchg() pairs.
	 */
	smp_mb__before_atomic();
	atomic_long_or(what, &qp->task.pending);
	queue_work(pinrxe_wq, &qp->task.work);
}

/**
 * pinrxe_task_stop() - stop a QP's task and wait for a run in progress
 * @qp: the QP
 *
 * After this no stage of the QP runs until pinrxe_task_start(); schedules
 * meanwhile are remembered.  Stops nest.  Sleeps.
 */
void pinrxe_task_stop(struct pinrxe_qp *qp)
{
	disable_work_sync(&qp->task.work);
}

/**
 * pinrxe_task_start() - undo one pinrxe_task_stop()
 * @qp: the QP
 *
 * Runs the task when something was scheduled while it was stopped.
 */
void pinrxe_task_start(struct pinrxe_qp *qp)
{
	if (enable_work(&qp->task.work) &&
	    atomic_long_read(&qp->task.pending))
		queue_work(pinrxe_wq, &qp->task.work);
}

/**
 * pinrxe_task_flush() - wait for a QP's task to run what is scheduled
 * @qp: the QP, kept alive by the caller
 *
 * Returns once a run that started after the last schedule before this
 * call has ended; at once when nothing is scheduled or the task is
 * stopped.  A run that re-queues itself for lack of budget is not
 * followed further.  Sleeps.
 */
void pinrxe_task_flush(struct pinrxe_qp *qp)
{
	flush_work(&qp->task.work);
}

/**
 * pinrxe_task_drain() - run every stage of a stopped task to completion
 * @qp: the QP, its task stopped
 *
 * Used after a change the stages must see at once, such as the move to
 * RESET, where each stage drops what it holds.  No budget: the caller
 * is a verb that may wait.
 */
void pinrxe_task_drain(struct pinrxe_qp *qp)
{
	while (!pinrxe_responder(qp))
		cond_resched();
	while (!pinrxe_completer(qp))
		cond_resched();
	while (!pinrxe_requester(qp))
		cond_resched();
	pinrxe_qp_flush(qp);
}

/**
 * pinrxe_task_module_init() - create the workqueue QP tasks run on
 *
 * Unbound: a QP's work is scheduled from wherever its packets or doorbells
 * arrive, and spreading QPs over idle CPUs matters more than cache
 * locality for a software device.
 *
 * Return: 0, or -ENOMEM.
 */
int pinrxe_task_module_init(void)
{
	pinrxe_wq = alloc_workqueue("pinrxe", WQ_UNBOUND, 0);
	return pinrxe_wq ? 0 : -ENOMEM;
}

/**
 * pinrxe_task_module_exit() - destroy the workqueue
 *
 * Every device, and so every QP, is gone by now: nothing is queued.
 */
void pinrxe_task_module_exit(void)
{
	destroy_workqueue(pinrxe_wq);
}
