// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU resets (KVM_S390_NORMAL_RESET, _INITIAL_RESET, _CLEAR_RESET: each a
 * superset of the one before) and STORE STATUS (the ioctl, SIGP, a stop
 * with store status). The vCPU ioctls run outside KVM_RUN: the registers
 * are in kvm_run and the state description then.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <asm/ctl_reg.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>
#include <asm/fpu/api.h>
#include <asm/lowcore.h>
#include <asm/switch_to.h>

#include "s390.h"
#include "interrupt.h"
#include "gaccess.h"
#include "reset.h"

#define CR0_RESET	(CR0_UNUSED_56 | CR0_INTERRUPT_KEY_SUBMASK | \
			 CR0_MEASUREMENT_ALERT_SUBMASK)
#define CR14_RESET	(CR14_UNUSED_32 | CR14_UNUSED_33 | \
			 CR14_EXTERNAL_DAMAGE_SUBMASK)

/* Normal: interruptions, pfault, the RI bit go; the vCPU stops. */
static void s390_normal_reset(struct nkvm_s390_vcpu *v)
{
	struct kvm_run *run = v->vcpu.run;

	v->scb->gpsw.mask &= ~PSW_MASK_RI;
	run->psw_mask &= ~PSW_MASK_RI;
	v->pfault_token = KVM_S390_PFAULT_TOKEN_INVALID;
	run->s.regs.pft = KVM_S390_PFAULT_TOKEN_INVALID;
	memset(run->s.regs.riccb, 0, sizeof(run->s.regs.riccb));
	if (!READ_ONCE(s390_vm_of(v)->user_cpu_state))
		s390_vcpu_stop(v);
	s390_clear_local_irqs(v);
}

/*
 * Initial: also the PSW, prefix, timers and control registers (CR0 and
 * CR14 to their reset values), in the state description and kvm_run.
 */
static void s390_initial_reset(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	struct kvm_run *run = v->vcpu.run;
	struct kvm_sync_regs *s = &run->s.regs;

	s390_normal_reset(v);
	scb->gpsw.mask = 0;
	scb->gpsw.addr = 0;
	s390_set_prefix(v, 0);
	s390_set_cpu_timer(v, 0);
	scb->ckc = 0;
	memset(scb->gcr, 0, sizeof(scb->gcr));
	scb->gcr[0] = CR0_RESET;
	scb->gcr[14] = CR14_RESET;
	scb->gbea = 1;
	scb->pp = 0;
	scb->todpr = 0;
	scb->fpf = 0;

	memset(s->crs, 0, sizeof(s->crs));
	s->crs[0] = CR0_RESET;
	s->crs[14] = CR14_RESET;
	run->psw_mask = 0;
	run->psw_addr = 0;
	s->prefix = 0;
	s->todpr = 0;
	s->cputm = 0;
	s->ckc = 0;
	s->pp = 0;
	s->gbea = 1;
	s->fpc = 0;
}

/* Clear: also the general, access, floating-point registers. */
static void s390_clear_reset(struct nkvm_s390_vcpu *v)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;

	s390_initial_reset(v);
	memset(s->gprs, 0, sizeof(s->gprs));
	memset(s->vrs, 0, sizeof(s->vrs));
	memset(s->acrs, 0, sizeof(s->acrs));
	memset(s->gscb, 0, sizeof(s->gscb));
	s->etoken = 0;
	s->etoken_extension = 0;
}

void s390_vcpu_reset(struct nkvm_s390_vcpu *v, unsigned int ioctl)
{
	switch (ioctl) {
	case KVM_S390_NORMAL_RESET:
		s390_normal_reset(v);
		break;
	case KVM_S390_INITIAL_RESET:
		s390_initial_reset(v);
		break;
	case KVM_S390_CLEAR_RESET:
		s390_clear_reset(v);
		break;
	}
}

#define LC(field)	offsetof(struct lowcore, field)

/*
 * The status (registers, PSW, prefix, timers) into the save area at
 * absolute addr (its floating-point registers' slot, 0x1200 of a
 * lowcore): KVM_S390_STORE_STATUS_NOADDR is absolute 0x1200,
 * _PREFIXED the vCPU's own lowcore; both also set the architecture-mode
 * byte (163) to z/Architecture.
 */
int s390_store_status(struct nkvm_s390_vcpu *v, u64 addr)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;
	struct nkvm_vm *vm = v->vcpu.vm;
	u32 prefix = s390_prefix(v);
	u8 archmode = 1;
	u64 fprs[16], cputm, ckc;
	u64 base;
	int i, r;

	if (addr == KVM_S390_STORE_STATUS_NOADDR) {
		if (nkvm_write_guest(vm, 163, &archmode, 1))
			return -EFAULT;
		base = 0;
	} else if (addr == KVM_S390_STORE_STATUS_PREFIXED) {
		if (nkvm_write_guest(vm, prefix + 163, &archmode, 1))
			return -EFAULT;
		base = prefix;
	} else {
		base = addr - LC(floating_pt_save_area);
	}
	for (i = 0; i < 16; i++)
		fprs[i] = MACHINE_HAS_VX ? s->vrs[i][0] : s->fprs[i];
	cputm = v->scb->cputm;
	ckc = v->scb->ckc >> 8;

	r = nkvm_write_guest(vm, base + LC(floating_pt_save_area), fprs,
			     sizeof(fprs));
	r |= nkvm_write_guest(vm, base + LC(gpregs_save_area), s->gprs,
			      sizeof(s->gprs));
	r |= nkvm_write_guest(vm, base + LC(psw_save_area), &v->scb->gpsw,
			      sizeof(v->scb->gpsw));
	r |= nkvm_write_guest(vm, base + LC(prefixreg_save_area), &prefix, 4);
	r |= nkvm_write_guest(vm, base + LC(fpt_creg_save_area), &s->fpc, 4);
	r |= nkvm_write_guest(vm, base + LC(tod_progreg_save_area),
			      &v->scb->todpr, 4);
	r |= nkvm_write_guest(vm, base + LC(cpu_timer_save_area), &cputm, 8);
	r |= nkvm_write_guest(vm, base + LC(clock_comp_save_area), &ckc, 8);
	r |= nkvm_write_guest(vm, base + LC(access_regs_save_area), s->acrs,
			      sizeof(s->acrs));
	r |= nkvm_write_guest(vm, base + LC(cregs_save_area), v->scb->gcr,
			      sizeof(v->scb->gcr));
	return r ? -EFAULT : 0;
}

/* From the vCPU's own thread in KVM_RUN: its registers are loaded. */
int s390_store_status_noaddr(struct nkvm_s390_vcpu *v)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;

	save_fpu_regs();
	s->fpc = current->thread.fpu.fpc;
	save_access_regs(s->acrs);
	return s390_store_status(v, KVM_S390_STORE_STATUS_NOADDR);
}

long s390_store_status_ioctl(struct nkvm_s390_vcpu *v, unsigned long addr)
{
	return s390_store_status(v, addr);
}
