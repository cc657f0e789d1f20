// SPDX-License-Identifier: GPL-2.0
/*
 * SIE intercepts: one handler per intercept code, and for instruction
 * intercepts one per opcode (its first byte; priv.c has the second-level
 * tables). What the kernel does not handle goes to userspace as
 * KVM_EXIT_S390_SIEIC with the code and the instruction, as on stock:
 * a code without a handler, an instruction without one, or a handler's
 * -EOPNOTSUPP.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <asm/lowcore.h>

#include "s390.h"
#include "interrupt.h"
#include "intercept.h"
#include "gaccess.h"
#include "reset.h"

int s390_icpt_ilen(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	int ilen = 0;

	switch (scb->icptcode) {
	case SIE_ICPT_INST:
	case SIE_ICPT_INSTPROGI:
	case SIE_ICPT_OPEREXC:
	case SIE_ICPT_PARTEXEC:
	case SIE_ICPT_IOINST:
		ilen = insn_length(scb->ipa >> 8);
		/* Under EXECUTE the EXECUTE's length counts (bits 1-2). */
		if (scb->icptstatus & 1) {
			ilen = (scb->icptstatus >> 4) & 0x6;
			if (!ilen)
				ilen = 4;
		}
		break;
	case SIE_ICPT_PROGI:
		ilen = scb->pgmilc & 0x6;
		break;
	}
	return ilen;
}

/* ---- instructions ---- */

static const s390_handler_t s390_insn_handlers[256] = {
	[0x01] = s390_handle_01,
	[0x82] = s390_handle_lpsw,
	[0x83] = s390_handle_diag,
	[0xaa] = s390_handle_aa,
	[0xae] = s390_handle_sigp,
	[0xb2] = s390_handle_b2,
	[0xb6] = s390_handle_stctl,
	[0xb7] = s390_handle_lctl,
	[0xb9] = s390_handle_b9,
	[0xe3] = s390_handle_e3,
	[0xe5] = s390_handle_e5,
	[0xeb] = s390_handle_eb,
};

static int s390_icpt_instruction(struct nkvm_s390_vcpu *v)
{
	s390_handler_t h = s390_insn_handlers[v->scb->ipa >> 8];

	return h ? h(v) : -EOPNOTSUPP;
}

/* ---- program interruptions ---- */

/*
 * SIE intercepts a program interruption it cannot present (the guest's
 * lowcore is ours to write): give it to the guest, the PSW already
 * rewound where the condition nullifies.
 */
static int s390_icpt_prog(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	struct kvm_s390_pgm_info pgm = {
		.code = scb->iprcc,
		.flags = KVM_S390_PGM_FLAGS_NO_REWIND,
	};
	psw_t psw;

	/* A specification exception with a bad new PSW would loop. */
	if (scb->iprcc == PGM_SPECIFICATION) {
		if (s390_read_lc(v, offsetof(struct lowcore, program_new_psw),
				 &psw, sizeof(psw)))
			return -EFAULT;
		if ((psw.mask & PSW_MASK_EA) && !(psw.mask & PSW_MASK_BA))
			return -EOPNOTSUPP;
		if (psw.addr & 1)
			return -EOPNOTSUPP;
	}
	switch (scb->iprcc & ~PGM_PER) {
	case PGM_AFX_TRANSLATION:
	case PGM_ASX_TRANSLATION:
	case PGM_EX_TRANSLATION:
	case PGM_LFX_TRANSLATION:
	case PGM_LSTE_SEQUENCE:
	case PGM_LSX_TRANSLATION:
	case PGM_LX_TRANSLATION:
	case PGM_PRIMARY_AUTHORITY:
	case PGM_SECONDARY_AUTHORITY:
	case PGM_SPACE_SWITCH:
		pgm.trans_exc_code = scb->tecmc;
		break;
	case PGM_ALEN_TRANSLATION:
	case PGM_ALE_SEQUENCE:
	case PGM_ASTE_INSTANCE:
	case PGM_ASTE_SEQUENCE:
	case PGM_ASTE_VALIDITY:
	case PGM_EXTENDED_AUTHORITY:
		pgm.exc_access_id = scb->eai;
		break;
	case PGM_ASCE_TYPE:
	case PGM_PAGE_TRANSLATION:
	case PGM_REGION_FIRST_TRANS:
	case PGM_REGION_SECOND_TRANS:
	case PGM_REGION_THIRD_TRANS:
	case PGM_SEGMENT_TRANSLATION:
		pgm.trans_exc_code = scb->tecmc;
		pgm.exc_access_id = scb->eai;
		pgm.op_access_id = scb->oai;
		break;
	case PGM_MONITOR:
		pgm.mon_class_nr = scb->mcn;
		pgm.mon_code = scb->tecmc;
		break;
	case PGM_DATA:
		pgm.data_exc_code = scb->dxc;
		break;
	case PGM_PROTECTION:
		pgm.trans_exc_code = scb->tecmc;
		pgm.exc_access_id = scb->eai;
		break;
	}
	if (scb->iprcc & PGM_PER) {
		pgm.per_code = scb->perc;
		pgm.per_atmid = scb->peratmid;
		pgm.per_address = scb->peraddr;
		pgm.per_access_id = scb->peraid;
	}
	return s390_inject_prog(v, &pgm);
}

/* ---- external interruptions ---- */

/*
 * SIE intercepts an external interruption when another was already
 * pending (the priorities are ours to keep), or when the guest's new
 * external PSW has external interruptions enabled, which would loop on a
 * timer: that case goes to userspace.
 */
static int s390_icpt_external(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	struct kvm_s390_irq irq = {};
	psw_t newpsw;
	int r;

	if (s390_read_lc(v, offsetof(struct lowcore, external_new_psw),
			 &newpsw, sizeof(newpsw)))
		return -EFAULT;
	switch (scb->eic) {
	case EXT_CODE_CLOCK_COMP:
	case EXT_CODE_CPU_TIMER:
		if (newpsw.mask & PSW_MASK_EXT)
			return -EOPNOTSUPP;
		irq.type = scb->eic == EXT_CODE_CLOCK_COMP ?
			   KVM_S390_INT_CLOCK_COMP : KVM_S390_INT_CPU_TIMER;
		return s390_inject_vcpu(v, &irq);
	case EXT_CODE_EXTERNAL_CALL:
		irq.type = KVM_S390_INT_EXTERNAL_CALL;
		irq.u.extcall.code = scb->extcpuaddr;
		r = s390_inject_vcpu(v, &irq);
		/* One is pending already: that one will be taken. */
		return r == -EBUSY ? 0 : r;
	}
	return -EOPNOTSUPP;
}

/* ---- the rest ---- */

static int s390_icpt_nothing(struct nkvm_s390_vcpu *v)
{
	/* An interruption may be deliverable now: the next entry sees. */
	return 0;
}

static int s390_icpt_wait(struct nkvm_s390_vcpu *v)
{
	return s390_handle_wait(v);
}

/* The state description is invalid: a bug of ours (or the guest's RI). */
static int s390_icpt_validity(struct nkvm_s390_vcpu *v)
{
	u16 why = v->scb->ipb >> 16;

	if (why != 0x44)	/* invalid runtime-instrumentation controls */
		pr_warn_ratelimited("SIE validity intercept 0x%x (vcpu %u)\n",
				    why, v->vcpu.vcpu_id);
	return -EINVAL;
}

/*
 * A stop request. Interruptions come first; then the status is stored if
 * asked, the vCPU stops (unless userspace controls the state) and
 * userspace hears of it.
 */
static int s390_icpt_stop(struct nkvm_s390_vcpu *v)
{
	u8 flags;
	int r;

	if (s390_vcpu_has_irq(v, true))
		return 0;
	if (!s390_stop_pending(v, &flags))
		return 0;
	if (flags & KVM_S390_STOP_FLAG_STORE_STATUS) {
		r = s390_store_status_noaddr(v);
		if (r)
			return r;
	}
	if (!READ_ONCE(s390_vm_of(v)->user_cpu_state))
		s390_vcpu_stop(v);
	return -EOPNOTSUPP;
}

/*
 * An operation exception (intercepted for STHYI, which the hypervisor
 * provides, and with KVM_CAP_S390_USER_INSTR0 for opcode 0). Otherwise it
 * is the guest's, unless its program new PSW points right back at the
 * instruction: that loop goes to userspace.
 */
static int s390_icpt_operexc(struct nkvm_s390_vcpu *v)
{
	psw_t old = v->scb->gpsw, new;
	u64 bits = PSW_MASK_ASC | PSW_MASK_DAT;

	if (v->scb->ipa == 0xb256)
		return s390_handle_sthyi(v);
	if (!v->scb->ipa && READ_ONCE(s390_vm_of(v)->user_instr0))
		return -EOPNOTSUPP;
	if (s390_read_lc(v, offsetof(struct lowcore, program_new_psw), &new,
			 sizeof(new)))
		return -EFAULT;
	if (old.addr - new.addr <= 6 && !(new.mask & PSW_MASK_WAIT) &&
	    !(old.mask & PSW_MASK_PSTATE) &&
	    (new.mask & bits) == (old.mask & bits))
		return -EOPNOTSUPP;
	return s390_inject_pgm_code(v, PGM_OPERATION);
}

/* Partial execution: SIGP orders SIE began and left to us. */
static int s390_icpt_partexec(struct nkvm_s390_vcpu *v)
{
	if (v->scb->ipa >> 8 == 0xae)
		return s390_handle_sigp_pei(v);
	return -EOPNOTSUPP;
}

/* Keyless subset: the guest uses storage keys now. */
static int s390_icpt_kss(struct nkvm_s390_vcpu *v)
{
	int r = s390_skeys_enable(v);

	if (!r) {
		s390_clear_cpuflags(v, SIE_CPU_KSS);
		s390_retry_instr(v);
	}
	return r;
}

static const s390_handler_t s390_icpt_handlers[SIE_ICPT_MAX / 4] = {
	[SIE_ICPT_INST / 4]	  = s390_icpt_instruction,
	[SIE_ICPT_PROGI / 4]	  = s390_icpt_prog,
	[SIE_ICPT_EXTREQ / 4]	  = s390_icpt_nothing,
	[SIE_ICPT_EXTINT / 4]	  = s390_icpt_external,
	[SIE_ICPT_IOREQ / 4]	  = s390_icpt_nothing,
	[SIE_ICPT_WAIT / 4]	  = s390_icpt_wait,
	[SIE_ICPT_VALIDITY / 4]	  = s390_icpt_validity,
	[SIE_ICPT_STOP / 4]	  = s390_icpt_stop,
	[SIE_ICPT_OPEREXC / 4]	  = s390_icpt_operexc,
	[SIE_ICPT_PARTEXEC / 4]	  = s390_icpt_partexec,
	[SIE_ICPT_KSS / 4]	  = s390_icpt_kss,
	[SIE_ICPT_MCHKREQ / 4]	  = s390_icpt_nothing,
	[SIE_ICPT_INT_ENABLE / 4] = s390_icpt_nothing,
};

/* The vcpu_enter return for an intercept: 1 go on, 0 exit, -errno. */
int s390_handle_intercept(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	struct kvm_run *run = v->vcpu.run;
	s390_handler_t h = NULL;
	int r;

	if (!(scb->icptcode & 3))
		h = s390_icpt_handlers[scb->icptcode / 4];
	r = h ? h(v) : -EOPNOTSUPP;
	switch (r) {
	case 0:
		return 1;
	case -EREMOTE:
		return 0;
	case -EOPNOTSUPP:
		run->exit_reason = KVM_EXIT_S390_SIEIC;
		run->s390_sieic.icptcode = scb->icptcode;
		run->s390_sieic.ipa = scb->ipa;
		run->s390_sieic.ipb = scb->ipb;
		return 0;
	}
	return r;
}
