// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts through the in-kernel irqchip, end to end, in a 32-bit
 * protected-mode guest with a GDT and an IDT. The guest enables its local
 * APIC, initialises both 8259s (vectors 0x50/0x58, only IRQ3 unmasked),
 * programs IOAPIC pin 5 (vector 0x30, edge) and pin 6 (vector 0x31,
 * level) through MMIO, reports what it reads back, then STI and HLT in a
 * loop. Each handler OUTs its vector to port 0x81 and EOIs.
 *
 * The host then raises: GSI 5 by KVM_IRQ_LINE (IOAPIC), an MSI by
 * KVM_SIGNAL_MSI (vector 0x40), GSI 3 (the PIC, ExtINT on vCPU 0's LINT0;
 * the handler reads the master's ISR through OCW3), GSI 5 through an
 * irqfd signalled by another thread while the vCPU is halted in the
 * kernel, and GSI 6 through a resampling irqfd: the resamplefd fires only
 * after the guest's EOI, and the IOAPIC pin's Remote IRR and IRR are clear.
 * Skipped where KVM_CAP_IRQCHIP is 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x500
#define CODE_GPA	0x1000
#define IDT_GPA		0x3000
#define STACK_TOP	0x8000

#define PORT_READY	0x80
#define PORT_VEC	0x81
#define PORT_EOI_DONE	0x82
#define PORT_ISR	0x83
#define PORT_INFO	0x84

asm(".pushsection .rodata\n"
    ".code32\n"
    "dg_start:\n"
    "	movl $0x1ff, 0xfee000f0\n"		/* SVR: APIC on, spurious 0xff */
    "	mov $0x11, %al\n	out %al, $0x20\n"	/* master ICW1-4 */
    "	mov $0x50, %al\n	out %al, $0x21\n"
    "	mov $0x04, %al\n	out %al, $0x21\n"
    "	mov $0x01, %al\n	out %al, $0x21\n"
    "	mov $0x11, %al\n	out %al, $0xa0\n"	/* slave ICW1-4 */
    "	mov $0x58, %al\n	out %al, $0xa1\n"
    "	mov $0x02, %al\n	out %al, $0xa1\n"
    "	mov $0x01, %al\n	out %al, $0xa1\n"
    "	mov $0xf7, %al\n	out %al, $0x21\n"	/* only IRQ3 */
    "	mov $0xff, %al\n	out %al, $0xa1\n"
    "	movl $0x1a, 0xfec00000\n"		/* pin 5: 0x30, edge */
    "	movl $0x30, 0xfec00010\n"
    "	movl $0x1b, 0xfec00000\n"
    "	movl $0, 0xfec00010\n"
    "	movl $0x1c, 0xfec00000\n"		/* pin 6: 0x31, level */
    "	movl $0x8031, 0xfec00010\n"
    "	movl $0x1d, 0xfec00000\n"
    "	movl $0, 0xfec00010\n"
    "	movl $1, 0xfec00000\n"			/* version register */
    "	mov 0xfec00010, %eax\n"
    "	out %al, $0x84\n"
    "	shr $16, %eax\n"
    "	out %al, $0x84\n"
    "	in $0x21, %al\n"
    "	out %al, $0x84\n"
    "	mov $1, %al\n"
    "	out %al, $0x80\n"
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "dg_default:\n"
    "	mov $0xee, %al\n"
    "	out %al, $0x81\n"
    "	cli\n"
    "	hlt\n"
    "dg_h30:\n"
    "	push %eax\n"
    "	mov $0x30, %al\n"
    "	out %al, $0x81\n"
    "	movl $0, 0xfee000b0\n"
    "	pop %eax\n"
    "	iret\n"
    "dg_h31:\n"
    "	push %eax\n"
    "	mov $0x31, %al\n"
    "	out %al, $0x81\n"
    "	movl $0, 0xfee000b0\n"
    "	out %al, $0x82\n"
    "	pop %eax\n"
    "	iret\n"
    "dg_h40:\n"
    "	push %eax\n"
    "	mov $0x40, %al\n"
    "	out %al, $0x81\n"
    "	movl $0, 0xfee000b0\n"
    "	pop %eax\n"
    "	iret\n"
    "dg_h53:\n"
    "	push %eax\n"
    "	mov $0x0b, %al\n"			/* OCW3: read ISR */
    "	out %al, $0x20\n"
    "	in $0x20, %al\n"
    "	out %al, $0x83\n"
    "	mov $0x53, %al\n"
    "	out %al, $0x81\n"
    "	mov $0x20, %al\n"			/* OCW2: EOI */
    "	out %al, $0x20\n"
    "	pop %eax\n"
    "	iret\n"
    "dg_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char dg_start[], dg_end[], dg_default[], dg_h30[],
	dg_h31[], dg_h40[], dg_h53[];

#define NR_CHECKS	19

static unsigned char *mem;
static int efd_thread;

static void on_alarm(int sig)
{
	(void)sig;
}

static void set_gate(unsigned int vec, const unsigned char *handler)
{
	uint32_t off = CODE_GPA + (uint32_t)(handler - dg_start);
	uint64_t gate = (off & 0xffff) | (8ULL << 16) | (0x8eULL << 40) |
			((uint64_t)(off >> 16) << 48);

	memcpy(mem + IDT_GPA + 8 * vec, &gate, 8);
}

static void setup_guest(struct guest *g)
{
	static const uint64_t gdt[] = {
		0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL,
	};
	struct kvm_sregs sregs;
	unsigned int v;

	memcpy(mem + GDT_GPA, gdt, sizeof(gdt));
	memcpy(mem + CODE_GPA, dg_start, dg_end - dg_start);
	for (v = 0; v < 256; v++)
		set_gate(v, dg_default);
	set_gate(0x30, dg_h30);
	set_gate(0x31, dg_h31);
	set_gate(0x40, dg_h40);
	set_gate(0x53, dg_h53);
	if (!guest_flat_mode(g, mem, false, CODE_GPA, STACK_TOP))
		tap_bail("guest_flat_mode: %m");
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 8 - 1;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

/* Run (at most 5 s) to an OUT; the port in *port, the byte returned. */
static int run_out(struct guest *g, int *port)
{
	int r;

	alarm(5);
	r = ioctl(g->vcpu, KVM_RUN, 0);
	alarm(0);
	*port = -1;
	if (r) {
		tap_diag("KVM_RUN: %m");
		return -1;
	}
	if (g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.direction != KVM_EXIT_IO_OUT) {
		tap_diag("exit %s", guest_exit_name(g->run->exit_reason));
		return -1;
	}
	*port = g->run->io.port;
	return *((uint8_t *)g->run + g->run->io.data_offset);
}

static bool expect_out(struct guest *g, int port, int val, const char *what)
{
	int p, v = run_out(g, &p);

	return tap_ok(p == port && v == val, "%s (port %#x value %#x)", what,
		      p, v);
}

static void *signal_later(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	usleep(100 * 1000);
	if (write(efd_thread, &one, sizeof(one)) != sizeof(one))
		perror("eventfd write");
	return NULL;
}

static int line_status(int vm, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (ioctl(vm, KVM_IRQ_LINE_STATUS, &l))
		return -1000 - errno;
	return l.status;
}

static void run_tests(struct guest *g)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct kvm_irqfd fd = { 0 };
	struct kvm_irqchip chip;
	uint64_t cnt = 0, one = 1, rte;
	pthread_t thr;
	int e1, e2, r2;

	expect_out(g, PORT_INFO, 0x11, "IOAPIC version 0x11");
	expect_out(g, PORT_INFO, 0x17, "IOAPIC max redirection entry 23");
	expect_out(g, PORT_INFO, 0xf7, "PIC master IMR read back");
	expect_out(g, PORT_READY, 1, "guest ready");

	/* IOAPIC, edge. */
	expect_value(line_status(g->vm, 5, 1), 1,
		     "IRQ_LINE_STATUS GSI 5 up: one APIC took it");
	line_status(g->vm, 5, 0);
	expect_out(g, PORT_VEC, 0x30, "GSI 5 -> IOAPIC -> vector 0x30");

	/* MSI. */
	expect_value(ioctl(g->vm, KVM_SIGNAL_MSI, &msi), 1,
		     "SIGNAL_MSI: one APIC took it");
	expect_out(g, PORT_VEC, 0x40, "MSI -> vector 0x40");

	/* PIC: IRQ3 through LINT0. */
	line_status(g->vm, 3, 1);
	line_status(g->vm, 3, 0);
	expect_out(g, PORT_ISR, 0x08, "PIC master ISR has IRQ3 in service");
	expect_out(g, PORT_VEC, 0x53, "GSI 3 -> PIC -> vector 0x53");

	/* irqfd, signalled while the vCPU is halted. */
	e1 = eventfd(0, EFD_NONBLOCK);
	fd.fd = e1;
	fd.gsi = 5;
	expect_success(ioctl(g->vm, KVM_IRQFD, &fd), "IRQFD on GSI 5");
	efd_thread = e1;
	pthread_create(&thr, NULL, signal_later, NULL);
	expect_out(g, PORT_VEC, 0x30, "irqfd wakes the halted vCPU: vector 0x30");
	pthread_join(thr, NULL);

	/* Resampling irqfd on the level-triggered pin 6. */
	e2 = eventfd(0, EFD_NONBLOCK);
	r2 = eventfd(0, EFD_NONBLOCK);
	fd.fd = e2;
	fd.gsi = 6;
	fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	fd.resamplefd = r2;
	expect_success(ioctl(g->vm, KVM_IRQFD, &fd), "IRQFD RESAMPLE on GSI 6");
	if (write(e2, &one, sizeof(one)) != sizeof(one))
		tap_diag("eventfd write: %m");
	expect_out(g, PORT_VEC, 0x31, "resample irqfd -> vector 0x31");
	tap_ok(read(r2, &cnt, sizeof(cnt)) < 0 && errno == EAGAIN,
	       "resamplefd quiet before the EOI");
	expect_out(g, PORT_EOI_DONE, 0x31, "guest EOIed vector 0x31");
	tap_ok(read(r2, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt == 1,
	       "resamplefd signalled by the EOI");
	memset(&chip, 0, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	ioctl(g->vm, KVM_GET_IRQCHIP, &chip);
	rte = chip.chip.ioapic.redirtbl[6].bits;
	tap_ok(!(rte & (1 << 14)) && !(chip.chip.ioapic.irr & (1 << 6)) &&
	       (rte & 0xff) == 0x31,
	       "pin 6: Remote IRR and IRR clear (rte %#llx irr %#x)",
	       (unsigned long long)rte, chip.chip.ioapic.irr);

	fd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	expect_success(ioctl(g->vm, KVM_IRQFD, &fd), "IRQFD deassign");
	close(e1);
	close(e2);
	close(r2);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct guest g;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IRQCHIP) <= 0) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no KVM_CAP_IRQCHIP", "delivery check %d", i);
		return tap_finish();
	}
	sigaction(SIGALRM, &sa, NULL);
	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	mem = alloc_aligned(MEM_SIZE, MiB);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	setup_guest(&g);
	run_tests(&g);
	guest_destroy(&g);
	close(kvm);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}

#else
int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "irq delivery");
	return tap_finish();
}
#endif
