// SPDX-License-Identifier: GPL-2.0
/*
 * KVM hypercalls (VMMCALL on AMD): the number in RAX, arguments in RBX,
 * RCX, RDX and RSI, the result in RAX; outside 64-bit code all of them
 * are 32 bits wide. -KVM_EPERM outside ring 0, -KVM_ENOSYS for a number
 * we do not know or a feature KVM_CAP_ENFORCE_PV_FEATURE_CPUID withholds.
 *
 *   KVM_HC_VAPIC_POLL_IRQ   nothing to do: 0.
 *   KVM_HC_KICK_CPU         (flags, APIC id) wakes that vCPU from HLT, or
 *                           from its next HLT if it is running.
 *   KVM_HC_SEND_IPI         (bitmap low, bitmap high, lowest APIC id, ICR)
 *                           an IPI to each physical APIC id in the bitmaps;
 *                           the number of local APICs that took it.
 *   KVM_HC_SCHED_YIELD      (APIC id) a reschedule point for the caller.
 *   KVM_HC_CLOCK_PAIRING    -KVM_EOPNOTSUPP, as stock where the host clock
 *                           is not the TSC.
 *
 * The guest's VMCALL (Intel's) raises #UD on AMD. With
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN (on by default) the #UD handler
 * rewrites it in guest memory as VMMCALL, which the guest then runs; with
 * the quirk off the #UD is the guest's. MONITOR and MWAIT are NOPs unless
 * KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS is off and the guest's CPUID does
 * not offer MWAIT: then #UD.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <asm/apicdef.h>
#include <uapi/asm/kvm_para.h>
#include <uapi/linux/kvm_para.h>

#include <nkvm/trace.h>

#include "irqchip/irqchip.h"

#define HC_INSN_LEN	3
#define HC_BROADCAST	0xff
#define HC_BROADCAST_X2	0xffffffffU
#define HC_ICR_SHORTHAND	APIC_DEST_ALLBUT	/* bits 19:18 */

static const u8 hc_vmcall[HC_INSN_LEN] = { 0x0f, 0x01, 0xc1 };
static const u8 hc_vmmcall[HC_INSN_LEN] = { 0x0f, 0x01, 0xd9 };

/*
 * An interrupt message to one physical APIC id, never a broadcast: the
 * number of local APICs that took it. -1 without an in-kernel irqchip.
 */
static int hc_deliver(struct nkvm_x86_vcpu *xv, u32 apic_id, u8 mode,
		      u8 vector, bool level, bool trig_level)
{
	struct nkvm_x86_irq irq = {
		.dest_id = apic_id,
		.vector = vector,
		.delivery_mode = mode,
		.level = level,
		.trig_level = trig_level,
	};

	if (!nkvm_x86_has_irqchip(to_x86_vm(xv->vcpu.vm)) || !xv->lapic)
		return -1;
	/* The sender's broadcast id: 0xff in xAPIC mode, all ones in x2APIC. */
	if (apic_id == HC_BROADCAST_X2 ||
	    (apic_id == HC_BROADCAST &&
	     !(nkvm_x86_lapic_get_base(xv) & X2APIC_ENABLE)))
		return 0;
	return max(nkvm_x86_lapic_deliver(xv->vcpu.vm, xv, &irq), 0);
}

/* As stock: -KVM_EINVAL for a logical destination or a shorthand. */
static long hc_send_ipi(struct nkvm_x86_vcpu *xv, u64 low, u64 high, u32 min,
			u64 icr, bool op64)
{
	unsigned int cluster = op64 ? 64 : 32, i;
	u64 maps[2] = { low, high };
	long count = 0;
	int r;

	if (icr & (APIC_DEST_LOGICAL | HC_ICR_SHORTHAND))
		return -KVM_EINVAL;
	if (!nkvm_x86_has_irqchip(to_x86_vm(xv->vcpu.vm)))
		return -KVM_EOPNOTSUPP;
	for (i = 0; i < 2 * cluster; i++) {
		if (!(maps[i / cluster] & BIT_ULL(i % cluster)))
			continue;
		r = hc_deliver(xv, min + i, (icr & APIC_MODE_MASK) >> 8,
			       icr & APIC_VECTOR_MASK, icr & APIC_INT_ASSERT,
			       icr & APIC_INT_LEVELTRIG);
		count += max(r, 0);
	}
	return count;
}

/* Stock yields to the target vCPU's thread; we only let others run. */
static void hc_sched_yield(void)
{
	if (!single_task_running())
		cond_resched();
}

int nkvm_x86_hypercall(struct nkvm_x86_vcpu *xv, unsigned int cpl, bool op64)
{
	struct kvm_regs *regs = &xv->regs;
	u64 nr = regs->rax, a0 = regs->rbx, a1 = regs->rcx, a2 = regs->rdx;
	u64 a3 = regs->rsi;
	long ret = -KVM_ENOSYS;

	if (!op64) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	if (cpl) {
		ret = -KVM_EPERM;
		goto out;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVM_HC_KICK_CPU:
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_PV_UNHALT))
			break;
		hc_deliver(xv, a1, NKVM_X86_DM_REMRD, 0, false, false);
		hc_sched_yield();
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_PV_SEND_IPI))
			break;
		ret = hc_send_ipi(xv, a0, a1, a2, a3, op64);
		break;
	case KVM_HC_SCHED_YIELD:
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_PV_SCHED_YIELD))
			break;
		hc_sched_yield();
		ret = 0;
		break;
	case KVM_HC_CLOCK_PAIRING:
		ret = -KVM_EOPNOTSUPP;
		break;
	}
out:
	trace_nkvm_hypercall(xv->vcpu.vcpu_id, nr, a0, a1, a2, a3, ret);
	regs->rax = op64 ? (u64)ret : (u32)ret;
	return 1;
}

bool nkvm_x86_fix_hypercall(struct nkvm_x86_vcpu *xv, const u8 *native)
{
	struct kvm_sregs sregs;
	u8 insn[HC_INSN_LEN];
	bool mode64;
	u64 la;

	if (!nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_FIX_HYPERCALL_INSN) ||
	    !nkvm_x86_get_sregs(xv, &sregs))
		return false;
	mode64 = (sregs.efer & EFER_LMA) && sregs.cs.l;
	la = sregs.cs.base + xv->regs.rip;
	/* The other vendor's hypercall: VMCALL on AMD, VMMCALL on Intel. */
	if (nkvm_x86_read_linear(xv, &sregs, mode64, la, insn, sizeof(insn)) ||
	    !memcmp(insn, native, sizeof(insn)) ||
	    (memcmp(insn, hc_vmcall, sizeof(insn)) &&
	     memcmp(insn, hc_vmmcall, sizeof(insn))))
		return false;
	return !nkvm_x86_write_linear(xv, &sregs, mode64, la, native,
				      HC_INSN_LEN);
}

bool nkvm_x86_mwait_is_nop(struct nkvm_x86_vcpu *xv)
{
	return nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS) ||
	       nkvm_x86_guest_has_mwait(xv);
}
