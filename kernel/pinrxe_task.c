// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-QP scheduling of the data path: the requester (after a post_send
 * doorbell), the completer (after an ACK or a timeout) and the responder
 * (after a request packet), and, in the error states, the flush of the
 * QP's queues.  Whoever has work for a QP sets a bit in task.pending; the
 * one who runs the task takes all bits at once and runs what they ask for.
 *
 * Who runs it.  A software device has no engine of its own, and under
 * load the hand-off to a worker thread (a wakeup, often a cross-CPU one)
 * costs more than the work itself.  So whoever brings the work runs it in
 * place when the task is idle: the post_send doorbell in the caller's
 * system call, the packet receive path in its softirq (pinrxe_task_run()).
 * The per-QP work item stays for what cannot or should not run there:
 * timers, schedules from other QPs, the rest of a run that used up its
 * budget, and what a stage says must not run in softirq context
 * (PINRXE_STAGE_DEFER: the requester's sends, which must not be
 * reordered, and long read responses now; faulting pages in, later).  A
 * doorbell that finds the task run in softirq waits for that short run to
 * end and then runs the requester itself, rather than pay for a hand-off.
 *
 * One runner at a time.  A busy bit in task.state, taken with a
 * compare-and-exchange (no lock: this runs for every packet), is held by
 * whoever runs the stages: the work item or an in-place runner.  So the
 * stages of one QP, the flush and the ring accesses they make are
 * serialised with no lock of their own, while different QPs run in
 * parallel.  A schedule that finds the task busy only leaves its bits: the
 * runner looks at the bits again after it lets go of busy (see below) and
 * runs them.
 *
 * No wakeup is lost: a scheduler sets its bits before it looks at busy,
 * and a runner clears busy before it looks at the bits, with a full
 * barrier between on both sides, so either the scheduler finds the task
 * idle and runs or queues it, or the runner finds the bits and runs again.
 *
 * Stopping.  modify_qp and destroy_qp stop the task (pinrxe_task_stop())
 * before they change what the data path reads: no new runner starts, the
 * work item is disabled, and a run in progress, in place or in the work
 * item, is waited for.  Bits set meanwhile are kept for
 * pinrxe_task_start().
 */
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "pinrxe.h"

/*
 * Calls of a stage returning "again" (a packet each, or a burst of a
 * message's packets sent together) per run: past this the run hands the
 * rest to the work item (or, in the work item, re-queues it) rather than
 * keep a softirq or a worker (and the other QPs it serves) waiting.  A
 * doorbell's system call may go on longer: it works for its own caller,
 * and each hand-off costs a wakeup.
 *
 * But not for long.  Completions arriving meanwhile keep a doorbell's run
 * going (the window opens, the requester sends on), and a caller held in
 * post_send neither polls its CQ nor handles its signals: perftest's
 * duration mode, whose timer is a SIGALRM, measured 1 MiB writes held up
 * to a second in one post_send as no traffic at all.  So a doorbell's run
 * also ends after PINRXE_TASK_SYSCALL_NSEC, or at once when the caller has
 * a signal to handle, and the work item takes the rest.
 */
#define PINRXE_TASK_BUDGET		64
#define PINRXE_TASK_BUDGET_SYSCALL	1024
#define PINRXE_TASK_SYSCALL_NSEC	(2 * NSEC_PER_MSEC)

/*
 * What one run may still do: @calls stage calls, and, for a run in a
 * system call, until local_clock() reaches @deadline (0: no deadline).
 */
struct pinrxe_task_budget {
	unsigned int calls;
	u64 deadline;
};

static struct workqueue_struct *pinrxe_wq;

/*
 * task.state: who runs the task and whether it may run.  PINRXE_TASK_BUSY
 * is held by the runner, PINRXE_TASK_SOFTIRQ says that runner is in
 * softirq context, and the bits from PINRXE_TASK_STOP up count the stops.
 */
#define PINRXE_TASK_BUSY	BIT(0)
#define PINRXE_TASK_SOFTIRQ	BIT(1)
#define PINRXE_TASK_STOP	BIT(2)

static bool pinrxe_task_idle(int state)
{
	return !(state & PINRXE_TASK_BUSY) && state < PINRXE_TASK_STOP;
}

/*
 * Become the task's runner.  Fails when someone else runs it (who will see
 * the caller's bits) or it is stopped (pinrxe_task_start() will).
 */
static bool pinrxe_task_acquire(struct pinrxe_task *task, bool atomic)
{
	int state = atomic_read(&task->state);

	do {
		if (!pinrxe_task_idle(state))
			return false;
	} while (!atomic_try_cmpxchg_acquire(&task->state, &state, state |
					     PINRXE_TASK_BUSY |
					     (atomic ? PINRXE_TASK_SOFTIRQ : 0)));
	task->atomic = atomic;
	return true;
}

/*
 * Wait while the task runs in softirq context.  Such a run is short (one
 * budget) and on another CPU, since the caller, in process context, runs.
 * A caller that has work for the requester (a doorbell, the work item)
 * waits for it rather than leave it its bits: a runner in softirq would
 * have to hand the requester to the work item (see pinrxe_requester()),
 * at the cost of a wakeup.
 */
static void pinrxe_task_wait_atomic(struct pinrxe_task *task)
{
	int state;

	while ((state = atomic_read(&task->state)) & PINRXE_TASK_SOFTIRQ &&
	       state < PINRXE_TASK_STOP)
		cpu_relax();
}

/*
 * Stop being the runner.  Returns true when bits were set meanwhile, which
 * the caller must now take care of: no one else will.
 */
static bool pinrxe_task_release(struct pinrxe_task *task)
{
	int state;

	task->atomic = false;
	/*
	 * Fully ordered: busy is clear before the bits are read; pairs with
	 * pinrxe_task_post() and the read of the state after it.
	 */
	state = atomic_fetch_andnot(PINRXE_TASK_BUSY | PINRXE_TASK_SOFTIRQ,
				    &task->state);
	if (state >= PINRXE_TASK_STOP)
		wake_up_var(&task->state);
	return atomic_long_read(&task->pending);
}

/*
 * Run one stage until it runs out of work.  Returns false when it still
 * has work: the budget ran out, or it must wait for the work item.
 */
static bool pinrxe_task_run_stage(struct pinrxe_qp *qp,
				  int (*stage)(struct pinrxe_qp *qp),
				  struct pinrxe_task_budget *budget)
{
	int ret;

	while (!(ret = stage(qp))) {
		if (!--budget->calls)
			return false;
		if (budget->deadline && (signal_pending(current) ||
					 local_clock() >= budget->deadline))
			return false;
		/* A doorbell's or the work item's long run lets others in. */
		if (!qp->task.atomic)
			cond_resched();
	}
	return ret != PINRXE_STAGE_DEFER;
}

/*
 * Run what the bits ask for until none are left.  The caller is the
 * runner.  Returns false when the budget ran out or a stage must wait for
 * the work item; the unfinished bits are set again then.
 */
static bool pinrxe_task_exec(struct pinrxe_qp *qp,
			     struct pinrxe_task_budget *budget)
{
	unsigned long todo;

	while ((todo = atomic_long_xchg(&qp->task.pending, 0))) {
		if ((todo & PINRXE_TASK_RESP) &&
		    !pinrxe_task_run_stage(qp, pinrxe_responder, budget))
			goto more;
		todo &= ~PINRXE_TASK_RESP;
		if ((todo & PINRXE_TASK_COMP) &&
		    !pinrxe_task_run_stage(qp, pinrxe_completer, budget))
			goto more;
		todo &= ~PINRXE_TASK_COMP;
		if ((todo & PINRXE_TASK_REQ) &&
		    !pinrxe_task_run_stage(qp, pinrxe_requester, budget))
			goto more;
		/* Every stage has stopped: what is left in the queues goes. */
		pinrxe_qp_flush(qp);
	}
	return true;

more:
	/* The interrupted stage and the ones after it run next time. */
	atomic_long_or(todo, &qp->task.pending);
	return false;
}

/*
 * Be the runner for as long as there are bits, within one budget; hand the
 * rest to the work item when the run cannot finish.
 */
static void pinrxe_task_loop(struct pinrxe_qp *qp, bool atomic,
			     struct pinrxe_task_budget budget)
{
	bool done;

	do {
		done = pinrxe_task_exec(qp, &budget);
		if (!pinrxe_task_release(&qp->task))
			return;
		if (!done) {
			queue_work(pinrxe_wq, &qp->task.work);
			return;
		}
	} while (pinrxe_task_acquire(&qp->task, atomic));
}

static void pinrxe_task_work(struct work_struct *work)
{
	struct pinrxe_qp *qp = container_of(work, struct pinrxe_qp, task.work);
	struct pinrxe_task_budget budget = { .calls = PINRXE_TASK_BUDGET };

	/*
	 * A runner in place has the task: it runs our bits too, but one in
	 * softirq would only hand the requester back; wait it out instead.
	 */
	pinrxe_task_wait_atomic(&qp->task);
	if (pinrxe_task_acquire(&qp->task, false))
		pinrxe_task_loop(qp, false, budget);
}

/**
 * pinrxe_task_init() - set up a new QP's task
 * @qp: the QP, not yet visible to anyone who could schedule it
 */
void pinrxe_task_init(struct pinrxe_qp *qp)
{
	INIT_WORK(&qp->task.work, pinrxe_task_work);
	atomic_long_set(&qp->task.pending, 0);
	atomic_set(&qp->task.state, 0);
	qp->task.atomic = false;
}

/* Set bits for the stages; the runner's xchg() of them pairs. */
static void pinrxe_task_post(struct pinrxe_qp *qp, unsigned long what)
{
	/* What the caller prepared (a queued packet, a posted WQE) first. */
	smp_mb__before_atomic();
	atomic_long_or(what, &qp->task.pending);
	/* The bits before the look at busy; pairs with the release. */
	smp_mb__after_atomic();
}

/**
 * pinrxe_task_sched() - have a QP's task run some of its stages later
 * @qp: the QP; the caller keeps it alive (a reference, or being a verb or
 *	the task itself)
 * @what: PINRXE_TASK_* bits
 *
 * Callable from any context.  Queues the work item unless the task is
 * running, whose runner then runs @what too.  While the task is stopped
 * the bits are kept and the run happens when it starts again.
 */
void pinrxe_task_sched(struct pinrxe_qp *qp, unsigned long what)
{
	pinrxe_task_post(qp, what);
	if (pinrxe_task_idle(atomic_read(&qp->task.state)))
		queue_work(pinrxe_wq, &qp->task.work);
}

/**
 * pinrxe_task_run() - run some of a QP's stages now, in the caller
 * @qp: the QP; the caller keeps it alive
 * @what: PINRXE_TASK_* bits
 * @atomic: the caller is in softirq context or has bottom halves off;
 *	else it is a system call that may sleep
 *
 * Runs the stages in place when the task is idle; when it is running, the
 * runner does (but a caller in process context with work for the
 * requester first waits for a runner in softirq to finish); when it is
 * stopped, pinrxe_task_start() will.  A run that uses up its budget (in
 * a system call: PINRXE_TASK_SYSCALL_NSEC, or until the caller has a
 * signal pending), or a stage that must not run in @atomic context, leaves
 * the rest to the work item.
 */
void pinrxe_task_run(struct pinrxe_qp *qp, unsigned long what, bool atomic)
{
	struct pinrxe_task_budget budget = { .calls = PINRXE_TASK_BUDGET };

	if (!atomic && (what & PINRXE_TASK_REQ))
		pinrxe_task_wait_atomic(&qp->task);
	pinrxe_task_post(qp, what);
	if (!pinrxe_task_acquire(&qp->task, atomic))
		return;
	if (!atomic) {
		budget.calls = PINRXE_TASK_BUDGET_SYSCALL;
		budget.deadline = local_clock() + PINRXE_TASK_SYSCALL_NSEC;
	}
	pinrxe_task_loop(qp, atomic, budget);
}

/* No runner: stop() may go on (none can start). */
static bool pinrxe_task_quiet(struct pinrxe_task *task)
{
	return !(atomic_read(&task->state) & PINRXE_TASK_BUSY);
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
	atomic_add(PINRXE_TASK_STOP, &qp->task.state);
	disable_work_sync(&qp->task.work);
	wait_var_event(&qp->task.state, pinrxe_task_quiet(&qp->task));
}

/**
 * pinrxe_task_start() - undo one pinrxe_task_stop()
 * @qp: the QP
 *
 * Runs the task (in the work item) when something was scheduled while it
 * was stopped.
 */
void pinrxe_task_start(struct pinrxe_qp *qp)
{
	atomic_sub(PINRXE_TASK_STOP, &qp->task.state);
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
 * High priority: the work item is this device's engine, and the
 * applications it serves often busy-poll their CQs on every CPU.  At
 * normal priority a worker shared its CPU with such a poller and the data
 * path ran at half speed or less for whole runs (perftest in a 2-CPU
 * guest: user time rose from a half to two thirds, bandwidth fell by up
 * to a half).  Runs are short and bounded (PINRXE_TASK_BUDGET), so the
 * pollers still get their turn.
 *
 * Return: 0, or -ENOMEM.
 */
int pinrxe_task_module_init(void)
{
	pinrxe_wq = alloc_workqueue("pinrxe", WQ_UNBOUND | WQ_HIGHPRI, 0);
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
