// SPDX-License-Identifier: GPL-2.0
/*
 * SIGNAL PROCESSOR between the vCPUs of a VM, as stock handles it: SENSE,
 * EXTERNAL CALL, (CONDITIONAL) EMERGENCY SIGNAL, STOP (AND STORE
 * STATUS), SET PREFIX, STORE STATUS AT ADDRESS, SENSE RUNNING and SET
 * ARCHITECTURE in the kernel; (RE)START and the CPU resets in userspace
 * (an instruction intercept), as every order is with
 * KVM_CAP_S390_USER_SIGP except the sensing and signalling ones.
 *
 * An order answers a condition code, and with cc 1 a status in the low
 * word of r1.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <asm/facility.h>
#include <asm/sigp.h>

#include "s390.h"
#include "interrupt.h"
#include "intercept.h"
#include "gaccess.h"
#include "reset.h"

#define S390_FAC_SENSE_RUNNING	9

/* cc 1 with status in r1's low word. */
static int s390_sigp_status(u64 *reg, u32 status)
{
	*reg = (*reg & 0xffffffff00000000ULL) | status;
	return SIGP_CC_STATUS_STORED;
}

static int s390_sigp_sense(struct nkvm_s390_vcpu *dst, u64 *reg)
{
	bool stopped = s390_stopped(dst), ecall = s390_ext_call_pending(dst);

	if (!stopped && !ecall)
		return SIGP_CC_ORDER_CODE_ACCEPTED;
	return s390_sigp_status(reg, (stopped ? SIGP_STATUS_STOPPED : 0) |
				(ecall ? SIGP_STATUS_EXT_CALL_PENDING : 0));
}

static int s390_sigp_emergency(struct nkvm_s390_vcpu *v,
			       struct nkvm_s390_vcpu *dst)
{
	struct kvm_s390_irq irq = {
		.type = KVM_S390_INT_EMERGENCY,
		.u.emerg.code = v->vcpu.vcpu_id,
	};
	int r = s390_inject_vcpu(dst, &irq);

	return r ? r : SIGP_CC_ORDER_CODE_ACCEPTED;
}

/*
 * CONDITIONAL EMERGENCY SIGNAL: not sent (incorrect state) only when the
 * stopped target is enabled for I/O and external interruptions and is
 * either waiting at address 0 or running in the address space asn
 * names. (Stock tests the sender's stopped and wait states instead,
 * which never holds: it always sends.)
 */
static int s390_sigp_cond_emergency(struct nkvm_s390_vcpu *v,
				    struct nkvm_s390_vcpu *dst, u16 asn,
				    u64 *reg)
{
	const u64 both = PSW_MASK_IO | PSW_MASK_EXT;
	psw_t *psw = &dst->scb->gpsw;
	u16 p_asn = dst->scb->gcr[4] & 0xffff, s_asn = dst->scb->gcr[3] & 0xffff;
	bool idle = s390_cpuflag(dst, SIE_CPU_WAIT);

	if (!s390_stopped(dst) || (psw->mask & both) != both ||
	    (idle && psw->addr) || (!idle && (asn == p_asn || asn == s_asn)))
		return s390_sigp_emergency(v, dst);
	return s390_sigp_status(reg, SIGP_STATUS_INCORRECT_STATE);
}

static int s390_sigp_external_call(struct nkvm_s390_vcpu *v,
				   struct nkvm_s390_vcpu *dst, u64 *reg)
{
	struct kvm_s390_irq irq = {
		.type = KVM_S390_INT_EXTERNAL_CALL,
		.u.extcall.code = v->vcpu.vcpu_id,
	};
	int r = s390_inject_vcpu(dst, &irq);

	if (r == -EBUSY)
		return s390_sigp_status(reg, SIGP_STATUS_EXT_CALL_PENDING);
	return r ? r : SIGP_CC_ORDER_CODE_ACCEPTED;
}

/* The target stops at its stop intercept; busy while one is on its way. */
static int s390_sigp_stop(struct nkvm_s390_vcpu *dst, bool store)
{
	struct kvm_s390_irq irq = {
		.type = KVM_S390_SIGP_STOP,
		.u.stop.flags = store ? KVM_S390_STOP_FLAG_STORE_STATUS : 0,
	};
	int r = s390_inject_vcpu(dst, &irq);

	return r == -EBUSY ? SIGP_CC_BUSY : r;
}

static int s390_sigp_set_prefix(struct nkvm_s390_vcpu *v,
				struct nkvm_s390_vcpu *dst, u32 addr,
				u64 *reg)
{
	struct kvm_s390_irq irq = {
		.type = KVM_S390_SIGP_SET_PREFIX,
		.u.prefix.address = addr & SIE_PREFIX_MASK,
	};
	int r;

	/* Slots are 1 MiB aligned: the first page tells for both. */
	if (!s390_gpa_valid(v->vcpu.vm, irq.u.prefix.address))
		return s390_sigp_status(reg, SIGP_STATUS_INVALID_PARAMETER);
	r = s390_inject_vcpu(dst, &irq);
	if (r == -EBUSY)	/* the target is not stopped */
		return s390_sigp_status(reg, SIGP_STATUS_INCORRECT_STATE);
	return r;
}

static int s390_sigp_store_status(struct nkvm_s390_vcpu *dst, u32 addr,
				  u64 *reg)
{
	int r;

	if (!s390_stopped(dst))
		return s390_sigp_status(reg, SIGP_STATUS_INCORRECT_STATE);
	r = s390_store_status(dst, addr & 0x7ffffe00);
	if (r == -EFAULT)
		return s390_sigp_status(reg, SIGP_STATUS_INVALID_PARAMETER);
	return r;
}

static int s390_sigp_sense_running(struct nkvm_s390_vcpu *v,
				   struct nkvm_s390_vcpu *dst, u64 *reg)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	bool has;

	mutex_lock(&svm->vm.lock);
	has = s390_vm_has_facility(svm, S390_FAC_SENSE_RUNNING);
	mutex_unlock(&svm->vm.lock);
	if (!has)
		return s390_sigp_status(reg, SIGP_STATUS_INVALID_ORDER);
	if (s390_cpuflag(dst, SIE_CPU_RUNNING))
		return SIGP_CC_ORDER_CODE_ACCEPTED;
	return s390_sigp_status(reg, SIGP_STATUS_NOT_RUNNING);
}

/* The orders that name a target CPU. */
static int s390_sigp_dst(struct nkvm_s390_vcpu *v, u8 order, u16 cpu_addr,
			 u32 param, u64 *reg)
{
	struct nkvm_s390_vcpu *dst = s390_vcpu_by_id(v->vcpu.vm, cpu_addr);
	unsigned long busy = BIT(S390_IRQ_STOP) | BIT(S390_IRQ_RESTART);

	if (!dst)
		return SIGP_CC_NOT_OPERATIONAL;
	/*
	 * A STOP or RESTART the target has not performed yet makes every
	 * order but the resets busy (a SENSE right after a STOP must not
	 * say "operating").
	 */
	if (order != SIGP_INITIAL_CPU_RESET && order != SIGP_CPU_RESET &&
	    (READ_ONCE(dst->irq.pending) & busy))
		return SIGP_CC_BUSY;

	switch (order) {
	case SIGP_SENSE:
		return s390_sigp_sense(dst, reg);
	case SIGP_EXTERNAL_CALL:
		return s390_sigp_external_call(v, dst, reg);
	case SIGP_EMERGENCY_SIGNAL:
		return s390_sigp_emergency(v, dst);
	case SIGP_STOP:
		return s390_sigp_stop(dst, false);
	case SIGP_STOP_AND_STORE_STATUS:
		return s390_sigp_stop(dst, true);
	case SIGP_STORE_STATUS_AT_ADDRESS:
		return s390_sigp_store_status(dst, param, reg);
	case SIGP_SET_PREFIX:
		return s390_sigp_set_prefix(v, dst, param, reg);
	case SIGP_COND_EMERGENCY_SIGNAL:
		return s390_sigp_cond_emergency(v, dst, param, reg);
	case SIGP_SENSE_RUNNING:
		return s390_sigp_sense_running(v, dst, reg);
	}
	/* (RE)START, the resets and unknown orders: userspace. */
	return -EOPNOTSUPP;
}

/* With KVM_CAP_S390_USER_SIGP all but these go to userspace. */
static bool s390_sigp_in_kernel(struct nkvm_s390_vcpu *v, u8 order)
{
	if (!READ_ONCE(s390_vm_of(v)->user_sigp))
		return true;
	switch (order) {
	case SIGP_SENSE:
	case SIGP_EXTERNAL_CALL:
	case SIGP_EMERGENCY_SIGNAL:
	case SIGP_COND_EMERGENCY_SIGNAL:
	case SIGP_SENSE_RUNNING:
		return true;
	}
	return false;
}

int s390_handle_sigp(struct nkvm_s390_vcpu *v)
{
	int r1 = (v->scb->ipa & 0x00f0) >> 4, r3 = v->scb->ipa & 0x000f;
	u64 *gprs = s390_gprs(v);
	u16 cpu_addr = gprs[r3];
	u8 order;
	u32 param;
	int cc;

	if (s390_problem_state(v))
		return s390_inject_pgm_code(v, PGM_PRIVILEGED_OP);
	order = s390_addr_s(v, NULL);
	if (!s390_sigp_in_kernel(v, order))
		return -EOPNOTSUPP;
	/* The parameter: r1 if odd, else r1 + 1. */
	param = gprs[r1 | 1];

	if (order == SIGP_SET_ARCHITECTURE)
		/* The guest is always in z/Architecture (CZAM). */
		cc = s390_sigp_status(&gprs[r1], SIGP_STATUS_INVALID_PARAMETER);
	else
		cc = s390_sigp_dst(v, order, cpu_addr, param, &gprs[r1]);
	if (cc < 0)
		return cc;
	s390_set_psw_cc(v, cc);
	return 0;
}

/*
 * Partial execution: SIE made the external call pending at a waiting
 * target and leaves the wakeup to us.
 */
int s390_handle_sigp_pei(struct nkvm_s390_vcpu *v)
{
	u16 cpu_addr = s390_gprs(v)[v->scb->ipa & 0xf];
	struct nkvm_s390_vcpu *dst;

	if ((u8)s390_addr_s(v, NULL) != SIGP_EXTERNAL_CALL)
		return -EOPNOTSUPP;
	dst = s390_vcpu_by_id(v->vcpu.vm, cpu_addr);
	if (!dst)
		return -EOPNOTSUPP;
	s390_vcpu_kick(dst);
	s390_set_psw_cc(v, SIGP_CC_ORDER_CODE_ACCEPTED);
	return 0;
}
