// SPDX-License-Identifier: GPL-2.0
/*
 * s390 interruptions: the local (per-vCPU) and floating (per-VM)
 * conditions, their injection (KVM_S390_IRQ, KVM_S390_INTERRUPT on the
 * vCPU and the VM, the FLIC, SIGP, intercepts), their delivery into the
 * guest's lowcore before an entry, the intercept requests for those the
 * guest has masked, and the enabled wait.
 *
 * Delivery is the architecture's: the interruption code and parameters go
 * to the guest's lowcore (at its prefix), the current PSW to the class's
 * old-PSW slot and the class's new PSW becomes the current one. What the
 * guest cannot take now (masked by the PSW or a control register) makes
 * SIE exit when the guest enables it: CPUSTAT_EXT_INT/IO_INT (the PSW
 * masks), an intercept of LCTL for the subclass masks, of LPSW for the
 * machine-check mask.
 *
 * Locking: the local conditions under the vCPU's irq_lock, the floating
 * ones under the VM's flt.lock (taken first when both are needed). An
 * injector records the condition, then kicks (sie.c).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/hrtimer.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/ctl_reg.h>
#include <asm/facility.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>
#include <asm/fpu/api.h>
#include <asm/lowcore.h>
#include <asm/switch_to.h>
#include <asm/timex.h>

#include "s390.h"
#include "interrupt.h"
#include "gaccess.h"
#include "reset.h"
#include "intercept.h"

/* Queue limits, as stock. */
#define S390_MAX_VIRTIO		87381
#define S390_MAX_PFAULT		(64 * 255)

#define LC(field)		offsetof(struct lowcore, field)

/* ---- what the guest can take ---- */

static u64 s390_gpsw_mask(struct nkvm_s390_vcpu *v)
{
	return v->scb->gpsw.mask;
}

static bool s390_ext_enabled(struct nkvm_s390_vcpu *v)
{
	return s390_gpsw_mask(v) & PSW_MASK_EXT;
}

static bool s390_io_enabled(struct nkvm_s390_vcpu *v)
{
	return s390_gpsw_mask(v) & PSW_MASK_IO;
}

static bool s390_mchk_enabled(struct nkvm_s390_vcpu *v)
{
	return s390_gpsw_mask(v) & PSW_MASK_MCHECK;
}

/* The guest's TOD clock (bits 0-63), as SIE shows it to the guest. */
u64 s390_vcpu_tod(struct nkvm_s390_vcpu *v)
{
	return get_tod_clock_fast() + v->scb->epoch;
}

static bool s390_ckc_enabled(struct nkvm_s390_vcpu *v)
{
	return s390_ext_enabled(v) &&
	       (v->scb->gcr[0] & CR0_CLOCK_COMPARATOR_SUBMASK);
}

static bool s390_ckc_pending(struct nkvm_s390_vcpu *v)
{
	u64 now = s390_vcpu_tod(v), ckc = v->scb->ckc;

	if (v->scb->gcr[0] & CR0_CLOCK_COMPARATOR_SIGN) {
		if ((s64)ckc >= (s64)now)
			return false;
	} else if (ckc >= now) {
		return false;
	}
	return s390_ckc_enabled(v);
}

static bool s390_cputm_enabled(struct nkvm_s390_vcpu *v)
{
	return s390_ext_enabled(v) &&
	       (v->scb->gcr[0] & CR0_CPU_TIMER_SUBMASK);
}

/* The CPU timer has gone negative. */
static bool s390_cputm_pending(struct nkvm_s390_vcpu *v)
{
	return s390_cputm_enabled(v) && (s64)v->scb->cputm < 0;
}

static unsigned long s390_pending(struct nkvm_s390_vcpu *v)
{
	return READ_ONCE(s390_vm_of(v)->flt.pending) | READ_ONCE(v->irq.pending);
}

/* ISC n enabled: bit 32 + n of CR6 (from the left). */
static bool s390_isc_enabled(struct nkvm_s390_vcpu *v, unsigned int isc)
{
	return v->scb->gcr[6] & BIT_ULL(63 - (32 + isc));
}

static unsigned long s390_deliverable(struct nkvm_s390_vcpu *v)
{
	unsigned long mask = s390_pending(v);
	u64 cr0 = v->scb->gcr[0];
	unsigned int isc;

	if (!mask)
		return 0;
	if (!s390_ext_enabled(v))
		mask &= ~S390_IRQ_EXT_MASK;
	if (!s390_io_enabled(v))
		mask &= ~S390_IRQ_IO_MASK;
	for (isc = 0; isc < S390_ISCS; isc++)
		if (!s390_isc_enabled(v, isc))
			mask &= ~BIT(S390_IRQ_IO_ISC0 - isc);
	if (!(cr0 & CR0_EXTERNAL_CALL_SUBMASK))
		mask &= ~BIT(S390_IRQ_EXTERNAL_CALL);
	if (!(cr0 & CR0_EMERGENCY_SIGNAL_SUBMASK))
		mask &= ~BIT(S390_IRQ_EMERGENCY);
	if (!(cr0 & CR0_CLOCK_COMPARATOR_SUBMASK))
		mask &= ~BIT(S390_IRQ_CLOCK_COMP);
	if (!(cr0 & CR0_CPU_TIMER_SUBMASK))
		mask &= ~BIT(S390_IRQ_CPU_TIMER);
	if (!(cr0 & CR0_SERVICE_SIGNAL_SUBMASK))
		mask &= ~(BIT(S390_IRQ_SERVICE) | BIT(S390_IRQ_SERVICE_EV));
	if (!s390_mchk_enabled(v))
		mask &= ~S390_IRQ_MCHK_MASK;
	/* Repressible machine checks wait for a subclass CR14 enables. */
	if (!(v->scb->gcr[14] & (READ_ONCE(s390_vm_of(v)->flt.mchk.cr14) |
				 READ_ONCE(v->irq.mchk.cr14))))
		mask &= ~BIT(S390_IRQ_MCHK_REP);
	/* A stop is not delivered: it is performed at the stop intercept. */
	mask &= ~BIT(S390_IRQ_STOP);
	return mask;
}

bool s390_ext_call_pending(struct nkvm_s390_vcpu *v)
{
	return test_bit(S390_IRQ_EXTERNAL_CALL, &v->irq.pending);
}

bool s390_vcpu_has_irq(struct nkvm_s390_vcpu *v, bool exclude_stop)
{
	if (s390_deliverable(v) || s390_ckc_pending(v) ||
	    s390_cputm_pending(v))
		return true;
	return !exclude_stop && test_bit(S390_IRQ_STOP, &v->irq.pending);
}

/* ---- delivery ---- */

/* The classes' interruption: old PSW stored, new PSW loaded. */
static int s390_swap_psw(struct nkvm_s390_vcpu *v, unsigned long old_off,
			 unsigned long new_off)
{
	psw_t *psw = &v->scb->gpsw;
	int r;

	r = s390_write_lc(v, old_off, psw, sizeof(*psw));
	return r ? r : s390_read_lc(v, new_off, psw, sizeof(*psw));
}

/* An external interruption: code, CPU address (or parameter), PSWs. */
static int s390_deliver_ext(struct nkvm_s390_vcpu *v, u16 code, u16 cpu_addr)
{
	int r;

	r = s390_put_lc(v, LC(ext_int_code), code);
	r |= s390_put_lc(v, LC(ext_cpu_addr), cpu_addr);
	r |= s390_swap_psw(v, LC(external_old_psw), LC(external_new_psw));
	return r ? -EFAULT : 0;
}

static int s390_deliver_clock(struct nkvm_s390_vcpu *v, int bit, u16 code)
{
	clear_bit(bit, &v->irq.pending);
	return s390_deliver_ext(v, code, 0);
}

static int s390_deliver_emergency(struct nkvm_s390_vcpu *v)
{
	unsigned int src;

	spin_lock(&v->irq_lock);
	src = find_first_bit(v->irq.emergency, S390_MAX_VCPUS);
	if (src < S390_MAX_VCPUS)
		clear_bit(src, v->irq.emergency);
	if (bitmap_empty(v->irq.emergency, S390_MAX_VCPUS))
		clear_bit(S390_IRQ_EMERGENCY, &v->irq.pending);
	spin_unlock(&v->irq_lock);
	if (src >= S390_MAX_VCPUS)
		return 0;
	return s390_deliver_ext(v, EXT_CODE_EMERGENCY, src);
}

static int s390_deliver_extcall(struct nkvm_s390_vcpu *v)
{
	u16 src;

	spin_lock(&v->irq_lock);
	src = v->irq.extcall.code;
	v->irq.extcall.code = 0;
	clear_bit(S390_IRQ_EXTERNAL_CALL, &v->irq.pending);
	spin_unlock(&v->irq_lock);
	return s390_deliver_ext(v, EXT_CODE_EXTERNAL_CALL, src);
}

static int s390_deliver_pfault_init(struct nkvm_s390_vcpu *v)
{
	u64 token;
	int r;

	spin_lock(&v->irq_lock);
	token = v->irq.pfault_init.ext_params2;
	v->irq.pfault_init.ext_params2 = 0;
	clear_bit(S390_IRQ_PFAULT_INIT, &v->irq.pending);
	spin_unlock(&v->irq_lock);
	r = s390_put_lc(v, LC(ext_params2), token);
	return r ? -EFAULT : s390_deliver_ext(v, EXT_CODE_CP_SERVICE,
					     EXT_PARM_PFAULT_INIT);
}

/*
 * The restart interruption has its own PSW pair; a new prefix simply
 * becomes the vCPU's (SIGP SET PREFIX on a stopped vCPU).
 */
static int s390_deliver_restart(struct nkvm_s390_vcpu *v)
{
	clear_bit(S390_IRQ_RESTART, &v->irq.pending);
	return s390_swap_psw(v, LC(restart_old_psw), LC(restart_psw)) ?
	       -EFAULT : 0;
}

static int s390_deliver_set_prefix(struct nkvm_s390_vcpu *v)
{
	u32 prefix;

	spin_lock(&v->irq_lock);
	prefix = v->irq.prefix.address;
	v->irq.prefix.address = 0;
	clear_bit(S390_IRQ_SET_PREFIX, &v->irq.pending);
	spin_unlock(&v->irq_lock);
	s390_set_prefix(v, prefix);
	return 0;
}

/*
 * A program interruption. Nullifying conditions (translation and the
 * like) point the old PSW back at the instruction unless the injector
 * already did (KVM_S390_PGM_FLAGS_NO_REWIND).
 */
static int s390_deliver_prog(struct nkvm_s390_vcpu *v)
{
	struct kvm_s390_pgm_info pgm;
	bool nullifying = false;
	u16 ilen;
	int r = 0;

	spin_lock(&v->irq_lock);
	pgm = v->irq.pgm;
	memset(&v->irq.pgm, 0, sizeof(v->irq.pgm));
	clear_bit(S390_IRQ_PROG, &v->irq.pending);
	spin_unlock(&v->irq_lock);

	ilen = pgm.flags & KVM_S390_PGM_FLAGS_ILC_MASK;
	switch (pgm.code & ~PGM_PER) {
	case PGM_AFX_TRANSLATION:
	case PGM_ASX_TRANSLATION:
	case PGM_EX_TRANSLATION:
	case PGM_LFX_TRANSLATION:
	case PGM_LSTE_SEQUENCE:
	case PGM_LSX_TRANSLATION:
	case PGM_LX_TRANSLATION:
	case PGM_PRIMARY_AUTHORITY:
	case PGM_SECONDARY_AUTHORITY:
		nullifying = true;
		fallthrough;
	case PGM_SPACE_SWITCH:
		r = s390_put_lc(v, LC(trans_exc_code), pgm.trans_exc_code);
		break;
	case PGM_ALEN_TRANSLATION:
	case PGM_ALE_SEQUENCE:
	case PGM_ASTE_INSTANCE:
	case PGM_ASTE_SEQUENCE:
	case PGM_ASTE_VALIDITY:
	case PGM_EXTENDED_AUTHORITY:
		r = s390_put_lc(v, LC(exc_access_id), pgm.exc_access_id);
		nullifying = true;
		break;
	case PGM_ASCE_TYPE:
	case PGM_PAGE_TRANSLATION:
	case PGM_REGION_FIRST_TRANS:
	case PGM_REGION_SECOND_TRANS:
	case PGM_REGION_THIRD_TRANS:
	case PGM_SEGMENT_TRANSLATION:
		r = s390_put_lc(v, LC(trans_exc_code), pgm.trans_exc_code);
		r |= s390_put_lc(v, LC(exc_access_id), pgm.exc_access_id);
		r |= s390_put_lc(v, LC(op_access_id), pgm.op_access_id);
		nullifying = true;
		break;
	case PGM_MONITOR:
		r = s390_put_lc(v, LC(mon_class_num), pgm.mon_class_nr);
		r |= s390_put_lc(v, LC(monitor_code), pgm.mon_code);
		break;
	case PGM_DATA:
		r = s390_put_lc(v, LC(data_exc_code), pgm.data_exc_code);
		break;
	case PGM_PROTECTION:
		r = s390_put_lc(v, LC(trans_exc_code), pgm.trans_exc_code);
		r |= s390_put_lc(v, LC(exc_access_id), pgm.exc_access_id);
		break;
	case PGM_STACK_FULL:
	case PGM_STACK_EMPTY:
	case PGM_STACK_SPECIFICATION:
	case PGM_STACK_TYPE:
	case PGM_STACK_OPERATION:
	case PGM_CRYPTO_OPERATION:
		nullifying = true;
		break;
	}
	if (pgm.code & PGM_PER) {
		r |= s390_put_lc(v, LC(per_code), pgm.per_code);
		r |= s390_put_lc(v, LC(per_atmid), pgm.per_atmid);
		r |= s390_put_lc(v, LC(per_address), pgm.per_address);
		r |= s390_put_lc(v, LC(per_access_id), pgm.per_access_id);
	}
	if (nullifying && !(pgm.flags & KVM_S390_PGM_FLAGS_NO_REWIND))
		s390_forward_psw(v, -(int)ilen);
	/* The ILC field holds the length in its bits 1-2: ilen as is. */
	r |= s390_put_lc(v, LC(pgm_ilc), ilen);
	r |= s390_put_lc(v, LC(pgm_last_break), v->scb->gbea);
	r |= s390_put_lc(v, LC(pgm_code), pgm.code);
	r |= s390_swap_psw(v, LC(program_old_psw), LC(program_new_psw));
	return r ? -EFAULT : 0;
}

/*
 * A machine check: the interruption code, and the register save areas of
 * the lowcore filled as the machine would (the guest's registers are
 * loaded in this thread: save them first).
 */
static int s390_write_mcck(struct nkvm_s390_vcpu *v,
			   const struct kvm_s390_mchk_info *mchk)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;
	u64 fprs[16];
	int i, r;

	save_fpu_regs();
	save_access_regs(s->acrs);
	for (i = 0; i < 16; i++)
		fprs[i] = MACHINE_HAS_VX ? s->vrs[i][0] : s->fprs[i];

	r = s390_put_lc(v, LC(ar_mode_id), (u8)1);
	r |= s390_swap_psw(v, LC(mcck_old_psw), LC(mcck_new_psw));
	/* The vector registers were not saved: the validity bit says so. */
	r |= s390_put_lc(v, LC(mcck_interruption_code),
			 mchk->mcic & ~BIT_ULL(63 - 46));
	r |= s390_write_lc(v, LC(floating_pt_save_area), fprs, sizeof(fprs));
	r |= s390_write_lc(v, LC(gpregs_save_area), s->gprs, sizeof(s->gprs));
	r |= s390_put_lc(v, LC(fpt_creg_save_area), current->thread.fpu.fpc);
	r |= s390_put_lc(v, LC(tod_progreg_save_area), v->scb->todpr);
	r |= s390_put_lc(v, LC(cpu_timer_save_area), v->scb->cputm);
	r |= s390_put_lc(v, LC(clock_comp_save_area), v->scb->ckc >> 8);
	r |= s390_write_lc(v, LC(access_regs_save_area), s->acrs,
			   sizeof(s->acrs));
	r |= s390_write_lc(v, LC(cregs_save_area), v->scb->gcr,
			   sizeof(v->scb->gcr));
	r |= s390_put_lc(v, LC(external_damage_code), mchk->ext_damage_code);
	r |= s390_put_lc(v, LC(failing_storage_address),
			 mchk->failing_storage_address);
	r |= s390_write_lc(v, LC(psw_save_area), mchk->fixed_logout,
			   sizeof(mchk->fixed_logout));
	return r ? -EFAULT : 0;
}

static int s390_deliver_mchk(struct nkvm_s390_vcpu *v)
{
	struct s390_float_irqs *flt = &s390_vm_of(v)->flt;
	struct kvm_s390_mchk_info mchk = {};
	bool deliver = false;

	spin_lock(&flt->lock);
	spin_lock(&v->irq_lock);
	if (v->irq.pending & S390_IRQ_MCHK_MASK) {
		/* An exigent one carries the repressible ones along. */
		mchk = v->irq.mchk;
		memset(&v->irq.mchk, 0, sizeof(v->irq.mchk));
		v->irq.pending &= ~S390_IRQ_MCHK_MASK;
		deliver = true;
	}
	if (__test_and_clear_bit(S390_IRQ_MCHK_REP, &flt->pending)) {
		mchk.mcic |= flt->mchk.mcic;
		mchk.cr14 |= flt->mchk.cr14;
		memset(&flt->mchk, 0, sizeof(flt->mchk));
		deliver = true;
	}
	spin_unlock(&v->irq_lock);
	spin_unlock(&flt->lock);
	return deliver ? s390_write_mcck(v, &mchk) : 0;
}

static int s390_deliver_service(struct nkvm_s390_vcpu *v, bool event)
{
	struct s390_float_irqs *flt = &s390_vm_of(v)->flt;
	u32 parm;
	int r;

	spin_lock(&flt->lock);
	if (event) {
		/* Only the event bits: an SCCB answer stays pending. */
		if (!__test_and_clear_bit(S390_IRQ_SERVICE_EV, &flt->pending)) {
			spin_unlock(&flt->lock);
			return 0;
		}
		flt->service_params &= ~SCCB_EVENT_PENDING;
		parm = SCCB_EVENT_PENDING;
	} else {
		if (!test_bit(S390_IRQ_SERVICE, &flt->pending)) {
			spin_unlock(&flt->lock);
			return 0;
		}
		parm = flt->service_params;
		flt->service_params = 0;
		__clear_bit(S390_IRQ_SERVICE, &flt->pending);
		__clear_bit(S390_IRQ_SERVICE_EV, &flt->pending);
	}
	spin_unlock(&flt->lock);

	r = s390_put_lc(v, LC(ext_params), parm);
	return r ? -EFAULT : s390_deliver_ext(v, EXT_CODE_SERVICE, 0);
}

/* The first queued interrupt of a floating list, taken off it. */
static struct s390_float_irq *s390_float_pop(struct s390_float_irqs *flt,
					     unsigned int list, int bit)
{
	struct s390_float_irq *fi;

	spin_lock(&flt->lock);
	fi = list_first_entry_or_null(&flt->lists[list], struct s390_float_irq,
				      node);
	if (fi) {
		list_del(&fi->node);
		if (list < S390_ISCS)
			flt->nr_io--;
		else if (list == S390_FLIST_VIRTIO)
			flt->nr_virtio--;
		else
			flt->nr_pfault--;
	}
	if (list_empty(&flt->lists[list]))
		__clear_bit(bit, &flt->pending);
	spin_unlock(&flt->lock);
	return fi;
}

static int s390_deliver_cp_service(struct nkvm_s390_vcpu *v, bool virtio)
{
	struct s390_float_irqs *flt = &s390_vm_of(v)->flt;
	struct s390_float_irq *fi;
	int r;

	fi = s390_float_pop(flt, virtio ? S390_FLIST_VIRTIO : S390_FLIST_PFAULT,
			    virtio ? S390_IRQ_VIRTIO : S390_IRQ_PFAULT_DONE);
	if (!fi)
		return 0;
	r = virtio ? s390_put_lc(v, LC(ext_params), fi->ext.ext_params) : 0;
	r |= s390_put_lc(v, LC(ext_params2), fi->ext.ext_params2);
	if (!r)
		r = s390_deliver_ext(v, EXT_CODE_CP_SERVICE,
				     virtio ? EXT_PARM_VIRTIO :
					      EXT_PARM_PFAULT_DONE);
	kfree(fi);
	return r ? -EFAULT : 0;
}

static int s390_deliver_io(struct nkvm_s390_vcpu *v, int bit)
{
	struct s390_float_irqs *flt = &s390_vm_of(v)->flt;
	unsigned int isc = S390_IRQ_IO_ISC0 - bit;
	struct s390_float_irq *fi;
	int r;

	fi = s390_float_pop(flt, S390_FLIST_IO0 + isc, bit);
	if (!fi)
		return 0;
	r = s390_put_lc(v, LC(subchannel_id), fi->io.subchannel_id);
	r |= s390_put_lc(v, LC(subchannel_nr), fi->io.subchannel_nr);
	r |= s390_put_lc(v, LC(io_int_parm), fi->io.io_int_parm);
	r |= s390_put_lc(v, LC(io_int_word), fi->io.io_int_word);
	r |= s390_swap_psw(v, LC(io_old_psw), LC(io_new_psw));
	kfree(fi);
	return r ? -EFAULT : 0;
}

/* One handler per condition; all return 0 or -EFAULT. */
static int s390_deliver_one(struct nkvm_s390_vcpu *v, int bit)
{
	switch (bit) {
	case S390_IRQ_IO_ISC7 ... S390_IRQ_IO_ISC0:
		return s390_deliver_io(v, bit);
	case S390_IRQ_MCHK_EX:
	case S390_IRQ_MCHK_REP:
		return s390_deliver_mchk(v);
	case S390_IRQ_PROG:
		return s390_deliver_prog(v);
	case S390_IRQ_EMERGENCY:
		return s390_deliver_emergency(v);
	case S390_IRQ_EXTERNAL_CALL:
		return s390_deliver_extcall(v);
	case S390_IRQ_CLOCK_COMP:
		return s390_deliver_clock(v, bit, EXT_CODE_CLOCK_COMP);
	case S390_IRQ_CPU_TIMER:
		return s390_deliver_clock(v, bit, EXT_CODE_CPU_TIMER);
	case S390_IRQ_RESTART:
		return s390_deliver_restart(v);
	case S390_IRQ_SET_PREFIX:
		return s390_deliver_set_prefix(v);
	case S390_IRQ_PFAULT_INIT:
		return s390_deliver_pfault_init(v);
	case S390_IRQ_SERVICE:
		return s390_deliver_service(v, false);
	case S390_IRQ_SERVICE_EV:
		return s390_deliver_service(v, true);
	case S390_IRQ_PFAULT_DONE:
		return s390_deliver_cp_service(v, false);
	case S390_IRQ_VIRTIO:
		return s390_deliver_cp_service(v, true);
	}
	clear_bit(bit, &v->irq.pending);
	return 0;
}

/*
 * Intercept requests for what the guest has masked: SIE exits when the
 * guest enables the class (PSW) or changes the subclass masks (CR0, CR6,
 * CR14 through LCTL) or loads a PSW (machine checks).
 */
static void s390_set_intercept_requests(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	unsigned long pending = s390_pending(v);

	if (pending & S390_IRQ_IO_MASK) {
		if (!s390_io_enabled(v))
			s390_set_cpuflags(v, SIE_CPU_IO_INT);
		else
			scb->lctl |= SIE_LCTL_CR6;
	}
	if (pending & S390_IRQ_EXT_MASK) {
		if (!s390_ext_enabled(v))
			s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		else
			scb->lctl |= SIE_LCTL_CR0;
	}
	if (pending & S390_IRQ_MCHK_MASK) {
		if (!s390_mchk_enabled(v))
			scb->ictl |= SIE_ICTL_LPSW;
		else
			scb->lctl |= SIE_LCTL_CR14;
	}
	if (pending & BIT(S390_IRQ_STOP))
		s390_set_cpuflags(v, SIE_CPU_STOP_INT);
}

int s390_deliver_pending(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	unsigned long mask;
	int r = 0;

	s390_clear_cpuflags(v, SIE_CPU_IO_INT | SIE_CPU_EXT_INT |
			    SIE_CPU_STOP_INT);
	scb->lctl = 0;
	scb->ictl &= ~(SIE_ICTL_LPSW | SIE_ICTL_STCTL | SIE_ICTL_PINT);

	/* The timers' conditions are re-evaluated: the guest may have moved them. */
	if (s390_ckc_pending(v))
		set_bit(S390_IRQ_CLOCK_COMP, &v->irq.pending);
	else
		clear_bit(S390_IRQ_CLOCK_COMP, &v->irq.pending);
	if (s390_cputm_pending(v))
		set_bit(S390_IRQ_CPU_TIMER, &v->irq.pending);
	else
		clear_bit(S390_IRQ_CPU_TIMER, &v->irq.pending);

	while (!r && (mask = s390_deliverable(v)))
		r = s390_deliver_one(v, __fls(mask));
	s390_set_intercept_requests(v);
	return r;
}

/* ---- local injection ---- */

static int s390_inject_prog_locked(struct nkvm_s390_vcpu *v,
				   struct kvm_s390_pgm_info *pgm)
{
	struct kvm_s390_pgm_info *cur = &v->irq.pgm;

	if (!(pgm->flags & KVM_S390_PGM_FLAGS_ILC_VALID)) {
		pgm->flags &= ~KVM_S390_PGM_FLAGS_ILC_MASK;
		pgm->flags |= s390_icpt_ilen(v) | KVM_S390_PGM_FLAGS_ILC_VALID;
	}
	/* A PER event and another condition are reported together. */
	if (pgm->code == PGM_PER) {
		cur->code |= PGM_PER;
		cur->flags = pgm->flags;
		cur->per_address = pgm->per_address;
		cur->per_code = pgm->per_code;
		cur->per_atmid = pgm->per_atmid;
		cur->per_access_id = pgm->per_access_id;
	} else if (!(pgm->code & PGM_PER)) {
		cur->code = (cur->code & PGM_PER) | pgm->code;
		cur->flags = pgm->flags;
		cur->trans_exc_code = pgm->trans_exc_code;
		cur->mon_code = pgm->mon_code;
		cur->data_exc_code = pgm->data_exc_code;
		cur->mon_class_nr = pgm->mon_class_nr;
		cur->exc_access_id = pgm->exc_access_id;
		cur->op_access_id = pgm->op_access_id;
	} else {
		*cur = *pgm;
	}
	set_bit(S390_IRQ_PROG, &v->irq.pending);
	return 0;
}

/* The source of an external call or emergency signal must exist. */
static bool s390_cpu_exists(struct nkvm_s390_vcpu *v, u16 cpu_addr)
{
	return s390_vcpu_by_id(v->vcpu.vm, cpu_addr);
}

static int s390_inject_stop(struct nkvm_s390_vcpu *v, struct kvm_s390_irq *irq)
{
	if (irq->u.stop.flags & ~KVM_S390_STOP_FLAG_STORE_STATUS)
		return -EINVAL;
	if (s390_stopped(v)) {
		/* Already stopped: only the status is stored. */
		if (irq->u.stop.flags & KVM_S390_STOP_FLAG_STORE_STATUS)
			return s390_store_status(v,
						 KVM_S390_STORE_STATUS_NOADDR);
		return 0;
	}
	if (test_and_set_bit(S390_IRQ_STOP, &v->irq.pending))
		return -EBUSY;
	v->irq.stop.flags = irq->u.stop.flags;
	s390_set_cpuflags(v, SIE_CPU_STOP_INT);
	return 0;
}

static int s390_inject_mchk_locked(struct nkvm_s390_vcpu *v,
				   const struct kvm_s390_mchk_info *m)
{
	struct kvm_s390_mchk_info *cur = &v->irq.mchk;

	/* Conditions accumulate; the logout is the latest one's. */
	cur->cr14 |= m->cr14;
	cur->mcic |= m->mcic;
	cur->ext_damage_code |= m->ext_damage_code;
	cur->failing_storage_address = m->failing_storage_address;
	memcpy(cur->fixed_logout, m->fixed_logout, sizeof(cur->fixed_logout));
	if (cur->mcic & MCIC_EXIGENT)
		set_bit(S390_IRQ_MCHK_EX, &v->irq.pending);
	else if (cur->mcic & MCIC_REPRESSIBLE)
		set_bit(S390_IRQ_MCHK_REP, &v->irq.pending);
	return 0;
}

/* irq_lock held. */
static int s390_inject_locked(struct nkvm_s390_vcpu *v,
			      struct kvm_s390_irq *irq)
{
	switch (irq->type) {
	case KVM_S390_PROGRAM_INT:
		return s390_inject_prog_locked(v, &irq->u.pgm);
	case KVM_S390_SIGP_SET_PREFIX:
		if (!s390_stopped(v))
			return -EBUSY;
		v->irq.prefix = irq->u.prefix;
		set_bit(S390_IRQ_SET_PREFIX, &v->irq.pending);
		return 0;
	case KVM_S390_SIGP_STOP:
		return s390_inject_stop(v, irq);
	case KVM_S390_RESTART:
		set_bit(S390_IRQ_RESTART, &v->irq.pending);
		return 0;
	case KVM_S390_INT_CLOCK_COMP:
		set_bit(S390_IRQ_CLOCK_COMP, &v->irq.pending);
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		return 0;
	case KVM_S390_INT_CPU_TIMER:
		set_bit(S390_IRQ_CPU_TIMER, &v->irq.pending);
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		return 0;
	case KVM_S390_INT_EXTERNAL_CALL:
		if (!s390_cpu_exists(v, irq->u.extcall.code))
			return -EINVAL;
		if (test_and_set_bit(S390_IRQ_EXTERNAL_CALL, &v->irq.pending))
			return -EBUSY;
		v->irq.extcall = irq->u.extcall;
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		return 0;
	case KVM_S390_INT_EMERGENCY:
		if (!s390_cpu_exists(v, irq->u.emerg.code))
			return -EINVAL;
		/* The source exists: its id is below S390_MAX_VCPUS. */
		set_bit(irq->u.emerg.code, v->irq.emergency);
		set_bit(S390_IRQ_EMERGENCY, &v->irq.pending);
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		return 0;
	case KVM_S390_MCHK:
		return s390_inject_mchk_locked(v, &irq->u.mchk);
	case KVM_S390_INT_PFAULT_INIT:
		v->irq.pfault_init = irq->u.ext;
		set_bit(S390_IRQ_PFAULT_INIT, &v->irq.pending);
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
		return 0;
	}
	/* Floating types (virtio, service, I/O) and unknown ones. */
	return -EINVAL;
}

int s390_inject_vcpu(struct nkvm_s390_vcpu *v, struct kvm_s390_irq *irq)
{
	int r;

	spin_lock(&v->irq_lock);
	r = s390_inject_locked(v, irq);
	spin_unlock(&v->irq_lock);
	if (!r)
		s390_vcpu_kick(v);
	return r;
}

int s390_inject_prog(struct nkvm_s390_vcpu *v, struct kvm_s390_pgm_info *pgm)
{
	struct kvm_s390_irq irq = { .type = KVM_S390_PROGRAM_INT };

	irq.u.pgm = *pgm;
	return s390_inject_vcpu(v, &irq);
}

int s390_inject_pgm_code(struct nkvm_s390_vcpu *v, u16 code)
{
	struct kvm_s390_pgm_info pgm = { .code = code };

	return s390_inject_prog(v, &pgm);
}

/* KVM_S390_INTERRUPT's form of the vCPU's interrupt types. */
int s390_int_to_irq(const struct kvm_s390_interrupt *s390int,
		    struct kvm_s390_irq *irq)
{
	u32 parm = s390int->parm;

	irq->type = s390int->type;
	switch (irq->type) {
	case KVM_S390_PROGRAM_INT:
		if (parm & 0xffff0000)
			return -EINVAL;
		irq->u.pgm.code = parm;
		return 0;
	case KVM_S390_SIGP_SET_PREFIX:
		irq->u.prefix.address = parm;
		return 0;
	case KVM_S390_SIGP_STOP:
		irq->u.stop.flags = parm;
		return 0;
	case KVM_S390_INT_EXTERNAL_CALL:
		if (parm & 0xffff0000)
			return -EINVAL;
		irq->u.extcall.code = parm;
		return 0;
	case KVM_S390_INT_EMERGENCY:
		if (parm & 0xffff0000)
			return -EINVAL;
		irq->u.emerg.code = parm;
		return 0;
	case KVM_S390_MCHK:
		irq->u.mchk.mcic = s390int->parm64;
		return 0;
	case KVM_S390_INT_PFAULT_INIT:
		irq->u.ext.ext_params = parm;
		irq->u.ext.ext_params2 = s390int->parm64;
		return 0;
	case KVM_S390_RESTART:
	case KVM_S390_INT_CLOCK_COMP:
	case KVM_S390_INT_CPU_TIMER:
		return 0;
	}
	return -EINVAL;
}

void s390_clear_local_irqs(struct nkvm_s390_vcpu *v)
{
	spin_lock(&v->irq_lock);
	memset(&v->irq, 0, sizeof(v->irq));
	spin_unlock(&v->irq_lock);
}

void s390_clear_stop_irq(struct nkvm_s390_vcpu *v)
{
	spin_lock(&v->irq_lock);
	v->irq.stop.flags = 0;
	clear_bit(S390_IRQ_STOP, &v->irq.pending);
	spin_unlock(&v->irq_lock);
}

bool s390_stop_pending(struct nkvm_s390_vcpu *v, u8 *flags)
{
	bool pending;

	spin_lock(&v->irq_lock);
	pending = test_bit(S390_IRQ_STOP, &v->irq.pending);
	*flags = v->irq.stop.flags;
	spin_unlock(&v->irq_lock);
	return pending;
}

/* A machine check the host took while the guest ran is the guest's too. */
void s390_reinject_mcck(struct nkvm_s390_vcpu *v)
{
	struct s390_mcck_info *mi = &v->sie_page->mcck;
	struct kvm_s390_irq irq = { .type = KVM_S390_MCHK };

	irq.u.mchk.mcic = mi->mcic;
	irq.u.mchk.failing_storage_address = mi->failing_storage_address;
	irq.u.mchk.ext_damage_code = mi->ext_damage_code;
	/* Exigent ones cannot be masked; repressible ones by their subclass. */
	if (mi->mcic & MCIC_WARNING)
		irq.u.mchk.cr14 |= CR14_WARNING_SUBMASK;
	if (mi->mcic & MCIC_DEGRADATION)
		irq.u.mchk.cr14 |= CR14_DEGRADATION_SUBMASK;
	if (mi->mcic & MCIC_EXT_DAMAGE)
		irq.u.mchk.cr14 |= CR14_EXTERNAL_DAMAGE_SUBMASK;
	s390_inject_vcpu(v, &irq);
}

/* ---- KVM_S390_GET/SET_IRQ_STATE ---- */

#define S390_IRQ_STATE_MAX	(sizeof(struct kvm_s390_irq) * \
				 (S390_IRQ_COUNT + S390_MAX_VCPUS))

/* The local conditions as struct kvm_s390_irq, as stock orders them. */
static unsigned int s390_local_state(struct nkvm_s390_vcpu *v,
				     struct kvm_s390_irq *out)
{
	unsigned long pending, bit, src;
	struct s390_local_irqs l;
	unsigned int n = 0;

	spin_lock(&v->irq_lock);
	l = v->irq;
	spin_unlock(&v->irq_lock);
	pending = l.pending;

	for_each_set_bit(bit, &pending, S390_IRQ_COUNT) {
		struct kvm_s390_irq *irq = &out[n];

		switch (bit) {
		case S390_IRQ_MCHK_EX:
		case S390_IRQ_MCHK_REP:
			irq->type = KVM_S390_MCHK;
			irq->u.mchk = l.mchk;
			break;
		case S390_IRQ_PROG:
			irq->type = KVM_S390_PROGRAM_INT;
			irq->u.pgm = l.pgm;
			break;
		case S390_IRQ_PFAULT_INIT:
			irq->type = KVM_S390_INT_PFAULT_INIT;
			irq->u.ext = l.pfault_init;
			break;
		case S390_IRQ_EXTERNAL_CALL:
			irq->type = KVM_S390_INT_EXTERNAL_CALL;
			irq->u.extcall = l.extcall;
			break;
		case S390_IRQ_CLOCK_COMP:
			irq->type = KVM_S390_INT_CLOCK_COMP;
			break;
		case S390_IRQ_CPU_TIMER:
			irq->type = KVM_S390_INT_CPU_TIMER;
			break;
		case S390_IRQ_STOP:
			irq->type = KVM_S390_SIGP_STOP;
			irq->u.stop = l.stop;
			break;
		case S390_IRQ_RESTART:
			irq->type = KVM_S390_RESTART;
			break;
		case S390_IRQ_SET_PREFIX:
			irq->type = KVM_S390_SIGP_SET_PREFIX;
			irq->u.prefix = l.prefix;
			break;
		default:
			/* Emergency signals follow, one per source. */
			continue;
		}
		n++;
	}
	if (test_bit(S390_IRQ_EMERGENCY, &pending)) {
		for_each_set_bit(src, l.emergency, S390_MAX_VCPUS) {
			out[n].type = KVM_S390_INT_EMERGENCY;
			out[n].u.emerg.code = src;
			n++;
		}
	}
	return n;
}

/*
 * The bytes stored, or ENOBUFS when len cannot hold them all (nothing is
 * stored then), EINVAL for len 0, EFAULT.
 */
int s390_get_irq_state(struct nkvm_s390_vcpu *v,
		       const struct kvm_s390_irq_state *st)
{
	struct kvm_s390_irq *buf;
	unsigned int n;
	size_t bytes;
	int r;

	if (!st->len)
		return -EINVAL;
	buf = kvzalloc(S390_IRQ_STATE_MAX, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	n = s390_local_state(v, buf);
	bytes = n * sizeof(*buf);
	if (bytes > st->len)
		r = -ENOBUFS;
	else if (copy_to_user(u64_to_user_ptr(st->buf), buf, bytes))
		r = -EFAULT;
	else
		r = bytes;
	kvfree(buf);
	return r;
}

/*
 * Inject a saved state: a whole number of struct kvm_s390_irq, at most
 * what GET can return (EINVAL otherwise), into a vCPU with nothing
 * pending (EBUSY).
 */
int s390_set_irq_state(struct nkvm_s390_vcpu *v,
		       const struct kvm_s390_irq_state *st)
{
	struct kvm_s390_irq *buf;
	unsigned int i;
	int r = 0;

	if (!st->len || st->len > S390_IRQ_STATE_MAX ||
	    st->len % sizeof(*buf))
		return -EINVAL;
	buf = vmemdup_user(u64_to_user_ptr(st->buf), st->len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	spin_lock(&v->irq_lock);
	if (v->irq.pending)
		r = -EBUSY;
	for (i = 0; !r && i < st->len / sizeof(*buf); i++)
		r = s390_inject_locked(v, &buf[i]);
	spin_unlock(&v->irq_lock);
	kvfree(buf);
	if (!r)
		s390_vcpu_kick(v);
	return r;
}

/* ---- floating interrupts ---- */

void s390_float_init(struct nkvm_s390_vm *svm)
{
	unsigned int i;

	spin_lock_init(&svm->flt.lock);
	for (i = 0; i < S390_FLIST_COUNT; i++)
		INIT_LIST_HEAD(&svm->flt.lists[i]);
}

/* KVM_DEV_FLIC_CLEAR_IRQS and VM teardown. */
void s390_float_clear(struct nkvm_s390_vm *svm)
{
	struct s390_float_irqs *flt = &svm->flt;
	struct s390_float_irq *fi, *tmp;
	LIST_HEAD(gone);
	unsigned int i;

	spin_lock(&flt->lock);
	for (i = 0; i < S390_FLIST_COUNT; i++)
		list_splice_init(&flt->lists[i], &gone);
	flt->pending = 0;
	flt->nr_io = 0;
	flt->nr_virtio = 0;
	flt->nr_pfault = 0;
	flt->service_params = 0;
	memset(&flt->mchk, 0, sizeof(flt->mchk));
	spin_unlock(&flt->lock);
	list_for_each_entry_safe(fi, tmp, &gone, node)
		kfree(fi);
}

/*
 * A vCPU to take a floating interrupt: an idle one (in enabled wait), else
 * the next running one round robin. Its request bit makes SIE exit.
 */
static void s390_float_kick(struct nkvm_s390_vm *svm, u64 type)
{
	unsigned int n = atomic_read(&svm->vm.online_vcpus), tries, idx;
	struct nkvm_s390_vcpu *v = NULL;
	unsigned long idle = READ_ONCE(svm->idle_mask);
	struct nkvm_vcpu *vcpu;

	if (!n)
		return;
	idx = idle ? __ffs(idle) : n;
	if (idx < n) {
		vcpu = xa_load(&svm->vm.vcpus, idx);
		v = vcpu ? to_s390_vcpu(vcpu) : NULL;
	}
	for (tries = 0; !v && tries < n; tries++) {
		spin_lock(&svm->flt.lock);
		idx = svm->flt.next_rr++ % n;
		spin_unlock(&svm->flt.lock);
		vcpu = xa_load(&svm->vm.vcpus, idx);
		if (vcpu && !s390_stopped(to_s390_vcpu(vcpu)))
			v = to_s390_vcpu(vcpu);
	}
	if (!v)
		return;
	if (type >= KVM_S390_INT_IO_MIN && type <= KVM_S390_INT_IO_MAX)
		s390_set_cpuflags(v, SIE_CPU_IO_INT);
	else if (type == KVM_S390_MCHK)
		s390_set_cpuflags(v, SIE_CPU_STOP_INT);
	else
		s390_set_cpuflags(v, SIE_CPU_EXT_INT);
	s390_vcpu_kick(v);
}

/* flt.lock held; fi is the queue's from here on, or freed. */
static int s390_queue_float(struct s390_float_irqs *flt,
			    struct s390_float_irq *fi)
{
	unsigned int isc;

	switch (fi->type) {
	case KVM_S390_INT_VIRTIO:
		if (flt->nr_virtio >= S390_MAX_VIRTIO)
			return -EBUSY;
		flt->nr_virtio++;
		list_add_tail(&fi->node, &flt->lists[S390_FLIST_VIRTIO]);
		__set_bit(S390_IRQ_VIRTIO, &flt->pending);
		return 0;
	case KVM_S390_INT_PFAULT_DONE:
		if (flt->nr_pfault >= S390_MAX_PFAULT)
			return -EBUSY;
		flt->nr_pfault++;
		list_add_tail(&fi->node, &flt->lists[S390_FLIST_PFAULT]);
		__set_bit(S390_IRQ_PFAULT_DONE, &flt->pending);
		return 0;
	case KVM_S390_INT_SERVICE:
		/* Events always; a second SCCB before the first is dropped. */
		flt->service_params |= fi->ext.ext_params & SCCB_EVENT_PENDING;
		if (flt->service_params & SCCB_EVENT_PENDING)
			__set_bit(S390_IRQ_SERVICE_EV, &flt->pending);
		if (!(flt->service_params & SCCB_MASK)) {
			flt->service_params |= fi->ext.ext_params & SCCB_MASK;
			__set_bit(S390_IRQ_SERVICE, &flt->pending);
		}
		kfree(fi);
		return 0;
	case KVM_S390_MCHK:
		/* Only channel-report-pending conditions float. */
		flt->mchk.cr14 |= fi->mchk.cr14 & CR14_CHANNEL_REPORT;
		flt->mchk.mcic |= fi->mchk.mcic;
		__set_bit(S390_IRQ_MCHK_REP, &flt->pending);
		kfree(fi);
		return 0;
	}
	if (fi->type > KVM_S390_INT_IO_MAX)
		return -EINVAL;
	if (flt->nr_io >= KVM_S390_MAX_FLOAT_IRQS)
		return -EBUSY;
	flt->nr_io++;
	isc = s390_isc_of(fi->io.io_int_word);
	list_add_tail(&fi->node, &flt->lists[S390_FLIST_IO0 + isc]);
	__set_bit(S390_IRQ_IO_ISC0 - isc, &flt->pending);
	return 0;
}

int s390_inject_float(struct nkvm_s390_vm *svm, struct s390_float_irq *fi)
{
	u64 type = fi->type;
	int r;

	spin_lock(&svm->flt.lock);
	r = s390_queue_float(&svm->flt, fi);
	spin_unlock(&svm->flt.lock);
	if (!r)
		s390_float_kick(svm, type);
	return r;
}

/* A floating interrupt from KVM_S390_INTERRUPT on the VM fd. */
int s390_inject_float_int(struct nkvm_s390_vm *svm,
			  const struct kvm_s390_interrupt *s390int)
{
	struct s390_float_irq *fi;
	int r;

	fi = kzalloc(sizeof(*fi), GFP_KERNEL_ACCOUNT);
	if (!fi)
		return -ENOMEM;
	fi->type = s390int->type;
	switch (fi->type) {
	case KVM_S390_INT_VIRTIO:
		fi->ext.ext_params = s390int->parm;
		fi->ext.ext_params2 = s390int->parm64;
		break;
	case KVM_S390_INT_SERVICE:
		fi->ext.ext_params = s390int->parm;
		break;
	case KVM_S390_INT_PFAULT_DONE:
		fi->ext.ext_params2 = s390int->parm64;
		break;
	case KVM_S390_MCHK:
		fi->mchk.cr14 = s390int->parm;
		fi->mchk.mcic = s390int->parm64;
		break;
	case KVM_S390_INT_IO_MIN ... KVM_S390_INT_IO_MAX:
		fi->io.subchannel_id = s390int->parm >> 16;
		fi->io.subchannel_nr = s390int->parm & 0xffff;
		fi->io.io_int_parm = s390int->parm64 >> 32;
		fi->io.io_int_word = (u32)s390int->parm64;
		break;
	default:
		kfree(fi);
		return -EINVAL;
	}
	r = s390_inject_float(svm, fi);
	if (r)
		kfree(fi);
	return r;
}

/* A floating interrupt from a struct kvm_s390_irq (the FLIC's ENQUEUE). */
int s390_float_from_irq(struct s390_float_irq *f,
			const struct kvm_s390_irq *irq)
{
	f->type = irq->type;
	switch (irq->type) {
	case KVM_S390_INT_PFAULT_DONE:
	case KVM_S390_INT_VIRTIO:
	case KVM_S390_INT_SERVICE:
		f->ext = irq->u.ext;
		return 0;
	case KVM_S390_INT_IO_MIN ... KVM_S390_INT_IO_MAX:
		f->io = irq->u.io;
		return 0;
	case KVM_S390_MCHK:
		f->mchk = irq->u.mchk;
		return 0;
	}
	/* PFAULT_INIT and the other local types do not float. */
	return -EINVAL;
}

/*
 * KVM_DEV_FLIC_GET_ALL_IRQS: the queued interrupts (I/O by ISC, pfault,
 * virtio), then a pending service signal and floating machine check, as
 * struct kvm_s390_irq; their number. len: the buffer's bytes, 1 to
 * KVM_S390_FLIC_MAX_BUFFER (EINVAL). ENOMEM asks for a bigger buffer
 * (ENOBUFS when we have no memory for one), as stock.
 */
int s390_get_all_float(struct nkvm_s390_vm *svm, void __user *ubuf, u64 len)
{
	struct s390_float_irqs *flt = &svm->flt;
	unsigned int max = len / sizeof(struct kvm_s390_irq), n = 0, i;
	struct kvm_s390_irq *buf;
	struct s390_float_irq *fi;
	int r = 0;

	if (!len || len > KVM_S390_FLIC_MAX_BUFFER)
		return -EINVAL;
	buf = vzalloc(len);
	if (!buf)
		return -ENOBUFS;

	spin_lock(&flt->lock);
	for (i = 0; i < S390_FLIST_COUNT && !r; i++) {
		list_for_each_entry(fi, &flt->lists[i], node) {
			if (n == max) {
				r = -ENOMEM;
				break;
			}
			buf[n].type = fi->type;
			if (i < S390_ISCS)
				buf[n].u.io = fi->io;
			else
				buf[n].u.ext = fi->ext;
			n++;
		}
	}
	if (!r && (flt->pending & (BIT(S390_IRQ_SERVICE) |
				   BIT(S390_IRQ_SERVICE_EV)))) {
		if (n == max) {
			r = -ENOMEM;
		} else {
			buf[n].type = KVM_S390_INT_SERVICE;
			buf[n].u.ext.ext_params = flt->service_params;
			n++;
		}
	}
	if (!r && test_bit(S390_IRQ_MCHK_REP, &flt->pending)) {
		if (n == max) {
			r = -ENOMEM;
		} else {
			buf[n].type = KVM_S390_MCHK;
			buf[n].u.mchk = flt->mchk;
			n++;
		}
	}
	spin_unlock(&flt->lock);

	if (!r && n && copy_to_user(ubuf, buf, n * sizeof(*buf)))
		r = -EFAULT;
	vfree(buf);
	return r ? r : n;
}

/* ---- the enabled wait ---- */

static u64 s390_tod_to_ns(u64 tod)
{
	return tod_to_ns(tod);
}

/*
 * Nanoseconds until the guest's next timer interruption (clock
 * comparator or CPU timer, whichever it enabled), 0 when one is due now,
 * U64_MAX without an enabled timer.
 */
static u64 s390_wait_ns(struct nkvm_s390_vcpu *v)
{
	u64 ns = U64_MAX, now, ckc;
	s64 cputm;

	if (s390_ckc_enabled(v)) {
		now = s390_vcpu_tod(v);
		ckc = v->scb->ckc;
		if (v->scb->gcr[0] & CR0_CLOCK_COMPARATOR_SIGN)
			ns = (s64)now < (s64)ckc ?
			     s390_tod_to_ns((s64)ckc - (s64)now) : 0;
		else
			ns = now < ckc ? s390_tod_to_ns(ckc - now) : 0;
	}
	if (ns && s390_cputm_enabled(v)) {
		cputm = v->scb->cputm;
		ns = min(ns, cputm < 0 ? 0 : s390_tod_to_ns(cputm));
	}
	return ns;
}

static enum hrtimer_restart s390_wait_timer_fn(struct hrtimer *t)
{
	struct nkvm_s390_vcpu *v = container_of(t, struct nkvm_s390_vcpu,
					       wait_timer);

	nkvm_vcpu_kick(&v->vcpu);
	return HRTIMER_NORESTART;
}

void s390_wait_timer_init(struct nkvm_s390_vcpu *v)
{
	hrtimer_init(&v->wait_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	v->wait_timer.function = s390_wait_timer_fn;
}

static bool s390_wait_done(struct nkvm_vcpu *vcpu)
{
	return s390_vcpu_has_irq(to_s390_vcpu(vcpu), false);
}

/*
 * The guest loaded a wait PSW. With every interruption class disabled it
 * is a disabled wait, which only userspace can end: -EOPNOTSUPP, the
 * intercept goes to userspace. Otherwise the vCPU sleeps until an
 * interruption it can take (or a stop) is pending, or its enabled timer
 * expires, or a signal comes (the KVM_RUN loop then exits with EINTR).
 */
int s390_handle_wait(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	u64 ns;

	if (s390_vcpu_has_irq(v, false))
		return 0;
	if (!(s390_gpsw_mask(v) & (PSW_MASK_EXT | PSW_MASK_IO |
				   PSW_MASK_MCHECK)))
		return -EOPNOTSUPP;
	ns = s390_wait_ns(v);
	if (!ns)
		return 0;

	s390_set_cpuflags(v, SIE_CPU_WAIT);
	set_bit(v->vcpu.vcpu_idx, &svm->idle_mask);
	if (ns != U64_MAX)
		hrtimer_start(&v->wait_timer, ns_to_ktime(ns),
			      HRTIMER_MODE_REL);
	nkvm_vcpu_block(&v->vcpu, s390_wait_done);
	hrtimer_cancel(&v->wait_timer);
	clear_bit(v->vcpu.vcpu_idx, &svm->idle_mask);
	s390_clear_cpuflags(v, SIE_CPU_WAIT);
	return 0;
}
