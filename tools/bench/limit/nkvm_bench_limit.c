// SPDX-License-Identifier: GPL-2.0
/*
 * nkvm_bench_limit: the floor of an in-kernel exit, for `make bench`.
 *
 * At load time it enables SVM on the CPU it runs on, enters a real-mode
 * guest of four bytes ("cpuid; jmp .-2" at GPA 0, mapped by a nested page
 * table of one page per level) and turns each intercepted CPUID straight
 * around: #VMEXIT, RIP += 2, VMRUN. Nothing else happens per exit: no
 * VMSAVE/VMLOAD, no FPU switch, no TLB flush after the first entry, no
 * register copies. `rounds` rounds of `iters` exits are timed; the total
 * nanoseconds of each are read back from the read-only array parameter
 * round_ns (/sys/module/nkvm_bench_limit/parameters/round_ns). Then
 * rmmod. The load fails with EBUSY if another hypervisor owns SVM.
 */
#define pr_fmt(fmt) "nkvm_bench_limit: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/svm.h>

#define LIMIT_MAX_ROUNDS	32
#define LIMIT_MAX_LEVELS	5
#define LIMIT_CHUNK		256	/* exits per interrupts-off stretch */
#define LIMIT_ASID		1
#define NPT_PRESENT_RW_USER	0x7ULL

static unsigned int iters = 20000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "CPUID exits per round");

static unsigned int rounds = 7;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "timed rounds (at most 32)");

static unsigned long round_ns[LIMIT_MAX_ROUNDS];
static unsigned int nr_round_ns;
module_param_array(round_ns, ulong, &nr_round_ns, 0444);
MODULE_PARM_DESC(round_ns, "result: nanoseconds of each round");

/* The guest: cpuid (0f a2), then jmp back to it (eb fc). */
static const u8 limit_guest_code[] = { 0x0f, 0xa2, 0xeb, 0xfc };

struct limit_state {
	struct page *hsave;
	struct page *vmcb_page;
	struct page *guest;
	struct page *npt[LIMIT_MAX_LEVELS];
	int levels;
	struct vmcb *vmcb;
};

static u64 limit_pa(struct page *page)
{
	return __sme_set(page_to_phys(page));
}

static void limit_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void limit_seg(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->base = 0;
	seg->limit = 0xffff;
	seg->attrib = attrib;
}

static void limit_init_vmcb(struct limit_state *s)
{
	struct vmcb_control_area *ctl = &s->vmcb->control;
	struct vmcb_save_area *save = &s->vmcb->save;
	const u16 data = SVM_SELECTOR_P_MASK | SVM_SELECTOR_S_MASK |
			 SVM_SELECTOR_WRITE_MASK;

	/* VMRUN must be intercepted for VMRUN to be legal at all. */
	limit_set_intercept(s->vmcb, INTERCEPT_CPUID);
	limit_set_intercept(s->vmcb, INTERCEPT_VMRUN);
	limit_set_intercept(s->vmcb, INTERCEPT_INTR);
	limit_set_intercept(s->vmcb, INTERCEPT_NMI);
	limit_set_intercept(s->vmcb, INTERCEPT_SHUTDOWN);
	ctl->asid = LIMIT_ASID;
	ctl->int_ctl = V_INTR_MASKING_MASK;
	ctl->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	ctl->nested_cr3 = limit_pa(s->npt[0]);

	limit_seg(&save->cs, SVM_SELECTOR_P_MASK | SVM_SELECTOR_S_MASK |
		  SVM_SELECTOR_CODE_MASK | SVM_SELECTOR_READ_MASK);
	limit_seg(&save->ds, data);
	limit_seg(&save->es, data);
	limit_seg(&save->ss, data);
	limit_seg(&save->fs, data);
	limit_seg(&save->gs, data);
	limit_seg(&save->ldtr, SVM_SELECTOR_P_MASK | 2);	/* LDT */
	limit_seg(&save->tr, SVM_SELECTOR_P_MASK | 3);	/* busy TSS16 */
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0x3ff;
	save->efer = EFER_SVME;
	save->cr0 = X86_CR0_ET;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	save->g_pat = 0x0007040600070406ULL;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0;
	save->rsp = 0x800;
}

static void limit_free(struct limit_state *s)
{
	int i;

	for (i = 0; i < LIMIT_MAX_LEVELS; i++)
		if (s->npt[i])
			__free_page(s->npt[i]);
	if (s->guest)
		__free_page(s->guest);
	if (s->vmcb_page)
		__free_page(s->vmcb_page);
	if (s->hsave)
		__free_page(s->hsave);
}

static int limit_alloc(struct limit_state *s)
{
	int i;

	s->levels = pgtable_l5_enabled() ? 5 : 4;
	s->hsave = alloc_page(GFP_KERNEL | __GFP_ZERO);
	s->vmcb_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	s->guest = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!s->hsave || !s->vmcb_page || !s->guest)
		return -ENOMEM;
	for (i = 0; i < s->levels; i++) {
		s->npt[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!s->npt[i])
			return -ENOMEM;
	}
	/* GPA 0: entry 0 of every level, down to the guest's page. */
	for (i = 0; i < s->levels; i++) {
		u64 *table = page_address(s->npt[i]);
		struct page *next = i + 1 < s->levels ? s->npt[i + 1] : s->guest;

		table[0] = limit_pa(next) | NPT_PRESENT_RW_USER;
	}
	memcpy(page_address(s->guest), limit_guest_code,
	       sizeof(limit_guest_code));
	s->vmcb = page_address(s->vmcb_page);
	limit_init_vmcb(s);
	return 0;
}

static void limit_vmrun(u64 vmcb_pa)
{
	/* The guest changes no register: all it runs is intercepted. */
	asm volatile("clgi\n\t"
		     "vmrun %%rax\n\t"
		     "stgi"
		     : "+a" (vmcb_pa)
		     :
		     : "memory", "cc", "rbx", "rcx", "rdx", "rsi", "rdi",
		       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
}

/* One timed round on this CPU, preemption off; 0 or -errno. */
static int limit_round(struct limit_state *s, u64 *ns)
{
	struct vmcb_control_area *ctl = &s->vmcb->control;
	u64 vmcb_pa = limit_pa(s->vmcb_page);
	unsigned int done = 0, k;
	u64 efer, t0;
	int r = 0;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("EFER.SVME is already set: another hypervisor is loaded\n");
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, limit_pa(s->hsave));
	ctl->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	ctl->clean = 0;

	t0 = ktime_get_ns();
	while (done < iters && !r) {
		local_irq_disable();
		for (k = 0; k < LIMIT_CHUNK && done < iters; k++) {
			limit_vmrun(vmcb_pa);
			ctl->tlb_ctl = TLB_CONTROL_DO_NOTHING;
			if (ctl->exit_code == SVM_EXIT_CPUID) {
				s->vmcb->save.rip += 2;
				done++;
			} else if (ctl->exit_code != SVM_EXIT_INTR &&
				   ctl->exit_code != SVM_EXIT_NMI) {
				r = -EIO;
				break;
			}
		}
		local_irq_enable();
	}
	*ns = ktime_get_ns() - t0;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	wrmsrl(MSR_EFER, efer);
	if (r)
		pr_err("unexpected exit %#x (info1 %#llx info2 %#llx) at rip %#llx\n",
		       ctl->exit_code, ctl->exit_info_1, ctl->exit_info_2,
		       s->vmcb->save.rip);
	return r;
}

static int __init limit_init(void)
{
	struct limit_state s = { };
	unsigned int i;
	int r;

	if (!boot_cpu_has(X86_FEATURE_SVM) || !boot_cpu_has(X86_FEATURE_NPT))
		return -ENODEV;
	if (!rounds || rounds > LIMIT_MAX_ROUNDS || !iters)
		return -EINVAL;
	r = limit_alloc(&s);
	if (r)
		goto out;
	for (i = 0; i < rounds; i++) {
		u64 ns;

		preempt_disable();
		r = limit_round(&s, &ns);
		preempt_enable();
		if (r)
			break;
		round_ns[i] = ns;
		nr_round_ns = i + 1;
		cond_resched();
	}
	if (!r)
		pr_info("%u rounds of %u CPUID exits\n", rounds, iters);
out:
	limit_free(&s);
	return r;
}

static void __exit limit_exit(void)
{
}

module_init(limit_init);
module_exit(limit_exit);
MODULE_DESCRIPTION("nkvm benchmark: the cost of a bare SVM CPUID exit");
MODULE_LICENSE("GPL");
