// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's VM ioctls (see irqchip.h for the parts) and the
 * GSI routing table.
 *
 * KVM_CREATE_IRQCHIP makes the PIC and the IOAPIC; every vCPU created
 * afterwards gets a local APIC. As stock: EEXIST the second time, EINVAL
 * once a vCPU exists. KVM_CAP_SPLIT_IRQCHIP makes only the local APICs:
 * userspace keeps the PIC (its interrupts come in through KVM_INTERRUPT,
 * lapic.c) and the IOAPIC, whose pins it routes to MSIs; the routing
 * table then starts empty and takes MSI routes only, and the guest's EOI
 * of a level-triggered vector of those pins exits to userspace
 * (KVM_EXIT_IOAPIC_EOI).
 *
 * A GSI is routed to up to one pin of each chip (PIC master, PIC slave,
 * IOAPIC) or to one MSI message. The routing table is replaced whole by
 * KVM_SET_GSI_ROUTING and read under RCU. Each chip input is the OR of
 * the lines of its sources: userspace and devices (KVM_IRQ_LINE, plain
 * irqfds, the PIT) and the resampling irqfds, which keep their line up
 * until the guest acknowledges the interrupt.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "irqchip.h"
#include "irqfd.h"

/*
 * On: the local APICs deliver (timer, IPIs, INIT/SIPI). Off again if the
 * PIC and IOAPIC merged with this do not deliver theirs.
 */
static const bool x86_irqchip_works = true;

bool nkvm_x86_irqchip_works(void)
{
	return x86_irqchip_works;
}

#define X86_MAX_IRQ_ROUTES	4096

/* The kinds of chip input a route reaches: the PIC's 16, the IOAPIC's 24. */
enum { X86_PIN_PIC, X86_PIN_IOAPIC, X86_PIN_KINDS };
#define X86_PINS_MAX		KVM_IOAPIC_NUM_PINS

struct x86_route {
	u32 gsi;
	u32 type;			/* KVM_IRQ_ROUTING_IRQCHIP or _MSI */
	u32 chip;			/* the KVM_IRQCHIP_* number */
	u32 kind;			/* X86_PIN_* */
	u32 pin;			/* PIC: 0-15, slave pins + 8 */
	u32 msi_lo, msi_hi, msi_data;
};

struct x86_routing {
	u32 nr_gsi;			/* first[] covers GSI 0..nr_gsi-1 */
	u32 *first;			/* routes of gsi: [first[g], first[g+1]) */
	s32 pin_gsi[X86_PIN_KINDS][X86_PINS_MAX];	/* -1: none */
	u32 nr;
	struct x86_route r[];		/* sorted by gsi */
};

/*
 * Check and convert one entry; -EINVAL as stock for anything unknown, and
 * for irqchip pins that are userspace's (split).
 */
static int x86_route_from_user(struct x86_route *e,
			       const struct kvm_irq_routing_entry *ue,
			       bool split)
{
	u32 pins;

	if (ue->gsi >= X86_MAX_IRQ_ROUTES)
		return -EINVAL;
	e->gsi = ue->gsi;
	e->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->flags || split)
			return -EINVAL;
		e->chip = ue->u.irqchip.irqchip;
		e->pin = ue->u.irqchip.pin;
		switch (e->chip) {
		case KVM_IRQCHIP_PIC_SLAVE:
		case KVM_IRQCHIP_PIC_MASTER:
			e->kind = X86_PIN_PIC;
			pins = 16;
			if (e->chip == KVM_IRQCHIP_PIC_SLAVE)
				e->pin += 8;
			break;
		case KVM_IRQCHIP_IOAPIC:
			e->kind = X86_PIN_IOAPIC;
			pins = KVM_IOAPIC_NUM_PINS;
			break;
		default:
			return -EINVAL;
		}
		/* The slave's delta may wrap a huge pin: compare the original. */
		if (ue->u.irqchip.pin >= pins || e->pin >= pins)
			return -EINVAL;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		if (ue->flags & ~KVM_MSI_VALID_DEVID)
			return -EINVAL;
		e->msi_lo = ue->u.msi.address_lo;
		e->msi_hi = ue->u.msi.address_hi;
		e->msi_data = ue->u.msi.data;
		return 0;
	}
	return -EINVAL;
}

static int x86_route_cmp(const void *a, const void *b)
{
	const struct x86_route *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

/* A table from nr user entries (already copied into the kernel). */
static struct x86_routing *x86_routing_build(const struct kvm_irq_routing_entry *ue,
					     u32 nr, bool split)
{
	struct x86_routing *rt;
	u32 i, j, nr_gsi = 0, g;
	int r = -EINVAL;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= X86_MAX_IRQ_ROUTES)
			return ERR_PTR(-EINVAL);
		nr_gsi = max(nr_gsi, ue[i].gsi + 1);
	}
	rt = kvzalloc(struct_size(rt, r, nr) + (nr_gsi + 1) * sizeof(u32),
		      GFP_KERNEL_ACCOUNT);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->nr = nr;
	rt->nr_gsi = nr_gsi;
	rt->first = (u32 *)&rt->r[nr];
	memset(rt->pin_gsi, 0xff, sizeof(rt->pin_gsi));
	for (i = 0; i < nr; i++) {
		r = x86_route_from_user(&rt->r[i], &ue[i], split);
		if (r)
			goto fail;
	}
	sort(rt->r, nr, sizeof(rt->r[0]), x86_route_cmp, NULL);
	for (i = 0; i < nr; i++) {
		/* Per GSI: one MSI alone, or pins of distinct irqchips. */
		for (j = i; j-- > 0 && rt->r[j].gsi == rt->r[i].gsi;) {
			if (rt->r[j].type != KVM_IRQ_ROUTING_IRQCHIP ||
			    rt->r[i].type != KVM_IRQ_ROUTING_IRQCHIP ||
			    rt->r[j].chip == rt->r[i].chip) {
				r = -EINVAL;
				goto fail;
			}
		}
		if (rt->r[i].type == KVM_IRQ_ROUTING_IRQCHIP)
			rt->pin_gsi[rt->r[i].kind][rt->r[i].pin] = rt->r[i].gsi;
	}
	for (g = 0, i = 0; g <= nr_gsi; g++) {
		while (i < nr && rt->r[i].gsi < g)
			i++;
		rt->first[g] = i;
	}
	return rt;
fail:
	kvfree(rt);
	return ERR_PTR(r);
}

static int x86_set_routing(struct nkvm_x86_irqs *irqs,
			   const struct kvm_irq_routing_entry *ue, u32 nr,
			   bool split)
{
	struct x86_routing *rt = x86_routing_build(ue, nr, split), *old;

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	mutex_lock(&irqs->lock);
	old = rcu_replace_pointer(irqs->routing, rt,
				  lockdep_is_held(&irqs->lock));
	mutex_unlock(&irqs->lock);
	/* No injection still reads it (and none is left behind at unload). */
	synchronize_rcu();
	kvfree(old);
	return 0;
}

/* Stock's default: GSI 0-15 to the PIC and IOAPIC pin n, 16-23 to the IOAPIC. */
static int x86_set_default_routing(struct nkvm_x86_irqs *irqs)
{
	struct kvm_irq_routing_entry *ue, *e;
	unsigned int gsi;
	int r;

	ue = kcalloc(40, sizeof(*ue), GFP_KERNEL);
	if (!ue)
		return -ENOMEM;
	for (e = ue, gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
		e++;
		if (gsi >= 16)
			continue;
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					       KVM_IRQCHIP_PIC_SLAVE;
		e->u.irqchip.pin = gsi & 7;
		e++;
	}
	r = x86_set_routing(irqs, ue, e - ue, false);
	kfree(ue);
	return r;
}

/* An MSI message as the local APICs take it. */
static void x86_msi_decode(u32 lo, u32 data, struct nkvm_x86_irq *irq)
{
	memset(irq, 0, sizeof(*irq));
	irq->dest_id = (lo >> 12) & 0xff;
	irq->dest_logical = !!(lo & BIT(2));
	irq->vector = data & 0xff;
	irq->delivery_mode = (data >> 8) & 7;
	irq->trig_level = !!(data & BIT(15));
	irq->level = true;
}

/* Set one chip input from source src; under irqs->line_lock. */
static int x86_set_pin(struct nkvm_x86_vm *xvm, u32 kind, u32 pin,
		       unsigned int src, int level)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;
	unsigned long *line = &irqs->line[kind][pin];

	if (level)
		__set_bit(src, line);
	else
		__clear_bit(src, line);
	if (kind == X86_PIN_PIC)
		return nkvm_x86_pic_set_irq(xvm, pin, !!*line);
	return nkvm_x86_ioapic_set_irq(xvm, pin, !!*line);
}

/* Raise or lower gsi for source src: the KVM_IRQ_LINE_STATUS value. */
int nkvm_x86_set_irq_src(struct nkvm_x86_vm *xvm, u32 gsi, int level,
			 unsigned int src)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;
	struct nkvm_x86_irq msi;
	struct x86_routing *rt;
	struct x86_route *e;
	unsigned long flags;
	int ret = -1, r;
	u32 i;

	if (!nkvm_x86_has_irqchip(xvm))
		return -EINVAL;
	rcu_read_lock();
	rt = rcu_dereference(irqs->routing);
	if (!rt || gsi >= rt->nr_gsi)
		goto out;
	for (i = rt->first[gsi]; i < rt->first[gsi + 1]; i++) {
		e = &rt->r[i];
		if (e->type == KVM_IRQ_ROUTING_MSI) {
			if (!level)
				continue;
			x86_msi_decode(e->msi_lo, e->msi_data, &msi);
			r = nkvm_x86_lapic_deliver(&xvm->vm, NULL, &msi);
		} else {
			spin_lock_irqsave(&irqs->line_lock, flags);
			r = x86_set_pin(xvm, e->kind, e->pin, src, level);
			spin_unlock_irqrestore(&irqs->line_lock, flags);
		}
		if (r < 0)
			continue;
		ret = ret < 0 ? r : ret + r;
	}
out:
	rcu_read_unlock();
	return ret;
}

int nkvm_x86_set_irq(struct nkvm_x86_vm *xvm, u32 gsi, int level)
{
	return nkvm_x86_set_irq_src(xvm, gsi, level, X86_IRQ_SRC_USER);
}

/* The GSI routed to a chip pin, or -1. */
static int x86_pin_gsi(struct nkvm_x86_vm *xvm, unsigned int chip,
		       unsigned int pin)
{
	struct x86_routing *rt;
	int gsi = -1;

	if (chip == KVM_IRQCHIP_PIC_SLAVE)
		pin += 8;
	rcu_read_lock();
	rt = rcu_dereference(xvm->irqs->routing);
	if (rt && pin < X86_PINS_MAX)
		gsi = rt->pin_gsi[chip == KVM_IRQCHIP_IOAPIC ? X86_PIN_IOAPIC :
				  X86_PIN_PIC][pin];
	rcu_read_unlock();
	return gsi;
}

void nkvm_x86_irqchip_acked(struct nkvm_x86_vm *xvm, unsigned int chip,
			    unsigned int pin)
{
	int gsi = x86_pin_gsi(xvm, chip, pin);

	if (gsi >= 0)
		nkvm_x86_irqfd_resample(xvm, gsi);
}

/* The routing and irqfd state; split: with an empty table. */
static int x86_create_irqs(struct nkvm_x86_vm *xvm, bool split)
{
	struct nkvm_x86_irqs *irqs;
	int r;

	irqs = kzalloc(sizeof(*irqs), GFP_KERNEL_ACCOUNT);
	if (!irqs)
		return -ENOMEM;
	mutex_init(&irqs->lock);
	spin_lock_init(&irqs->line_lock);
	r = nkvm_x86_irqfd_init(irqs);
	if (!r)
		r = split ? x86_set_routing(irqs, NULL, 0, true) :
			    x86_set_default_routing(irqs);
	if (r) {
		nkvm_x86_irqfd_exit(irqs);
		kfree(irqs);
		return r;
	}
	xvm->irqs = irqs;
	return 0;
}

static void x86_destroy_irqs(struct nkvm_x86_vm *xvm)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;

	if (!irqs)
		return;
	nkvm_x86_irqfd_exit(irqs);
	kvfree(rcu_dereference_protected(irqs->routing, true));
	kfree(irqs);
	xvm->irqs = NULL;
}

static long x86_create_irqchip(struct nkvm_x86_vm *xvm)
{
	struct nkvm_vm *vm = &xvm->vm;
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (xvm->irqchip != NKVM_X86_IRQCHIP_NONE)
		goto out;
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = x86_create_irqs(xvm, false);
	if (r)
		goto out;
	r = nkvm_x86_pic_create(xvm);
	if (r)
		goto out_irqs;
	r = nkvm_x86_ioapic_create(xvm);
	if (r) {
		nkvm_x86_pic_destroy(xvm);
		goto out_irqs;
	}
	/* The parts are complete before anyone sees irqchip set. */
	smp_store_release(&xvm->irqchip, NKVM_X86_IRQCHIP_KERNEL);
	goto out;
out_irqs:
	x86_destroy_irqs(xvm);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): args[0] the GSIs that are the
 * userspace IOAPIC's pins.
 * As stock: EEXIST with an irqchip already or once a vCPU was created.
 */
int nkvm_x86_enable_split_irqchip(struct nkvm_x86_vm *xvm, u64 pins)
{
	struct nkvm_vm *vm = &xvm->vm;
	int r;

	if (!x86_irqchip_works)
		return -EINVAL;
	/* As stock: any count the routing table can hold. */
	if (pins > X86_MAX_IRQ_ROUTES)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (xvm->irqchip != NKVM_X86_IRQCHIP_NONE || vm->created_vcpus)
		goto out;
	r = x86_create_irqs(xvm, true);
	if (r)
		goto out;
	xvm->ioapic_pins = pins;
	/* The routing table and ioapic_pins before the mode. */
	smp_store_release(&xvm->irqchip, NKVM_X86_IRQCHIP_SPLIT);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * Split irqchip: the guest EOIed vector, which it took level-triggered.
 * True when userspace's IOAPIC must hear of it: a level-triggered MSI
 * route of one of its pins carries that vector (stock scans the same
 * routes for vectors addressed to the vCPU; the TMR bit the caller
 * checked says this vCPU took the vector level-triggered).
 */
bool nkvm_x86_split_eoi_routed(struct nkvm_x86_vm *xvm, u8 vector)
{
	struct x86_routing *rt;
	struct x86_route *e;
	bool found = false;
	u32 i;

	rcu_read_lock();
	rt = rcu_dereference(xvm->irqs->routing);
	for (i = 0; rt && i < rt->nr && !found; i++) {
		e = &rt->r[i];
		found = e->gsi < xvm->ioapic_pins &&
			e->type == KVM_IRQ_ROUTING_MSI &&
			(e->msi_data & 0xff) == vector &&
			(e->msi_data & BIT(15));
	}
	rcu_read_unlock();
	return found;
}

static long x86_irq_line(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			 void __user *argp)
{
	struct kvm_irq_level l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (!nkvm_x86_has_irqchip(xvm))
		return -ENXIO;
	l.status = nkvm_x86_set_irq(xvm, l.irq, l.level);
	if (ioctl == KVM_IRQ_LINE_STATUS && copy_to_user(argp, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}

static long x86_irqchip_state(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			      void __user *argp)
{
	struct kvm_irqchip *chip;
	long r = 0;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	/* As stock: ENXIO for a split irqchip too. */
	if (!nkvm_x86_irqchip_kernel(xvm)) {
		r = -ENXIO;
		goto out;
	}
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (ioctl == KVM_GET_IRQCHIP)
			nkvm_x86_pic_get(xvm, chip->chip_id, &chip->chip.pic);
		else
			nkvm_x86_pic_set(xvm, chip->chip_id, &chip->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (ioctl == KVM_GET_IRQCHIP)
			nkvm_x86_ioapic_get(xvm, &chip->chip.ioapic);
		else
			nkvm_x86_ioapic_set(xvm, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (ioctl == KVM_GET_IRQCHIP && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

static long x86_set_gsi_routing(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct kvm_irq_routing __user *ur = argp;
	struct kvm_irq_routing_entry *ue = NULL;
	struct kvm_irq_routing hdr;
	long r;

	if (copy_from_user(&hdr, ur, sizeof(hdr)))
		return -EFAULT;
	if (!nkvm_x86_has_irqchip(xvm) || hdr.nr > X86_MAX_IRQ_ROUTES ||
	    hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_user(ur->entries, array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	r = x86_set_routing(xvm->irqs, ue, hdr.nr,
			    nkvm_x86_irqchip_split(xvm));
	kvfree(ue);
	return r;
}

static long x86_signal_msi(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct nkvm_x86_irq irq;
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!nkvm_x86_has_irqchip(xvm) || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	x86_msi_decode(msi.address_lo, msi.data, &irq);
	/* As stock: how many local APICs took it, -1 (EPERM) for none. */
	return nkvm_x86_lapic_deliver(&xvm->vm, NULL, &irq);
}

long nkvm_x86_irqchip_cap(long cap)
{
	if (!x86_irqchip_works)
		return 0;
	/* KVM_CAP_IRQCHIP is x86.c's: it also needs a vendor that runs guests. */
	switch (cap) {
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SIGNAL_MSI:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return X86_MAX_IRQ_ROUTES;
	}
	return 0;
}

/* VM ioctls of the irqchip; -ENOIOCTLCMD for the others. */
long nkvm_x86_irqchip_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (!x86_irqchip_works)
		return -ENOIOCTLCMD;
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return x86_create_irqchip(xvm);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return x86_irq_line(xvm, ioctl, argp);
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return x86_irqchip_state(xvm, ioctl, argp);
	case KVM_SET_GSI_ROUTING:
		return x86_set_gsi_routing(xvm, argp);
	case KVM_SIGNAL_MSI:
		return x86_signal_msi(xvm, argp);
	case KVM_IRQFD:
		return nkvm_x86_irqfd(xvm, argp);
	}
	return -ENOIOCTLCMD;
}

/* VM teardown, after the vCPUs. */
void nkvm_x86_irqchip_destroy(struct nkvm_x86_vm *xvm)
{
	if (xvm->irqchip == NKVM_X86_IRQCHIP_NONE)
		return;
	/* irqfds first: their work may still raise lines. */
	if (xvm->irqs)
		nkvm_x86_irqfd_exit(xvm->irqs);
	nkvm_x86_ioapic_destroy(xvm);
	nkvm_x86_pic_destroy(xvm);
	x86_destroy_irqs(xvm);
	xvm->irqchip = NKVM_X86_IRQCHIP_NONE;
}
