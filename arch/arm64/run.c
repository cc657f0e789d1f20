// SPDX-License-Identifier: GPL-2.0
/*
 * One step of the core's KVM_RUN loop (virt/kvm/run.c): the power state
 * first (a stopped vCPU sleeps until PSCI CPU_ON or a signal; a CPU_ON
 * reset is applied by the vCPU's own thread), then one guest entry with
 * the kernel's FP/SIMD ownership and the kick protocol, then the exit.
 *
 * Around the entry: kernel_neon_begin() saves the task's FP/SIMD/SVE
 * state and keeps preemption and softirqs off until kernel_neon_end();
 * local_daif_save() masks every exception for the world switch. An
 * interrupt that arrives in the guest exits it and is taken by the host
 * once DAIF is restored.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/sched.h>
#include <asm/daifflags.h>
#include <asm/neon.h>

#include "arm64.h"

/* Something that ends a WFI: an interrupt line, a power state change. */
bool arm64_irq_pending(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);

	return READ_ONCE(av->irq_lines) || arm64_vcpu_stopped(av) ||
	       READ_ONCE(av->reset_pending);
}

static bool power_on_ready(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);

	return !arm64_vcpu_stopped(av) || READ_ONCE(av->reset_pending);
}

static bool wakeup_ready(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);

	return READ_ONCE(av->irq_lines) ||
	       READ_ONCE(av->mp_state) != KVM_MP_STATE_SUSPENDED;
}

int arm64_vcpu_complete_exit(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);

	if (!arm64_vcpu_initialized(av))
		return -ENOEXEC;
	return arm64_mmio_complete(av);
}

/*
 * Before an entry: 1 to enter, 0 when kvm_run holds an exit, or a
 * negative errno; -EAGAIN asks the loop to come back (after a signal
 * check) without entering.
 */
static int arm64_power_state(struct nkvm_arm64_vcpu *av)
{
	struct kvm_run *run = av->vcpu.run;

	if (arm64_vcpu_stopped(av)) {
		nkvm_vcpu_block(&av->vcpu, power_on_ready);
		if (!power_on_ready(&av->vcpu))
			return -EAGAIN;
	}
	if (READ_ONCE(av->reset_pending))
		arm64_reset_vcpu(av);
	if (READ_ONCE(av->mp_state) == KVM_MP_STATE_SUSPENDED) {
		nkvm_vcpu_block(&av->vcpu, wakeup_ready);
		if (!wakeup_ready(&av->vcpu))
			return -EAGAIN;
		spin_lock(&av->mp_lock);
		if (av->mp_state == KVM_MP_STATE_SUSPENDED)
			WRITE_ONCE(av->mp_state, KVM_MP_STATE_RUNNABLE);
		spin_unlock(&av->mp_lock);
		memset(&run->system_event, 0, sizeof(run->system_event));
		run->system_event.type = KVM_SYSTEM_EVENT_WAKEUP;
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		return 0;
	}
	return 1;
}

int arm64_vcpu_enter(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);
	unsigned long flags;
	int r;

	r = arm64_power_state(av);
	if (r == -EAGAIN)
		return 1;
	if (r <= 0)
		return r;
	if (!READ_ONCE(av_vm(av)->has_run))
		WRITE_ONCE(av_vm(av)->has_run, true);

	/* Clear the kick before looking for events to deliver. */
	nkvm_vcpu_clear_kick(vcpu);
	kernel_neon_begin();
	flags = local_daif_save();
	if (!nkvm_vcpu_enter_guest(vcpu)) {
		local_daif_restore(flags);
		kernel_neon_end();
		return 1;
	}
	arm64_world_switch(av);
	nkvm_vcpu_exit_guest(vcpu);
	local_daif_restore(flags);
	kernel_neon_end();

	av->has_run = true;
	return arm64_handle_exit(av);
}
