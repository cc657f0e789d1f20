// SPDX-License-Identifier: GPL-2.0
/*
 * x86 layer: machine types, limits, VM capabilities and vCPU attributes
 * common to SVM and VMX, and the x86 nkvm_arch_ops table.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include <nkvm/arch_ops.h>
#include "irqchip/irqchip.h"
#include "x86.h"
#include "sregs.h"

#define X86_MAX_VCPUS		1024
#define X86_MAX_VCPU_IDS	(4 * X86_MAX_VCPUS)
#define X86_USER_MEMSLOTS	509

static const struct nkvm_x86_vendor *const x86_vendors[] = {
	&nkvm_svm_vendor,
	&nkvm_vmx_vendor,
};

/* The vendor found at load; NULL when none is usable. Read only here. */
static const struct nkvm_x86_vendor *x86_vendor;

static int x86_hardware_probe(void)
{
	unsigned int i;
	int r;

	nkvm_x86_fpu_setup();
	for (i = 0; i < ARRAY_SIZE(x86_vendors); i++) {
		r = x86_vendors[i]->probe();
		if (r == -ENODEV)
			continue;
		if (!r)
			x86_vendor = x86_vendors[i];
		return r;
	}
	pr_err("no hardware virtualization: the CPU has neither AMD SVM nor Intel VMX\n");
	return -ENODEV;
}

/* ---- the vendor, for the rest of the x86 layer (x86.h) ---- */

bool nkvm_x86_runs_guests(void)
{
	return x86_vendor && x86_vendor->run;
}

bool nkvm_x86_get_sregs(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs)
{
	if (!x86_vendor || !x86_vendor->get_sregs)
		return false;
	x86_vendor->get_sregs(xv, sregs);
	return true;
}

void nkvm_x86_put_sregs(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs)
{
	x86_vendor->set_sregs(xv, sregs);
}

bool nkvm_x86_interrupt_shadow(struct nkvm_x86_vcpu *xv)
{
	return x86_vendor->get_interrupt_shadow(xv);
}

void nkvm_x86_set_interrupt_shadow(struct nkvm_x86_vcpu *xv, bool shadow)
{
	x86_vendor->set_interrupt_shadow(xv, shadow);
}

bool nkvm_x86_vendor_has_msrs(void)
{
	return x86_vendor && x86_vendor->get_msr && x86_vendor->set_msr;
}

int nkvm_x86_vendor_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	if (!nkvm_x86_vendor_has_msrs() || x86_vendor->get_msr(xv, index, data))
		return NKVM_X86_MSR_UNKNOWN;
	return 0;
}

int nkvm_x86_vendor_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data)
{
	if (!nkvm_x86_vendor_has_msrs() || x86_vendor->set_msr(xv, index, &data))
		return NKVM_X86_MSR_UNKNOWN;
	return 0;
}

bool nkvm_x86_vendor_init(struct nkvm_x86_vcpu *xv)
{
	if (!x86_vendor || !x86_vendor->init_vcpu)
		return false;
	x86_vendor->init_vcpu(xv);
	return true;
}

u64 nkvm_x86_vendor_mcg_cap_bits(void)
{
	return x86_vendor && x86_vendor->mcg_cap_bits ?
	       x86_vendor->mcg_cap_bits : ~0ULL;
}

static int x86_hardware_setup(void)
{
	return x86_vendor->hardware_setup ? x86_vendor->hardware_setup() : 0;
}

static void x86_hardware_unsetup(void)
{
	if (x86_vendor->hardware_unsetup)
		x86_vendor->hardware_unsetup();
}

/*
 * KVM_CAP_X86_DISABLE_EXITS: as stock, what the vendor can leave to the
 * guest. PAUSE and C-states never exit here anyway; MWAIT only where the
 * host's MWAIT is safe for a guest (stock's kvm_can_mwait_in_guest()).
 */
static u32 x86_disable_exits(void)
{
	u32 r = KVM_X86_DISABLE_EXITS_PAUSE | KVM_X86_DISABLE_EXITS_CSTATE;

	if (!x86_vendor || !x86_vendor->run)
		return 0;
	r |= KVM_X86_DISABLE_EXITS_HLT;
	if (boot_cpu_has(X86_FEATURE_MWAIT) &&
	    !boot_cpu_has_bug(X86_BUG_MONITOR) &&
	    boot_cpu_has(X86_FEATURE_ARAT))
		r |= KVM_X86_DISABLE_EXITS_MWAIT;
	return r;
}

static long x86_check_extension(struct nkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_VCPU_ATTRIBUTES:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
		return 1;
	case KVM_CAP_USER_NMI:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_SYNC_MMU:
		return nkvm_x86_runs_guests();
	case KVM_CAP_XSAVE:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
		return 1;
	case KVM_CAP_XSAVE2:
		return nkvm_x86_xsave2_size();
	case KVM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	/* Guest debugging (debug.c). */
	case KVM_CAP_DEBUGREGS:
		return 1;
	case KVM_CAP_SET_BOOT_CPU_ID:
		return 1;
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_SPLIT_IRQCHIP:
		return nkvm_x86_runs_guests() && nkvm_x86_irqchip_works();
	/* vapic.c: KVM_TPR_ACCESS_REPORTING and KVM_SET_VAPIC_ADDR. */
	case KVM_CAP_VAPIC:
		return 1;
	case KVM_CAP_X86_DISABLE_EXITS:
		return x86_disable_exits();
	case KVM_CAP_SYS_ATTRIBUTES:
	case KVM_CAP_SREGS2:
		return 1;
	/* The in-kernel LAPIC's timer has the TSC-deadline mode. */
	case KVM_CAP_TSC_DEADLINE_TIMER:
		return nkvm_x86_runs_guests() && nkvm_x86_irqchip_works();
	/* events.c; without one stock's singlestep TF could be lost. */
	case KVM_CAP_EXCEPTION_PAYLOAD:
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
	case KVM_CAP_X86_ROBUST_SINGLESTEP:
		return nkvm_x86_runs_guests();
	case KVM_CAP_SET_GUEST_DEBUG:
		return nkvm_x86_runs_guests();
	case KVM_CAP_SET_GUEST_DEBUG2:
		return nkvm_x86_runs_guests() ?
		       nkvm_x86_guest_debug_flags() : 0;
	/* kvmclock.c */
	case KVM_CAP_ADJUST_CLOCK:
		return nkvm_x86_clock_flags();
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_CLOCKSOURCE:
		return 1;
	/* i8254.c */
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
		return 1;
	/* pv.c, hypercall.c */
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_ENABLE_CAP:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		return 1;
	case KVM_CAP_DISABLE_QUIRKS2:
		return nkvm_x86_valid_quirks();
	/* mce.c */
	case KVM_CAP_MCE:
		return NKVM_X86_MCE_BANKS;
	/* msr.c, msr_filter.c */
	case KVM_CAP_MSR_PLATFORM_INFO:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
		return 1;
	}
	return nkvm_x86_irqchip_cap(cap);
}

static int x86_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	if (type)
		return -EINVAL;
	to_x86_vm(vm)->tsc_khz = tsc_khz;
	to_x86_vm(vm)->platform_info_readable = true;
	nkvm_x86_kvmclock_vm_init(to_x86_vm(vm));
	if (x86_vendor && x86_vendor->vm_init)
		return x86_vendor->vm_init(to_x86_vm(vm));
	return 0;
}

static void x86_vm_destroy(struct nkvm_vm *vm)
{
	nkvm_x86_pit_destroy(to_x86_vm(vm));
	nkvm_x86_irqchip_destroy(to_x86_vm(vm));
	nkvm_x86_msr_filter_destroy(to_x86_vm(vm));
	if (x86_vendor && x86_vendor->vm_destroy)
		x86_vendor->vm_destroy(to_x86_vm(vm));
}

static int x86_enable_max_vcpu_id(struct nkvm_vm *vm, u64 max)
{
	int r = 0;

	if (max > X86_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->max_vcpu_ids_set) {
		/* Set once; repeating the same value is fine. */
		if (vm->max_vcpu_ids != max)
			r = -EINVAL;
	} else if (max) {
		vm->max_vcpu_ids = max;
		vm->max_vcpu_ids_set = true;
	}
	mutex_unlock(&vm->lock);
	return r;
}

static int x86_vm_enable_cap(struct nkvm_vm *vm, struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_MAX_VCPU_ID:
		return x86_enable_max_vcpu_id(vm, cap->args[0]);
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_DISABLE_QUIRKS2:
		return nkvm_x86_disable_quirks(to_x86_vm(vm), cap);
	case KVM_CAP_MSR_PLATFORM_INFO:
		/* Any non-zero value lets the guest read it, as stock. */
		WRITE_ONCE(to_x86_vm(vm)->platform_info_readable,
			   !!cap->args[0]);
		return 0;
	case KVM_CAP_X86_USER_SPACE_MSR:
		return nkvm_x86_enable_user_space_msr(to_x86_vm(vm),
						      cap->args[0]);
	case KVM_CAP_SPLIT_IRQCHIP:
		return nkvm_x86_enable_split_irqchip(to_x86_vm(vm),
						     cap->args[0]);
	case KVM_CAP_EXCEPTION_PAYLOAD:
		WRITE_ONCE(to_x86_vm(vm)->exception_payload, !!cap->args[0]);
		return 0;
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
		WRITE_ONCE(to_x86_vm(vm)->triple_fault_event, !!cap->args[0]);
		return 0;
	case KVM_CAP_X86_DISABLE_EXITS:
		/*
		 * As stock 6.1: any valid set is taken, also after vCPUs
		 * exist (they keep what they had); what cannot be left to
		 * the guest (MWAIT) is dropped quietly.
		 */
		if (cap->args[0] & ~KVM_X86_DISABLE_VALID_EXITS)
			return -EINVAL;
		mutex_lock(&vm->lock);
		to_x86_vm(vm)->disabled_exits |= cap->args[0] &
						 x86_disable_exits();
		mutex_unlock(&vm->lock);
		return 0;
	}
	return -EINVAL;
}

/* Guest physical addresses must fit the host's physical address width. */
static int x86_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
			       const struct nkvm_memslot *old,
			       const struct nkvm_memslot *new)
{
	u64 max_gfn = (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;

	if ((change == NKVM_MR_CREATE || change == NKVM_MR_MOVE) &&
	    new->base_gfn + new->npages - 1 > max_gfn)
		return -EINVAL;
	return 0;
}

/* Family/model/stepping in RDX after RESET while no CPUID is set: P6. */
#define X86_RESET_RDX		0x600

/* The guest page tables are the vendor's (nested paging). */
static bool x86_mmu_unmap(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end)
{
	return x86_vendor && x86_vendor->mmu_unmap &&
	       x86_vendor->mmu_unmap(to_x86_vm(vm), start, end);
}

static bool x86_mmu_write_protect(struct nkvm_vm *vm, nkvm_gfn_t start,
				  nkvm_gfn_t end)
{
	return x86_vendor && x86_vendor->mmu_write_protect &&
	       x86_vendor->mmu_write_protect(to_x86_vm(vm), start, end);
}

static void x86_mmu_flush(struct nkvm_vm *vm)
{
	if (x86_vendor && x86_vendor->mmu_flush)
		x86_vendor->mmu_flush(to_x86_vm(vm));
}

static int x86_vcpu_create(struct nkvm_vcpu *vcpu)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	int r;

	/* The architectural RESET state; the vendor sets the rest. */
	xv->regs.rip = 0xfff0;
	xv->regs.rflags = X86_EFLAGS_FIXED;
	xv->regs.rdx = X86_RESET_RDX;
	/* The guest TSC starts at zero when the vCPU is created. */
	xv->tsc_offset = -(s64)rdtsc_ordered();
	xv->tsc_khz = READ_ONCE(to_x86_vm(vcpu->vm)->tsc_khz);
	nkvm_x86_msr_reset(xv);
	nkvm_x86_mce_reset(xv);
	r = nkvm_x86_fpu_create(xv);
	if (r)
		return r;
	nkvm_x86_debug_reset(xv);

	if (nkvm_x86_has_irqchip(to_x86_vm(vcpu->vm))) {
		r = nkvm_x86_lapic_create(xv);
		if (r)
			goto out_fpu;
	}
	if (!x86_vendor || !x86_vendor->vcpu_create)
		return 0;
	r = x86_vendor->vcpu_create(xv);
	if (r)
		goto out_lapic;
	return 0;

out_lapic:
	nkvm_x86_lapic_destroy(xv);
out_fpu:
	nkvm_x86_fpu_destroy(xv);
	return r;
}

static void x86_vcpu_destroy(struct nkvm_vcpu *vcpu)
{
	if (x86_vendor && x86_vendor->vcpu_destroy)
		x86_vendor->vcpu_destroy(to_x86_vcpu(vcpu));
	nkvm_x86_lapic_destroy(to_x86_vcpu(vcpu));
	nkvm_x86_fpu_destroy(to_x86_vcpu(vcpu));
	nkvm_x86_cpuid_free(to_x86_vcpu(vcpu));
}

/*
 * KVM_GET/HAS_DEVICE_ATTR on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES): group 0
 * only, whose one attribute is the XSAVE components a guest may have.
 */
static long x86_dev_attr(unsigned int ioctl, void __user *argp)
{
	struct kvm_device_attr attr;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group || attr.attr != KVM_X86_XCOMP_GUEST_SUPP)
		return -ENXIO;
	if (ioctl == KVM_HAS_DEVICE_ATTR)
		return 0;
	return put_user(nkvm_x86_supported_xcr0(),
			(u64 __user *)u64_to_user_ptr(attr.addr)) ? -EFAULT : 0;
}

static long x86_dev_ioctl(unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		return x86_dev_attr(ioctl, (void __user *)arg);
	case KVM_GET_SUPPORTED_CPUID:
		return nkvm_x86_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		return nkvm_x86_get_msr_index_list((void __user *)arg);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return nkvm_x86_get_msr_feature_index_list((void __user *)arg);
	case KVM_GET_MSRS:
		return nkvm_x86_get_feature_msrs((void __user *)arg);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return nkvm_x86_get_mce_cap_supported((void __user *)arg);
	}
	return -ENOTTY;
}

/*
 * Userspace, which owns the PIC, asks for an interrupt window it could
 * use: as stock, only while an ExtINT would get through the LAPIC (QEMU
 * keeps asking while its PIC's output is up, LINT0 masked or not).
 */
bool nkvm_x86_user_wants_window(struct nkvm_x86_vcpu *xv)
{
	return READ_ONCE(xv->vcpu.run->request_interrupt_window) &&
	       !nkvm_x86_irqchip_kernel(to_x86_vm(xv->vcpu.vm)) &&
	       (!xv->lapic || nkvm_x86_lapic_accepts_extint(xv));
}

/*
 * As stock's kvm_vcpu_ready_for_interrupt_injection(): the guest takes
 * interrupts, no event is half-delivered, and (with an in-kernel LAPIC)
 * an ExtINT from KVM_INTERRUPT would get through.
 */
bool nkvm_x86_ready_for_interrupt(struct nkvm_x86_vcpu *xv)
{
	const struct nkvm_x86_events *ev = &xv->ev;

	return (xv->regs.rflags & X86_EFLAGS_IF) &&
	       !nkvm_x86_interrupt_shadow(xv) &&
	       !ev->exc_injected && !ev->exc_pending && !ev->irq_injected &&
	       !ev->nmi_injected &&
	       (!xv->lapic || nkvm_x86_lapic_accepts_extint(xv));
}

/* As stock's post_kvm_run_save(): refreshed whenever KVM_RUN may return. */
static void x86_post_run_save(struct nkvm_x86_vcpu *xv)
{
	struct kvm_run *run = xv->vcpu.run;
	struct kvm_sregs sregs;

	x86_vendor->get_sregs(xv, &sregs);
	run->if_flag = !!(xv->regs.rflags & X86_EFLAGS_IF);
	run->cr8 = sregs.cr8;
	run->apic_base = sregs.apic_base;
	run->ready_for_interrupt_injection = nkvm_x86_ready_for_interrupt(xv);
	run->flags = 0;
}

/*
 * The guest's FPU state is the thread's for the whole of KVM_RUN: the
 * scheduler saves and restores it like any task state, and each entry
 * only reloads the registers if something else used them meanwhile.
 */
static void x86_vcpu_run_begin(struct nkvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&to_x86_vcpu(vcpu)->fpu, true);
	/* As stock, each KVM_RUN rewrites the steal-time record. */
	to_x86_vcpu(vcpu)->pv.steal_update = true;
}

static void x86_vcpu_run_end(struct nkvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&to_x86_vcpu(vcpu)->fpu, false);
}

static int x86_vcpu_complete_exit(struct nkvm_vcpu *vcpu)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	int r = 0;

	if (x86_vendor->complete_exit)
		r = x86_vendor->complete_exit(xv);
	x86_post_run_save(xv);
	return r;
}

/* An exit a completed access asked for (struct nkvm_x86_user_exit). */
static bool x86_take_user_exit(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_user_exit *u = &xv->uexit;
	struct kvm_run *run = xv->vcpu.run;

	if (__test_and_clear_bit(NKVM_X86_UEXIT_TPR, &u->pending)) {
		run->exit_reason = KVM_EXIT_TPR_ACCESS;
		run->tpr_access.rip = u->tpr_rip;
		run->tpr_access.is_write = u->tpr_write;
		return true;
	}
	if (__test_and_clear_bit(NKVM_X86_UEXIT_EOI, &u->pending)) {
		run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		run->eoi.vector = u->eoi_vector;
		return true;
	}
	if (__test_and_clear_bit(NKVM_X86_UEXIT_SHUTDOWN, &u->pending)) {
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		return true;
	}
	return false;
}

static int x86_vcpu_enter(struct nkvm_vcpu *vcpu)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	struct kvm_run *run = vcpu->run;
	int r;

	if (unlikely(xv->uexit.pending) && x86_take_user_exit(xv)) {
		x86_post_run_save(xv);
		return 0;
	}
	/* KVM_X86_SET_MCE found the guest unable to take a machine check. */
	if (nkvm_x86_mce_take_shutdown(xv)) {
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		x86_post_run_save(xv);
		return 0;
	}
	/* With a LAPIC: take INIT/SIPI/NMIs; block while halted. */
	r = nkvm_x86_lapic_before_entry(xv);
	if (r <= 0) {
		x86_post_run_save(xv);
		return r ? r : 1;
	}
	/*
	 * Userspace, which owns the PIC, waits for an interrupt window and
	 * it is open: stock checks after each entry, which with the window
	 * open on entry exits at once on VINTR; we check before.
	 */
	if (nkvm_x86_user_wants_window(xv) && nkvm_x86_ready_for_interrupt(xv)) {
		run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		nkvm_stat_inc(&xv->stat.request_irq_exits);
		x86_post_run_save(xv);
		return 0;
	}
	nkvm_x86_kvmclock_enter(xv);
	nkvm_x86_steal_time_enter(xv);
	nkvm_x86_deliver_pending_exception(xv);
	xv->has_run = true;
	r = x86_vendor->run(xv);
	x86_post_run_save(xv);
	return r;
}

static long x86_get_regs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return copy_to_user(argp, &xv->regs, sizeof(xv->regs)) ? -EFAULT : 0;
}

/* KVM_SET_REGS and KVM_SYNC_X86_REGS, from a kernel copy. */
void nkvm_x86_set_regs(struct nkvm_x86_vcpu *xv, const struct kvm_regs *regs)
{
	xv->regs = *regs;
}

static long x86_set_regs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	nkvm_x86_set_regs(xv, &regs);
	return 0;
}

static long x86_get_sregs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	x86_vendor->get_sregs(xv, &sregs);
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

/* KVM_SET_SREGS and KVM_SYNC_X86_SREGS, from a kernel copy. */
int nkvm_x86_set_sregs(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs)
{
	if (!nkvm_x86_sregs_valid(sregs, nkvm_x86_cpuid_cr4_rsvd(xv)) ||
	    (x86_vendor->sregs_valid && !x86_vendor->sregs_valid(xv, sregs)))
		return -EINVAL;
	x86_vendor->set_sregs(xv, sregs);
	return 0;
}

static long x86_set_sregs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	return nkvm_x86_set_sregs(xv, &sregs);
}

/*
 * KVM_GET/SET_SREGS2: struct kvm_sregs up to the APIC base, then flags
 * and the four PAE PDPTEs where KVM_SET_SREGS had the interrupt bitmap.
 * With nested paging the CPU reads the PDPTEs from guest memory at CR3
 * whenever it needs them: GET reads them there, SET checks that the
 * guest is in PAE paging when it passes some, then leaves them be.
 */
#define X86_SREGS_COMMON	offsetof(struct kvm_sregs, interrupt_bitmap)
static_assert(offsetof(struct kvm_sregs2, flags) == X86_SREGS_COMMON);

static bool x86_pae_paging(const struct kvm_sregs *s)
{
	return (s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE) &&
	       !(s->efer & EFER_LMA);
}

static long x86_get_sregs2(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_sregs2 s2;
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	memset(&s2, 0, sizeof(s2));
	x86_vendor->get_sregs(xv, &s);
	memcpy(&s2, &s, X86_SREGS_COMMON);
	if (x86_pae_paging(&s) &&
	    !nkvm_read_guest(xv->vcpu.vm, s.cr3 & 0xffffffe0, s2.pdptrs,
			     sizeof(s2.pdptrs)))
		s2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	return copy_to_user(argp, &s2, sizeof(s2)) ? -EFAULT : 0;
}

static long x86_set_sregs2(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_sregs2 s2;
	struct kvm_sregs s;

	if (copy_from_user(&s2, argp, sizeof(s2)))
		return -EFAULT;
	memset(&s, 0, sizeof(s));
	memcpy(&s, &s2, X86_SREGS_COMMON);
	if ((s2.flags & ~KVM_SREGS2_FLAGS_PDPTRS_VALID) ||
	    ((s2.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) && !x86_pae_paging(&s)))
		return -EINVAL;
	return nkvm_x86_set_sregs(xv, &s);
}

static long x86_set_cpuid2(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return nkvm_x86_set_cpuid2(xv, argp);
}

static long x86_get_cpuid2(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return nkvm_x86_get_cpuid2(xv, argp);
}

/* Without an in-kernel LAPIC a vCPU is always runnable, as stock. */
static long x86_get_mp_state(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	if (xv->lapic)
		nkvm_x86_lapic_get_mp_state(xv, &mp.mp_state);
	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

static long x86_set_mp_state(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	if (xv->lapic)
		return nkvm_x86_lapic_set_mp_state(xv, mp.mp_state);
	return mp.mp_state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
}

/* Segment state lives in the vendor's control block: none, no ioctl. */
static bool x86_has_sregs(void)
{
	return x86_vendor && x86_vendor->get_sregs && x86_vendor->set_sregs;
}

/*
 * TSC rates (kHz). Without TSC scaling the guest's TSC runs at the host's
 * rate, so a rate is taken when stock would treat it as that rate: within
 * 250 ppm of it. 0 means the host's rate. Deliberate difference: stock
 * also takes higher rates, which it only approximates by catching the
 * guest's TSC up now and then.
 */
#define X86_TSC_TOLERANCE_PPM	250

static long x86_tsc_rate(unsigned long arg, u32 *khz)
{
	u32 want = (u32)arg ? (u32)arg : tsc_khz;
	u64 lo = (u64)tsc_khz * (1000000 - X86_TSC_TOLERANCE_PPM) / 1000000;
	u64 hi = (u64)tsc_khz * (1000000 + X86_TSC_TOLERANCE_PPM) / 1000000;

	if (!want || want < lo || want > hi)
		return -EINVAL;
	*khz = want;
	return 0;
}

static long x86_set_tsc_khz(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	nkvm_x86_kvmclock_request(xv);
	return x86_tsc_rate((unsigned long)argp, &xv->tsc_khz);
}

static long x86_get_tsc_khz(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return xv->tsc_khz;
}

/*
 * KVM_TRANSLATE: a linear address through the guest's current paging,
 * as a supervisor read. As stock, writeable is always 1 and usermode 0.
 */
static long x86_translate(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_translation tr;
	struct kvm_sregs sregs;
	u64 gpa;

	if (copy_from_user(&tr, argp, sizeof(tr)))
		return -EFAULT;
	x86_vendor->get_sregs(xv, &sregs);
	tr.valid = !nkvm_x86_translate(xv, &sregs, tr.linear_address, &gpa);
	tr.physical_address = tr.valid ? gpa : ~0ULL;
	tr.writeable = 1;
	tr.usermode = 0;
	return copy_to_user(argp, &tr, sizeof(tr)) ? -EFAULT : 0;
}

/* The smallest KVM_SET_NR_MMU_PAGES stock accepts. */
#define X86_MIN_MMU_PAGES	64UL

/* KVM_SET_TSS_ADDR: the three pages must lie below 4 GiB. */
#define X86_TSS_ADDR_MAX	0xffffd000UL

/*
 * VM ioctls. The TSS and identity-map addresses serve VMX's real-mode
 * emulation only: checked as stock does, then unused.
 */
static long x86_vm_ioctl(struct nkvm_vm *vm, unsigned int ioctl,
			 unsigned long arg)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(vm);
	u64 addr;
	u32 khz;
	long r;

	switch (ioctl) {
	case KVM_SET_TSS_ADDR:
		return arg > X86_TSS_ADDR_MAX ? -EINVAL : 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		/* Only before the first vCPU exists. */
		mutex_lock(&vm->lock);
		r = vm->created_vcpus ? -EINVAL : 0;
		mutex_unlock(&vm->lock);
		if (!r && copy_from_user(&addr, (void __user *)arg, sizeof(addr)))
			r = -EFAULT;
		return r;
	case KVM_SET_TSC_KHZ:
		/* The rate of vCPUs created from now on. */
		r = x86_tsc_rate(arg, &khz);
		if (!r)
			WRITE_ONCE(xvm->tsc_khz, khz);
		return r;
	case KVM_GET_TSC_KHZ:
		return READ_ONCE(xvm->tsc_khz);
	case KVM_SET_NR_MMU_PAGES:
		/*
		 * A limit on stock's shadow-page cache; the nested table
		 * has none, so it is only checked and remembered.
		 */
		if (arg < X86_MIN_MMU_PAGES)
			return -EINVAL;
		WRITE_ONCE(xvm->nr_mmu_pages, arg);
		return 0;
	case KVM_GET_NR_MMU_PAGES:
		return READ_ONCE(xvm->nr_mmu_pages) ?: X86_MIN_MMU_PAGES;
	case KVM_X86_SET_MSR_FILTER:
		return nkvm_x86_set_msr_filter(xvm, (void __user *)arg);
	case KVM_SET_BOOT_CPU_ID:
		/* As stock: only before the first vCPU, any value. */
		mutex_lock(&vm->lock);
		r = vm->created_vcpus ? -EBUSY : 0;
		if (!r)
			xvm->bsp_vcpu_id = arg;
		mutex_unlock(&vm->lock);
		return r;
	}
	r = nkvm_x86_clock_ioctl(xvm, ioctl, arg);
	if (r == -ENOIOCTLCMD)
		r = nkvm_x86_pit_ioctl(xvm, ioctl, arg);
	if (r == -ENOIOCTLCMD)
		r = nkvm_x86_irqchip_ioctl(xvm, ioctl, arg);
	return r == -ENOIOCTLCMD ? -ENOTTY : r;
}

static const struct {
	unsigned int cmd;
	long (*fn)(struct nkvm_x86_vcpu *xv, void __user *argp);
	bool (*available)(void);	/* NULL: always */
} x86_vcpu_ioctls[] = {
	{ KVM_GET_REGS,		x86_get_regs },
	{ KVM_SET_REGS,		x86_set_regs },
	{ KVM_GET_SREGS,	x86_get_sregs,	x86_has_sregs },
	{ KVM_SET_SREGS,	x86_set_sregs,	x86_has_sregs },
	{ KVM_GET_SREGS2,	x86_get_sregs2,	x86_has_sregs },
	{ KVM_SET_SREGS2,	x86_set_sregs2,	x86_has_sregs },
	{ KVM_SET_CPUID2,	x86_set_cpuid2 },
	{ KVM_GET_CPUID2,	x86_get_cpuid2 },
	{ KVM_GET_MSRS,		nkvm_x86_get_msrs },
	{ KVM_SET_MSRS,		nkvm_x86_set_msrs },
	{ KVM_INTERRUPT,	nkvm_x86_interrupt, nkvm_x86_runs_guests },
	{ KVM_NMI,		nkvm_x86_nmi,	nkvm_x86_runs_guests },
	{ KVM_GET_VCPU_EVENTS,	nkvm_x86_get_vcpu_events, nkvm_x86_runs_guests },
	{ KVM_SET_VCPU_EVENTS,	nkvm_x86_set_vcpu_events, nkvm_x86_runs_guests },
	{ KVM_GET_LAPIC,	nkvm_x86_get_lapic },
	{ KVM_SET_LAPIC,	nkvm_x86_set_lapic },
	{ KVM_GET_MP_STATE,	x86_get_mp_state },
	{ KVM_SET_MP_STATE,	x86_set_mp_state },
	{ KVM_GET_FPU,		nkvm_x86_get_fpu },
	{ KVM_SET_FPU,		nkvm_x86_set_fpu },
	{ KVM_GET_XSAVE,	nkvm_x86_get_xsave },
	{ KVM_SET_XSAVE,	nkvm_x86_set_xsave },
	{ KVM_GET_XSAVE2,	nkvm_x86_get_xsave2 },
	{ KVM_GET_XCRS,		nkvm_x86_get_xcrs },
	{ KVM_SET_XCRS,		nkvm_x86_set_xcrs },
	{ KVM_GET_TSC_KHZ,	x86_get_tsc_khz },
	{ KVM_SET_TSC_KHZ,	x86_set_tsc_khz },
	{ KVM_TRANSLATE,	x86_translate,	x86_has_sregs },
	/* Guest debugging (debug.c). */
	{ KVM_SET_GUEST_DEBUG,	nkvm_x86_set_guest_debug, nkvm_x86_runs_guests },
	{ KVM_GET_DEBUGREGS,	nkvm_x86_get_debugregs },
	{ KVM_SET_DEBUGREGS,	nkvm_x86_set_debugregs },
	{ KVM_KVMCLOCK_CTRL,	nkvm_x86_kvmclock_ctrl },
	/* vapic.c */
	{ KVM_TPR_ACCESS_REPORTING, nkvm_x86_tpr_access_reporting },
	{ KVM_SET_VAPIC_ADDR,	nkvm_x86_set_vapic_addr },
	{ KVM_ENABLE_CAP,	nkvm_x86_vcpu_enable_cap },
	/* Machine checks (mce.c). */
	{ KVM_X86_SETUP_MCE,	nkvm_x86_setup_mce },
	{ KVM_X86_SET_MCE,	nkvm_x86_set_mce },
};

static long x86_vcpu_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			   unsigned long arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x86_vcpu_ioctls); i++) {
		if (x86_vcpu_ioctls[i].cmd != ioctl)
			continue;
		if (x86_vcpu_ioctls[i].available &&
		    !x86_vcpu_ioctls[i].available())
			return -ENOTTY;
		return x86_vcpu_ioctls[i].fn(to_x86_vcpu(vcpu),
					     (void __user *)arg);
	}
	return -ENOTTY;
}

static int x86_vcpu_tsc_attr(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			     struct kvm_device_attr *attr)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	u64 offset;

	if (attr->attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;

	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		if (get_user(offset, uaddr))
			return -EFAULT;
		xv->tsc_offset = offset;
		nkvm_x86_kvmclock_request(xv);
		return 0;
	case KVM_GET_DEVICE_ATTR:
		return put_user((u64)xv->tsc_offset, uaddr) ? -EFAULT : 0;
	default:
		return 0;
	}
}

static int x86_vcpu_attr(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			 struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVM_VCPU_TSC_CTRL:
		return x86_vcpu_tsc_attr(vcpu, ioctl, attr);
	}
	return -ENXIO;
}

#define X86_VM_STAT(kind, name) \
	NKVM_STAT_##kind(struct nkvm_x86_vm, #name, stat.name)

static const struct nkvm_stat_desc x86_vm_stats[] = {
	X86_VM_STAT(ICOUNTER, pages_4k),
	X86_VM_STAT(ICOUNTER, pages_2m),
};

#define X86_VCPU_STAT(name) \
	NKVM_STAT_COUNTER(struct nkvm_x86_vcpu, #name, stat.name)

/* The x86 vCPU statistics of stock KVM that nkvm counts, in its order. */
static const struct nkvm_stat_desc x86_vcpu_stats[] = {
	X86_VCPU_STAT(exits),
	X86_VCPU_STAT(io_exits),
	X86_VCPU_STAT(mmio_exits),
	NKVM_STAT_COUNTER(struct nkvm_x86_vcpu, "signal_exits",
			  vcpu.stat.signal_exits),
	X86_VCPU_STAT(irq_window_exits),
	X86_VCPU_STAT(nmi_window_exits),
	X86_VCPU_STAT(halt_exits),
	X86_VCPU_STAT(request_irq_exits),
	X86_VCPU_STAT(irq_exits),
	X86_VCPU_STAT(insn_emulation),
	X86_VCPU_STAT(insn_emulation_fail),
	X86_VCPU_STAT(irq_injections),
	X86_VCPU_STAT(nmi_injections),
};

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "x86",
	.max_vcpus		= X86_MAX_VCPUS,
	.max_vcpu_ids		= X86_MAX_VCPU_IDS,
	.nr_memslots		= X86_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY,
	.vcpu_mmap_pages	= 3,	/* kvm_run, PIO data, coalesced ring */
	.coalesced_mmio_page	= 2,
	.vm_size		= sizeof(struct nkvm_x86_vm),
	.vcpu_size		= sizeof(struct nkvm_x86_vcpu),
	.hardware_probe		= x86_hardware_probe,
	.hardware_setup		= x86_hardware_setup,
	.hardware_unsetup	= x86_hardware_unsetup,
	.dev_ioctl		= x86_dev_ioctl,
	.check_extension	= x86_check_extension,
	.vm_init		= x86_vm_init,
	.vm_destroy		= x86_vm_destroy,
	.vm_enable_cap		= x86_vm_enable_cap,
	.vm_ioctl		= x86_vm_ioctl,
	.prepare_memslot	= x86_prepare_memslot,
	.mmu_unmap		= x86_mmu_unmap,
	.mmu_write_protect	= x86_mmu_write_protect,
	.mmu_flush		= x86_mmu_flush,
	.vcpu_create		= x86_vcpu_create,
	.vcpu_destroy		= x86_vcpu_destroy,
	.runs_guests		= nkvm_x86_runs_guests,
	.vcpu_run_begin		= x86_vcpu_run_begin,
	.vcpu_run_end		= x86_vcpu_run_end,
	.vcpu_complete_exit	= x86_vcpu_complete_exit,
	.vcpu_enter		= x86_vcpu_enter,
	.sync_regs		= KVM_SYNC_X86_VALID_FIELDS,
	.sync_regs_in		= nkvm_x86_sync_regs_in,
	.sync_regs_out		= nkvm_x86_sync_regs_out,
	.vcpu_attr		= x86_vcpu_attr,
	.vcpu_ioctl		= x86_vcpu_ioctl,
	.vm_stats		= x86_vm_stats,
	.nr_vm_stats		= ARRAY_SIZE(x86_vm_stats),
	.vcpu_stats		= x86_vcpu_stats,
	.nr_vcpu_stats		= ARRAY_SIZE(x86_vcpu_stats),
};

int nkvm_x86_halt(struct nkvm_x86_vcpu *xv)
{
	nkvm_stat_inc(&xv->stat.halt_exits);
	/* As stock: the HLT exit wins over the debugger's step stop. */
	if (nkvm_x86_stepping(xv))
		xv->dbg.step_trap = false;
	if (xv->lapic) {
		nkvm_x86_lapic_halt(xv);
		return 1;
	}
	xv->vcpu.run->exit_reason = KVM_EXIT_HLT;
	return 0;
}
