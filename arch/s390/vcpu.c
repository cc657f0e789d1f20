// SPDX-License-Identifier: GPL-2.0
/*
 * s390 vCPUs: the state description a vCPU is made with, its start and
 * stop, and the vCPU ioctls (registers, the initial PSW, ONE_REG, the
 * multiprocessing state, the capabilities, and the dispatch to resets,
 * MEM_OP and the interrupt ioctls).
 *
 * The guest's registers live where SIE and userspace both find them: the
 * PSW in kvm_run.psw_mask/psw_addr between KVM_RUNs and in the state
 * description during one, r0-r15, the access registers, the floating-point
 * registers and the FPC in kvm_run.s.regs (sie.c loads the last three
 * into the CPU for KVM_RUN), the control registers, the prefix, the
 * timers and the rest in the state description.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/facility.h>
#include <asm/sclp.h>

#include "s390.h"
#include "interrupt.h"
#include "gaccess.h"
#include "reset.h"

/* Facilities that change how the state description is set up. */
#define S390_FAC_STFLE		7
#define S390_FAC_ENH_DAT1	8
#define S390_FAC_SENSE_RUNNING	9
#define S390_FAC_STHYI		74
#define S390_FAC_ENH_DAT2	78

/* The register sets KVM_RUN syncs, as a new vCPU advertises them. */
static u64 s390_valid_regs(void)
{
	return KVM_SYNC_PREFIX | KVM_SYNC_GPRS | KVM_SYNC_ACRS |
	       KVM_SYNC_CRS | KVM_SYNC_ARCH0 | KVM_SYNC_PFAULT |
	       KVM_SYNC_DIAG318 |
	       (MACHINE_HAS_VX ? KVM_SYNC_VRS : KVM_SYNC_FPRS);
}

/*
 * The state description of a new vCPU: z/Architecture, stopped, the VM's
 * CPU model (IBC, facility list), the execution controls the host and the
 * model allow, and the storage-key instructions intercepted (the keys are
 * handed to the guest only when it uses them: priv.c).
 */
static void s390_vcpu_setup(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	struct s390_sie_block *scb = v->scb;

	atomic_set(&scb->cpuflags, SIE_CPU_ZARCH | SIE_CPU_SM |
		   SIE_CPU_STOPPED);

	mutex_lock(&svm->vm.lock);
	if (s390_vm_has_facility(svm, S390_FAC_ENH_DAT2))
		s390_set_cpuflags(v, SIE_CPU_GED2);
	else if (s390_vm_has_facility(svm, S390_FAC_ENH_DAT1))
		s390_set_cpuflags(v, SIE_CPU_GED);
	if (s390_vm_has_facility(svm, S390_FAC_SENSE_RUNNING))
		scb->ecb |= SIE_ECB_SRSI;
	scb->prefix_ibc = svm->model.ibc & SIE_IBC_MASK;
	/*
	 * The model cannot change once a vCPU exists (vm_attr.c): every
	 * vCPU copies the same list.
	 */
	memcpy(svm->fac_list, svm->model.fac_list, PAGE_SIZE / 2);
	if (s390_vm_has_facility(svm, S390_FAC_STFLE))
		scb->fac = (u32)(unsigned long)svm->fac_list;
	/*
	 * STHYI is the hypervisor's to provide: it arrives as an operation
	 * exception (intercept.c), which also catches a guest looping on one.
	 */
	if (s390_vm_has_facility(svm, S390_FAC_STHYI))
		scb->ictl |= SIE_ICTL_OPEREXC;
	mutex_unlock(&svm->vm.lock);

	if (MACHINE_HAS_ESOP)
		scb->ecb |= SIE_ECB_HOSTPROTINT;
	scb->ecb |= SIE_ECB_SPECI;
	scb->eca = SIE_ECA_MVPGI | SIE_ECA_PROTEXCI;
	if (sclp.has_cei)
		scb->eca |= SIE_ECA_CEI;
	if (sclp.has_ib)
		scb->eca |= SIE_ECA_IB;
	if (sclp.has_siif)
		scb->eca |= SIE_ECA_SII;
	if (sclp.has_kss)
		s390_set_cpuflags(v, SIE_CPU_KSS);
	else
		scb->ictl |= SIE_ICTL_ISKE | SIE_ICTL_SSKE | SIE_ICTL_RRBE;
	if (READ_ONCE(svm->user_instr0))
		scb->ictl |= SIE_ICTL_OPEREXC;
	scb->hpid = SIE_HPID_NKVM;

	/* The SCA: for SIE's IPTE interlock; the entry comes with KVM_RUN. */
	scb->scaoh = (u32)((unsigned long)svm->sca >> 32);
	scb->scaol = (u32)(unsigned long)svm->sca;
}

int s390_vcpu_create(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);

	spin_lock_init(&v->irq_lock);
	s390_wait_timer_init(v);
	v->pfault_token = KVM_S390_PFAULT_TOKEN_INVALID;
	vcpu->run->kvm_valid_regs = s390_valid_regs();
	if (!nkvm_runs_guests())
		return 0;

	v->sie_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->sie_page)
		return -ENOMEM;
	v->scb = &v->sie_page->scb;
	v->scb->itdba = (unsigned long)v->sie_page->itdb;
	/* Guest addresses are gmap addresses: no origin, no limit. */
	v->scb->mso = 0;
	v->scb->msl = sclp.hamax;
	v->scb->icpua = vcpu->vcpu_id;
	s390_vcpu_setup(v);
	/* Prefix 0: its pages are faulted in and watched at the first entry. */
	set_bit(S390_REQ_PREFIX, &v->requests);
	return 0;
}

void s390_vcpu_destroy(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);

	hrtimer_cancel(&v->wait_timer);
	if (!v->sie_page)
		return;
	s390_sca_del(v);
	/* Out of the VM's table already: wait for a pte notifier using it. */
	s390_gmap_vcpu_sync();
	free_page((unsigned long)v->sie_page);
}

/* ---- state ---- */

/*
 * The prefix takes effect at the next entry, where the two pages are
 * faulted in and watched (sie.c: a change of their mapping makes the vCPU
 * leave SIE and fault them in again).
 */
void s390_set_prefix(struct nkvm_s390_vcpu *v, u32 prefix)
{
	struct s390_sie_block *scb = v->scb;

	scb->prefix_ibc = (prefix & SIE_PREFIX_MASK) |
			  (scb->prefix_ibc & SIE_IBC_MASK);
	scb->ihcpu = 0xffff;	/* its TLB entries may not be reused */
	set_bit(S390_REQ_PREFIX, &v->requests);
}

void s390_set_cpu_timer(struct nkvm_s390_vcpu *v, u64 cputm)
{
	v->scb->cputm = cputm;
}

/*
 * Start and stop. Stopped vCPUs do not run: KVM_RUN starts one unless
 * userspace took the state over with KVM_SET_MP_STATE, and SIGP STOP,
 * which completes at the vCPU's stop intercept, stops it.
 */
void s390_vcpu_start(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);

	spin_lock(&svm->start_stop_lock);
	s390_clear_cpuflags(v, SIE_CPU_STOPPED);
	spin_unlock(&svm->start_stop_lock);
}

void s390_vcpu_stop(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);

	spin_lock(&svm->start_stop_lock);
	/* Stopped first: a SIGP SENSE sees the stop in progress until here. */
	s390_set_cpuflags(v, SIE_CPU_STOPPED);
	s390_clear_stop_irq(v);
	spin_unlock(&svm->start_stop_lock);
}

/* ---- register ioctls ---- */

static long s390_get_regs(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_regs regs;

	memcpy(regs.gprs, s390_gprs(v), sizeof(regs.gprs));
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long s390_set_regs(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	memcpy(s390_gprs(v), regs.gprs, sizeof(regs.gprs));
	return 0;
}

static long s390_get_sregs(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_sregs sregs;

	memcpy(sregs.acrs, v->vcpu.run->s.regs.acrs, sizeof(sregs.acrs));
	memcpy(sregs.crs, v->scb->gcr, sizeof(sregs.crs));
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long s390_set_sregs(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	memcpy(v->vcpu.run->s.regs.acrs, sregs.acrs, sizeof(sregs.acrs));
	memcpy(v->scb->gcr, sregs.crs, sizeof(sregs.crs));
	return 0;
}

/* With vector registers, FPR n is the leftmost half of VR n. */
static long s390_get_fpu(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;
	struct kvm_fpu fpu = {};
	int i;

	for (i = 0; i < 16; i++)
		fpu.fprs[i] = MACHINE_HAS_VX ? s->vrs[i][0] : s->fprs[i];
	fpu.fpc = s->fpc;
	return copy_to_user(argp, &fpu, sizeof(fpu)) ? -EFAULT : 0;
}

/* As stock, the FPC is taken as given; KVM_RUN clears an invalid one. */
static long s390_set_fpu(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_sync_regs *s = &v->vcpu.run->s.regs;
	struct kvm_fpu fpu;
	int i;

	if (copy_from_user(&fpu, argp, sizeof(fpu)))
		return -EFAULT;
	for (i = 0; i < 16; i++) {
		if (MACHINE_HAS_VX)
			s->vrs[i][0] = fpu.fprs[i];
		else
			s->fprs[i] = fpu.fprs[i];
	}
	s->fpc = fpu.fpc;
	return 0;
}

/* Only a stopped vCPU takes a new PSW this way: EBUSY otherwise. */
static long s390_set_initial_psw(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_s390_psw psw;

	if (copy_from_user(&psw, argp, sizeof(psw)))
		return -EFAULT;
	if (!s390_stopped(v))
		return -EBUSY;
	v->vcpu.run->psw_mask = psw.mask;
	v->vcpu.run->psw_addr = psw.addr;
	return 0;
}

/* ---- KVM_GET/SET_ONE_REG ---- */

/* A ONE_REG register: its size (4 or 8 bytes) and where it is kept. */
static void *s390_one_reg(struct nkvm_s390_vcpu *v, u64 id, unsigned int *size)
{
	struct s390_sie_block *scb = v->scb;

	*size = 8;
	switch (id) {
	case KVM_REG_S390_TODPR:
		*size = 4;
		return &scb->todpr;
	case KVM_REG_S390_EPOCHDIFF:
		return &scb->epoch;
	case KVM_REG_S390_CPU_TIMER:
		return &scb->cputm;
	case KVM_REG_S390_CLOCK_COMP:
		return &scb->ckc;
	case KVM_REG_S390_PFTOKEN:
		return &v->pfault_token;
	case KVM_REG_S390_PFCOMPARE:
		return &v->pfault_compare;
	case KVM_REG_S390_PFSELECT:
		return &v->pfault_select;
	case KVM_REG_S390_PP:
		return &scb->pp;
	case KVM_REG_S390_GBEA:
		return &scb->gbea;
	}
	return NULL;
}

static long s390_one_reg_ioctl(struct nkvm_s390_vcpu *v, unsigned int ioctl,
			       void __user *argp)
{
	struct kvm_one_reg reg;
	unsigned int size;
	void __user *uaddr;
	void *p;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	p = s390_one_reg(v, reg.id, &size);
	if (!p)
		return -EINVAL;
	uaddr = u64_to_user_ptr(reg.addr);
	if (ioctl == KVM_GET_ONE_REG)
		return copy_to_user(uaddr, p, size) ? -EFAULT : 0;
	return copy_from_user(p, uaddr, size) ? -EFAULT : 0;
}

/* ---- multiprocessing state, capabilities ---- */

static long s390_get_mp_state(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_mp_state mp = {
		.mp_state = s390_stopped(v) ? KVM_MP_STATE_STOPPED :
					      KVM_MP_STATE_OPERATING,
	};

	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

/*
 * From the first use on, userspace controls the state: KVM_RUN no longer
 * starts a stopped vCPU (it refuses to run it) and a SIGP STOP leaves
 * the vCPU stopping, for userspace to stop.
 */
static long s390_set_mp_state(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	WRITE_ONCE(s390_vm_of(v)->user_cpu_state, true);
	switch (mp.mp_state) {
	case KVM_MP_STATE_STOPPED:
		s390_vcpu_stop(v);
		return 0;
	case KVM_MP_STATE_OPERATING:
		s390_vcpu_start(v);
		return 0;
	}
	/* LOAD (protected guests) and CHECK_STOP are not supported. */
	return -ENXIO;
}

static long s390_vcpu_enable_cap(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags || cap.cap != KVM_CAP_S390_CSS_SUPPORT)
		return -EINVAL;
	WRITE_ONCE(s390_vm_of(v)->css_support, true);
	return 0;
}

static long s390_vcpu_mem_op(struct nkvm_s390_vcpu *v, void __user *argp)
{
	struct kvm_s390_mem_op mop;

	if (copy_from_user(&mop, argp, sizeof(mop)))
		return -EFAULT;
	return s390_vcpu_memop(v, &mop);
}

static long s390_vcpu_irq_state(struct nkvm_s390_vcpu *v, unsigned int ioctl,
				void __user *argp)
{
	struct kvm_s390_irq_state st;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	/* flags are not checked: old QEMUs pass garbage there, as stock. */
	if (ioctl == KVM_S390_GET_IRQ_STATE)
		return s390_get_irq_state(v, &st);
	return s390_set_irq_state(v, &st);
}

long s390_vcpu_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
		     unsigned long arg)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	void __user *argp = (void __user *)arg;

	/* Without SIE a vCPU is an id: every register ioctl is ENOTTY. */
	if (!v->scb)
		return -ENOTTY;
	switch (ioctl) {
	case KVM_GET_REGS:
		return s390_get_regs(v, argp);
	case KVM_SET_REGS:
		return s390_set_regs(v, argp);
	case KVM_GET_SREGS:
		return s390_get_sregs(v, argp);
	case KVM_SET_SREGS:
		return s390_set_sregs(v, argp);
	case KVM_GET_FPU:
		return s390_get_fpu(v, argp);
	case KVM_SET_FPU:
		return s390_set_fpu(v, argp);
	case KVM_S390_SET_INITIAL_PSW:
		return s390_set_initial_psw(v, argp);
	case KVM_S390_INITIAL_RESET:
	case KVM_S390_NORMAL_RESET:
	case KVM_S390_CLEAR_RESET:
		s390_vcpu_reset(v, ioctl);
		return 0;
	case KVM_S390_STORE_STATUS:
		return s390_store_status_ioctl(v, arg);
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		return s390_one_reg_ioctl(v, ioctl, argp);
	case KVM_GET_MP_STATE:
		return s390_get_mp_state(v, argp);
	case KVM_SET_MP_STATE:
		return s390_set_mp_state(v, argp);
	case KVM_ENABLE_CAP:
		return s390_vcpu_enable_cap(v, argp);
	case KVM_S390_MEM_OP:
		return s390_vcpu_mem_op(v, argp);
	case KVM_S390_GET_IRQ_STATE:
	case KVM_S390_SET_IRQ_STATE:
		return s390_vcpu_irq_state(v, ioctl, argp);
	}
	return -ENOTTY;
}

/* Interrupts for a vCPU that may be running: no vcpu->mutex. */
long s390_vcpu_async_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			   unsigned long arg)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	void __user *argp = (void __user *)arg;
	struct kvm_s390_interrupt s390int;
	struct kvm_s390_irq irq = {};

	switch (ioctl) {
	case KVM_S390_IRQ:
		if (!v->scb)
			return -ENOTTY;
		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		return s390_inject_vcpu(v, &irq);
	case KVM_S390_INTERRUPT:
		if (!v->scb)
			return -ENOTTY;
		if (copy_from_user(&s390int, argp, sizeof(s390int)))
			return -EFAULT;
		if (s390_int_to_irq(&s390int, &irq))
			return -EINVAL;
		return s390_inject_vcpu(v, &irq);
	}
	return -ENOIOCTLCMD;
}
