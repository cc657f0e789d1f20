/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-control framework: emulated devices created with KVM_CREATE_DEVICE
 * and configured through KVM_{SET,GET,HAS}_DEVICE_ATTR on their fd.
 */
#ifndef _NKVM_DEVICE_H
#define _NKVM_DEVICE_H

#include <nkvm/nkvm.h>

struct nkvm_device;

struct nkvm_device_ops {
	const char *name;		/* fd name is "kvm-<name>" */
	u32 type;			/* KVM_DEV_TYPE_* */
	bool single_instance;		/* a second one gets -EEXIST */

	/* Called with vm->lock held; sets dev->private. Required. */
	int (*create)(struct nkvm_device *dev);
	/* VM teardown (all fds gone): frees everything. Required. */
	void (*destroy)(struct nkvm_device *dev);

	/* NULL accessors: set/get -EPERM, has -ENXIO. */
	int (*set_attr)(struct nkvm_device *dev, struct kvm_device_attr *attr);
	int (*get_attr)(struct nkvm_device *dev, struct kvm_device_attr *attr);
	int (*has_attr)(struct nkvm_device *dev, struct kvm_device_attr *attr);
	/* Other ioctls on the device fd. NULL: -ENOTTY. */
	long (*ioctl)(struct nkvm_device *dev, unsigned int ioctl,
		      unsigned long arg);
};

struct nkvm_device {
	const struct nkvm_device_ops *ops;	/* (c) */
	struct nkvm_vm *vm;			/* (c) */
	void *private;				/* owned by ops */
	struct list_head vm_node;		/* [vm->lock] vm->devices */
};

int nkvm_register_device_ops(const struct nkvm_device_ops *ops);
void nkvm_unregister_device_ops(const struct nkvm_device_ops *ops);

extern const struct nkvm_device_ops nkvm_vfio_device_ops;

#endif /* _NKVM_DEVICE_H */
