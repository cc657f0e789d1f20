// SPDX-License-Identifier: GPL-2.0
/*
 * PV EOI (KVM_FEATURE_PV_EOI, MSR_KVM_PV_EOI_EN) with the in-kernel LAPIC:
 * a 32-bit guest enables it on a flag byte, sends itself an edge-triggered
 * IPI, and its handler finds the flag's bit 0 set by the host at entry:
 * clearing it is the EOI, and after the next exit the host's ISR is empty.
 * A handler that writes the EOI register instead finds its flag cleared
 * by the host at that exit. A level-triggered vector (through the
 * IOAPIC) never gets the flag. The MSR: readable back, #GP for an address
 * that is not 4-byte aligned or (enabled) outside the memslots, from the
 * guest and from KVM_SET_MSRS.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <asm/kvm_para.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define DATA_GPA	0x5000	/* counters and results, see below */
#define FLAG_GPA	0x6000	/* the PV EOI byte */
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define PORT		0x80
#define APIC		"0xfee00"
#define MSR_PV_EOI	0x4b564d04
#define MSR_PV_EOI_S	"0x4b564d04"

/* DATA_GPA: +0 #GP count, +4 flag seen by 0x40, +8 by 0x41, +12 by 0x42. */
#define OUT	"	out %eax, $0x80\n"
#define WAIT(lbl, addr)							\
	"	cli\n"							\
	lbl ":	cmpl $0, " #addr "\n"					\
	"	jne " lbl "f\n"						\
	"	sti\n"							\
	"	hlt\n"							\
	"	cli\n"							\
	"	jmp " lbl "b\n"						\
	lbl ":	sti\n"

asm(".pushsection .rodata\n"
    ".code32\n"
    "pveoi_guest:\n"
    "	movl $0x1ff, " APIC "0f0\n"		/* SVR: enabled */
    "	movl $0x10700, " APIC "350\n"		/* LINT0 masked: no PIC */
    /* Misaligned (bit 1), then enabled outside the slots: both #GP. */
    "	mov $" MSR_PV_EOI_S ", %ecx\n"
    "	mov $0x6003, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $0x40000001, %eax\n"
    "	wrmsr\n"
    "	mov 0x5000, %eax\n" OUT			/* 2 */
    /*
     * Enable on FLAG_GPA (touched first: stock sets the flag only at an
     * entry that injects, and the fault of a first touch in the handler
     * would be an exit that clears it) and read it back.
     */
    "	movb $0, 0x6000\n"
    "	mov $0x6001, %eax\n"
    "	wrmsr\n"
    "	rdmsr\n" OUT				/* 0x6001 */
    /* Self-IPI 0x40 (edge, fixed): the handler does the PV EOI. */
    "	movl $0x40040, " APIC "300\n"
    WAIT("1", 0x5004)
    "	mov 0x5004, %eax\n" OUT			/* 1 + flag bit */
    /* Self-IPI 0x41: the handler writes the EOI register. */
    "	movl $0x40041, " APIC "300\n"
    WAIT("2", 0x5008)
    "	movzbl 0x6000, %eax\n" OUT		/* the flag, 0 */
    "	mov 0x5008, %eax\n" OUT
    /* IOAPIC pin 3, level: no flag for it. */
    "	mov $0x16, %eax\n"			/* redirection entry 3, low */
    "	mov %eax, 0xfec00000\n"
    "	mov $0x8042, %eax\n"			/* vector 0x42, level */
    "	mov %eax, 0xfec00010\n"
    "	mov $0x17, %eax\n"			/* high: destination 0 */
    "	mov %eax, 0xfec00000\n"
    "	xor %eax, %eax\n"
    "	mov %eax, 0xfec00010\n"
    "	mov $3, %eax\n" OUT			/* host raises GSI 3 */
    WAIT("3", 0x500c)
    "	mov 0x500c, %eax\n" OUT
    "	hlt\n"
    "pveoi_gp:	incl 0x5000\n"
    "	add $4, %esp\n"			/* the error code */
    "	addl $2, (%esp)\n"			/* skip the 2-byte WRMSR */
    "	iret\n"
    /* 0x40: record 1 + the flag bit, then clear it: the EOI. */
    "pveoi_h40:	push %eax\n"
    "	movzbl 0x6000, %eax\n"
    "	and $1, %eax\n"
    "	inc %eax\n"
    "	mov %eax, 0x5004\n"
    "	btrl $0, 0x6000\n"
    "	jc 4f\n"
    "	movl $0, " APIC "0b0\n"
    "4:	pop %eax\n"
    "	iret\n"
    /* 0x41: the EOI register, whatever the flag says. */
    "pveoi_h41:	push %eax\n"
    "	movzbl 0x6000, %eax\n"
    "	and $1, %eax\n"
    "	inc %eax\n"
    "	mov %eax, 0x5008\n"
    "	movl $0, " APIC "0b0\n"
    "	pop %eax\n"
    "	iret\n"
    /*
     * 0x42 (level): record 1 + the flag; mask the pin (the line stays
     * up until the host sees the OUT), then EOI through the register.
     */
    "pveoi_h42:	push %eax\n"
    "	movzbl 0x6000, %eax\n"
    "	and $1, %eax\n"
    "	inc %eax\n"
    "	mov %eax, 0x500c\n"
    "	mov $0x16, %eax\n"
    "	mov %eax, 0xfec00000\n"
    "	mov $0x18042, %eax\n"
    "	mov %eax, 0xfec00010\n"
    "	movl $0, " APIC "0b0\n"
    "	pop %eax\n"
    "	iret\n"
    "pveoi_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char pveoi_guest[], pveoi_guest_end[];
extern const unsigned char pveoi_gp[], pveoi_h40[], pveoi_h41[], pveoi_h42[];

#define NR_CHECKS	13

static unsigned char *mem;

/* KVM_RUN must exit with an OUT of 4 bytes to PORT; its data or -1. */
static long run_out(struct guest *g)
{
	struct kvm_run *run = g->run;
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (r || run->exit_reason != KVM_EXIT_IO || run->io.port != PORT ||
	    run->io.size != 4) {
		tap_diag("KVM_RUN %d (errno %d), exit %s port %#x", r,
			 r ? errno : 0, guest_exit_name(run->exit_reason),
			 run->io.port);
		return -1;
	}
	return *(uint32_t *)((char *)run + run->io.data_offset);
}

/* The supported CPUID, with PV_EOI required in the KVM leaf. */
static bool set_cpuid(struct guest *g)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .c.nent = 100 };
	bool pv_eoi = false;
	unsigned int i;

	if (ioctl(g->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
	for (i = 0; i < cpuid.c.nent; i++)
		if (cpuid.e[i].function == 0x40000001)
			pv_eoi = cpuid.e[i].eax & (1U << KVM_FEATURE_PV_EOI);
	if (ioctl(g->vcpu, KVM_SET_CPUID2, &cpuid))
		tap_bail("KVM_SET_CPUID2: %m");
	return pv_eoi;
}

static int set_msr(struct guest *g, __u32 index, __u64 data)
{
	struct {
		struct kvm_msrs m;
		struct kvm_msr_entry e;
	} msrs = { .m.nmsrs = 1, .e = { .index = index, .data = data } };

	return ioctl(g->vcpu, KVM_SET_MSRS, &msrs);
}

/* The highest bit of the LAPIC's ISR, -1 when it is empty. */
static int highest_isr(struct guest *g)
{
	struct kvm_lapic_state s;
	int i;

	if (ioctl(g->vcpu, KVM_GET_LAPIC, &s))
		return -2;
	for (i = 7; i >= 0; i--) {
		uint32_t w = *(uint32_t *)&s.regs[0x100 + i * 0x10];

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

static void test_host_msr(struct guest *g)
{
	expect_value(set_msr(g, MSR_PV_EOI, FLAG_GPA + 2), 0,
		     "KVM_SET_MSRS: a misaligned address is refused (0 of 1)");
	expect_value(set_msr(g, MSR_PV_EOI, 0x40000000 | 1), 0,
		     "KVM_SET_MSRS: enabled outside the memslots is refused (0 of 1)");
	expect_value(set_msr(g, MSR_PV_EOI, 0x40000000), 1,
		     "KVM_SET_MSRS: disabled, any aligned address is taken");
	expect_value(set_msr(g, MSR_PV_EOI, 0), 1, "KVM_SET_MSRS: 0");
}

/*
 * Whether the handler saw the flag: nkvm sets it at every entry while a
 * PV EOI would do, stock only at an entry that injects, so on stock any
 * exit between the injection and the handler's read (a host interrupt)
 * clears it for good. There only the outcome is checked: one EOI.
 */
static bool flag_seen(long v)
{
	return v == 2 || (!kvm_is_ours() && v == 1);
}

static void test_guest(struct guest *g)
{
	struct kvm_irq_level irq = { .irq = 3, .level = 1 };
	long v;

	v = run_out(g);
	tap_ok(v == 2, "guest: a misaligned and an unmapped address #GP (%ld)", v);
	v = run_out(g);
	tap_ok(v == (FLAG_GPA | 1), "guest: the MSR reads back (%#lx)", v);
	v = run_out(g);
	tap_ok(flag_seen(v), "edge IPI: the handler finds the PV EOI flag set (%ld)",
	       v);
	tap_ok(highest_isr(g) == -1,
	       "after the exit the host did that EOI: ISR empty (%d)",
	       highest_isr(g));
	v = run_out(g);
	tap_ok(v == 0, "EOI through the register: the host cleared the flag (%ld)", v);
	v = run_out(g);
	tap_ok(flag_seen(v) && highest_isr(g) == -1,
	       "... which was set at entry; one EOI, ISR empty (%ld)", v);
	v = run_out(g);
	tap_ok(v == 3, "guest programmed IOAPIC pin 3, level, vector 0x42");
	tap_ok(!ioctl(g->vm, KVM_IRQ_LINE, &irq), "KVM_IRQ_LINE(3, 1)");
	v = run_out(g);
	irq.level = 0;
	ioctl(g->vm, KVM_IRQ_LINE, &irq);
	tap_ok(v == 1, "level-triggered vector: no PV EOI flag (%ld)", v);
}

int main(void)
{
	struct guest g;

	tap_plan(NR_CHECKS);
	guest_create(&g, open_kvm());
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0)) {
		tap_diag("KVM_CREATE_IRQCHIP: %m");
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no in-kernel irqchip", "pv eoi check %d", i + 1);
		return tap_finish();
	}
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, pveoi_guest, pveoi_guest_end - pveoi_guest);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!set_cpuid(&g)) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("KVM_FEATURE_PV_EOI not offered", "pv eoi check %d",
				 i + 1);
		return tap_finish();
	}
	test_host_msr(&g);	/* 4 */
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) ||
	    !guest_load_tables(&g, mem, GDT_GPA, IDT_GPA))
		tap_bail("32-bit protected mode: %m");
#define GATE(v, h) guest_idt_gate(mem, IDT_GPA, v, CODE_GPA + (h - pveoi_guest))
	GATE(13, pveoi_gp);
	GATE(0x40, pveoi_h40);
	GATE(0x41, pveoi_h41);
	GATE(0x42, pveoi_h42);
	test_guest(&g);		/* 9 */

	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
