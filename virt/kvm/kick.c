// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking a vCPU in the kernel (a halted guest waiting for an interrupt)
 * and kicking it (an interrupt for it arrived).
 *
 * The protocol, which loses no wakeup:
 *  - whoever gives a vCPU an event records it first (an IRR bit, a
 *    pending NMI...), then calls nkvm_vcpu_kick();
 *  - the kick sets vcpu->kicked, wakes the vCPU if it sleeps in
 *    nkvm_vcpu_block() and, if it runs in guest mode on another CPU,
 *    sends that CPU an IPI: the guest exits on it;
 *  - the vCPU clears kicked (nkvm_vcpu_clear_kick()) before it looks for
 *    events to inject, and enters guest mode with nkvm_vcpu_enter_guest()
 *    with interrupts off: that refuses when a kick came in between.
 */
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/wait.h>

#include "core.h"

/*
 * The IPI's job is the guest exit its arrival causes. It runs after the
 * IPI code let go of kick_csd, and clearing kick_ipi_busy is its last
 * touch of the vCPU: nkvm_vcpu_kick_sync() waits for that.
 */
static void nkvm_kick_ipi(void *info)
{
	struct nkvm_vcpu *vcpu = info;

	atomic_set_release(&vcpu->kick_ipi_busy, 0);
}

void nkvm_vcpu_kick_init(struct nkvm_vcpu *vcpu)
{
	init_waitqueue_head(&vcpu->wq);
	vcpu->mode = NKVM_OUTSIDE_GUEST;
	vcpu->cpu = -1;
	INIT_CSD(&vcpu->kick_csd, nkvm_kick_ipi, vcpu);
}

/* Before the vCPU is freed: no kick IPI may still be on its way. */
void nkvm_vcpu_kick_sync(struct nkvm_vcpu *vcpu)
{
	while (atomic_read_acquire(&vcpu->kick_ipi_busy))
		cpu_relax();
}

/* Any context, hardirq included. */
void nkvm_vcpu_kick(struct nkvm_vcpu *vcpu)
{
	int cpu, me;

	atomic_set(&vcpu->kicked, 1);
	/* The event and kicked before mode: pairs with enter_guest. */
	smp_mb__after_atomic();
	if (wq_has_sleeper(&vcpu->wq))
		wake_up_interruptible(&vcpu->wq);
	if (READ_ONCE(vcpu->mode) != NKVM_IN_GUEST)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	me = get_cpu();
	/*
	 * One IPI in flight per vCPU (it would exit the guest anyway); a
	 * module cannot send a reschedule IPI, but an async call can go
	 * from any context.
	 */
	if (cpu != me && cpu >= 0 && cpu_online(cpu) &&
	    !atomic_xchg(&vcpu->kick_ipi_busy, 1) &&
	    smp_call_function_single_async(cpu, &vcpu->kick_csd))
		atomic_set(&vcpu->kick_ipi_busy, 0);
	put_cpu();
}

/* Before looking for events to inject. */
void nkvm_vcpu_clear_kick(struct nkvm_vcpu *vcpu)
{
	/* A full barrier: the clear before reading what was delivered. */
	atomic_xchg(&vcpu->kicked, 0);
}

/*
 * Interrupts off, right before entering the guest: false (and still
 * outside guest mode) when a kick arrived since nkvm_vcpu_clear_kick().
 */
bool nkvm_vcpu_enter_guest(struct nkvm_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	/* mode before kicked: pairs with the barrier in the kick. */
	smp_store_mb(vcpu->mode, NKVM_IN_GUEST);
	if (atomic_read(&vcpu->kicked)) {
		WRITE_ONCE(vcpu->mode, NKVM_OUTSIDE_GUEST);
		return false;
	}
	return true;
}

/* Right after the exit, interrupts still off. */
void nkvm_vcpu_exit_guest(struct nkvm_vcpu *vcpu)
{
	/* What the guest did is visible to whoever sees it outside. */
	smp_store_release(&vcpu->mode, NKVM_OUTSIDE_GUEST);
}

/*
 * Sleep until ready(vcpu) or a signal is pending; the KVM_RUN loop then
 * sees the signal and returns KVM_EXIT_INTR. ready() runs with the task
 * state set: it may take spinlocks, not sleep. Accounted in vcpu->stat:
 * blocking while here; when it slept, the time (halt_wait_ns and its
 * histogram, signals included, as stock) and, if an event ended it, a
 * halt_wakeup.
 */
void nkvm_vcpu_block(struct nkvm_vcpu *vcpu,
		     bool (*ready)(struct nkvm_vcpu *vcpu))
{
	struct nkvm_vcpu_stat *stat = &vcpu->stat;
	bool slept = false, woken;
	DEFINE_WAIT(wait);
	ktime_t start = 0;
	u64 ns;

	WRITE_ONCE(stat->blocking, 1);
	for (;;) {
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		woken = ready(vcpu);
		if (woken || signal_pending(current))
			break;
		if (!slept) {
			slept = true;
			start = ktime_get();
		}
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
	WRITE_ONCE(stat->blocking, 0);
	if (!slept)
		return;
	ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	nkvm_stat_add(&stat->halt_wait_ns, ns);
	nkvm_stat_log_hist(stat->halt_wait_hist, NKVM_HALT_HIST_COUNT, ns);
	if (woken)
		nkvm_stat_inc(&stat->halt_wakeup);
}
