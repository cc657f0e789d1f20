// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (KVM_CREATE_IRQCHIP), one vCPU: KVM_GET_LAPIC
 * defaults and a KVM_SET_LAPIC round trip, KVM_INTERRUPT refused, then a
 * 32-bit guest with an IDT that reads its APIC ID and version through
 * the xAPIC page, takes the timer in one-shot, periodic and TSC-deadline
 * modes and a self-IPI and a self-NMI (through ICR), switches to x2APIC and reads its ID
 * and version through the MSRs and sends a self-IPI through SELF_IPI.
 * The guest waits with HLT: it must block in the kernel until the
 * interrupt (no KVM_EXIT_HLT). Last, a signal ends a HLT with EINTR.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define COUNT_GPA	0x5000		/* one counter per vector 0x40.. */
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define PORT		0x80
#define APIC		"0xfee00"

/* Wait (sti; hlt) until the counter at addr is at least n. */
#define WAIT(lbl, addr, n)						\
	"	cli\n"							\
	lbl ":	cmpl $" #n ", " #addr "\n"				\
	"	jae " lbl "f\n"						\
	"	sti\n"							\
	"	hlt\n"							\
	"	cli\n"							\
	"	jmp " lbl "b\n"						\
	lbl ":	sti\n"
#define OUT	"	out %eax, $0x80\n"

asm(".pushsection .rodata\n"
    ".code32\n"
    "lapic_guest:\n"
    "	mov " APIC "020, %eax\n" OUT		/* ID */
    "	mov " APIC "030, %eax\n" OUT		/* version */
    "	movl $0x1ff, " APIC "0f0\n"		/* SVR: enabled */
    /*
     * One-shot, vector 0x40, divide by 128: 256 ms, so that TMCCT is still
     * counting when read back even on a slow (debug, emulated) host.
     */
    "	movl $0x40, " APIC "320\n"
    "	movl $0xa, " APIC "3e0\n"
    "	movl $2000000, " APIC "380\n"
    "	mov " APIC "390, %eax\n" OUT		/* TMCCT counting down */
    WAIT("1", 0x5000, 1)
    "	mov 0x5000, %eax\n" OUT
    /* Periodic, vector 0x41, 1 ms: three ticks, then stop. */
    "	movl $0x20041, " APIC "320\n"
    "	movl $1000000, " APIC "380\n"
    WAIT("2", 0x5004, 3)
    "	movl $0x10000, " APIC "320\n"
    "	movl $0, " APIC "380\n"
    "	mov $3, %eax\n" OUT
    /* TSC deadline, vector 0x42, about 2M cycles from now. */
    "	movl $0x40042, " APIC "320\n"
    "	rdtsc\n"
    "	add $2000000, %eax\n"
    "	adc $0, %edx\n"
    "	mov $0x6e0, %ecx\n"
    "	wrmsr\n"
    WAIT("3", 0x5008, 1)
    "	mov $0x6e0, %ecx\n"
    "	rdmsr\n" OUT				/* 0 once fired */
    /* Self-IPI through ICR: shorthand self, fixed, vector 0x43. */
    "	movl $0x40043, " APIC "300\n"
    WAIT("4", 0x500c, 1)
    "	mov 0x500c, %eax\n" OUT
    /* Self-NMI through ICR: shorthand self, delivery mode NMI. */
    "	movl $0x40400, " APIC "300\n"
    WAIT("7", 0x5014, 1)
    "	mov 0x5014, %eax\n" OUT
    /* x2APIC: EXTD|EN in APIC_BASE, then the MSRs. */
    "	mov $0x1b, %ecx\n"
    "	rdmsr\n"
    "	or $0xc00, %eax\n"
    "	wrmsr\n"
    "	mov $0x802, %ecx\n"
    "	rdmsr\n" OUT				/* ID */
    "	mov $0x803, %ecx\n"
    "	rdmsr\n" OUT				/* version */
    "	mov $0x83f, %ecx\n"
    "	mov $0x44, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"				/* SELF_IPI, vector 0x44 */
    WAIT("5", 0x5010, 1)
    "	mov 0x5010, %eax\n" OUT
    /* Nothing will come: blocked until the signal. */
    "6:	hlt\n"
    "	jmp 6b\n"
    /* xAPIC handlers: count, EOI through the page. */
    "lapic_nmi:	incl 0x5014\n"
    "	iret\n"
    "lapic_h40:	incl 0x5000\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    "lapic_h41:	incl 0x5004\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    "lapic_h42:	incl 0x5008\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    "lapic_h43:	incl 0x500c\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    /* x2APIC handler: EOI through MSR 0x80b. */
    "lapic_h44:	incl 0x5010\n"
    "	push %eax\n"
    "	push %ecx\n"
    "	push %edx\n"
    "	mov $0x80b, %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	pop %edx\n"
    "	pop %ecx\n"
    "	pop %eax\n"
    "	iret\n"
    "lapic_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char lapic_guest[], lapic_guest_end[];
extern const unsigned char lapic_nmi[], lapic_h40[], lapic_h41[], lapic_h42[],
	lapic_h43[], lapic_h44[];

#define NR_CHECKS	26

#define REG(s, off)	(*(uint32_t *)&(s)->regs[off])

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

/* Leaf 1 with x2APIC (ECX 21) and the TSC-deadline timer (ECX 24). */
static void set_cpuid(struct guest *g)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .c.nent = 100 };
	unsigned int i;

	if (ioctl(g->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
	for (i = 0; i < cpuid.c.nent; i++)
		if (cpuid.e[i].function == 1)
			cpuid.e[i].ecx |= (1U << 21) | (1U << 24);
	if (ioctl(g->vcpu, KVM_SET_CPUID2, &cpuid))
		tap_bail("KVM_SET_CPUID2: %m");
}

static void test_state(struct guest *g)
{
	struct kvm_lapic_state s, s2;
	struct kvm_interrupt irq = { .irq = 0x30 };
	int r;

	memset(&s, 0xaa, sizeof(s));
	r = ioctl(g->vcpu, KVM_GET_LAPIC, &s);
	tap_ok(!r, "KVM_GET_LAPIC");
	tap_ok(REG(&s, 0x20) == 0 && (REG(&s, 0x30) & 0xff) == 0x14 &&
	       ((REG(&s, 0x30) >> 16) & 0xff) >= 4,
	       "defaults: ID 0, version 0x14 with >= 5 LVTs (%#x %#x)",
	       REG(&s, 0x20), REG(&s, 0x30));
	tap_ok(REG(&s, 0x80) == 0 && REG(&s, 0xe0) == 0xffffffff &&
	       REG(&s, 0xf0) == 0xff && REG(&s, 0xd0) == 0,
	       "defaults: TPR 0, DFR ~0, SVR 0xff, LDR 0 (%#x %#x %#x %#x)",
	       REG(&s, 0x80), REG(&s, 0xe0), REG(&s, 0xf0), REG(&s, 0xd0));
	tap_ok(REG(&s, 0x320) == 0x10000 && REG(&s, 0x350) == 0x700 &&
	       REG(&s, 0x360) == 0x10000 && REG(&s, 0x370) == 0x10000 &&
	       REG(&s, 0x380) == 0 && REG(&s, 0x200) == 0,
	       "defaults: LVTT masked, BSP LINT0 ExtINT, LINT1/error masked, TMICT 0, IRR 0 (%#x %#x)",
	       REG(&s, 0x320), REG(&s, 0x350));

	s2 = s;
	REG(&s2, 0x80) = 0x20;
	REG(&s2, 0xf0) = 0x1ff;
	REG(&s2, 0x3e0) = 0x3;
	r = ioctl(g->vcpu, KVM_SET_LAPIC, &s2);
	memset(&s2, 0, sizeof(s2));
	r = r || ioctl(g->vcpu, KVM_GET_LAPIC, &s2);
	tap_ok(!r && REG(&s2, 0x80) == 0x20 && REG(&s2, 0xf0) == 0x1ff &&
	       REG(&s2, 0x3e0) == 0x3,
	       "KVM_SET_LAPIC then GET: TPR, SVR, TDCR round trip");
	expect_success(ioctl(g->vcpu, KVM_SET_LAPIC, &s),
		       "KVM_SET_LAPIC back to the defaults");
	expect_errno(ioctl(g->vcpu, KVM_INTERRUPT, &irq), ENXIO,
		     "KVM_INTERRUPT with the in-kernel irqchip -> ENXIO");
	expect_errno(ioctl(g->vcpu, KVM_GET_LAPIC, NULL), EFAULT,
		     "KVM_GET_LAPIC to NULL -> EFAULT");
	expect_errno(ioctl(g->vcpu, KVM_SET_LAPIC, NULL), EFAULT,
		     "KVM_SET_LAPIC from NULL -> EFAULT");
}

/* Without KVM_CREATE_IRQCHIP there is no LAPIC state. */
static void test_no_irqchip(int kvm)
{
	struct kvm_lapic_state s;
	struct guest g;

	guest_create(&g, kvm);
	guest_add_vcpu(&g);
	expect_errno(ioctl(g.vcpu, KVM_GET_LAPIC, &s), EINVAL,
		     "KVM_GET_LAPIC without an in-kernel irqchip -> EINVAL");
	guest_destroy(&g);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_guest(struct guest *g)
{
	struct itimerval it = { .it_value.tv_usec = 200000 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_mp_state mp;
	uint32_t *count = (uint32_t *)(mem + COUNT_GPA);
	long v;
	int r;

	v = run_out(g);
	tap_ok(v == 0, "guest reads APIC ID 0 through MMIO (%#lx)", v);
	v = run_out(g);
	tap_ok(v >= 0 && (v & 0xff) == 0x14,
	       "guest reads the version through MMIO (%#lx)", v);
	v = run_out(g);
	tap_ok(v > 0 && v <= 2000000,
	       "one-shot timer started: TMCCT counts down from TMICT (%ld)", v);
	v = run_out(g);
	tap_ok(v == 1, "one-shot timer: one interrupt while in HLT (%ld)", v);
	v = run_out(g);
	tap_ok(v == 3 && count[1] >= 3,
	       "periodic timer: three interrupts (%u)", count[1]);
	v = run_out(g);
	tap_ok(v == 0 && count[2] == 1,
	       "TSC deadline: one interrupt, the MSR reads 0 after (%#lx, %u)",
	       v, count[2]);
	v = run_out(g);
	tap_ok(v == 1, "self-IPI through ICR (%ld)", v);
	v = run_out(g);
	tap_ok(v == 1, "self-NMI through ICR wakes HLT, handler runs (%ld)", v);
	v = run_out(g);
	tap_ok(v == 0, "x2APIC: ID MSR 0x802 reads 0 (%#lx)", v);
	v = run_out(g);
	tap_ok(v >= 0 && (v & 0xff) == 0x14,
	       "x2APIC: version MSR 0x803 (%#lx)", v);
	v = run_out(g);
	tap_ok(v == 1, "x2APIC: self-IPI through MSR 0x83f (%ld)", v);
	tap_ok(count[0] == 1, "one-shot timer fired once (%u)", count[0]);

	/* The guest halts for good: a signal ends KVM_RUN. */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = ioctl(g->vcpu, KVM_RUN, 0);
	tap_ok(r == -1 && errno == EINTR && g->run->exit_reason == KVM_EXIT_INTR,
	       "HLT blocked in the kernel until a signal: EINTR, KVM_EXIT_INTR (%d, %s)",
	       r, guest_exit_name(g->run->exit_reason));
	memset(&mp, 0xff, sizeof(mp));
	r = ioctl(g->vcpu, KVM_GET_MP_STATE, &mp);
	tap_ok(!r && mp.mp_state == KVM_MP_STATE_HALTED,
	       "then KVM_GET_MP_STATE: HALTED (%u)", mp.mp_state);
}

int main(void)
{
	struct guest g;
	int r;

	tap_plan(NR_CHECKS);
	guest_create(&g, open_kvm());
	r = ioctl(g.vm, KVM_CREATE_IRQCHIP, 0);
	if (r) {
		tap_diag("KVM_CREATE_IRQCHIP: %m");
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no in-kernel irqchip", "lapic check %d", i + 1);
		return tap_finish();
	}
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, lapic_guest, lapic_guest_end - lapic_guest);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	tap_ok(check_cap(g.kvm, KVM_CAP_IRQCHIP) > 0, "KVM_CAP_IRQCHIP");

	test_no_irqchip(g.kvm);	/* 1 */
	test_state(&g);		/* 10 */

	set_cpuid(&g);
	tap_ok(guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) &&
	       guest_load_tables(&g, mem, GDT_GPA, IDT_GPA),
	       "32-bit protected mode with a GDT and an IDT");
#define GATE(v, h) guest_idt_gate(mem, IDT_GPA, v, CODE_GPA + (h - lapic_guest))
	GATE(2, lapic_nmi);
	GATE(0x40, lapic_h40);
	GATE(0x41, lapic_h41);
	GATE(0x42, lapic_h42);
	GATE(0x43, lapic_h43);
	GATE(0x44, lapic_h44);
	test_guest(&g);		/* 12 */

	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
