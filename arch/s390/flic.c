// SPDX-License-Identifier: GPL-2.0
/*
 * The FLIC (KVM_DEV_TYPE_FLIC), the floating-interrupt controller: one
 * per VM, configured through KVM_SET/GET/HAS_DEVICE_ATTR on its fd. Its
 * groups, with stock's answers: GET_ALL_IRQS, ENQUEUE, CLEAR_IRQS,
 * CLEAR_IO_IRQ, the adapters (REGISTER, MODIFY, AIRQ_INJECT), adapter-
 * interruption suppression (AISM, AISM_ALL: EOPNOTSUPP without facility
 * 72) and async page faults (APF_ENABLE, APF_DISABLE_WAIT: accepted; nkvm
 * delivers no async page faults, so there is nothing to turn on or off).
 * An unknown group is EINVAL for GET and SET, ENXIO for HAS.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/device.h>

#include "s390.h"
#include "adapter.h"
#include "interrupt.h"

static struct nkvm_s390_vm *s390_flic_vm(struct nkvm_device *dev)
{
	return to_s390_vm(dev->vm);
}

/* A second FLIC is EINVAL, as stock (not the framework's EEXIST). */
static int s390_flic_create(struct nkvm_device *dev)
{
	struct nkvm_device *other;

	lockdep_assert_held(&dev->vm->lock);
	list_for_each_entry(other, &dev->vm->devices, vm_node)
		if (other->ops == &s390_flic_ops)
			return -EINVAL;
	return 0;
}

static void s390_flic_destroy(struct nkvm_device *dev)
{
}

/*
 * ENQUEUE: attr->attr bytes of struct kvm_s390_irq (a whole number, at
 * most KVM_S390_FLIC_MAX_BUFFER: EINVAL), each a floating type (EINVAL),
 * queued in order; the first failure stops (the ones before stay).
 */
static int s390_flic_enqueue(struct nkvm_s390_vm *svm,
			     struct kvm_device_attr *attr)
{
	struct kvm_s390_irq __user *uirq = u64_to_user_ptr(attr->addr);
	u64 len = attr->attr, i;
	struct s390_float_irq *fi;
	struct kvm_s390_irq irq;
	int r;

	if (len % sizeof(irq) || len > KVM_S390_FLIC_MAX_BUFFER)
		return -EINVAL;
	for (i = 0; i < len / sizeof(irq); i++) {
		if (copy_from_user(&irq, &uirq[i], sizeof(irq)))
			return -EFAULT;
		fi = kzalloc(sizeof(*fi), GFP_KERNEL_ACCOUNT);
		if (!fi)
			return -ENOMEM;
		r = s390_float_from_irq(fi, &irq);
		if (!r)
			r = s390_inject_float(svm, fi);
		if (r) {
			kfree(fi);
			return r;
		}
	}
	return 0;
}

/*
 * CLEAR_IO_IRQ: the pending I/O interrupt of the subchannel in the u32 at
 * addr goes (attr->attr must be 4, the id not 0: EINVAL).
 */
static int s390_flic_clear_io(struct nkvm_s390_vm *svm,
			      struct kvm_device_attr *attr)
{
	struct s390_float_irqs *flt = &svm->flt;
	struct s390_float_irq *fi, *tmp;
	unsigned int isc;
	u32 schid;

	if (attr->attr != sizeof(schid))
		return -EINVAL;
	if (copy_from_user(&schid, u64_to_user_ptr(attr->addr), sizeof(schid)))
		return -EFAULT;
	if (!schid)
		return -EINVAL;
	spin_lock(&flt->lock);
	for (isc = 0; isc < S390_ISCS; isc++) {
		list_for_each_entry_safe(fi, tmp, &flt->lists[isc], node) {
			if (fi->io.subchannel_id != schid >> 16 ||
			    fi->io.subchannel_nr != (u16)schid)
				continue;
			list_del(&fi->node);
			flt->nr_io--;
			kfree(fi);
		}
		if (list_empty(&flt->lists[isc]))
			__clear_bit(S390_IRQ_IO_ISC0 - isc, &flt->pending);
	}
	spin_unlock(&flt->lock);
	return 0;
}

static int s390_flic_set_attr(struct nkvm_device *dev,
			      struct kvm_device_attr *attr)
{
	struct nkvm_s390_vm *svm = s390_flic_vm(dev);
	void __user *uaddr = u64_to_user_ptr(attr->addr);

	switch (attr->group) {
	case KVM_DEV_FLIC_ENQUEUE:
		return s390_flic_enqueue(svm, attr);
	case KVM_DEV_FLIC_CLEAR_IRQS:
		s390_float_clear(svm);
		return 0;
	case KVM_DEV_FLIC_APF_ENABLE:
	case KVM_DEV_FLIC_APF_DISABLE_WAIT:
		return 0;
	case KVM_DEV_FLIC_ADAPTER_REGISTER:
		return s390_adapter_register(svm, uaddr);
	case KVM_DEV_FLIC_ADAPTER_MODIFY:
		return s390_adapter_modify(svm, uaddr);
	case KVM_DEV_FLIC_CLEAR_IO_IRQ:
		return s390_flic_clear_io(svm, attr);
	case KVM_DEV_FLIC_AISM:
		return s390_ais_mode(svm, uaddr);
	case KVM_DEV_FLIC_AIRQ_INJECT:
		return s390_adapter_inject(svm, attr->attr);
	case KVM_DEV_FLIC_AISM_ALL:
		return s390_ais_all(svm, uaddr, true, attr->attr);
	}
	return -EINVAL;
}

static int s390_flic_get_attr(struct nkvm_device *dev,
			      struct kvm_device_attr *attr)
{
	struct nkvm_s390_vm *svm = s390_flic_vm(dev);
	void __user *uaddr = u64_to_user_ptr(attr->addr);

	switch (attr->group) {
	case KVM_DEV_FLIC_GET_ALL_IRQS:
		return s390_get_all_float(svm, uaddr, attr->attr);
	case KVM_DEV_FLIC_AISM_ALL:
		return s390_ais_all(svm, uaddr, false, attr->attr);
	}
	return -EINVAL;
}

static int s390_flic_has_attr(struct nkvm_device *dev,
			      struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVM_DEV_FLIC_GET_ALL_IRQS:
	case KVM_DEV_FLIC_ENQUEUE:
	case KVM_DEV_FLIC_CLEAR_IRQS:
	case KVM_DEV_FLIC_APF_ENABLE:
	case KVM_DEV_FLIC_APF_DISABLE_WAIT:
	case KVM_DEV_FLIC_ADAPTER_REGISTER:
	case KVM_DEV_FLIC_ADAPTER_MODIFY:
	case KVM_DEV_FLIC_CLEAR_IO_IRQ:
	case KVM_DEV_FLIC_AISM:
	case KVM_DEV_FLIC_AIRQ_INJECT:
	case KVM_DEV_FLIC_AISM_ALL:
		return 0;
	}
	return -ENXIO;
}

const struct nkvm_device_ops s390_flic_ops = {
	.name		= "flic",
	.type		= KVM_DEV_TYPE_FLIC,
	.create		= s390_flic_create,
	.destroy	= s390_flic_destroy,
	.set_attr	= s390_flic_set_attr,
	.get_attr	= s390_flic_get_attr,
	.has_attr	= s390_flic_has_attr,
};
