// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC: 24 input pins, each with a 64-bit redirection entry that
 * turns an asserted pin into a message to the local APICs. The guest
 * reaches it through two MMIO registers at 0xfec00000 (IOREGSEL, the
 * index of an internal register, and IOWIN, its value); KVM_GET/SET_IRQCHIP
 * see it as struct kvm_ioapic_state, which is also the state kept here.
 *
 * A level-triggered pin sets Remote IRR when its message is accepted and
 * sends nothing more until the local APIC reports the EOI of its vector
 * (nkvm_x86_ioapic_eoi). An edge-triggered pin sends on each rising edge.
 */
#include <linux/bitfield.h>
#include <linux/nospec.h>
#include <linux/slab.h>

#include <nkvm/iobus.h>

#include "irqchip.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_LEN		0x100
#define IOAPIC_NR_PINS		KVM_IOAPIC_NUM_PINS
#define IOAPIC_VERSION		0x11

/* The MMIO registers, as offsets from the base. */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOIR		0x40

/* The indirect registers. */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10

/* Redirection entry bits. */
#define RTE_VECTOR		GENMASK_ULL(7, 0)
#define RTE_DELIVERY		GENMASK_ULL(10, 8)
#define RTE_DEST_LOGICAL	BIT_ULL(11)
#define RTE_DELIVERY_STATUS	BIT_ULL(12)
#define RTE_REMOTE_IRR		BIT_ULL(14)
#define RTE_LEVEL		BIT_ULL(15)
#define RTE_MASK		BIT_ULL(16)
#define RTE_DEST		GENMASK_ULL(63, 56)
#define RTE_READ_ONLY		(RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)

struct nkvm_ioapic {
	struct nkvm_io_device dev;
	struct nkvm_x86_vm *xvm;
	spinlock_t lock;		/* the state; inside irqs->line_lock */
	struct kvm_ioapic_state s;	/* [lock] */
	u32 irr_delivered;		/* [lock] edge pins already sent */
};

static struct nkvm_ioapic *to_ioapic(struct nkvm_io_device *dev)
{
	return container_of(dev, struct nkvm_ioapic, dev);
}

/* Send the message of pin; the number of local APICs that took it, or -1. */
static int ioapic_service(struct nkvm_ioapic *io, unsigned int pin)
{
	u64 e = io->s.redirtbl[pin].bits;
	struct nkvm_x86_irq irq = {
		.dest_id = FIELD_GET(RTE_DEST, e),
		.vector = FIELD_GET(RTE_VECTOR, e),
		.delivery_mode = FIELD_GET(RTE_DELIVERY, e),
		.dest_logical = !!(e & RTE_DEST_LOGICAL),
		.level = true,
		.trig_level = !!(e & RTE_LEVEL),
	};
	int r;

	if ((e & RTE_MASK) || ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR)))
		return -1;
	if (!irq.trig_level)
		io->irr_delivered |= BIT(pin);
	r = nkvm_x86_lapic_deliver(&io->xvm->vm, NULL, &irq);
	if (r > 0 && irq.trig_level)
		io->s.redirtbl[pin].bits |= RTE_REMOTE_IRR;
	return r;
}

/* Under io->lock: the input pin is now at level. */
static int ioapic_set_pin(struct nkvm_ioapic *io, unsigned int pin, int level)
{
	u32 mask = BIT(pin), old = io->s.irr;

	if (!level) {
		io->s.irr &= ~mask;
		return 1;
	}
	io->s.irr |= mask;
	if (!(io->s.redirtbl[pin].bits & RTE_LEVEL)) {
		io->irr_delivered &= ~mask;
		if (old == io->s.irr)
			return 0;	/* no edge */
	}
	return ioapic_service(io, pin);
}

int nkvm_x86_ioapic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin,
			    int level)
{
	struct nkvm_ioapic *io = xvm->ioapic;
	unsigned long flags;
	int r;

	if (pin >= IOAPIC_NR_PINS)
		return -1;
	spin_lock_irqsave(&io->lock, flags);
	r = ioapic_set_pin(io, pin, level);
	spin_unlock_irqrestore(&io->lock, flags);
	return r;
}

/* An EOI for vector: end Remote IRR on its level pins, then resend. */
void nkvm_x86_ioapic_eoi(struct nkvm_x86_vm *xvm, u8 vector)
{
	struct nkvm_ioapic *io = xvm->ioapic;
	unsigned long flags;
	unsigned int pin;
	u64 e;

	if (!io)
		return;
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		spin_lock_irqsave(&io->lock, flags);
		e = io->s.redirtbl[pin].bits;
		spin_unlock_irqrestore(&io->lock, flags);
		if (FIELD_GET(RTE_VECTOR, e) != vector)
			continue;
		/* A resampling irqfd lowers its line first (no lock held). */
		nkvm_x86_irqchip_acked(xvm, KVM_IRQCHIP_IOAPIC, pin);
		spin_lock_irqsave(&io->lock, flags);
		e = io->s.redirtbl[pin].bits;
		if ((e & RTE_LEVEL) && FIELD_GET(RTE_VECTOR, e) == vector) {
			io->s.redirtbl[pin].bits &= ~RTE_REMOTE_IRR;
			if (io->s.irr & BIT(pin))
				ioapic_service(io, pin);
		}
		spin_unlock_irqrestore(&io->lock, flags);
	}
}

static u32 ioapic_read_indirect(struct nkvm_ioapic *io)
{
	u32 sel = io->s.ioregsel, idx;
	u64 e = ~0ULL;

	switch (sel) {
	case IOAPIC_REG_VER:
		return ((IOAPIC_NR_PINS - 1) << 16) | IOAPIC_VERSION;
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (io->s.id & 0xf) << 24;
	}
	if (sel >= IOAPIC_REG_REDTBL) {
		idx = (sel - IOAPIC_REG_REDTBL) >> 1;
		if (idx < IOAPIC_NR_PINS)
			e = io->s.redirtbl[array_index_nospec(idx,
						IOAPIC_NR_PINS)].bits;
	}
	return sel & 1 ? upper_32_bits(e) : lower_32_bits(e);
}

static void ioapic_write_indirect(struct nkvm_ioapic *io, u32 val)
{
	u32 sel = io->s.ioregsel, idx;
	u64 old, e;

	switch (sel) {
	case IOAPIC_REG_VER:
	case IOAPIC_REG_ARB:
		return;
	case IOAPIC_REG_ID:
		io->s.id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REG_REDTBL)
		return;
	idx = (sel - IOAPIC_REG_REDTBL) >> 1;
	if (idx >= IOAPIC_NR_PINS)
		return;
	idx = array_index_nospec(idx, IOAPIC_NR_PINS);
	old = io->s.redirtbl[idx].bits;
	if (sel & 1)
		e = (old & 0xffffffffULL) | ((u64)val << 32);
	else
		e = (old & ~0xffffffffULL) | val;
	e = (e & ~RTE_READ_ONLY) | (old & RTE_READ_ONLY);
	/* Guests expect an edge-triggered entry to drop Remote IRR. */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->s.redirtbl[idx].bits = e;
	if ((e & RTE_LEVEL) && !(e & (RTE_MASK | RTE_REMOTE_IRR)) &&
	    (io->s.irr & BIT(idx)))
		ioapic_service(io, idx);
}

static bool ioapic_in_range(struct nkvm_ioapic *io, u64 addr)
{
	return addr >= io->s.base_address &&
	       addr < io->s.base_address + IOAPIC_LEN;
}

static int ioapic_mmio_read(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			    u64 addr, unsigned int len, void *val)
{
	struct nkvm_ioapic *io = to_ioapic(dev);
	unsigned long flags;
	u64 data = 0;

	spin_lock_irqsave(&io->lock, flags);
	if (!ioapic_in_range(io, addr)) {
		spin_unlock_irqrestore(&io->lock, flags);
		return -EOPNOTSUPP;
	}
	switch ((addr - io->s.base_address) & ~3ULL) {
	case IOAPIC_IOREGSEL:
		data = io->s.ioregsel;
		break;
	case IOAPIC_IOWIN:
		data = ioapic_read_indirect(io);
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	memcpy(val, &data, min(len, 8U));
	return 0;
}

static int ioapic_mmio_write(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			     u64 addr, unsigned int len, const void *val)
{
	struct nkvm_ioapic *io = to_ioapic(dev);
	unsigned long flags;
	u32 data = 0;
	bool eoi = false;

	memcpy(&data, val, min(len, 4U));
	spin_lock_irqsave(&io->lock, flags);
	if (!ioapic_in_range(io, addr)) {
		spin_unlock_irqrestore(&io->lock, flags);
		return -EOPNOTSUPP;
	}
	switch ((addr - io->s.base_address) & ~3ULL) {
	case IOAPIC_IOREGSEL:
		io->s.ioregsel = data & 0xff;
		break;
	case IOAPIC_IOWIN:
		ioapic_write_indirect(io, data);
		break;
	case IOAPIC_EOIR:
		eoi = true;
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	if (eoi)
		nkvm_x86_ioapic_eoi(io->xvm, data & 0xff);
	return 0;
}

static const struct nkvm_io_device_ops ioapic_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

static void ioapic_reset(struct nkvm_ioapic *io)
{
	unsigned int i;

	memset(&io->s, 0, sizeof(io->s));
	io->s.base_address = IOAPIC_BASE;
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		io->s.redirtbl[i].bits = RTE_MASK;
	io->irr_delivered = 0;
}

int nkvm_x86_ioapic_create(struct nkvm_x86_vm *xvm)
{
	struct nkvm_ioapic *io;
	int r;

	io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	if (!io)
		return -ENOMEM;
	spin_lock_init(&io->lock);
	io->xvm = xvm;
	io->dev.ops = &ioapic_ops;
	ioapic_reset(io);
	mutex_lock(&xvm->vm.slots_lock);
	r = nkvm_io_bus_register(&xvm->vm, NKVM_MMIO_BUS, IOAPIC_BASE,
				 IOAPIC_LEN, &io->dev);
	mutex_unlock(&xvm->vm.slots_lock);
	if (r) {
		kfree(io);
		return r;
	}
	xvm->ioapic = io;
	return 0;
}

void nkvm_x86_ioapic_destroy(struct nkvm_x86_vm *xvm)
{
	struct nkvm_ioapic *io = xvm->ioapic;

	if (!io)
		return;
	mutex_lock(&xvm->vm.slots_lock);
	nkvm_io_bus_unregister(&xvm->vm, NKVM_MMIO_BUS, &io->dev);
	mutex_unlock(&xvm->vm.slots_lock);
	xvm->ioapic = NULL;
	kfree(io);
}

void nkvm_x86_ioapic_get(struct nkvm_x86_vm *xvm, struct kvm_ioapic_state *s)
{
	struct nkvm_ioapic *io = xvm->ioapic;
	unsigned long flags;

	spin_lock_irqsave(&io->lock, flags);
	*s = io->s;
	s->irr &= ~io->irr_delivered;
	spin_unlock_irqrestore(&io->lock, flags);
}

/* As stock: the pins set in s->irr are raised again, the others lowered. */
void nkvm_x86_ioapic_set(struct nkvm_x86_vm *xvm,
			 const struct kvm_ioapic_state *s)
{
	struct nkvm_ioapic *io = xvm->ioapic;
	unsigned long flags, irr = s->irr;
	unsigned int pin;

	spin_lock_irqsave(&io->lock, flags);
	io->s = *s;
	io->s.irr = 0;
	io->irr_delivered = 0;
	for_each_set_bit(pin, &irr, IOAPIC_NR_PINS)
		ioapic_set_pin(io, pin, 1);
	spin_unlock_irqrestore(&io->lock, flags);
}
