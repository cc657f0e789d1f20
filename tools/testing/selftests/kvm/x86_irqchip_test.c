// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's VM ioctls, without running a guest:
 * KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, KVM_IRQ_LINE(_STATUS),
 * KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI, KVM_IRQFD and the capabilities.
 * Success and error paths, and the KVM_IRQ_LINE_STATUS values of the
 * default routing that need no local APIC (PIC pins, masked IOAPIC pins).
 * Skipped where KVM_CAP_IRQCHIP is 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "test.h"

#define NR_CHECKS	63

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

/* 10 checks. */
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
	close(e1);
	close(e2);
	close(r1);
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
	close(kvm);
	return tap_finish();
}
