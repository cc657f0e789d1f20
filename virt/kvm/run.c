// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN and KVM_SET_SIGNAL_MASK: the loop that enters the guest through
 * the arch, and the signal, immediate_exit and rescheduling rules around it.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#include <nkvm/trace.h>

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

/*
 * KVM_CAP_SYNC_REGS. kvm_run is shared with userspace, which may change it
 * at any time: the two masks are read once and only the copies are used.
 * As stock, sets named in kvm_dirty_regs are applied (and their bits
 * cleared) before the exit userspace handled is completed, and the sets
 * named in kvm_valid_regs are stored whenever KVM_RUN returns, on errors
 * too.
 */
static int nkvm_sync_regs_in(struct nkvm_vcpu *vcpu, u64 valid, u64 dirty)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	int r;

	if ((valid | dirty) & ~ops->sync_regs)
		return -EINVAL;
	if (!dirty)
		return 0;
	r = ops->sync_regs_in(vcpu, &dirty);
	WRITE_ONCE(vcpu->run->kvm_dirty_regs, dirty);
	return r;
}

static void nkvm_sync_regs_out(struct nkvm_vcpu *vcpu, u64 valid)
{
	valid &= NKVM_ARCH->sync_regs;
	if (valid)
		NKVM_ARCH->sync_regs_out(vcpu, valid);
}

long nkvm_vcpu_run(struct nkvm_vcpu *vcpu, unsigned long arg)
{
	bool sync = NKVM_ARCH->sync_regs;
	u64 valid = 0, dirty = 0;
	int r;

	if (arg)
		return -EINVAL;
	if (!nkvm_runs_guests())
		return -ENOEXEC;

	if (sync) {
		valid = READ_ONCE(vcpu->run->kvm_valid_regs);
		dirty = READ_ONCE(vcpu->run->kvm_dirty_regs);
	}
	nkvm_sigset_activate(vcpu);
	if (NKVM_ARCH->vcpu_run_begin)
		NKVM_ARCH->vcpu_run_begin(vcpu);
	r = sync ? nkvm_sync_regs_in(vcpu, valid, dirty) : 0;
	if (!r)
		r = nkvm_run_loop(vcpu);
	if (sync)
		nkvm_sync_regs_out(vcpu, valid);
	if (NKVM_ARCH->vcpu_run_end)
		NKVM_ARCH->vcpu_run_end(vcpu);
	nkvm_sigset_deactivate(vcpu);
	trace_nkvm_userspace_exit(vcpu->vcpu_id, vcpu->run->exit_reason, r);
	return r;
}
