// SPDX-License-Identifier: GPL-2.0
/*
 * The two cascaded 8259 PICs: the master at ports 0x20-0x21 takes GSI
 * 0-7 and the slave's output on its IRQ2; the slave at 0xa0-0xa1 takes
 * GSI 8-15. The edge/level control registers (ELCR) are at 0x4d0-0x4d1.
 * The master's INTR output goes to vCPU 0 (its local APIC's LINT0, which
 * lapic.c checks); lapic.c runs the INTA cycle with nkvm_x86_pic_ack().
 *
 * Each chip's state is struct kvm_pic_state, as KVM_GET/SET_IRQCHIP
 * show it: last_irr holds the input levels (for edge detection), irr the
 * requests, isr the ones in service, priority_add the rotation (the pin
 * after priority_add's lowest), init_state the ICW sequence step.
 */
#include <linux/slab.h>

#include <nkvm/iobus.h>

#include "irqchip.h"

struct nkvm_pic {
	struct nkvm_io_device dev;
	struct nkvm_x86_vm *xvm;
	spinlock_t lock;		/* the state; inside irqs->line_lock */
	struct kvm_pic_state chip[2];	/* [lock] master, slave */
	bool output;			/* [lock] the master's INTR */
	u16 acked;			/* [lock] pins whose ISR bit dropped */
};

static struct nkvm_pic *to_pic(struct nkvm_io_device *dev)
{
	return container_of(dev, struct nkvm_pic, dev);
}

static bool is_slave(struct nkvm_pic *p, struct kvm_pic_state *s)
{
	return s == &p->chip[1];
}

/* The priority (0 highest) of the best pin in mask, 8 when none. */
static unsigned int pic_priority(struct kvm_pic_state *s, u8 mask)
{
	unsigned int prio;

	if (!mask)
		return 8;
	for (prio = 0; !(mask & BIT((prio + s->priority_add) & 7)); prio++)
		;
	return prio;
}

/* The pin this chip would request now, or -1. */
static int pic_best_irq(struct nkvm_pic *p, struct kvm_pic_state *s)
{
	unsigned int prio = pic_priority(s, s->irr & ~s->imr);
	u8 in_service = s->isr;

	if (prio == 8)
		return -1;
	/* In special mask mode a masked pin does not block lower ones. */
	if (s->special_mask)
		in_service &= ~s->imr;
	/* Special fully nested: the slave may interrupt its own service. */
	if (s->special_fully_nested_mode && !is_slave(p, s))
		in_service &= ~BIT(2);
	if (prio < pic_priority(s, in_service))
		return (prio + s->priority_add) & 7;
	return -1;
}

static void pic_clear_isr(struct nkvm_pic *p, struct kvm_pic_state *s,
			  unsigned int pin)
{
	if (!(s->isr & BIT(pin)))
		return;
	s->isr &= ~BIT(pin);
	if (is_slave(p, s))
		p->acked |= BIT(pin + 8);
	else if (pin != 2)
		p->acked |= BIT(pin);
}

/* Set the input pin of one chip; the KVM_IRQ_LINE_STATUS value. */
static int pic_set_pin(struct kvm_pic_state *s, unsigned int pin, int level)
{
	u8 mask = BIT(pin);
	int r = 1;

	if (level) {
		/* Level-triggered pins request while high, edge ones on a rise. */
		if ((s->elcr & mask) || !(s->last_irr & mask)) {
			r = !(s->irr & mask);
			s->irr |= mask;
		}
		s->last_irr |= mask;
	} else {
		if (s->elcr & mask)
			s->irr &= ~mask;
		s->last_irr &= ~mask;
	}
	return (s->imr & mask) ? -1 : r;
}

/* Propagate the slave to IRQ2 and recompute INTR; true when it rose. */
static bool pic_update(struct nkvm_pic *p)
{
	bool was = p->output;

	pic_set_pin(&p->chip[0], 2, pic_best_irq(p, &p->chip[1]) >= 0);
	p->output = pic_best_irq(p, &p->chip[0]) >= 0;
	return p->output && !was;
}

/* Drop the lock; tell irqfd resamplers of acked pins, kick on a rise. */
static void pic_unlock(struct nkvm_pic *p, unsigned long flags, bool kick)
	__releases(&p->lock)
{
	unsigned long acked = p->acked;
	unsigned int pin;

	p->acked = 0;
	spin_unlock_irqrestore(&p->lock, flags);
	for_each_set_bit(pin, &acked, 16)
		nkvm_x86_irqchip_acked(p->xvm, pin < 8 ? KVM_IRQCHIP_PIC_MASTER :
				       KVM_IRQCHIP_PIC_SLAVE, pin & 7);
	if (kick)
		nkvm_x86_lapic_kick_extint(p->xvm);
}

int nkvm_x86_pic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin, int level)
{
	struct nkvm_pic *p = xvm->pic;
	unsigned long flags;
	bool kick;
	int r;

	if (pin >= 16)
		return -1;
	spin_lock_irqsave(&p->lock, flags);
	r = pic_set_pin(&p->chip[pin >> 3], pin & 7, level);
	kick = pic_update(p);
	pic_unlock(p, flags, kick);
	return r;
}

bool nkvm_x86_pic_has_interrupt(struct nkvm_x86_vm *xvm)
{
	struct nkvm_pic *p = xvm->pic;

	return p && READ_ONCE(p->output);
}

/* The INTA for pin of s (or a poll): in service, edge request consumed. */
static void pic_intack(struct nkvm_pic *p, struct kvm_pic_state *s,
		       unsigned int pin)
{
	s->isr |= BIT(pin);
	if (!(s->elcr & BIT(pin)))
		s->irr &= ~BIT(pin);
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (pin + 1) & 7;
		pic_clear_isr(p, s, pin);
	}
}

int nkvm_x86_pic_ack(struct nkvm_x86_vm *xvm)
{
	struct nkvm_pic *p = xvm->pic;
	unsigned long flags;
	int pin, pin2, vector;
	bool kick;

	spin_lock_irqsave(&p->lock, flags);
	pin = pic_best_irq(p, &p->chip[0]);
	if (pin < 0) {
		/* Spurious: IRQ7 of the master, not put in service. */
		vector = p->chip[0].irq_base + 7;
	} else if (pin == 2) {
		pic_intack(p, &p->chip[0], 2);
		pin2 = pic_best_irq(p, &p->chip[1]);
		if (pin2 >= 0) {
			pic_intack(p, &p->chip[1], pin2);
			vector = p->chip[1].irq_base + pin2;
		} else {
			/* Spurious IRQ15: the slave's IRQ7. */
			vector = p->chip[1].irq_base + 7;
		}
	} else {
		pic_intack(p, &p->chip[0], pin);
		vector = p->chip[0].irq_base + pin;
	}
	kick = pic_update(p);
	pic_unlock(p, flags, kick);
	return vector;
}

/* ICW1: start the initialization sequence. */
static void pic_icw1(struct nkvm_pic *p, struct kvm_pic_state *s, u8 val)
{
	unsigned int pin;

	s->init4 = val & 1;
	for (pin = 0; pin < 8; pin++)
		pic_clear_isr(p, s, pin);
	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	s->poll = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = 1;
}

/* OCW2: end of interrupt and rotation commands. */
static void pic_ocw2(struct nkvm_pic *p, struct kvm_pic_state *s, u8 val)
{
	unsigned int cmd = val >> 5, prio, pin = val & 7;

	switch (cmd) {
	case 0:		/* rotate in auto-EOI mode: clear, set */
	case 4:
		s->rotate_on_auto_eoi = cmd >> 2;
		break;
	case 1:		/* non-specific EOI, and with rotation */
	case 5:
		prio = pic_priority(s, s->isr);
		if (prio == 8)
			break;
		pin = (prio + s->priority_add) & 7;
		if (cmd == 5)
			s->priority_add = (pin + 1) & 7;
		pic_clear_isr(p, s, pin);
		break;
	case 3:		/* specific EOI */
		pic_clear_isr(p, s, pin);
		break;
	case 6:		/* set priority: pin becomes the lowest */
		s->priority_add = (pin + 1) & 7;
		break;
	case 7:		/* specific EOI and rotate */
		s->priority_add = (pin + 1) & 7;
		pic_clear_isr(p, s, pin);
		break;
	}
}

static void pic_write(struct nkvm_pic *p, struct kvm_pic_state *s,
		      unsigned int port, u8 val)
{
	if (!(port & 1)) {
		if (val & 0x10) {
			pic_icw1(p, s, val);
		} else if (val & 0x08) {	/* OCW3 */
			if (val & 0x04)
				s->poll = 1;
			if (val & 0x02)
				s->read_reg_select = val & 1;
			if (val & 0x40)
				s->special_mask = (val >> 5) & 1;
		} else {
			pic_ocw2(p, s, val);
		}
		return;
	}
	switch (s->init_state) {
	case 0:				/* OCW1 */
		s->imr = val;
		break;
	case 1:				/* ICW2 */
		s->irq_base = val & 0xf8;
		s->init_state = 2;
		break;
	case 2:				/* ICW3: the cascade wiring is fixed */
		s->init_state = s->init4 ? 3 : 0;
		break;
	case 3:				/* ICW4 */
		s->special_fully_nested_mode = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

static u8 pic_read(struct nkvm_pic *p, struct kvm_pic_state *s,
		   unsigned int port)
{
	int pin;

	if (s->poll) {
		/*
		 * As stock: the pin (7 for none), consumed without being put
		 * in service; not the 8259's 0x80 | pin.
		 */
		s->poll = 0;
		pin = pic_best_irq(p, s);
		if (pin < 0)
			return 7;
		if (is_slave(p, s)) {
			p->chip[0].isr &= ~BIT(2);
			p->chip[0].irr &= ~BIT(2);
		}
		s->irr &= ~BIT(pin);
		pic_clear_isr(p, s, pin);
		return pin;
	}
	if (port & 1)
		return s->imr;
	return s->read_reg_select ? s->isr : s->irr;
}

static int pic_pio_read(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			u64 addr, unsigned int len, void *val)
{
	struct nkvm_pic *p = to_pic(dev);
	unsigned long flags;
	u8 data = 0;
	bool kick;

	if (len != 1) {
		memset(val, 0, len);
		return 0;
	}
	spin_lock_irqsave(&p->lock, flags);
	if (addr >= 0x4d0)
		data = p->chip[addr & 1].elcr;
	else
		data = pic_read(p, &p->chip[addr >= 0xa0], addr);
	kick = pic_update(p);
	pic_unlock(p, flags, kick);
	*(u8 *)val = data;
	return 0;
}

static int pic_pio_write(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			 u64 addr, unsigned int len, const void *val)
{
	struct nkvm_pic *p = to_pic(dev);
	u8 data = *(const u8 *)val;
	struct kvm_pic_state *s;
	unsigned long flags;
	bool kick;

	if (len != 1)
		return 0;
	spin_lock_irqsave(&p->lock, flags);
	if (addr >= 0x4d0) {
		s = &p->chip[addr & 1];
		s->elcr = data & s->elcr_mask;
	} else {
		pic_write(p, &p->chip[addr >= 0xa0], addr, data);
	}
	kick = pic_update(p);
	pic_unlock(p, flags, kick);
	return 0;
}

static const struct nkvm_io_device_ops pic_ops = {
	.read = pic_pio_read,
	.write = pic_pio_write,
};

static const u16 pic_ports[] = { 0x20, 0xa0, 0x4d0 };

int nkvm_x86_pic_create(struct nkvm_x86_vm *xvm)
{
	struct nkvm_pic *p;
	unsigned int i;
	int r = 0;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	spin_lock_init(&p->lock);
	p->xvm = xvm;
	p->dev.ops = &pic_ops;
	/* IRQ0-2 of the master and 8 and 13 of the slave are always edge. */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	mutex_lock(&xvm->vm.slots_lock);
	for (i = 0; i < ARRAY_SIZE(pic_ports) && !r; i++)
		r = nkvm_io_bus_register(&xvm->vm, NKVM_PIO_BUS, pic_ports[i],
					 2, &p->dev);
	if (r)
		nkvm_io_bus_unregister(&xvm->vm, NKVM_PIO_BUS, &p->dev);
	mutex_unlock(&xvm->vm.slots_lock);
	if (r) {
		kfree(p);
		return r;
	}
	xvm->pic = p;
	return 0;
}

void nkvm_x86_pic_destroy(struct nkvm_x86_vm *xvm)
{
	struct nkvm_pic *p = xvm->pic;

	if (!p)
		return;
	mutex_lock(&xvm->vm.slots_lock);
	nkvm_io_bus_unregister(&xvm->vm, NKVM_PIO_BUS, &p->dev);
	mutex_unlock(&xvm->vm.slots_lock);
	xvm->pic = NULL;
	kfree(p);
}

void nkvm_x86_pic_get(struct nkvm_x86_vm *xvm, unsigned int chip,
		      struct kvm_pic_state *s)
{
	struct nkvm_pic *p = xvm->pic;
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	*s = p->chip[chip];
	spin_unlock_irqrestore(&p->lock, flags);
}

void nkvm_x86_pic_set(struct nkvm_x86_vm *xvm, unsigned int chip,
		      const struct kvm_pic_state *s)
{
	struct nkvm_pic *p = xvm->pic;
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&p->lock, flags);
	p->chip[chip] = *s;
	kick = pic_update(p);
	pic_unlock(p, flags, kick);
}
