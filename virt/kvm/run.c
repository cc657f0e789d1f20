// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN and KVM_SET_SIGNAL_MASK: the loop that enters the guest through
 * the arch, and the signal, immediate_exit and rescheduling rules around it.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#include "core.h"

long nkvm_vcpu_set_signal_mask(struct nkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_signal_mask head;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&head, argp, sizeof(head)))
		return -EFAULT;
	if (head.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp + sizeof(head), sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/* While in KVM_RUN the thread blocks the vCPU's signal mask. */
static void nkvm_sigset_activate(struct nkvm_vcpu *vcpu)
{
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

static void nkvm_sigset_deactivate(struct nkvm_vcpu *vcpu)
{
	if (!vcpu->sigset_active)
		return;
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}

static int nkvm_run_loop(struct nkvm_vcpu *vcpu)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	struct kvm_run *run = vcpu->run;
	int r;

	/* An exit userspace has handled is finished even by an
	 * immediate_exit run.
	 */
	if (ops->vcpu_complete_exit) {
		r = ops->vcpu_complete_exit(vcpu);
		if (r)
			return r;
	}

	for (;;) {
		/* As stock KVM: immediate_exit leaves exit_reason alone. */
		if (READ_ONCE(run->immediate_exit))
			return -EINTR;
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			nkvm_stat_inc(&vcpu->stat.signal_exits);
			return -EINTR;
		}
		cond_resched();
		r = ops->vcpu_enter(vcpu);
		if (r <= 0)
			return r;
	}
}

long nkvm_vcpu_run(struct nkvm_vcpu *vcpu, unsigned long arg)
{
	int r;

	if (arg)
		return -EINVAL;
	if (!nkvm_runs_guests())
		return -ENOEXEC;

	nkvm_sigset_activate(vcpu);
	if (NKVM_ARCH->vcpu_run_begin)
		NKVM_ARCH->vcpu_run_begin(vcpu);
	r = nkvm_run_loop(vcpu);
	if (NKVM_ARCH->vcpu_run_end)
		NKVM_ARCH->vcpu_run_end(vcpu);
	nkvm_sigset_deactivate(vcpu);
	return r;
}
