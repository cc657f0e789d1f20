// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: detection, the capabilities and controls, per-CPU
 * VMXON, the VMCS (its set-up and which CPU it is current on), the guest
 * state kept there (segments, control registers, MSRs) and the vendor
 * table. The entry and exit path is vmx_run.c, the exit handlers
 * vmx_exits.c, the extended page tables vmx_ept.c.
 *
 * Choices, as the SVM backend's where the hardware allows:
 *  - Required: EPT (4 levels, write-back, INVEPT), unrestricted guest (real
 *    mode runs as is), virtual NMIs, the "load EFER/PAT" entry and exit
 *    controls and a 64-bit host. VPIDs when INVVPID is there. Every control
 *    is checked against its capability MSR at load (vmx_adjust_ctls()).
 *  - One VMCS per vCPU, current on at most one CPU, and at most one VMCS
 *    current per CPU: loading another on a CPU VMCLEARs the one there, and
 *    a vCPU that moved VMCLEARs its VMCS on the old CPU by IPI first
 *    (vmx_load()). Teardown, reboot and crash VMCLEAR the CPU's before
 *    VMXOFF, so no VMCS is ever left active in a CPU that leaves VMX.
 *  - Control registers: every CR0 and CR4 bit is host-owned (guest/host
 *    masks all ones), so the guest reads its own values from the read
 *    shadows and each write that changes one exits, checked by the x86
 *    layer's rules (sregs.c) and emulated; the hardware's CR0 and CR4 add
 *    the bits VMX fixes (NE, VMXE) and drop CD and NW, as stock. CR3 is the
 *    guest's; CR8 accesses exit.
 *  - All port I/O and all MSR accesses exit (no bitmaps), as on SVM.
 *  - Event injection from struct nkvm_x86_events through events.c; NMIs
 *    with virtual-NMI blocking and NMI-window exits.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include "irqchip/irqchip.h"
#include "sregs.h"
#include "vmx.h"

#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/reboot.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

/* Architectural state after RESET, as stock KVM presents it on Intel. */
#define RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define RESET_PAT		0x0007040600070406ULL
#define RESET_RIP		0xfff0
#define RESET_RFLAGS		X86_EFLAGS_FIXED
#define RESET_RDX		0x600	/* CPUID.1:EAX with no CPUID set */
#define RESET_APIC_BASE		(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE)
#define RESET_DR7		0x400ULL

/* Access rights: present, S, accessed, data read/write or code read/exec. */
#define AR_DATA			0x93
#define AR_CODE			0x9b
#define AR_LDT			0x82
#define AR_TSS_BUSY32		0x8b

/* The four segment fields of segment n (ES, CS, SS, DS, FS, GS, LDTR, TR). */
#define VMX_MEMTYPE_WB		6	/* the VMCS memory type we allocate */

#define SEG_SEL(n)		(GUEST_ES_SELECTOR + 2 * (n))
#define SEG_LIMIT(n)		(GUEST_ES_LIMIT + 2 * (n))
#define SEG_AR(n)		(GUEST_ES_AR_BYTES + 2 * (n))
#define SEG_BASE(n)		(GUEST_ES_BASE + 2 * (n))

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* vmx_vmenter.S writes HOST_RSP by its encoding. */
static_assert(HOST_RSP == 0x6c14);

struct vmx_caps vmx_caps;

struct vmx_cpu {
	void *vmxon;			/* the VMXON region */
	bool enabled;			/* VMXON done by us */
	/* The one VMCS current (and active) on this CPU, or NULL. [i] */
	struct vmx_vcpu *loaded;
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);
static int vmx_hp_state;
static DEFINE_IDA(vmx_vpids);

/* ---- VMX instructions ---- */

void vmx_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_warn_ratelimited("VMWRITE of %#lx to field %#lx failed (error %lu)\n",
			    value, field, vmx_vmread(VM_INSTRUCTION_ERROR));
}

/* VMXON and VMPTRLD: 0, or -EIO on VMfail or a fault. */
static int vmx_vmxon(u64 pa)
{
	bool ok = false;

	asm volatile("1: vmxon %[pa]\n"
		     "   seta %[ok]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [ok] "+qm" (ok) : [pa] "m" (pa) : "cc", "memory");
	return ok ? 0 : -EIO;
}

static void vmx_vmxoff(void)
{
	asm volatile("1: vmxoff\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : : : "cc", "memory");
}

static void vmx_vmclear(u64 pa)
{
	asm volatile("1: vmclear %[pa]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : : [pa] "m" (pa) : "cc", "memory");
}

static int vmx_vmptrld(u64 pa)
{
	bool ok = false;

	asm volatile("1: vmptrld %[pa]\n"
		     "   seta %[ok]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [ok] "+qm" (ok) : [pa] "m" (pa) : "cc", "memory");
	return ok ? 0 : -EIO;
}

/* INVEPT of one EPTP (or all, where single-context is missing). */
void vmx_invept(u64 eptp)
{
	struct { u64 eptp, reserved; } desc = { eptp, 0 };
	unsigned long type = VMX_EPT_EXTENT_CONTEXT;

	if (!(vmx_caps.ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT))
		type = VMX_EPT_EXTENT_GLOBAL;
	asm volatile("1: invept %[desc], %[type]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
}

static void vmx_invvpid(u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };
	unsigned long type = VMX_VPID_EXTENT_SINGLE_CONTEXT;

	if (!(vmx_caps.ept_vpid & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT))
		type = VMX_VPID_EXTENT_ALL_CONTEXT;
	asm volatile("1: invvpid %[desc], %[type]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type)
		     : "cc", "memory");
}

/*
 * Forget every translation this CPU cached for the guest of vv: those
 * tagged with its VM's EPTP (guest-physical and combined mappings, of
 * any VPID) and those tagged with its VPID (whatever VM used it before).
 */
void vmx_flush_guest_tlb(struct vmx_vcpu *vv)
{
	vmx_invept(vv->eptp);
	if (vv->vpid)
		vmx_invvpid(vv->vpid);
}

/* ---- detection and capabilities ---- */

static void vmx_read_cr4(void *in_use)
{
	if (__read_cr4() & X86_CR4_VMXE)
		atomic_inc(in_use);
}

/*
 * A control word from its capability MSR: bits 31:0 say which controls
 * must be 1 (*must), bits 63:32 which may be 1. want, and toggle (the
 * controls set and cleared at run time), must all be allowed; opt are
 * taken where allowed. Returns -ENODEV (and says so) otherwise.
 */
static int vmx_adjust_ctls(u32 msr, u32 want, u32 opt, u32 toggle, u32 *ctl,
			   u32 *must, const char *what)
{
	u32 must1, may;
	u64 cap;

	rdmsrl(msr, cap);
	must1 = (u32)cap;
	may = cap >> 32;
	if ((want | toggle) & ~may) {
		pr_err("Intel VMX: the CPU lacks %s controls %#x\n", what,
		       (want | toggle) & ~may);
		return -ENODEV;
	}
	*ctl = must1 | want | (opt & may);
	if (must)
		*must = must1;
	return 0;
}

#define VMX_PIN_WANT	(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING | \
			 PIN_BASED_VIRTUAL_NMIS)
#define VMX_PROC_WANT	(CPU_BASED_HLT_EXITING | CPU_BASED_USE_TSC_OFFSETTING | \
			 CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING | \
			 CPU_BASED_RDPMC_EXITING | CPU_BASED_UNCOND_IO_EXITING | \
			 CPU_BASED_MOV_DR_EXITING | CPU_BASED_CR8_LOAD_EXITING | \
			 CPU_BASED_CR8_STORE_EXITING | \
			 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
/* Set and cleared per entry: they must be allowed. */
#define VMX_PROC_TOGGLE	(CPU_BASED_INTR_WINDOW_EXITING | \
			 CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_MOV_DR_EXITING)
#define VMX_PROC2_WANT	(SECONDARY_EXEC_ENABLE_EPT | \
			 SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define VMX_PROC2_OPT	(SECONDARY_EXEC_ENABLE_VPID | \
			 SECONDARY_EXEC_ENABLE_RDTSCP | \
			 SECONDARY_EXEC_ENABLE_INVPCID)
#define VMX_EXIT_WANT	(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_PAT | \
			 VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_DEBUG_CONTROLS)
#define VMX_ENTRY_WANT	(VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER | \
			 VM_ENTRY_LOAD_DEBUG_CONTROLS)

/*
 * The VMX-preemption timer bounds every stay in the guest to about a
 * millisecond of TSC time: the host gets the CPU back even where an
 * external interrupt would not make the exit (Bochs 2.7 misses some while
 * the guest runs with IF clear). Its ticks: TSC cycles >> the rate.
 */
#define VMX_MISC_TIMER_RATE	0x1fULL	/* IA32_VMX_MISC[4:0]; 6.12 has no name for it */

static u32 vmx_preempt_ticks(u64 misc)
{
	u64 cycles = (u64)(tsc_khz ? tsc_khz : 1000000);

	return min_t(u64, cycles >> (misc & VMX_MISC_TIMER_RATE),
		     U32_MAX) ?: 1;
}

static int vmx_read_caps(void)
{
	struct vmx_caps *c = &vmx_caps;
	u32 pin_msr = MSR_IA32_VMX_PINBASED_CTLS;
	u32 proc_msr = MSR_IA32_VMX_PROCBASED_CTLS;
	u32 exit_msr = MSR_IA32_VMX_EXIT_CTLS;
	u32 entry_msr = MSR_IA32_VMX_ENTRY_CTLS;
	u64 basic, ept;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	c->revision = vmx_basic_vmcs_revision_id(basic);
	c->vmcs_size = vmx_basic_vmcs_size(basic);
	if (c->vmcs_size > PAGE_SIZE || (basic & BIT_ULL(48)) ||
	    ((basic >> 50) & 0xf) != VMX_MEMTYPE_WB) {
		pr_err("Intel VMX: unsupported VMCS layout (IA32_VMX_BASIC %#llx)\n",
		       basic);
		return -ENODEV;
	}
	/* The "true" MSRs let default-1 controls (CR3 exiting...) be 0. */
	if (basic & VMX_BASIC_TRUE_CTLS) {
		pin_msr = MSR_IA32_VMX_TRUE_PINBASED_CTLS;
		proc_msr = MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
		exit_msr = MSR_IA32_VMX_TRUE_EXIT_CTLS;
		entry_msr = MSR_IA32_VMX_TRUE_ENTRY_CTLS;
	}
	r = vmx_adjust_ctls(pin_msr, VMX_PIN_WANT, PIN_BASED_VMX_PREEMPTION_TIMER,
			    0, &c->pin, NULL, "pin-based");
	if (!r)
		r = vmx_adjust_ctls(proc_msr, VMX_PROC_WANT, 0, VMX_PROC_TOGGLE,
				    &c->proc, &c->proc_must, "processor-based");
	if (!r)
		r = vmx_adjust_ctls(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_WANT,
				    VMX_PROC2_OPT, 0, &c->proc2, NULL,
				    "secondary");
	if (!r)
		r = vmx_adjust_ctls(exit_msr, VMX_EXIT_WANT, 0, 0, &c->exit,
				    NULL, "VM-exit");
	if (!r)
		r = vmx_adjust_ctls(entry_msr, VMX_ENTRY_WANT, 0,
				    VM_ENTRY_IA32E_MODE, &c->entry, NULL,
				    "VM-entry");
	if (r)
		return r;
	/* RDTSCP and INVPCID are turned on per vCPU, as its CPUID says. */
	c->proc2_opt = c->proc2 & (SECONDARY_EXEC_ENABLE_RDTSCP |
				   SECONDARY_EXEC_ENABLE_INVPCID);
	c->proc2 &= ~c->proc2_opt;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept);
	c->ept_vpid = ept;
	if (!(ept & VMX_EPT_PAGE_WALK_4_BIT) || !(ept & VMX_EPTP_WB_BIT) ||
	    !(ept & VMX_EPT_INVEPT_BIT) ||
	    !(ept & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("Intel VMX: EPT lacks 4-level, write-back tables or INVEPT (capabilities %#llx)\n",
		       ept);
		return -ENODEV;
	}
	c->ept_2m = ept & VMX_EPT_2MB_PAGE_BIT;
	c->vpid = (c->proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		  (ept & VMX_VPID_INVVPID_BIT) &&
		  (ept & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			  VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT));
	c->proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	rdmsrl(MSR_IA32_VMX_MISC, c->misc);
	if (c->pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		c->preempt_ticks = vmx_preempt_ticks(c->misc);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	rdmsrl(MSR_IA32_CR_PAT, c->host_pat);
	rdmsrl(MSR_EFER, c->host_efer);
	return 0;
}

/*
 * The stock kvm.ko is loaded (its kvm_init is there). Our load would then
 * fail anyway, at misc minor 232, but only after hardware_setup: and the
 * 6.1 kvm_intel holds the kernel's one emergency-virt callback from its own
 * load on, so registering ours would WARN (twice, with the unregister).
 */
static bool vmx_stock_loaded(void)
{
	void *sym = __symbol_get("kvm_init");

	if (!sym)
		return false;
	__symbol_put("kvm_init");
	return true;
}

static int vmx_probe(void)
{
	atomic_t in_use = ATOMIC_INIT(0);
	u64 fc;

	if (!boot_cpu_has(X86_FEATURE_VMX))
		return -ENODEV;

	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("Intel VMX is disabled by the firmware (IA32_FEATURE_CONTROL)\n");
		return -ENODEV;
	}

	on_each_cpu(vmx_read_cr4, &in_use, 1);
	if (atomic_read(&in_use)) {
		pr_err("Intel VMX is already in use by another hypervisor (CR4.VMXE set on %d CPUs)\n",
		       atomic_read(&in_use));
		return -EBUSY;
	}
	if (vmx_stock_loaded()) {
		pr_err("/dev/kvm (misc minor 232) belongs to the stock kvm module: unload kvm_intel and kvm first\n");
		return -EBUSY;
	}
	return vmx_read_caps();
}

/* ---- per-CPU enabling; each runs on the CPU it changes ---- */

bool vmx_cpu_enabled(void)
{
	return this_cpu_read(vmx_cpu.enabled);
}

/* VMCLEAR vv on this CPU, where it is current. Interrupts off. */
static void vmx_clear(struct vmx_vcpu *vv)
{
	vmx_vmclear(vv->vmcs_pa);
	vv->launched = false;
	WRITE_ONCE(vv->cpu, -1);
	this_cpu_write(vmx_cpu.loaded, NULL);
}

static void vmx_clear_remote(void *info)
{
	struct vmx_vcpu *vv = info;

	if (this_cpu_read(vmx_cpu.loaded) == vv)
		vmx_clear(vv);
}

static int vmx_cpu_enable(unsigned int cpu)
{
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
	u64 fc;
	int r;

	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("CPU %u: CR4.VMXE is already set by someone else\n", cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("CPU %u: Intel VMX is disabled by the firmware\n", cpu);
		return -ENODEV;
	}
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(__pa(vc->vmxon));
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("CPU %u: VMXON failed\n", cpu);
		return r;
	}
	vc->enabled = true;
	return 0;
}

/*
 * Leave VMX on this CPU: the VMCS current here is cleared first (its
 * data reaches memory), then VMXOFF. Also from NMI context (crash).
 */
static void vmx_cpu_disable_this(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	unsigned long flags;

	local_irq_save(flags);
	if (vc->enabled) {
		if (vc->loaded)
			vmx_clear(vc->loaded);
		vc->enabled = false;
		vmx_vmxoff();
		cr4_clear_bits(X86_CR4_VMXE);
	}
	local_irq_restore(flags);
}

static int vmx_cpu_disable(unsigned int cpu)
{
	vmx_cpu_disable_this();
	return 0;
}

static void vmx_cpu_disable_ipi(void *unused)
{
	vmx_cpu_disable_this();
}

/* Emergency reboot or crash kexec: called on each CPU, maybe from NMI. */
static void vmx_emergency_disable(void)
{
	vmx_cpu_disable_this();
}

static int vmx_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	on_each_cpu(vmx_cpu_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

static void vmx_free_cpu_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		if (vc->vmxon)
			free_page((unsigned long)vc->vmxon);
		vc->vmxon = NULL;
	}
}

static int vmx_hardware_setup(void)
{
	unsigned int cpu;
	int r;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
		struct page *page;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			r = -ENOMEM;
			goto free;
		}
		vc->vmxon = page_address(page);
		*(u32 *)vc->vmxon = vmx_caps.revision;
	}

	cpu_emergency_register_virt_callback(vmx_emergency_disable);
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "nkvm/vmx:online",
			      vmx_cpu_enable, vmx_cpu_disable);
	if (r < 0)
		goto unregister;
	vmx_hp_state = r;
	register_reboot_notifier(&vmx_reboot_nb);
	return 0;

unregister:
	cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
free:
	vmx_free_cpu_pages();
	return r;
}

static void vmx_hardware_unsetup(void)
{
	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state(vmx_hp_state);
	cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
	vmx_free_cpu_pages();
}

/* ---- the VMCS: which CPU it is current on ---- */

/* A 16-byte system descriptor's base (the TSS's). */
static unsigned long vmx_sys_desc_base(const struct desc_struct *d)
{
	const struct ldttss_desc *s = (const struct ldttss_desc *)d;

	return s->base0 | ((unsigned long)s->base1 << 16) |
	       ((unsigned long)s->base2 << 24) |
	       ((unsigned long)s->base3 << 32);
}

/* The host fields that differ per CPU, for the CPU we run on. */
static void vmx_set_host_cpu_fields(struct vmx_vcpu *vv)
{
	struct desc_ptr gdt;
	u64 v;

	native_store_gdt(&gdt);
	vmx_vmwrite(HOST_GDTR_BASE, gdt.address);
	vmx_vmwrite(HOST_TR_BASE,
		    vmx_sys_desc_base((struct desc_struct *)gdt.address +
				      GDT_ENTRY_TSS));
	rdmsrl(MSR_GS_BASE, v);
	vmx_vmwrite(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmx_vmwrite(HOST_IA32_SYSENTER_ESP, v);
	/* The host's MSRs the exit loads back, but KERNEL_GS_BASE (per entry). */
	rdmsrl(MSR_STAR, vv->msrs->host[VMX_MSR_STAR].value);
	rdmsrl(MSR_LSTAR, vv->msrs->host[VMX_MSR_LSTAR].value);
	rdmsrl(MSR_SYSCALL_MASK, vv->msrs->host[VMX_MSR_SFMASK].value);
	if (boot_cpu_has(X86_FEATURE_RDTSCP))
		rdmsrl(MSR_TSC_AUX, vv->msrs->host[VMX_MSR_TSC_AUX].value);
}

/*
 * Make vv's VMCS the current one of this CPU, preemption off. Called
 * under vcpu->mutex: nothing else loads it meanwhile. Where it was current
 * on another CPU, that CPU clears it first (an IPI); the one current here
 * is cleared. A VMCS new to this CPU gets its per-CPU host fields, and its
 * guest's translations cached here are flushed before the next entry.
 */
static int vmx_load(struct vmx_vcpu *vv)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	unsigned long flags;
	int old, r = 0;

	if (vc->loaded == vv)
		return 0;
	old = READ_ONCE(vv->cpu);
	if (old >= 0 && old != smp_processor_id())
		smp_call_function_single(old, vmx_clear_remote, vv, 1);

	local_irq_save(flags);
	if (!vc->enabled) {
		r = -EIO;
		goto out;
	}
	if (vc->loaded)
		vmx_clear(vc->loaded);
	/* Not current anywhere now: VMCLEAR makes it clear here. */
	vmx_vmclear(vv->vmcs_pa);
	vv->launched = false;
	r = vmx_vmptrld(vv->vmcs_pa);
	if (r)
		goto out;
	vc->loaded = vv;
	WRITE_ONCE(vv->cpu, smp_processor_id());
out:
	local_irq_restore(flags);
	if (r)
		return r;
	vmx_set_host_cpu_fields(vv);
	vv->flush_tlb = true;
	return 0;
}

/*
 * Use vv's VMCS: preemption stays off until vmx_vmcs_put(). On failure
 * (VMX is off on this CPU: a reboot or the CPU going away) it is on again.
 */
int vmx_vmcs_get(struct vmx_vcpu *vv)
{
	int r;

	preempt_disable();
	r = vmx_load(vv);
	if (r)
		preempt_enable();
	return r;
}

void vmx_vmcs_put(void)
{
	preempt_enable();
}

/* ---- control registers ---- */

/* The hardware's CR0 for the guest's: VMX's fixed bits, CD and NW off. */
u64 vmx_guest_cr0(u64 cr0)
{
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	cr0 &= ~(X86_CR0_CD | X86_CR0_NW);
	return (cr0 | fixed0) & vmx_caps.cr0_fixed1;
}

u64 vmx_guest_cr4(u64 cr4)
{
	return (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

/* EFER into the VMCS: LMA is the IA-32e mode entry control too. */
static void vmx_set_efer(struct vmx_vcpu *vv, u64 efer)
{
	vv->efer = efer;
	vmx_vmwrite(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		vv->entry |= VM_ENTRY_IA32E_MODE;
	else
		vv->entry &= ~VM_ENTRY_IA32E_MODE;
	vmx_vmwrite(VM_ENTRY_CONTROLS, vv->entry);
}

/*
 * CR0, checked already, VMCS current. With EFER.LME, paging on enters
 * long mode and off leaves it; in long mode TR must hold a 64-bit TSS
 * (stock fixes a 16-bit one up the same way).
 */
void vmx_write_cr0(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv, u64 cr0)
{
	u32 ar;

	vv->cr0 = cr0;
	vmx_vmwrite(CR0_READ_SHADOW, cr0);
	vmx_vmwrite(GUEST_CR0, vmx_guest_cr0(cr0));
	if (vv->efer & EFER_LME) {
		if ((cr0 & X86_CR0_PG) && !(vv->efer & EFER_LMA)) {
			ar = vmx_vmread(SEG_AR(SEG_TR));
			if ((ar & VMX_AR_TYPE_MASK) != VMX_AR_TYPE_BUSY_64_TSS)
				vmx_vmwrite(SEG_AR(SEG_TR),
					    (ar & ~VMX_AR_TYPE_MASK) |
					    VMX_AR_TYPE_BUSY_64_TSS);
			vmx_set_efer(vv, vv->efer | EFER_LMA);
		} else if (!(cr0 & X86_CR0_PG) && (vv->efer & EFER_LMA)) {
			vmx_set_efer(vv, vv->efer & ~EFER_LMA);
		}
	}
	vv->load_pdptrs = true;
	vv->flush_tlb = true;
}

void vmx_write_cr4(struct vmx_vcpu *vv, u64 cr4)
{
	vv->cr4 = cr4;
	vmx_vmwrite(CR4_READ_SHADOW, cr4);
	vmx_vmwrite(GUEST_CR4, vmx_guest_cr4(cr4));
	vv->load_pdptrs = true;
	vv->flush_tlb = true;
}

/* ---- segments and special registers ---- */

static void vmx_seg_to_kvm(unsigned int n, struct kvm_segment *k)
{
	u32 ar = vmx_vmread(SEG_AR(n));

	k->base = vmx_vmread(SEG_BASE(n));
	k->limit = vmx_vmread(SEG_LIMIT(n));
	k->selector = vmx_vmread(SEG_SEL(n));
	k->type = ar & VMX_AR_TYPE_MASK;
	k->s = !!(ar & VMX_AR_S_MASK);
	k->dpl = VMX_AR_DPL(ar);
	k->present = !!(ar & VMX_AR_P_MASK);
	k->avl = !!(ar & BIT(12));
	k->l = !!(ar & VMX_AR_L_MASK);
	k->db = !!(ar & VMX_AR_DB_MASK);
	k->g = !!(ar & VMX_AR_G_MASK);
	k->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	/* As stock: a usable segment is present, an unusable one is not. */
	if (k->unusable)
		k->present = 0;
	k->padding = 0;
}

/*
 * The access rights of a segment from KVM_SET_SREGS (checked already by
 * vmx_sregs_valid()): not present means unusable; the accessed bit is set
 * as at RESET (older userspace clears it, which VM entry refuses), except
 * in LDTR's type. An unusable SS keeps its DPL: it is the CPL.
 */
static u32 vmx_kvm_to_ar(unsigned int n, const struct kvm_segment *k)
{
	u32 type = k->type;

	if (k->unusable || !k->present)
		return VMX_AR_UNUSABLE_MASK |
		       (n == SEG_SS ? (k->dpl & 3) << VMX_AR_DPL_SHIFT : 0);
	if (n != SEG_LDTR)
		type |= VMX_AR_TYPE_ACCESSES_MASK;
	return (type & VMX_AR_TYPE_MASK) | (k->s ? VMX_AR_S_MASK : 0) |
	       ((k->dpl & 3) << VMX_AR_DPL_SHIFT) | VMX_AR_P_MASK |
	       (k->avl ? BIT(12) : 0) | (k->l ? VMX_AR_L_MASK : 0) |
	       (k->db ? VMX_AR_DB_MASK : 0) | (k->g ? VMX_AR_G_MASK : 0);
}

static void vmx_seg_from_kvm(unsigned int n, const struct kvm_segment *k)
{
	vmx_vmwrite(SEG_BASE(n), k->base);
	vmx_vmwrite(SEG_LIMIT(n), k->limit);
	vmx_vmwrite(SEG_SEL(n), k->selector);
	vmx_vmwrite(SEG_AR(n), vmx_kvm_to_ar(n, k));
}

/* The CPL: SS.DPL (0 in real mode, where SS.DPL is 0 too). */
unsigned int vmx_cpl(void)
{
	return VMX_AR_DPL(vmx_vmread(GUEST_SS_AR_BYTES));
}

/* The guest runs 64-bit code: long mode and CS.L. */
bool vmx_long_mode_code(struct vmx_vcpu *vv)
{
	return (vv->efer & EFER_LMA) &&
	       (vmx_vmread(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

/* KVM_GET_SREGS from the current VMCS (the exit handlers' view). */
void vmx_get_sregs_loaded(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs)
{
	struct vmx_vcpu *vv = xv->vendor;

	memset(sregs, 0, sizeof(*sregs));
	vmx_seg_to_kvm(SEG_CS, &sregs->cs);
	vmx_seg_to_kvm(SEG_DS, &sregs->ds);
	vmx_seg_to_kvm(SEG_ES, &sregs->es);
	vmx_seg_to_kvm(SEG_FS, &sregs->fs);
	vmx_seg_to_kvm(SEG_GS, &sregs->gs);
	vmx_seg_to_kvm(SEG_SS, &sregs->ss);
	vmx_seg_to_kvm(SEG_TR, &sregs->tr);
	vmx_seg_to_kvm(SEG_LDTR, &sregs->ldt);

	sregs->gdt.base = vmx_vmread(GUEST_GDTR_BASE);
	sregs->gdt.limit = vmx_vmread(GUEST_GDTR_LIMIT);
	sregs->idt.base = vmx_vmread(GUEST_IDTR_BASE);
	sregs->idt.limit = vmx_vmread(GUEST_IDTR_LIMIT);

	sregs->cr0 = vv->cr0;
	sregs->cr2 = vv->cr2;
	sregs->cr3 = vmx_vmread(GUEST_CR3);
	sregs->cr4 = vv->cr4;
	sregs->cr8 = xv->lapic ? nkvm_x86_lapic_get_cr8(xv) : vv->cr8;
	sregs->efer = vv->efer;
	/* With an in-kernel irqchip the local APIC holds its base. */
	sregs->apic_base = xv->lapic ? nkvm_x86_lapic_get_base(xv) :
				       vv->apic_base;
}

/*
 * VMX off on this CPU (a reboot under way): the VMCS cannot be read.
 * Report the state as after RESET's segments would be: zeros.
 */
static void vmx_get_sregs(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs)
{
	if (vmx_vmcs_get(xv->vendor)) {
		memset(sregs, 0, sizeof(*sregs));
		return;
	}
	vmx_get_sregs_loaded(xv, sregs);
	vmx_vmcs_put();
}

static void vmx_set_sregs(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs)
{
	struct vmx_vcpu *vv = xv->vendor;

	if (vmx_vmcs_get(vv))
		return;
	vmx_seg_from_kvm(SEG_CS, &sregs->cs);
	vmx_seg_from_kvm(SEG_DS, &sregs->ds);
	vmx_seg_from_kvm(SEG_ES, &sregs->es);
	vmx_seg_from_kvm(SEG_FS, &sregs->fs);
	vmx_seg_from_kvm(SEG_GS, &sregs->gs);
	vmx_seg_from_kvm(SEG_SS, &sregs->ss);
	vmx_seg_from_kvm(SEG_TR, &sregs->tr);
	vmx_seg_from_kvm(SEG_LDTR, &sregs->ldt);

	vmx_vmwrite(GUEST_GDTR_BASE, sregs->gdt.base);
	vmx_vmwrite(GUEST_GDTR_LIMIT, sregs->gdt.limit);
	vmx_vmwrite(GUEST_IDTR_BASE, sregs->idt.base);
	vmx_vmwrite(GUEST_IDTR_LIMIT, sregs->idt.limit);

	vv->cr2 = sregs->cr2;
	vmx_vmwrite(GUEST_CR3, sregs->cr3);
	vv->cr0 = sregs->cr0;
	vmx_vmwrite(CR0_READ_SHADOW, sregs->cr0);
	vmx_vmwrite(GUEST_CR0, vmx_guest_cr0(sregs->cr0));
	vmx_write_cr4(vv, sregs->cr4);
	vmx_set_efer(vv, sregs->efer);
	vv->load_pdptrs = true;
	vv->flush_tlb = true;
	vmx_vmcs_put();

	vv->cr8 = sregs->cr8 & 0xf;
	if (xv->lapic)
		nkvm_x86_lapic_set_cr8(xv, sregs->cr8);
	if (xv->lapic)
		nkvm_x86_lapic_set_base(xv, sregs->apic_base);
	else
		vv->apic_base = sregs->apic_base;
}

/*
 * What VM entry checks on the segments beyond the x86 layer's rules
 * (sregs.c), for a guest with unrestricted guest on: KVM_SET_SREGS
 * refuses it (EINVAL) rather than let the entry fail.
 */
static bool vmx_seg_limit_ok(const struct kvm_segment *k)
{
	/* G set: limit bits 11:0 all ones; G clear: bits 31:20 clear. */
	if (k->g)
		return (k->limit & 0xfff) == 0xfff;
	return !(k->limit & 0xfff00000);
}

static bool vmx_sregs_valid(struct nkvm_x86_vcpu *xv,
			    const struct kvm_sregs *s)
{
	bool lma = s->efer & EFER_LMA;
	bool pe = s->cr0 & X86_CR0_PE;
	const struct kvm_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs };
	unsigned int i, cs_type = s->cs.type | 1;

	/* CS: usable, accessed code (or real mode's read/write data). */
	if (s->cs.unusable || !s->cs.present || !s->cs.s ||
	    !vmx_seg_limit_ok(&s->cs))
		return false;
	if (!(cs_type & 8) && cs_type != 3)
		return false;
	if (lma && s->cs.l && s->cs.db)
		return false;
	/* SS: DPL 0 in real mode or with CS type 3, else CS's (non-conforming). */
	if ((!pe || cs_type == 3) && s->ss.dpl)
		return false;
	if ((cs_type == 9 || cs_type == 11) && s->ss.dpl != s->cs.dpl)
		return false;
	if (!s->ss.unusable && s->ss.present &&
	    (!s->ss.s || ((s->ss.type | 1) != 3 && (s->ss.type | 1) != 7) ||
	     !vmx_seg_limit_ok(&s->ss)))
		return false;
	for (i = 0; i < ARRAY_SIZE(data); i++) {
		const struct kvm_segment *k = data[i];

		if (k->unusable || !k->present)
			continue;
		if (!k->s || ((k->type & 8) && !(k->type & 2)) ||
		    !vmx_seg_limit_ok(k))
			return false;
	}
	/* TR: a busy TSS, 64-bit in long mode; LDTR: an LDT if usable. */
	if (s->tr.unusable || !s->tr.present || s->tr.s ||
	    !vmx_seg_limit_ok(&s->tr) ||
	    ((s->tr.type | 2) != VMX_AR_TYPE_BUSY_64_TSS &&
	     (lma || (s->tr.type | 2) != VMX_AR_TYPE_BUSY_16_TSS)))
		return false;
	if (!s->ldt.unusable && s->ldt.present &&
	    (s->ldt.s || s->ldt.type != VMX_AR_TYPE_LDT ||
	     !vmx_seg_limit_ok(&s->ldt)))
		return false;
	/* The descriptor tables' limits fit in 16 bits. */
	return !(s->gdt.limit >> 16) && !(s->idt.limit >> 16);
}

/* ---- MSRs ---- */

static const u32 vmx_msr_index[VMX_NR_MSRS] = {
	[VMX_MSR_STAR]		= MSR_STAR,
	[VMX_MSR_LSTAR]		= MSR_LSTAR,
	[VMX_MSR_SFMASK]	= MSR_SYSCALL_MASK,
	[VMX_MSR_KGS_BASE]	= MSR_KERNEL_GS_BASE,
	[VMX_MSR_TSC_AUX]	= MSR_TSC_AUX,
};

/* The VMCS fields of the MSRs kept there; 0 for others. */
static unsigned long vmx_msr_field(u32 index)
{
	switch (index) {
	case MSR_FS_BASE:		return GUEST_FS_BASE;
	case MSR_GS_BASE:		return GUEST_GS_BASE;
	case MSR_IA32_SYSENTER_CS:	return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:	return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:	return GUEST_SYSENTER_EIP;
	case MSR_IA32_CR_PAT:		return GUEST_IA32_PAT;
	}
	return 0;
}

static u64 *vmx_msr_slot(struct vmx_vcpu *vv, u32 index)
{
	unsigned int i;

	/* TSC_AUX is the x86 layer's; the area takes its copy at entry. */
	for (i = 0; i < VMX_MSR_TSC_AUX; i++)
		if (vmx_msr_index[i] == index)
			return &vv->msrs->guest[i].value;
	switch (index) {
	case MSR_CSTAR:		return &vv->cstar;
	case MSR_IA32_APICBASE:	return &vv->apic_base;
	case MSR_EFER:		return &vv->efer;
	}
	return NULL;
}

static int vmx_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	struct vmx_vcpu *vv = xv->vendor;
	unsigned long field = vmx_msr_field(index);
	u64 *slot;

	if (field) {
		if (vmx_vmcs_get(vv))
			return 1;
		*data = vmx_vmread(field);
		vmx_vmcs_put();
		return 0;
	}
	slot = vmx_msr_slot(vv, index);
	if (!slot)
		return 1;
	*data = *slot;
	return 0;
}

static int vmx_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	struct vmx_vcpu *vv = xv->vendor;
	unsigned long field = vmx_msr_field(index);
	u64 *slot;

	if (field || index == MSR_EFER) {
		if (vmx_vmcs_get(vv))
			return 1;
		if (field)
			vmx_vmwrite(field, *data);
		else
			vmx_set_efer(vv, *data);
		vmx_vmcs_put();
		return 0;
	}
	slot = vmx_msr_slot(vv, index);
	if (!slot)
		return 1;
	*slot = *data;
	return 0;
}

/* ---- the interrupt shadow ---- */

static bool vmx_get_interrupt_shadow(struct nkvm_x86_vcpu *xv)
{
	struct vmx_vcpu *vv = xv->vendor;

	return vv->intr_state & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

/* Written to the VMCS at the next entry (vmx_run.c), as MOV SS if IF=0. */
static void vmx_set_interrupt_shadow(struct nkvm_x86_vcpu *xv, bool shadow)
{
	struct vmx_vcpu *vv = xv->vendor;

	vv->intr_state &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (shadow)
		vv->intr_state |= GUEST_INTR_STATE_STI;
}

/* ---- the VMCS set-up ---- */

static void vmx_reset_seg(unsigned int n, u16 sel, u64 base, u32 ar)
{
	vmx_vmwrite(SEG_SEL(n), sel);
	vmx_vmwrite(SEG_BASE(n), base);
	vmx_vmwrite(SEG_LIMIT(n), 0xffff);
	vmx_vmwrite(SEG_AR(n), ar);
}

/* Controls, host state and the MSR areas; VMCS current. */
static void vmx_init_controls(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	struct desc_ptr idt;
	unsigned int nr_msrs = VMX_NR_MSRS;
	unsigned int i;
	u64 v;

	vv->proc = vmx_caps.proc;
	if (nkvm_x86_exit_disabled(xv, KVM_X86_DISABLE_EXITS_HLT))
		vv->proc &= ~CPU_BASED_HLT_EXITING;
	if (nkvm_x86_exit_disabled(xv, KVM_X86_DISABLE_EXITS_MWAIT))
		vv->proc &= ~(CPU_BASED_MWAIT_EXITING |
			      CPU_BASED_MONITOR_EXITING);
	/* A CPU may force some of them on. */
	vv->proc |= vmx_caps.proc_must;
	vv->proc2 = vmx_caps.proc2;
	if (vv->vpid)
		vv->proc2 |= SECONDARY_EXEC_ENABLE_VPID;
	vv->entry = vmx_caps.entry;
	/* Always: #MC for the host; #UD for VMMCALL; #AC and #DB (svm.c says why). */
	vv->exc_bitmap = BIT(MC_VECTOR) | BIT(UD_VECTOR) | BIT(AC_VECTOR) |
			 BIT(DB_VECTOR);

	vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, vv->proc);
	vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL, vv->proc2);
	vmx_vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmx_vmwrite(VM_ENTRY_CONTROLS, vv->entry);
	vmx_vmwrite(EXCEPTION_BITMAP, vv->exc_bitmap);
	vmx_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmx_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmx_vmwrite(CR3_TARGET_COUNT, 0);
	vmx_vmwrite(VMCS_LINK_POINTER, ~0ULL);
	vmx_vmwrite(EPT_POINTER, vv->eptp);
	if (vv->vpid)
		vmx_vmwrite(VIRTUAL_PROCESSOR_ID, vv->vpid);
	vmx_vmwrite(CR0_GUEST_HOST_MASK, ~0UL);
	vmx_vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	vmx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx_vmwrite(TPR_THRESHOLD, 0);

	/* The MSR areas: the guest's loaded and stored, the host's loaded. */
	if (!boot_cpu_has(X86_FEATURE_RDTSCP))
		nr_msrs--;
	for (i = 0; i < VMX_NR_MSRS; i++) {
		vv->msrs->guest[i].index = vmx_msr_index[i];
		vv->msrs->host[i].index = vmx_msr_index[i];
	}
	vmx_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, vv->msrs_pa);
	vmx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, nr_msrs);
	vmx_vmwrite(VM_EXIT_MSR_STORE_ADDR, vv->msrs_pa);
	vmx_vmwrite(VM_EXIT_MSR_STORE_COUNT, nr_msrs);
	vmx_vmwrite(VM_EXIT_MSR_LOAD_ADDR, vv->msrs_pa +
		    offsetof(struct vmx_msr_area, host));
	vmx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, nr_msrs);

	/*
	 * Host state the exit loads. Segment selectors: the kernel's; FS and
	 * GS 0, their bases (and DS, ES, FS, GS, LDTR as userspace had them)
	 * are put back after each exit (vmx_run.c). CR0/CR3/CR4 and FS base
	 * are refreshed before each entry, the per-CPU fields on a new CPU.
	 */
	vv->host_cr0 = read_cr0();
	vv->host_cr3 = __read_cr3();
	vv->host_cr4 = cr4_read_shadow();
	vmx_vmwrite(HOST_CR0, vv->host_cr0);
	vmx_vmwrite(HOST_CR3, vv->host_cr3);
	vmx_vmwrite(HOST_CR4, vv->host_cr4);
	vmx_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	vmx_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	vmx_vmwrite(HOST_DS_SELECTOR, __KERNEL_DS);
	vmx_vmwrite(HOST_ES_SELECTOR, __KERNEL_DS);
	vmx_vmwrite(HOST_FS_SELECTOR, 0);
	vmx_vmwrite(HOST_GS_SELECTOR, 0);
	vmx_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmx_vmwrite(HOST_IDTR_BASE, idt.address);
	vmx_vmwrite(HOST_RIP, (unsigned long)vmx_vmexit);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmx_vmwrite(HOST_IA32_SYSENTER_CS, (u32)v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmx_vmwrite(HOST_IA32_SYSENTER_EIP, v);
	vmx_vmwrite(HOST_IA32_PAT, vmx_caps.host_pat);
	vmx_vmwrite(HOST_IA32_EFER, vmx_caps.host_efer);
	vmx_set_host_cpu_fields(vv);
}

/* The guest state as after RESET (RIP, RFLAGS and GPRs: xv->regs). */
static void vmx_init_guest(struct vmx_vcpu *vv)
{
	unsigned int n;

	for (n = SEG_ES; n <= SEG_GS; n++)
		vmx_reset_seg(n, 0, 0, AR_DATA);
	vmx_reset_seg(SEG_CS, 0xf000, 0xffff0000, AR_CODE);
	vmx_reset_seg(SEG_LDTR, 0, 0, AR_LDT);
	/* As stock's VMX: a busy 32-bit TSS, which long mode accepts too. */
	vmx_reset_seg(SEG_TR, 0, 0, AR_TSS_BUSY32);
	vmx_vmwrite(GUEST_GDTR_BASE, 0);
	vmx_vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmx_vmwrite(GUEST_IDTR_BASE, 0);
	vmx_vmwrite(GUEST_IDTR_LIMIT, 0xffff);

	vv->cr2 = 0;
	vmx_vmwrite(GUEST_CR3, 0);
	vv->cr0 = RESET_CR0;
	vmx_vmwrite(CR0_READ_SHADOW, RESET_CR0);
	vmx_vmwrite(GUEST_CR0, vmx_guest_cr0(RESET_CR0));
	vmx_write_cr4(vv, 0);
	vmx_set_efer(vv, 0);
	vv->cr8 = 0;
	vmx_vmwrite(GUEST_DR7, RESET_DR7);
	vmx_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmx_vmwrite(GUEST_IA32_PAT, RESET_PAT);
	vmx_vmwrite(GUEST_SYSENTER_CS, 0);
	vmx_vmwrite(GUEST_SYSENTER_ESP, 0);
	vmx_vmwrite(GUEST_SYSENTER_EIP, 0);
	vmx_vmwrite(GUEST_FS_BASE, 0);
	vmx_vmwrite(GUEST_GS_BASE, 0);
	vmx_vmwrite(GUEST_RSP, 0);
	vmx_vmwrite(GUEST_RIP, RESET_RIP);
	vmx_vmwrite(GUEST_RFLAGS, RESET_RFLAGS);
	vmx_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmx_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	for (n = 0; n < 4; n++)
		vmx_vmwrite(GUEST_PDPTR0 + 2 * n, 0);
	vv->intr_state = 0;
	vv->cstar = 0;
	for (n = 0; n < VMX_NR_MSRS; n++)
		vv->msrs->guest[n].value = 0;
	vv->load_pdptrs = false;
	vv->flush_tlb = true;
}

/* INIT after a shutdown: registers as the x86 layer sets them at creation. */
static void vmx_reset_regs(struct nkvm_x86_vcpu *xv)
{
	memset(&xv->regs, 0, sizeof(xv->regs));
	xv->regs.rip = RESET_RIP;
	xv->regs.rflags = RESET_RFLAGS;
	xv->regs.rdx = RESET_RDX;
}

/* INIT: the VMCS, registers and events as after RESET. */
void vmx_init_vcpu(struct nkvm_x86_vcpu *xv)
{
	struct vmx_vcpu *vv = xv->vendor;

	if (!vmx_vmcs_get(vv)) {
		vmx_init_guest(vv);
		vmx_vmcs_put();
	}
	vmx_reset_regs(xv);
	nkvm_x86_debug_reset(xv);
	vv->pio.pending = false;
	vv->strio.pending = false;
	vv->injected = NKVM_X86_SLOT_NONE;
	xv->mmio.pending = false;
	memset(&xv->ev, 0, sizeof(xv->ev));
}

/* ---- VMs and vCPUs ---- */

static int vmx_vm_init(struct nkvm_x86_vm *xvm)
{
	struct vmx_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	int r;

	if (!vm)
		return -ENOMEM;
	r = vmx_ept_init(&vm->ept, &xvm->stat);
	if (r) {
		kfree(vm);
		return r;
	}
	xvm->vendor = vm;
	return 0;
}

static void vmx_vm_destroy(struct nkvm_x86_vm *xvm)
{
	struct vmx_vm *vm = xvm->vendor;

	if (!vm)
		return;
	vmx_ept_destroy(&vm->ept);
	kfree(vm);
	xvm->vendor = NULL;
}

/* Clear the VMCS wherever it is current, then free everything. */
static void vmx_vcpu_free(struct vmx_vcpu *vv)
{
	int cpu;

	cpu = READ_ONCE(vv->cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_remote, vv, 1);
	nkvm_x86_tdp_cache_free(&vv->ept_cache);
	if (vv->vpid)
		ida_free(&vmx_vpids, vv->vpid);
	if (vv->msrs)
		free_page((unsigned long)vv->msrs);
	if (vv->vmcs)
		free_page((unsigned long)vv->vmcs);
	kfree(vv);
}

static int vmx_vcpu_create(struct nkvm_x86_vcpu *xv)
{
	struct vmx_vcpu *vv;
	int r = -ENOMEM;

	vv = kzalloc(sizeof(*vv), GFP_KERNEL_ACCOUNT);
	if (!vv)
		return -ENOMEM;
	vv->cpu = -1;
	vv->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vv->msrs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vv->vmcs || !vv->msrs)
		goto fail;
	*(u32 *)vv->vmcs = vmx_caps.revision;
	vv->vmcs_pa = __pa(vv->vmcs);
	vv->msrs_pa = __pa(vv->msrs);
	if (vmx_caps.vpid) {
		/* No VPID left: this vCPU runs without, flushed at each entry. */
		r = ida_alloc_range(&vmx_vpids, 1, VMX_NR_VPIDS - 1, GFP_KERNEL);
		vv->vpid = r > 0 ? r : 0;
	}
	vv->ept_spurious_gpa = -1ULL;
	vv->eptp = vmx_vm(xv)->ept.eptp;
	vv->ept_gen = atomic_read(&vmx_vm(xv)->ept.gen);
	vv->apic_base = RESET_APIC_BASE;
	if (xv->vcpu.vcpu_id == READ_ONCE(to_x86_vm(xv->vcpu.vm)->bsp_vcpu_id))
		vv->apic_base |= MSR_IA32_APICBASE_BSP;

	xv->vendor = vv;
	r = vmx_vmcs_get(vv);
	if (r)
		goto fail;
	vmx_init_controls(xv, vv);
	vmx_init_guest(vv);
	vmx_vmcs_put();
	return 0;

fail:
	xv->vendor = NULL;
	vmx_vcpu_free(vv);
	return r;
}

static void vmx_vcpu_destroy(struct nkvm_x86_vcpu *xv)
{
	if (xv->vendor)
		vmx_vcpu_free(xv->vendor);
	xv->vendor = NULL;
}

static bool vmx_mmu_unmap(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
			  nkvm_gfn_t end)
{
	struct vmx_vm *vm = xvm->vendor;

	return vm && vmx_ept_unmap(&vm->ept, start, end);
}

static bool vmx_mmu_write_protect(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
				  nkvm_gfn_t end)
{
	struct vmx_vm *vm = xvm->vendor;

	return vm && vmx_ept_write_protect(&vm->ept, start, end);
}

static void vmx_kick(void *unused)
{
}

/*
 * After the EPT lost mappings: a new generation, then every CPU leaves
 * guest mode (the IPI exits the guest). A vCPU invalidates its CPU's
 * cached translations (INVEPT) before it enters again with the new
 * generation, and on every CPU new to it (vmx_load()).
 */
static void vmx_mmu_flush(struct nkvm_x86_vm *xvm)
{
	struct vmx_vm *vm = xvm->vendor;

	if (!vm)
		return;
	atomic_inc(&vm->ept.gen);
	on_each_cpu(vmx_kick, NULL, 1);
}

const struct nkvm_x86_vendor nkvm_vmx_vendor = {
	.name			= "vmx",
	.probe			= vmx_probe,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_destroy		= vmx_vcpu_destroy,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.sregs_valid		= vmx_sregs_valid,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.vm_init		= vmx_vm_init,
	.vm_destroy		= vmx_vm_destroy,
	.mmu_unmap		= vmx_mmu_unmap,
	.mmu_write_protect	= vmx_mmu_write_protect,
	.mmu_flush		= vmx_mmu_flush,
	.get_interrupt_shadow	= vmx_get_interrupt_shadow,
	.set_interrupt_shadow	= vmx_set_interrupt_shadow,
	.complete_exit		= vmx_complete_exit,
	.init_vcpu		= vmx_init_vcpu,
	.run			= vmx_run,
	/* Intel defines every MCG_CAP bit the x86 layer takes. */
	.mcg_cap_bits		= 0,
};
