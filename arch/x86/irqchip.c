// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's VM ioctls (see irqchip.h for the parts).
 *
 * KVM_CREATE_IRQCHIP makes the PIC and the IOAPIC; every vCPU created
 * afterwards gets a local APIC. As stock: EEXIST the second time, EINVAL
 * once a vCPU exists.
 */
#include <linux/uaccess.h>

#include "irqchip.h"

/*
 * On: the local APICs deliver (timer, IPIs, INIT/SIPI). Off again if the
 * PIC and IOAPIC merged with this do not deliver theirs.
 */
static const bool x86_irqchip_works = true;

bool nkvm_x86_irqchip_works(void)
{
	return x86_irqchip_works;
}

static long x86_create_irqchip(struct nkvm_x86_vm *xvm)
{
	struct nkvm_vm *vm = &xvm->vm;
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (xvm->irqchip)
		goto out;
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = nkvm_x86_pic_create(xvm);
	if (r)
		goto out;
	r = nkvm_x86_ioapic_create(xvm);
	if (r) {
		nkvm_x86_pic_destroy(xvm);
		goto out;
	}
	/* The parts are complete before anyone sees irqchip set. */
	smp_store_release(&xvm->irqchip, true);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* The default routing: GSI 0-15 to the PIC and the IOAPIC, 16-23 to the IOAPIC. */
int nkvm_x86_set_irq(struct nkvm_x86_vm *xvm, u32 gsi, int level)
{
	int r = -1;

	if (!nkvm_x86_has_irqchip(xvm) || gsi >= 24)
		return -EINVAL;
	if (gsi < 16)
		r = nkvm_x86_pic_set_irq(xvm, gsi, level);
	return max(r, nkvm_x86_ioapic_set_irq(xvm, gsi, level));
}

/* VM ioctls of the irqchip; -ENOIOCTLCMD for the others. */
long nkvm_x86_irqchip_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		if (!x86_irqchip_works)
			return -ENOTTY;
		return x86_create_irqchip(xvm);
	}
	return -ENOIOCTLCMD;
}

/* VM teardown, after the vCPUs. */
void nkvm_x86_irqchip_destroy(struct nkvm_x86_vm *xvm)
{
	if (!xvm->irqchip)
		return;
	nkvm_x86_ioapic_destroy(xvm);
	nkvm_x86_pic_destroy(xvm);
	xvm->irqchip = false;
}
