// SPDX-License-Identifier: GPL-2.0
/*
 * The split irqchip (KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)): in-kernel
 * local APICs, the PIC and the IOAPIC left to userspace. Enabling it
 * (pin count, EEXIST after KVM_CREATE_IRQCHIP, after a vCPU, twice) and
 * what it forbids (KVM_CREATE_IRQCHIP, GET/SET_IRQCHIP, irqchip routes,
 * resampling irqfds) or allows (MSI routes, plain irqfds). Then a 32-bit
 * guest: userspace's PIC gives an ExtINT with KVM_INTERRUPT (EEXIST while
 * one waits) that the guest takes through LINT0 as at reset; the
 * interrupt window exit for such a VMM; and the EOI of a level-triggered
 * MSI route of an IOAPIC pin, which exits as KVM_EXIT_IOAPIC_EOI (an edge
 * route's does not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define PORT_MAIN	0x80
#define PORT_HANDLER	0x81

#define EXTINT_VEC	0x30
#define LEVEL_VEC	0x50
#define EDGE_VEC	0x51
#define LEVEL_GSI	5
#define EDGE_GSI	6
#define MSI_LEVEL	(1U << 15)	/* MSI data: trigger mode level */

asm(".pushsection .rodata\n"
    ".code32\n"
    "split_guest:\n"
    /* Entered with IF=1: the ExtINT is taken first. */
    "	mov $1, %al\n"
    "	out %al, $0x80\n"
    /* The interrupt window: requested while IF=0, opens after sti. */
    "	cli\n"
    "	mov $2, %al\n"
    "	out %al, $0x80\n"
    "	nop\n"
    "	sti\n"
    "	nop\n"
    "	mov $3, %al\n"
    "	out %al, $0x80\n"
    /* The LAPIC software-enabled for the MSIs; the host raises them. */
    "	movl $0x1ff, 0xfee000f0\n"
    "	mov $4, %al\n"
    "	out %al, $0x80\n"
    "	mov $5, %al\n"
    "	out %al, $0x80\n"
    "	mov $6, %al\n"
    "	out %al, $0x80\n"
    /* LINT0 masked: no ExtINT could be taken, whatever IF says. */
    "	movl $0x10700, 0xfee00350\n"
    "	mov $7, %al\n"
    "	out %al, $0x80\n"
    "	nop\n"
    "	mov $8, %al\n"
    "	out %al, $0x80\n"
    "	cli\n"
    "	hlt\n"
    /* Handlers: EOI through the xAPIC page, OUT the vector, IRET. */
    "split_h30:\n"
    "	mov $0x30, %al\n"
    "	out %al, $0x81\n"
    "	iret\n"
    "split_h31:\n"
    "	mov $0x31, %al\n"
    "	out %al, $0x81\n"
    "	iret\n"
    "split_h50:\n"
    "	movl $0, 0xfee000b0\n"
    "	mov $0x50, %al\n"
    "	out %al, $0x81\n"
    "	iret\n"
    "split_h51:\n"
    "	movl $0, 0xfee000b0\n"
    "	mov $0x51, %al\n"
    "	out %al, $0x81\n"
    "	iret\n"
    "split_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char split_guest[], split_guest_end[], split_h30[],
	split_h31[], split_h50[], split_h51[];

#define NR_CHECKS	36

static long enable_split(int vm, __u64 pins)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = pins,
	};

	return ioctl(vm, KVM_ENABLE_CAP, &cap);
}

static void set_msi(struct kvm_irq_routing_entry *e, unsigned int gsi,
		    __u32 data)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = 0xfee00000;	/* APIC ID 0, physical */
	e->u.msi.data = data;
}

static long set_routing(int vm, const struct kvm_irq_routing_entry *e,
			unsigned int nr)
{
	struct kvm_irq_routing *rt;
	long r;

	rt = calloc(1, sizeof(*rt) + nr * sizeof(*e));
	if (!rt)
		tap_bail("calloc");
	rt->nr = nr;
	memcpy(rt->entries, e, nr * sizeof(*e));
	r = ioctl(vm, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	return r;
}

static int irq_line(int vm, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	return ioctl(vm, KVM_IRQ_LINE, &l);
}

/* 6 checks: when the capability may be enabled. */
static void test_enable(int kvm)
{
	int vm;

	tap_ok(check_cap(kvm, KVM_CAP_SPLIT_IRQCHIP) > 0,
	       "KVM_CAP_SPLIT_IRQCHIP > 0");
	vm = create_vm(kvm);
	/*
	 * args[0] is the number of GSIs that stand for IOAPIC pins; stock
	 * takes up to KVM_MAX_IRQ_ROUTES (4096) of them.
	 */
	expect_errno(enable_split(vm, 4097), EINVAL,
		     "ENABLE_CAP(SPLIT_IRQCHIP) with 4097 pins -> EINVAL");
	expect_success(enable_split(vm, 25),
		       "ENABLE_CAP(SPLIT_IRQCHIP) with 25 pins -> 0 (stock allows up to 4096)");
	close(vm);

	vm = create_vm(kvm);
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	expect_errno(enable_split(vm, 24), EEXIST,
		     "SPLIT_IRQCHIP after KVM_CREATE_IRQCHIP -> EEXIST");
	close(vm);

	vm = create_vm(kvm);
	close(create_vcpu(vm, 0));
	expect_errno(enable_split(vm, 24), EEXIST,
		     "SPLIT_IRQCHIP once a vCPU exists -> EEXIST");
	expect_errno(enable_split(vm, 4097), EINVAL,
		     "... and with 4097 pins: EINVAL, checked first");
	close(vm);
}

/* 11 checks: a split VM's ioctls, leaving it with the MSI routes. */
static void test_split_vm(int vm)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_irq_routing_entry e[2];
	struct kvm_irqfd fd = { .gsi = 7 };

	expect_success(enable_split(vm, 24), "SPLIT_IRQCHIP with 24 pins -> 0");
	expect_errno(enable_split(vm, 24), EEXIST,
		     "SPLIT_IRQCHIP a second time -> EEXIST");
	expect_errno(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EEXIST,
		     "KVM_CREATE_IRQCHIP after SPLIT_IRQCHIP -> EEXIST");
	expect_errno(ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO,
		     "KVM_GET_IRQCHIP (IOAPIC) -> ENXIO");
	chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
	expect_errno(ioctl(vm, KVM_SET_IRQCHIP, &chip), ENXIO,
		     "KVM_SET_IRQCHIP (PIC) -> ENXIO");

	memset(e, 0, sizeof(e));
	e[0].gsi = 4;
	e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	e[0].u.irqchip.pin = 4;
	expect_errno(set_routing(vm, e, 1), EINVAL,
		     "SET_GSI_ROUTING with an IOAPIC pin entry -> EINVAL");
	set_msi(&e[0], LEVEL_GSI, MSI_LEVEL | LEVEL_VEC);
	set_msi(&e[1], EDGE_GSI, EDGE_VEC);
	expect_success(set_routing(vm, e, 2),
		       "SET_GSI_ROUTING: GSI 5 level MSI 0x50, GSI 6 edge MSI 0x51");

	fd.fd = eventfd(0, 0);
	fd.resamplefd = eventfd(0, 0);
	fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EINVAL,
		     "KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE -> EINVAL");
	fd.flags = 0;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "KVM_IRQFD without it -> 0");
	fd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "KVM_IRQFD deassign -> 0");
	close(fd.fd);
	close(fd.resamplefd);
	expect_success(irq_line(vm, EDGE_GSI, 0),
		       "KVM_IRQ_LINE works (GSI 6 low)");
}

/* 19 checks: the guest. */
static void test_guest(struct guest *g)
{
	struct kvm_interrupt irq = { .irq = EXTINT_VEC };
	int port;
	long v;

	expect_success(ioctl(g->vcpu, KVM_INTERRUPT, &irq),
		       "KVM_INTERRUPT 0x30 -> 0");
	irq.irq = EXTINT_VEC + 1;
	expect_errno(ioctl(g->vcpu, KVM_INTERRUPT, &irq), EEXIST,
		     "KVM_INTERRUPT 0x31 before the guest took 0x30 -> EEXIST");
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_HANDLER && v == EXTINT_VEC,
	       "the guest (IF=1, LINT0 ExtINT) takes vector 0x30: its handler runs (port %#x, %#lx)",
	       port, v);
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 1, "back from the handler (%#lx)", v);

	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 2 && !g->run->if_flag &&
	       !g->run->ready_for_interrupt_injection,
	       "cli: if_flag 0, not ready for injection (%u, %u)",
	       g->run->if_flag, g->run->ready_for_interrupt_injection);
	g->run->request_interrupt_window = 1;
	tap_ok(guest_run_exit(g, KVM_EXIT_IRQ_WINDOW_OPEN),
	       "request_interrupt_window, then sti: KVM_EXIT_IRQ_WINDOW_OPEN");
	tap_ok(g->run->if_flag && g->run->ready_for_interrupt_injection,
	       "window open: if_flag 1, ready_for_interrupt_injection 1 (%u, %u)",
	       g->run->if_flag, g->run->ready_for_interrupt_injection);
	g->run->request_interrupt_window = 0;
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 3, "the guest goes on (%#lx)", v);

	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 4, "LAPIC software-enabled (%#lx)", v);
	expect_success(irq_line(g->vm, LEVEL_GSI, 1),
		       "KVM_IRQ_LINE(5, 1): the level MSI 0x50");
	tap_ok(guest_run_exit(g, KVM_EXIT_IOAPIC_EOI),
	       "the handler's EOI of 0x50 -> KVM_EXIT_IOAPIC_EOI");
	tap_ok(g->run->eoi.vector == LEVEL_VEC, "eoi.vector 0x50 (%#x)",
	       g->run->eoi.vector);
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_HANDLER && v == LEVEL_VEC,
	       "then the handler goes on (port %#x, %#lx)", port, v);
	expect_success(irq_line(g->vm, LEVEL_GSI, 0), "KVM_IRQ_LINE(5, 0)");
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 5, "back in the main code (%#lx)", v);

	irq_line(g->vm, EDGE_GSI, 1);
	irq_line(g->vm, EDGE_GSI, 0);
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_HANDLER && v == EDGE_VEC,
	       "the edge MSI 0x51: its handler's EOI does not exit (%s, port %#x, %#lx)",
	       guest_exit_name(g->run->exit_reason), port, v);
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 6, "back in the main code (%#lx)", v);

	v = guest_run_out(g, &port);
	tap_ok(port == PORT_MAIN && v == 7 && g->run->if_flag &&
	       !g->run->ready_for_interrupt_injection,
	       "LINT0 masked: IF=1 but not ready for injection (%u, %u)",
	       g->run->if_flag, g->run->ready_for_interrupt_injection);
	/* No window can open for an ExtINT: the guest just runs on. */
	g->run->request_interrupt_window = 1;
	v = guest_run_out(g, &port);
	g->run->request_interrupt_window = 0;
	tap_ok(port == PORT_MAIN && v == 8,
	       "request_interrupt_window with LINT0 masked: no window exit (%#lx)",
	       v);
}

int main(void)
{
	unsigned char *mem;
	struct kvm_regs regs;
	struct guest g;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_SPLIT_IRQCHIP) <= 0)
		return tap_skip_rest("KVM_CAP_SPLIT_IRQCHIP is 0");
	test_enable(kvm);				/* 6 */

	guest_create(&g, kvm);
	test_split_vm(g.vm);				/* 11 */

	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, split_guest, split_guest_end - split_guest);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) ||
	    !guest_load_tables(&g, mem, GDT_GPA, IDT_GPA) ||
	    ioctl(g.vcpu, KVM_GET_REGS, &regs))
		tap_bail("32-bit guest set-up: %m");
	regs.rflags |= 0x200;				/* IF */
	if (ioctl(g.vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");
#define GATE(v, h) guest_idt_gate(mem, IDT_GPA, v, CODE_GPA + (h - split_guest))
	GATE(EXTINT_VEC, split_h30);
	GATE(EXTINT_VEC + 1, split_h31);
	GATE(LEVEL_VEC, split_h50);
	GATE(EDGE_VEC, split_h51);
	/* A guest that stops taking interrupts must not hang the test. */
	guest_alarm_ms(20000);
	test_guest(&g);					/* 19 */
	guest_alarm_ms(0);

	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
