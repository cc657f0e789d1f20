// SPDX-License-Identifier: GPL-2.0
/*
 * Device-control framework: the registry of device types, KVM_CREATE_DEVICE,
 * device fds, and the attribute ioctls shared by device, VM and vCPU fds.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/device.h>
#include "core.h"

/* Written only at module load and unload, read-only in between. */
static const struct nkvm_device_ops *nkvm_device_types[KVM_DEV_TYPE_MAX];

int nkvm_register_device_ops(const struct nkvm_device_ops *ops)
{
	if (ops->type >= ARRAY_SIZE(nkvm_device_types))
		return -EINVAL;
	if (nkvm_device_types[ops->type])
		return -EEXIST;
	nkvm_device_types[ops->type] = ops;
	return 0;
}

/* Removes ops, and only ops: another type's or another owner's entry stays. */
void nkvm_unregister_device_ops(const struct nkvm_device_ops *ops)
{
	if (ops->type < ARRAY_SIZE(nkvm_device_types) &&
	    nkvm_device_types[ops->type] == ops)
		nkvm_device_types[ops->type] = NULL;
}

static const struct nkvm_device_ops *nkvm_device_type(u32 type)
{
	if (type >= ARRAY_SIZE(nkvm_device_types))
		return NULL;
	return nkvm_device_types[array_index_nospec(type,
				 ARRAY_SIZE(nkvm_device_types))];
}

int nkvm_devices_init(void)
{
	return nkvm_register_device_ops(&nkvm_vfio_device_ops);
}

void nkvm_devices_exit(void)
{
	nkvm_unregister_device_ops(&nkvm_vfio_device_ops);
}

/* Copy in and check a struct kvm_device_attr, then hand it to fn. */
long nkvm_attr_ioctl(void *obj, nkvm_attr_fn fn, unsigned int ioctl,
		     unsigned long arg)
{
	struct kvm_device_attr attr;

	if (copy_from_user(&attr, (void __user *)arg, sizeof(attr)))
		return -EFAULT;
	/* No flags are defined; stock KVM ignores them, we refuse them. */
	if (attr.flags)
		return -EINVAL;
	return fn(obj, ioctl, &attr);
}

static int nkvm_device_attr(void *obj, unsigned int ioctl,
			    struct kvm_device_attr *attr)
{
	struct nkvm_device *dev = obj;
	const struct nkvm_device_ops *ops = dev->ops;

	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		return ops->set_attr ? ops->set_attr(dev, attr) : -EPERM;
	case KVM_GET_DEVICE_ATTR:
		return ops->get_attr ? ops->get_attr(dev, attr) : -EPERM;
	default:
		return ops->has_attr ? ops->has_attr(dev, attr) : -ENXIO;
	}
}

static long nkvm_device_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct nkvm_device *dev = file->private_data;
	int r;

	r = nkvm_check_owner(dev->vm);
	if (r)
		return r;

	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		return nkvm_attr_ioctl(dev, nkvm_device_attr, cmd, arg);
	}
	if (dev->ops->ioctl)
		return dev->ops->ioctl(dev, cmd, arg);
	return -ENOTTY;
}

static int nkvm_device_release(struct inode *inode, struct file *file)
{
	struct nkvm_device *dev = file->private_data;

	/* The device itself lives until the VM dies. */
	nkvm_vm_put(dev->vm);
	return 0;
}

static const struct file_operations nkvm_device_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= nkvm_device_ioctl,
	.release	= nkvm_device_release,
	.llseek		= noop_llseek,
};

static bool nkvm_vm_has_device(struct nkvm_vm *vm,
			       const struct nkvm_device_ops *ops)
{
	struct nkvm_device *dev;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(dev, &vm->devices, vm_node)
		if (dev->ops == ops)
			return true;
	return false;
}

static struct nkvm_device *nkvm_add_device(struct nkvm_vm *vm,
					   const struct nkvm_device_ops *ops)
{
	struct nkvm_device *dev;
	int r;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->ops = ops;
	dev->vm = vm;

	mutex_lock(&vm->lock);
	if (ops->single_instance && nkvm_vm_has_device(vm, ops))
		r = -EEXIST;
	else
		r = ops->create(dev);
	if (!r)
		list_add_tail(&dev->vm_node, &vm->devices);
	mutex_unlock(&vm->lock);

	if (r) {
		kfree(dev);
		return ERR_PTR(r);
	}
	return dev;
}

static void nkvm_remove_device(struct nkvm_device *dev)
{
	struct nkvm_vm *vm = dev->vm;

	mutex_lock(&vm->lock);
	list_del(&dev->vm_node);
	mutex_unlock(&vm->lock);
	dev->ops->destroy(dev);
	kfree(dev);
}

int nkvm_create_device(struct nkvm_vm *vm, void __user *argp)
{
	const struct nkvm_device_ops *ops;
	struct kvm_create_device cd;
	struct nkvm_device *dev;
	struct file *file;
	char name[32];
	int fd, r;

	if (copy_from_user(&cd, argp, sizeof(cd)))
		return -EFAULT;
	/* Devices define no flags (seed api.txt); stock ignores unknown ones. */
	if (cd.flags & ~KVM_CREATE_DEVICE_TEST)
		return -EINVAL;
	ops = nkvm_device_type(cd.type);
	if (!ops)
		return -ENODEV;
	if (cd.flags & KVM_CREATE_DEVICE_TEST)
		return 0;

	dev = nkvm_add_device(vm, ops);
	if (IS_ERR(dev))
		return PTR_ERR(dev);

	/* Reserve the fd and report it before the file becomes visible. */
	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_remove;
	}
	cd.fd = fd;
	if (copy_to_user(argp, &cd, sizeof(cd))) {
		r = -EFAULT;
		goto out_put_fd;
	}

	snprintf(name, sizeof(name), "kvm-%s", ops->name);
	nkvm_vm_get(vm);
	file = anon_inode_getfile(name, &nkvm_device_fops, dev, O_RDWR);
	if (IS_ERR(file)) {
		refcount_dec(&vm->users);	/* the caller still holds one */
		r = PTR_ERR(file);
		goto out_put_fd;
	}
	fd_install(fd, file);
	return 0;

out_put_fd:
	put_unused_fd(fd);
out_remove:
	nkvm_remove_device(dev);
	return r;
}

/* VM teardown: every fd is gone. */
void nkvm_destroy_devices(struct nkvm_vm *vm)
{
	struct nkvm_device *dev, *tmp;

	list_for_each_entry_safe(dev, tmp, &vm->devices, vm_node) {
		list_del(&dev->vm_node);
		dev->ops->destroy(dev);
		kfree(dev);
	}
}

#ifdef NKVM_KUNIT
#include "tests/device_kunit.c"
#endif
