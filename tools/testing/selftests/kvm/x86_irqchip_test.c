// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's VM ioctls, without running a guest:
 * KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, KVM_IRQ_LINE(_STATUS),
 * KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI, KVM_IRQFD and the capabilities.
 * Success and error paths, and the KVM_IRQ_LINE_STATUS values of the
 * default routing that need no local APIC (PIC pins, masked IOAPIC pins).
 * Then a 32-bit guest (interrupts off) reaches the IOAPIC's registers
 * through MMIO and the PICs' through port I/O, all handled in the kernel:
 * version and ID, a redirection entry's read-only bits, IOREGSEL's width,
 * the 8259 init sequence, ELCR masks, IRR after KVM_IRQ_LINE, the poll
 * command and a specific EOI; the host checks KVM_GET_IRQCHIP agrees.
 * Skipped where KVM_CAP_IRQCHIP is 0.
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

#define NR_CHECKS	84

#define MAX_ROUTES	4096
#define BAD_PTR		((void *)8)
#define IOAPIC_MASK	(1ULL << 16)

static int line_status(int vm, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (ioctl(vm, KVM_IRQ_LINE_STATUS, &l))
		return -1000 - errno;
	return l.status;
}

static struct kvm_irq_routing *routing_alloc(unsigned int nr)
{
	struct kvm_irq_routing *r;

	r = calloc(1, sizeof(*r) + nr * sizeof(r->entries[0]));
	if (!r)
		tap_bail("calloc");
	r->nr = nr;
	return r;
}

static void set_chip(struct kvm_irq_routing_entry *e, unsigned int gsi,
		     unsigned int chip, unsigned int pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static void set_msi(struct kvm_irq_routing_entry *e, unsigned int gsi)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = 0xfee00000;
	e->u.msi.data = 0x40;
}

/* 5 checks: before KVM_CREATE_IRQCHIP. */
static void test_before(int vm)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_irq_level l = { .irq = 4, .level = 1 };
	struct kvm_irq_routing *rt = routing_alloc(0);
	struct kvm_msi msi = { .address_lo = 0xfee00000 };
	struct kvm_irqfd fd = { .gsi = 4 };

	expect_errno(ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO,
		     "GET_IRQCHIP without an irqchip: ENXIO");
	expect_errno(ioctl(vm, KVM_IRQ_LINE, &l), ENXIO,
		     "IRQ_LINE without an irqchip: ENXIO");
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "SET_GSI_ROUTING without an irqchip: EINVAL");
	expect_errno(ioctl(vm, KVM_SIGNAL_MSI, &msi), EINVAL,
		     "SIGNAL_MSI without an irqchip: EINVAL");
	fd.fd = eventfd(0, 0);
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EINVAL,
		     "IRQFD without an irqchip: EINVAL");
	close(fd.fd);
	free(rt);
}

/* 3 checks. */
static void test_create(int kvm, int vm)
{
	int vm2;

	expect_success(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "CREATE_IRQCHIP");
	expect_errno(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EEXIST,
		     "CREATE_IRQCHIP again: EEXIST");
	vm2 = create_vm(kvm);
	close(create_vcpu(vm2, 0));
	expect_errno(ioctl(vm2, KVM_CREATE_IRQCHIP, 0), EINVAL,
		     "CREATE_IRQCHIP after a vCPU: EINVAL");
	close(vm2);
}

/* 12 checks. */
static void test_get_set(int vm)
{
	struct kvm_irqchip c, d;
	unsigned int i;
	bool masked = true;

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	expect_success(ioctl(vm, KVM_GET_IRQCHIP, &c), "GET_IRQCHIP master");
	tap_ok(c.chip.pic.elcr_mask == 0xf8 && c.chip.pic.imr == 0 &&
	       c.chip.pic.irr == 0 && c.chip.pic.isr == 0,
	       "master: ELCR mask 0xf8, IMR/IRR/ISR 0 (%#x %#x %#x %#x)",
	       c.chip.pic.elcr_mask, c.chip.pic.imr, c.chip.pic.irr,
	       c.chip.pic.isr);
	c.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	ioctl(vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.pic.elcr_mask == 0xde, "slave: ELCR mask 0xde (%#x)",
	       c.chip.pic.elcr_mask);

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	expect_success(ioctl(vm, KVM_GET_IRQCHIP, &c), "GET_IRQCHIP IOAPIC");
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		masked &= c.chip.ioapic.redirtbl[i].bits == IOAPIC_MASK;
	tap_ok(c.chip.ioapic.base_address == 0xfec00000 &&
	       c.chip.ioapic.id == 0 && c.chip.ioapic.irr == 0 && masked,
	       "IOAPIC: base 0xfec00000, id 0, irr 0, every pin masked");

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	c.chip.pic.imr = 0xfb;
	c.chip.pic.irq_base = 0x20;
	c.chip.pic.elcr = 0x08;
	c.chip.pic.elcr_mask = 0xf8;
	expect_success(ioctl(vm, KVM_SET_IRQCHIP, &c), "SET_IRQCHIP master");
	d = c;
	memset(&d.chip, 0, sizeof(d.chip));
	ioctl(vm, KVM_GET_IRQCHIP, &d);
	tap_ok(!memcmp(&c.chip.pic, &d.chip.pic, sizeof(c.chip.pic)),
	       "GET_IRQCHIP returns the master state set");

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	c.chip.ioapic.base_address = 0xfec00000;
	c.chip.ioapic.id = 3;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		c.chip.ioapic.redirtbl[i].bits = IOAPIC_MASK | (0x30 + i);
	c.chip.ioapic.redirtbl[9].bits = (1ULL << 56) | (1 << 15) | 0x49;
	expect_success(ioctl(vm, KVM_SET_IRQCHIP, &c), "SET_IRQCHIP IOAPIC");
	d = c;
	memset(&d.chip, 0, sizeof(d.chip));
	ioctl(vm, KVM_GET_IRQCHIP, &d);
	tap_ok(!memcmp(&c.chip.ioapic, &d.chip.ioapic, sizeof(c.chip.ioapic)),
	       "GET_IRQCHIP returns the IOAPIC state set");
	/* Back to all masked for the IRQ_LINE checks. */
	c.chip.ioapic.redirtbl[9].bits = IOAPIC_MASK;
	ioctl(vm, KVM_SET_IRQCHIP, &c);
	/* And the master unmasked, all edge. */
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	c.chip.pic.elcr_mask = 0xf8;
	ioctl(vm, KVM_SET_IRQCHIP, &c);

	c.chip_id = 3;
	expect_errno(ioctl(vm, KVM_GET_IRQCHIP, &c), EINVAL,
		     "GET_IRQCHIP chip 3: EINVAL");
	expect_errno(ioctl(vm, KVM_SET_IRQCHIP, &c), EINVAL,
		     "SET_IRQCHIP chip 3: EINVAL");
	expect_errno(ioctl(vm, KVM_GET_IRQCHIP, BAD_PTR), EFAULT,
		     "GET_IRQCHIP bad pointer: EFAULT");
	expect_errno(ioctl(vm, KVM_SET_IRQCHIP, BAD_PTR), EFAULT,
		     "SET_IRQCHIP bad pointer: EFAULT");
}

/* 11 checks: the default routing. */
static void test_irq_line(int vm)
{
	struct kvm_irq_level l = { .irq = 4, .level = 1 };
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_PIC_MASTER };

	/* GSI 4: PIC master pin 4 (unmasked, edge) and IOAPIC pin 4 (masked). */
	expect_value(line_status(vm, 4, 1), 1, "GSI 4 up: status 1");
	expect_value(line_status(vm, 4, 1), 1, "GSI 4 up again: status 1");
	expect_value(line_status(vm, 4, 0), 2, "GSI 4 down: status 2");
	ioctl(vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.pic.irr == 0x10 && c.chip.pic.last_irr == 0,
	       "master: IRR bit 4 latched, line low (irr %#x last %#x)",
	       c.chip.pic.irr, c.chip.pic.last_irr);
	/* GSI 10: slave pin 2; the master sees it on IRQ2. */
	expect_value(line_status(vm, 10, 1), 1, "GSI 10 up: status 1");
	ioctl(vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.pic.irr == 0x14, "master: IRR has the cascade (%#x)",
	       c.chip.pic.irr);
	/* GSI 20: IOAPIC only, masked. */
	expect_value(line_status(vm, 20, 1), -1, "GSI 20 up, masked: status -1");
	expect_value(line_status(vm, 20, 0), 1, "GSI 20 down: status 1");
	expect_value(line_status(vm, 1000, 1), -1,
		     "GSI 1000, not routed: status -1");
	expect_success(ioctl(vm, KVM_IRQ_LINE, &l), "IRQ_LINE");
	expect_errno(ioctl(vm, KVM_IRQ_LINE_STATUS, BAD_PTR), EFAULT,
		     "IRQ_LINE_STATUS bad pointer: EFAULT");
}

/* 17 checks. */
static void test_routing(int vm)
{
	struct kvm_irq_routing *rt = routing_alloc(4);
	struct kvm_irq_routing_entry *e = rt->entries;
	struct kvm_irq_routing *big;

	set_chip(&e[0], 0, KVM_IRQCHIP_PIC_MASTER, 0);
	set_chip(&e[1], 0, KVM_IRQCHIP_IOAPIC, 2);
	set_chip(&e[2], 11, KVM_IRQCHIP_PIC_SLAVE, 3);
	set_msi(&e[3], 100);
	expect_success(ioctl(vm, KVM_SET_GSI_ROUTING, rt),
		       "SET_GSI_ROUTING: PIC, IOAPIC, slave, MSI");
	expect_value(line_status(vm, 100, 0), -1, "MSI GSI down: status -1");
	expect_value(line_status(vm, 4, 1), -1, "GSI 4 no longer routed: -1");
	expect_value(line_status(vm, 0, 1), 1,
		     "GSI 0 to PIC pin 0 and masked IOAPIC pin 2: status 1");

	rt->flags = 1;
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL, "flags 1: EINVAL");
	rt->flags = 0;
	set_chip(&e[3], 5, 3, 0);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL, "irqchip 3: EINVAL");
	set_chip(&e[3], 5, KVM_IRQCHIP_PIC_SLAVE, 8);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL, "PIC pin 8: EINVAL");
	set_chip(&e[3], 5, KVM_IRQCHIP_IOAPIC, 24);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL, "IOAPIC pin 24: EINVAL");
	set_chip(&e[3], 5, KVM_IRQCHIP_IOAPIC, 5);
	e[3].flags = 1;
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "irqchip entry with flags: EINVAL");
	set_msi(&e[3], 100);
	e[3].flags = 2;
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "MSI entry with flags 2: EINVAL");
	set_msi(&e[3], 100);
	e[3].type = 99;
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL, "type 99: EINVAL");
	set_chip(&e[3], 0, KVM_IRQCHIP_IOAPIC, 7);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "GSI 0 to the IOAPIC twice: EINVAL");
	set_msi(&e[3], 11);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "MSI on a GSI routed to a chip: EINVAL");
	set_msi(&e[3], MAX_ROUTES);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, rt), EINVAL,
		     "GSI %d: EINVAL", MAX_ROUTES);

	big = routing_alloc(MAX_ROUTES + 1);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, big), EINVAL,
		     "nr %d: EINVAL", MAX_ROUTES + 1);
	free(big);
	expect_errno(ioctl(vm, KVM_SET_GSI_ROUTING, BAD_PTR), EFAULT,
		     "bad pointer: EFAULT");
	rt->nr = 0;
	expect_success(ioctl(vm, KVM_SET_GSI_ROUTING, rt), "empty table");
	free(rt);
}

/* 2 checks. */
static void test_msi(int vm)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };

	msi.flags = 2;
	expect_errno(ioctl(vm, KVM_SIGNAL_MSI, &msi), EINVAL,
		     "SIGNAL_MSI flags 2: EINVAL");
	expect_errno(ioctl(vm, KVM_SIGNAL_MSI, BAD_PTR), EFAULT,
		     "SIGNAL_MSI bad pointer: EFAULT");
}

/* 12 checks. */
static void test_irqfd(int vm)
{
	struct kvm_irqfd fd = { .gsi = 5 };
	int e1 = eventfd(0, 0), e2 = eventfd(0, 0), r1 = eventfd(0, 0);

	fd.fd = e1;
	fd.flags = 4;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EINVAL, "IRQFD flags 4: EINVAL");
	fd.flags = 0;
	fd.fd = -1;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EBADF, "IRQFD fd -1: EBADF");
	fd.fd = vm;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EINVAL,
		     "IRQFD on a non-eventfd: EINVAL");
	fd.fd = e1;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD assign");
	fd.gsi = 6;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EBUSY,
		     "the same eventfd for another GSI: EBUSY");
	fd.fd = e2;
	fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	fd.resamplefd = 1000;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EBADF,
		     "RESAMPLE with a bad resamplefd: EBADF");
	fd.resamplefd = r1;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD assign with RESAMPLE");
	fd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD deassign (resample)");
	fd.fd = e1;
	fd.gsi = 5;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD deassign");
	fd.fd = -1;
	expect_errno(ioctl(vm, KVM_IRQFD, &fd), EBADF,
		     "IRQFD deassign fd -1: EBADF");
	/* Closing an assigned eventfd detaches it; e2 stays for VM close. */
	fd.fd = e1;
	fd.flags = 0;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD assign, then close it");
	fd.fd = e2;
	fd.gsi = 7;
	expect_success(ioctl(vm, KVM_IRQFD, &fd), "IRQFD left for VM close");
	close(e1);
	close(e2);
	close(r1);
}

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define STACK_TOP	0x8000
#define PORT_SYNC	0x80
#define PORT_VAL	0x84

#define IOSEL(v)	"	movl $" #v ", 0xfec00000\n"
#define IOWR(v)		"	movl $" #v ", 0xfec00010\n"
#define IORD		"	mov 0xfec00010, %eax\n	out %eax, $0x84\n"
#define PIC_OUT(p, v)	"	mov $" #v ", %al\n	out %al, $" #p "\n"
#define PIC_IN(p)	"	in $" #p ", %al\n	out %al, $0x84\n"
#define ELCR_OUT(p, v)	"	mov $" #p ", %dx\n	mov $" #v ", %al\n	out %al, %dx\n"
#define ELCR_IN(p)	"	mov $" #p ", %dx\n	in %dx, %al\n	out %al, $0x84\n"
asm(".pushsection .rodata\n"
    ".code32\n"
    "ic_start:\n"
    IOSEL(1) IORD					/* version */
    IOSEL(0) IOWR(0x0f000000) IORD			/* ID */
    IOSEL(0x16) IOWR(0x1d0a5) IORD			/* pin 3, low */
    IOSEL(0x17) IOWR(0xff000000) IORD			/* pin 3, high */
    IOSEL(0x1234) "	mov 0xfec00000, %eax\n	out %eax, $0x84\n"
    IOSEL(0x40) IORD					/* pin 24 */
    PIC_OUT(0x20, 0x11) PIC_OUT(0x21, 0x68)
    PIC_OUT(0x21, 0x04) PIC_OUT(0x21, 0x01)
    PIC_OUT(0x21, 0xef) PIC_IN(0x21)			/* IMR */
    ELCR_OUT(0x4d0, 0xff) ELCR_IN(0x4d0)
    ELCR_OUT(0x4d1, 0xff) ELCR_IN(0x4d1)
    ELCR_OUT(0x4d0, 0) ELCR_OUT(0x4d1, 0)
    PIC_OUT(0x80, 0)					/* host raises GSI 4 */
    PIC_OUT(0x20, 0x0a) PIC_IN(0x20)			/* IRR */
    PIC_OUT(0x20, 0x0c) PIC_IN(0x20)			/* poll */
    PIC_OUT(0x20, 0x64)					/* EOI IRQ4 */
    PIC_OUT(0x20, 0x0b) PIC_IN(0x20)			/* ISR */
    PIC_OUT(0x20, 0x0a) PIC_IN(0x20)			/* IRR */
    "	cli\n"
    "	hlt\n"
    "ic_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char ic_start[], ic_end[];

/* Run to an OUT; its port in *port and its data (1, 2 or 4 bytes). */
static long run_out(struct guest *g, int *port)
{
	uint32_t v = 0;

	*port = -1;
	if (ioctl(g->vcpu, KVM_RUN, 0) || g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.direction != KVM_EXIT_IO_OUT) {
		tap_diag("KVM_RUN: exit %s", guest_exit_name(g->run->exit_reason));
		return -1;
	}
	*port = g->run->io.port;
	memcpy(&v, (uint8_t *)g->run + g->run->io.data_offset,
	       g->run->io.size);
	return v;
}

static void expect_out(struct guest *g, int port, long val, const char *what)
{
	int p;
	long v = run_out(g, &p);

	tap_ok(p == port && v == val, "guest: %s (port %#x value %#lx)", what,
	       p, v);
}

/* 19 checks. */
static void test_guest(int kvm)
{
	struct kvm_irqchip c;
	unsigned char *mem;
	struct guest g;

	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, ic_start, ic_end - ic_start);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP))
		tap_bail("guest_flat_mode: %m");

	expect_out(&g, PORT_VAL, 0x170011, "IOAPIC version 0x170011");
	expect_out(&g, PORT_VAL, 0x0f000000, "IOAPIC ID 15");
	expect_out(&g, PORT_VAL, 0x180a5,
		   "redirection entry: Remote IRR and delivery status read-only");
	expect_out(&g, PORT_VAL, 0xff000000, "redirection entry, high half");
	expect_out(&g, PORT_VAL, 0x34, "IOREGSEL keeps 8 bits");
	expect_out(&g, PORT_VAL, 0xffffffff, "pin 24 reads all ones");
	expect_out(&g, PORT_VAL, 0xef, "PIC IMR after ICW1-4 and OCW1");
	expect_out(&g, PORT_VAL, 0xf8, "master ELCR mask 0xf8");
	expect_out(&g, PORT_VAL, 0xde, "slave ELCR mask 0xde");
	expect_out(&g, PORT_SYNC, 0, "sync");
	expect_value(line_status(g.vm, 4, 1), 1, "GSI 4 up: status 1");
	line_status(g.vm, 4, 0);
	expect_out(&g, PORT_VAL, 0x10, "IRR has IRQ4");
	expect_out(&g, PORT_VAL, 0x04, "poll: IRQ4 (stock: no 0x80 bit)");
	expect_out(&g, PORT_VAL, 0, "ISR empty after the specific EOI");
	expect_out(&g, PORT_VAL, 0, "IRR empty");

	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	ioctl(g.vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.ioapic.id == 15 &&
	       c.chip.ioapic.redirtbl[3].bits == 0xff000000000180a5ULL,
	       "GET_IRQCHIP: the IOAPIC as the guest programmed it");
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_MASTER;
	ioctl(g.vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.pic.irq_base == 0x68 && c.chip.pic.imr == 0xef &&
	       c.chip.pic.init4 == 1 && c.chip.pic.init_state == 0 &&
	       c.chip.pic.elcr == 0,
	       "GET_IRQCHIP: the master as the guest programmed it");
	c.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	ioctl(g.vm, KVM_GET_IRQCHIP, &c);
	tap_ok(c.chip.pic.elcr == 0, "GET_IRQCHIP: slave ELCR back to 0");
	tap_ok(g.run->exit_reason == KVM_EXIT_IO, "no exit but the OUTs");
	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
}

int main(void)
{
	int kvm, vm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IRQCHIP) <= 0) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no KVM_CAP_IRQCHIP", "irqchip check %d", i);
		return tap_finish();
	}
	expect_value(check_cap(kvm, KVM_CAP_IRQ_ROUTING), MAX_ROUTES,
		     "KVM_CAP_IRQ_ROUTING: %d", MAX_ROUTES);
	tap_ok(check_cap(kvm, KVM_CAP_IRQFD) > 0 &&
	       check_cap(kvm, KVM_CAP_IRQFD_RESAMPLE) > 0 &&
	       check_cap(kvm, KVM_CAP_SIGNAL_MSI) > 0 &&
	       check_cap(kvm, KVM_CAP_IRQ_INJECT_STATUS) > 0,
	       "IRQFD, IRQFD_RESAMPLE, SIGNAL_MSI, IRQ_INJECT_STATUS");
	vm = create_vm(kvm);
	test_before(vm);
	test_create(kvm, vm);
	test_get_set(vm);
	test_irq_line(vm);
	test_msi(vm);
	test_irqfd(vm);
	test_routing(vm);
	close(vm);
	test_guest(kvm);
	close(kvm);
	return tap_finish();
}
