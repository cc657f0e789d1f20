// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN on s390: the guest's state loaded around the whole ioctl, one
 * SIE entry per vcpu_enter, and what an exit leaves to intercept.c.
 *
 * Host state, restored on every path out:
 *  - the access registers and the floating-point registers/FPC are the
 *    guest's from vcpu_run_begin to vcpu_run_end (the thread's FPU save
 *    area points into kvm_run meanwhile, so a context switch saves the
 *    guest's; run_end points it back and the host's come back lazily on
 *    the way to userspace);
 *  - the CPU's current guest address space (lowcore gmap, which sie64a
 *    and the guest-fault handler read) is the VM's while this thread runs
 *    inside KVM_RUN and 0 otherwise: a preempt notifier sets it when the
 *    thread is scheduled in and clears it when it is scheduled out;
 *  - control register 1 and the host's registers: sie64a restores them
 *    itself, on its fault path too.
 *
 * Kicks (an interrupt, a request, the prefix pages moving): the kicker
 * sets SIE_PROG_REQUEST in prog20, which sie64a checks right before SIE
 * and inside the window the kernel's interrupt entry rewinds, then
 * nkvm_vcpu_kick() wakes a sleeping vCPU or IPIs a running one (any host
 * interruption ends SIE). The vCPU clears the request before it looks at
 * what changed.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/preempt.h>
#include <linux/sched/signal.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>
#include <asm/fpu/api.h>
#include <asm/switch_to.h>

#include <nkvm/trace.h>

#include "s390.h"
#include "interrupt.h"
#include "intercept.h"
#include "gaccess.h"

/* ---- the system control area ---- */

/* The vCPU's entry, made at its first KVM_RUN (its id is unique then). */
static void s390_sca_add(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	u32 id = v->vcpu.vcpu_id;

	mutex_lock(&svm->vm.lock);
	if (!svm->sca->cpu[id].sda) {
		svm->sca->cpu[id].sda = (unsigned long)v->scb;
		set_bit_inv(id, (unsigned long *)&svm->sca->mcn);
	}
	mutex_unlock(&svm->vm.lock);
}

void s390_sca_del(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	struct s390_sca_entry *e = &svm->sca->cpu[v->vcpu.vcpu_id];

	if (e->sda != (unsigned long)v->scb)
		return;
	clear_bit_inv(v->vcpu.vcpu_id, (unsigned long *)&svm->sca->mcn);
	e->sda = 0;
}

/* ---- kicks ---- */

void s390_vcpu_kick(struct nkvm_s390_vcpu *v)
{
	atomic_or(SIE_PROG_REQUEST, &v->scb->prog20);
	nkvm_vcpu_kick(&v->vcpu);
}

/* Kick and wait until the vCPU is out of SIE. Any context. */
void s390_vcpu_kick_sync(struct nkvm_s390_vcpu *v)
{
	s390_vcpu_kick(v);
	while (READ_ONCE(v->scb->prog0c) & SIE_PROG_IN_SIE)
		cpu_relax();
}

/*
 * The kernel calls the pte notifier for every gmap of the system, the
 * stock KVM's too if it is loaded: only the VMs on this list are ours.
 * The lock also keeps a vCPU that the notifier found in the VM's table
 * alive until it is done with it (s390_vcpu_destroy() takes it).
 */
static LIST_HEAD(s390_gmap_vms);
static DEFINE_SPINLOCK(s390_gmap_vms_lock);

void s390_gmap_vm_add(struct nkvm_s390_vm *svm)
{
	spin_lock(&s390_gmap_vms_lock);
	list_add(&svm->gmap_node, &s390_gmap_vms);
	spin_unlock(&s390_gmap_vms_lock);
}

void s390_gmap_vm_del(struct nkvm_s390_vm *svm)
{
	spin_lock(&s390_gmap_vms_lock);
	list_del(&svm->gmap_node);
	spin_unlock(&s390_gmap_vms_lock);
}

/* Called before a vCPU's memory goes: no notifier is looking at it. */
void s390_gmap_vcpu_sync(void)
{
	spin_lock(&s390_gmap_vms_lock);
	spin_unlock(&s390_gmap_vms_lock);
}

/*
 * The host changes the mapping of a page the kernel armed for us
 * (gmap_mprotect_notify(): the prefix pages). The page-table lock is
 * held: the vCPUs concerned leave SIE, and fault their prefix pages in
 * again before the next entry.
 */
static void s390_gmap_notifier(struct gmap *gmap, unsigned long start,
			       unsigned long end)
{
	struct nkvm_s390_vm *svm;
	struct nkvm_vcpu *vcpu;
	unsigned long i;
	u32 prefix;

	if (start >= SZ_2G)
		return;
	spin_lock(&s390_gmap_vms_lock);
	list_for_each_entry(svm, &s390_gmap_vms, gmap_node) {
		if (svm->gmap != gmap)
			continue;
		xa_for_each(&svm->vm.vcpus, i, vcpu) {
			struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);

			prefix = s390_prefix(v);
			if (prefix <= end &&
			    start <= prefix + 2 * PAGE_SIZE - 1) {
				set_bit(S390_REQ_PREFIX, &v->requests);
				s390_vcpu_kick_sync(v);
			}
		}
		break;
	}
	spin_unlock(&s390_gmap_vms_lock);
}

static struct gmap_notifier s390_gmap_nb = {
	.notifier_call = s390_gmap_notifier,
};

/* ---- the guest address space of the running thread ---- */

static void s390_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct nkvm_s390_vcpu *v = container_of(pn, struct nkvm_s390_vcpu, pn);

	gmap_enable(s390_vm_of(v)->gmap);
}

static void s390_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	gmap_disable(NULL);
}

static struct preempt_ops s390_preempt_ops = {
	.sched_in = s390_sched_in,
	.sched_out = s390_sched_out,
};

int s390_sie_setup(void)
{
	preempt_notifier_inc();
	gmap_register_pte_notifier(&s390_gmap_nb);
	return 0;
}

void s390_sie_unsetup(void)
{
	gmap_unregister_pte_notifier(&s390_gmap_nb);
	preempt_notifier_dec();
}

/* ---- KVM_RUN ---- */

/*
 * Load the guest's registers: the access registers into the CPU, the
 * thread's FPU save area pointed at kvm_run (loaded into the CPU before
 * SIE), the PSW into the state description. r0-r15 stay in kvm_run:
 * sie64a takes them from there and puts them back.
 */
void s390_vcpu_run_begin(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	struct kvm_run *run = vcpu->run;

	s390_sca_add(v);

	preempt_notifier_init(&v->pn, &s390_preempt_ops);
	preempt_disable();
	preempt_notifier_register(&v->pn);
	gmap_enable(s390_vm_of(v)->gmap);
	preempt_enable();

	save_access_regs(v->host_acrs);
	restore_access_regs(run->s.regs.acrs);
	save_fpu_regs();
	v->host_fpc = current->thread.fpu.fpc;
	v->host_fpregs = current->thread.fpu.regs;
	current->thread.fpu.regs = MACHINE_HAS_VX ? (void *)run->s.regs.vrs :
						    (void *)run->s.regs.fprs;
	current->thread.fpu.fpc = run->s.regs.fpc;
	/* As stock, an FPC the CPU would refuse becomes 0. */
	if (test_fp_ctl(current->thread.fpu.fpc))
		current->thread.fpu.fpc = 0;

	v->scb->gpsw.mask = run->psw_mask;
	v->scb->gpsw.addr = run->psw_addr;
}

/*
 * Store the guest's state into kvm_run, all of it whatever kvm_valid_regs
 * says (the registers live there, as on stock), and give the host its
 * registers back.
 */
void s390_vcpu_run_end(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	struct s390_sie_block *scb = v->scb;
	struct kvm_run *run = vcpu->run;
	struct kvm_sync_regs *s = &run->s.regs;

	run->psw_mask = scb->gpsw.mask;
	run->psw_addr = scb->gpsw.addr;
	s->prefix = s390_prefix(v);
	memcpy(s->crs, scb->gcr, sizeof(s->crs));
	s->cputm = scb->cputm;
	s->ckc = scb->ckc;
	s->todpr = scb->todpr;
	s->pp = scb->pp;
	s->gbea = scb->gbea;
	s->pft = v->pfault_token;
	s->pfs = v->pfault_select;
	s->pfc = v->pfault_compare;
	s->diag318 = v->diag318;
	s->bpbc = 0;

	save_access_regs(s->acrs);
	restore_access_regs(v->host_acrs);
	save_fpu_regs();
	s->fpc = current->thread.fpu.fpc;
	current->thread.fpu.fpc = v->host_fpc;
	current->thread.fpu.regs = v->host_fpregs;

	preempt_disable();
	gmap_disable(NULL);
	preempt_notifier_unregister(&v->pn);
	preempt_enable();
}

/*
 * The dirty sets of kvm_run.s.regs. r0-r15, the access and floating-point
 * registers are always taken from kvm_run (vcpu_run_begin), so their bits
 * only need clearing; so do the sets of facilities the guest cannot have
 * here (runtime instrumentation, guarded storage, the etoken, BPBC), as
 * stock ignores them. Nothing is refused: every bit is cleared.
 */
int s390_sync_regs_in(struct nkvm_vcpu *vcpu, u64 *dirty)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	struct s390_sie_block *scb = v->scb;
	struct kvm_sync_regs *s = &vcpu->run->s.regs;
	u64 d = *dirty;

	if (d & KVM_SYNC_PREFIX)
		s390_set_prefix(v, s->prefix);
	if (d & KVM_SYNC_CRS) {
		memcpy(scb->gcr, s->crs, sizeof(scb->gcr));
		scb->ihcpu = 0xffff;
	}
	if (d & KVM_SYNC_ARCH0) {
		s390_set_cpu_timer(v, s->cputm);
		scb->ckc = s->ckc;
		scb->todpr = s->todpr;
		scb->pp = s->pp;
		scb->gbea = s->gbea;
	}
	if (d & KVM_SYNC_PFAULT) {
		v->pfault_token = s->pft;
		v->pfault_select = s->pfs;
		v->pfault_compare = s->pfc;
	}
	if (d & KVM_SYNC_DIAG318) {
		v->diag318 = s->diag318;
		scb->cpnc = (u8)(s->diag318 >> 56);
	}
	*dirty = 0;
	return 0;
}

/* Nothing left to do here: vcpu_run_end stores every set. */
void s390_sync_regs_out(struct nkvm_vcpu *vcpu, u64 valid)
{
}

/*
 * Before KVM_RUN enters: a stopped vCPU is started, unless userspace
 * controls the state (KVM_SET_MP_STATE), which may not run a stopped one.
 */
int s390_vcpu_complete_exit(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);

	if (!READ_ONCE(s390_vm_of(v)->user_cpu_state))
		s390_vcpu_start(v);
	else if (s390_stopped(v))
		return -EINVAL;
	return 0;
}

/* The prefix pages mapped, writable, and watched (see the notifier). */
static int s390_refresh_prefix(struct nkvm_s390_vcpu *v)
{
	int r;

	if (!test_and_clear_bit(S390_REQ_PREFIX, &v->requests))
		return 0;
	r = gmap_mprotect_notify(s390_vm_of(v)->gmap, s390_prefix(v),
				 2 * PAGE_SIZE, PROT_WRITE);
	if (r)
		set_bit(S390_REQ_PREFIX, &v->requests);
	return r;
}

static int s390_pre_run(struct nkvm_s390_vcpu *v)
{
	struct s390_sie_block *scb = v->scb;
	int r;

	scb->gg14 = s390_gprs(v)[14];
	scb->gg15 = s390_gprs(v)[15];

	nkvm_vcpu_clear_kick(&v->vcpu);
	atomic_andnot(SIE_PROG_REQUEST, &scb->prog20);

	r = s390_deliver_pending(v);
	if (r)
		return r;
	r = s390_refresh_prefix(v);
	if (r)
		return r;
	if (test_and_clear_bit(S390_REQ_OPEREXC, &v->requests))
		scb->ictl |= SIE_ICTL_OPEREXC;
	s390_epoch(s390_vm_of(v), &scb->epoch, &scb->epdx);
	scb->icptcode = 0;
	return 0;
}

/*
 * sie64a found no guest mapping for an address the guest used (outside
 * every memslot): an addressing exception, after the instruction. The
 * access was a DAT exception, nullifying, so the PSW still points at the
 * instruction: its length comes from its first byte.
 */
static int s390_fault_in_sie(struct nkvm_s390_vcpu *v)
{
	struct kvm_s390_pgm_info pgm = { .code = PGM_ADDRESSING };
	u8 opcode;
	int ilen;

	if (s390_read_guest_instr(v, v->scb->gpsw.addr, &opcode, 1)) {
		/* The fetch itself failed: that is the exception to give. */
		pgm = v->last_pgm;
		ilen = 4;
	} else {
		ilen = insn_length(opcode);
	}
	pgm.flags = ilen | KVM_S390_PGM_FLAGS_ILC_VALID;
	s390_forward_psw(v, ilen);
	return s390_inject_prog(v, &pgm);
}

int s390_vcpu_enter(struct nkvm_vcpu *vcpu)
{
	struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);
	struct s390_sie_block *scb = v->scb;
	int exit_reason, r;

	r = s390_pre_run(v);
	if (r)
		return r;

	local_irq_disable();
	if (!nkvm_vcpu_enter_guest(vcpu)) {
		local_irq_enable();
		return 1;
	}
	local_irq_enable();

	trace_nkvm_entry(vcpu->vcpu_id, scb->gpsw.addr);
	if (test_cpu_flag(CIF_FPU))
		load_fpu_regs();
	exit_reason = sie64a(scb, s390_gprs(v));

	local_irq_disable();
	nkvm_vcpu_exit_guest(vcpu);
	local_irq_enable();
	trace_nkvm_exit(vcpu->vcpu_id, false, scb->icptcode, scb->gpsw.addr, scb->ipa,
			scb->ipb);

	s390_gprs(v)[14] = scb->gg14;
	s390_gprs(v)[15] = scb->gg15;

	if (exit_reason == -EINTR) {
		s390_reinject_mcck(v);
		return 1;
	}
	if (scb->icptcode)
		return s390_handle_intercept(v);
	if (exit_reason == -EFAULT) {
		r = s390_fault_in_sie(v);
		return r ? r : 1;
	}
	return 1;
}
