// SPDX-License-Identifier: GPL-2.0
/*
 * What QEMU's kvmvapic ROM and TPR patching use: KVM_CAP_VAPIC,
 * KVM_TPR_ACCESS_REPORTING and KVM_SET_VAPIC_ADDR, their error paths (with
 * and without an in-kernel irqchip), then a 32-bit guest with the in-kernel
 * LAPIC whose TPR accesses through the xAPIC page exit as
 * KVM_EXIT_TPR_ACCESS (the instruction's RIP, read or write, RIP already
 * past it) while reporting is on and not when it is off; and the vapic
 * page: before an entry it holds TPR (bits 7:0), the highest in-service
 * class (15:12) and the highest requested vector (31:24); after an exit
 * its low byte is the guest's new TPR, until KVM_SET_VAPIC_ADDR 0.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define VAPIC_GPA	0x6000
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define RO_GPA		0x400000	/* a KVM_MEM_READONLY slot */
#define RO_SIZE		0x10000
#define HOLE_GPA	0x800000	/* no slot */
#define BAD_PTR		((void *)8)

#define APIC_TASKPRI	0x80
#define APIC_SPIV	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200

asm(".pushsection .rodata\n"
    ".code32\n"
    "vapic_guest:\n"
    /* Reporting on: a TPR write, then a read, through the xAPIC page. */
    "vapic_tpr_w:\n"
    "	movl $0x20, 0xfee00080\n"
    "vapic_tpr_r:\n"
    "	mov 0xfee00080, %eax\n"
    "vapic_tpr_r_end:\n"
    "	out %eax, $0x80\n"
    /* A byte read is reported too; a byte write is dropped, unreported. */
    "vapic_tpr_b:\n"
    "	movzbl 0xfee00080, %eax\n"
    "vapic_tpr_b_end:\n"
    "	out %eax, $0x80\n"
    "	movb $0x10, 0xfee00080\n"
    "vapic_tpr_r2:\n"
    "	mov 0xfee00080, %eax\n"
    "vapic_tpr_r2_end:\n"
    "	out %eax, $0x80\n"
    /* Reporting off: the same accesses go unreported. */
    "	movl $0x30, 0xfee00080\n"
    "	mov 0xfee00080, %eax\n"
    "	out %eax, $0x80\n"
    /* The vapic page (the host set it up meanwhile). */
    "	mov 0x6000, %eax\n"
    "	out %eax, $0x80\n"
    "	movb $0x50, 0x6000\n"
    "	out %eax, $0x80\n"
    /* The page is switched off again: this byte is not the TPR. */
    "	movb $0x70, 0x6000\n"
    "	out %eax, $0x80\n"
    "	cli\n"
    "	hlt\n"
    "vapic_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char vapic_guest[], vapic_guest_end[], vapic_tpr_w[],
	vapic_tpr_r[], vapic_tpr_r_end[], vapic_tpr_b[], vapic_tpr_b_end[],
	vapic_tpr_r2[], vapic_tpr_r2_end[];

#define GPA_OF(sym)	(CODE_GPA + (__u64)((sym) - vapic_guest))

#define NR_CHECKS	31

#define REG(s, off)	(*(__u32 *)&(s)->regs[off])

static long tpr_reporting(int vcpu, __u32 enabled, __u32 flags)
{
	struct kvm_tpr_access_ctl tac = { .enabled = enabled, .flags = flags };

	return ioctl(vcpu, KVM_TPR_ACCESS_REPORTING, &tac);
}

static long set_vapic(int vcpu, __u64 gpa)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };

	return ioctl(vcpu, KVM_SET_VAPIC_ADDR, &va);
}

/* 6 checks: a vCPU without an in-kernel irqchip. */
static void test_no_irqchip(int kvm)
{
	struct kvm_tpr_access_ctl tac = { .enabled = 1, .flags = 1 };
	struct guest g;

	guest_create(&g, kvm);
	guest_add_vcpu(&g);
	expect_errno(ioctl(g.vcpu, KVM_TPR_ACCESS_REPORTING, &tac), EINVAL,
		     "TPR_ACCESS_REPORTING with flags 1 -> EINVAL");
	expect_errno(ioctl(g.vcpu, KVM_TPR_ACCESS_REPORTING, NULL), EFAULT,
		     "TPR_ACCESS_REPORTING from NULL -> EFAULT");
	tac.flags = 0;
	tac.reserved[0] = 0xdead;
	tap_ok(!ioctl(g.vcpu, KVM_TPR_ACCESS_REPORTING, &tac) &&
	       tac.enabled == 1 && tac.flags == 0 && tac.reserved[0] == 0xdead,
	       "TPR_ACCESS_REPORTING enabled=1 without an irqchip -> 0, struct unchanged");
	expect_success(tpr_reporting(g.vcpu, 0, 0),
		       "TPR_ACCESS_REPORTING enabled=0 -> 0");
	expect_errno(set_vapic(g.vcpu, VAPIC_GPA), EINVAL,
		     "SET_VAPIC_ADDR without an in-kernel irqchip -> EINVAL");
	/* As stock: the LAPIC is checked before the argument is read. */
	expect_errno(ioctl(g.vcpu, KVM_SET_VAPIC_ADDR, NULL), EINVAL,
		     "SET_VAPIC_ADDR from NULL without an irqchip -> EINVAL");
	guest_destroy(&g);
}

/* 8 checks: the vCPU of a VM with the in-kernel irqchip. */
static void test_set_vapic_addr(struct guest *g)
{
	expect_errno(ioctl(g->vcpu, KVM_SET_VAPIC_ADDR, NULL), EFAULT,
		     "SET_VAPIC_ADDR from NULL -> EFAULT");
	expect_errno(ioctl(g->vcpu, KVM_SET_VAPIC_ADDR, BAD_PTR), EFAULT,
		     "SET_VAPIC_ADDR from a bad pointer -> EFAULT");
	expect_errno(set_vapic(g->vcpu, HOLE_GPA), EINVAL,
		     "SET_VAPIC_ADDR outside every memslot -> EINVAL");
	expect_errno(set_vapic(g->vcpu, MEM_SIZE - 2), EINVAL,
		     "SET_VAPIC_ADDR whose 4 bytes run past the slot -> EINVAL");
	expect_errno(set_vapic(g->vcpu, RO_GPA + 0x100), EINVAL,
		     "SET_VAPIC_ADDR in a KVM_MEM_READONLY slot -> EINVAL");
	expect_success(set_vapic(g->vcpu, 0), "SET_VAPIC_ADDR 0 -> 0");
	expect_success(set_vapic(g->vcpu, MEM_SIZE - 4),
		       "SET_VAPIC_ADDR of the slot's last 4 bytes -> 0");
	expect_success(set_vapic(g->vcpu, 0), "SET_VAPIC_ADDR 0 again -> 0");
}

static bool tpr_exit(struct guest *g, const unsigned char *insn,
		     const unsigned char *next, int is_write)
{
	struct kvm_regs regs;
	bool ok;

	if (!guest_run_exit(g, KVM_EXIT_TPR_ACCESS))
		return false;
	memset(&regs, 0, sizeof(regs));
	ioctl(g->vcpu, KVM_GET_REGS, &regs);
	ok = g->run->tpr_access.rip == GPA_OF(insn) &&
	     g->run->tpr_access.is_write == (__u32)is_write &&
	     regs.rip == GPA_OF(next);
	if (!ok)
		tap_diag("tpr_access rip %#llx is_write %u, RIP %#llx; expected %#llx %d %#llx",
			 (unsigned long long)g->run->tpr_access.rip,
			 g->run->tpr_access.is_write,
			 (unsigned long long)regs.rip,
			 (unsigned long long)GPA_OF(insn), is_write,
			 (unsigned long long)GPA_OF(next));
	return ok;
}

/* 15 checks: the guest. */
static void test_guest(struct guest *g, unsigned char *mem)
{
	struct kvm_lapic_state s;
	long v;
	int r;

	expect_success(tpr_reporting(g->vcpu, 1, 0),
		       "TPR_ACCESS_REPORTING enabled=1 with the irqchip -> 0");
	tap_ok(tpr_exit(g, vapic_tpr_w, vapic_tpr_r, 1),
	       "movl to 0xfee00080: KVM_EXIT_TPR_ACCESS, its RIP, is_write 1, RIP past it");
	tap_ok(tpr_exit(g, vapic_tpr_r, vapic_tpr_r_end, 0),
	       "mov from 0xfee00080: KVM_EXIT_TPR_ACCESS, its RIP, is_write 0, RIP past it");
	v = guest_run_out(g, NULL);
	tap_ok(v == 0x20, "the write went through: the read gives 0x20 (%#lx)", v);
	tap_ok(tpr_exit(g, vapic_tpr_b, vapic_tpr_b_end, 0),
	       "movzbl from 0xfee00080: KVM_EXIT_TPR_ACCESS, is_write 0");
	v = guest_run_out(g, NULL);
	tap_ok(v == 0x20, "the byte read gives 0x20 (%#lx)", v);
	/* Next comes the read after it: the byte write did not exit. */
	tap_ok(tpr_exit(g, vapic_tpr_r2, vapic_tpr_r2_end, 0) &&
	       guest_run_out(g, NULL) == 0x20,
	       "a byte write to the TPR is dropped without a report (TPR 0x20)");
	expect_success(tpr_reporting(g->vcpu, 0, 0),
		       "TPR_ACCESS_REPORTING enabled=0 -> 0");
	v = guest_run_out(g, NULL);
	tap_ok(v == 0x30,
	       "reporting off: a TPR write and read without an exit (read %#lx)",
	       v);

	/*
	 * The LAPIC software-enabled (stock writes the page only then), TPR
	 * 0x40, vector 0x45 in service and 0x61 requested; the guest runs
	 * with IF=0, so nothing is delivered.
	 */
	memset(&s, 0, sizeof(s));
	r = ioctl(g->vcpu, KVM_GET_LAPIC, &s);
	REG(&s, APIC_SPIV) = 0x1ff;
	REG(&s, APIC_TASKPRI) = 0x40;
	REG(&s, APIC_ISR + 0x10 * (0x45 / 32)) = 1U << (0x45 % 32);
	REG(&s, APIC_IRR + 0x10 * (0x61 / 32)) = 1U << (0x61 % 32);
	memset(mem + VAPIC_GPA, 0xee, 4);
	expect_success(set_vapic(g->vcpu, VAPIC_GPA),
		       "SET_VAPIC_ADDR of a page in the slot -> 0");
	tap_ok(!r && !ioctl(g->vcpu, KVM_SET_LAPIC, &s),
	       "KVM_SET_LAPIC: SVR enabled, TPR 0x40, ISR 0x45, IRR 0x61");
	v = guest_run_out(g, NULL);
	tap_ok(v == 0x61004040,
	       "the guest reads the vapic word: TPR 0x40, ISR class 4, IRR 0x61 (%#lx)",
	       v);
	v = guest_run_out(g, NULL);
	memset(&s, 0, sizeof(s));
	r = ioctl(g->vcpu, KVM_GET_LAPIC, &s);
	tap_ok(v >= 0 && !r && REG(&s, APIC_TASKPRI) == 0x50,
	       "the guest writes 0x50 to the page's low byte: KVM_GET_LAPIC TPR 0x50 (%#x)",
	       REG(&s, APIC_TASKPRI));
	expect_success(set_vapic(g->vcpu, 0), "SET_VAPIC_ADDR 0 switches it off");
	v = guest_run_out(g, NULL);
	memset(&s, 0, sizeof(s));
	r = ioctl(g->vcpu, KVM_GET_LAPIC, &s);
	tap_ok(v >= 0 && !r && REG(&s, APIC_TASKPRI) == 0x50 &&
	       mem[VAPIC_GPA] == 0x70,
	       "then the page's byte (0x70) is not the TPR (%#x)",
	       REG(&s, APIC_TASKPRI));
}

int main(void)
{
	unsigned char *mem, *ro;
	struct guest g;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	tap_ok(check_cap(kvm, KVM_CAP_VAPIC) > 0, "KVM_CAP_VAPIC > 0 (%ld)",
	       check_cap(kvm, KVM_CAP_VAPIC));
	test_no_irqchip(kvm);					/* 6 */

	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0)) {
		tap_diag("KVM_CREATE_IRQCHIP: %m");
		return tap_skip_rest("no in-kernel irqchip");
	}
	mem = alloc_aligned(MEM_SIZE, MiB);
	ro = alloc_aligned(RO_SIZE, 0x1000);
	memcpy(mem + CODE_GPA, vapic_guest, vapic_guest_end - vapic_guest);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_set_slot(&g, 1, RO_GPA, ro, RO_SIZE, KVM_MEM_READONLY);
	guest_add_vcpu(&g);
	test_set_vapic_addr(&g);				/* 8 */
	tap_ok(guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) &&
	       guest_load_tables(&g, mem, GDT_GPA, IDT_GPA),
	       "32-bit protected mode, IF=0");
	test_guest(&g, mem);					/* 15 */

	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
	munmap(ro, RO_SIZE);
	return tap_finish();
}
