// SPDX-License-Identifier: GPL-2.0
/*
 * The VM object and its fd. A VM lives while anything references it: its
 * own fd, every vCPU fd and every device fd hold one reference each.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/device.h>
#include "core.h"

void nkvm_vm_get(struct nkvm_vm *vm)
{
	refcount_inc(&vm->users);
}

static void nkvm_vm_destroy(struct nkvm_vm *vm)
{
	struct mm_struct *mm = vm->mm;

	nkvm_destroy_devices(vm);
	nkvm_destroy_vcpus(vm);
	/* No notifier may reach the arch's tables once they are gone. */
	nkvm_mmu_destroy(vm);
	if (NKVM_ARCH->vm_destroy)
		NKVM_ARCH->vm_destroy(vm);
	nkvm_ioeventfds_free(vm);
	nkvm_coalesced_free(vm);
	nkvm_io_buses_free(vm);
	nkvm_memslots_free(vm);
	cleanup_srcu_struct(&vm->srcu);
	xa_destroy(&vm->vcpus);
	kvfree(vm);
	mmdrop(mm);
}

void nkvm_vm_put(struct nkvm_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		nkvm_vm_destroy(vm);
}

/* VM, vCPU and device fds only work in the address space that made the VM. */
int nkvm_check_owner(struct nkvm_vm *vm)
{
	return vm->mm == current->mm ? 0 : -EIO;
}

static long nkvm_vm_create_vcpu(struct nkvm_vm *vm, unsigned long arg)
{
	return nkvm_create_vcpu(vm, arg);
}

static long nkvm_vm_set_memory_region(struct nkvm_vm *vm, unsigned long arg)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, (void __user *)arg, sizeof(mem)))
		return -EFAULT;
	return nkvm_set_memory_region(vm, &mem);
}

static long nkvm_vm_check_extension(struct nkvm_vm *vm, unsigned long arg)
{
	return nkvm_check_extension(vm, arg);
}

static long nkvm_vm_enable_cap(struct nkvm_vm *vm, unsigned long arg)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, (void __user *)arg, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	/* The generic ones first, then the arch's. */
	if (cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return nkvm_enable_manual_dirty_log(vm, cap.args[0]);
	if (!NKVM_ARCH->vm_enable_cap)
		return -EINVAL;
	return NKVM_ARCH->vm_enable_cap(vm, &cap);
}

static long nkvm_vm_register_coalesced(struct nkvm_vm *vm, unsigned long arg)
{
	return nkvm_vm_coalesced_mmio(vm, KVM_REGISTER_COALESCED_MMIO, arg);
}

static long nkvm_vm_unregister_coalesced(struct nkvm_vm *vm,
					 unsigned long arg)
{
	return nkvm_vm_coalesced_mmio(vm, KVM_UNREGISTER_COALESCED_MMIO, arg);
}

static long nkvm_vm_create_device(struct nkvm_vm *vm, unsigned long arg)
{
	return nkvm_create_device(vm, (void __user *)arg);
}

static int nkvm_vm_attr(void *vm, unsigned int ioctl,
			struct kvm_device_attr *attr)
{
	return NKVM_ARCH->vm_attr(vm, ioctl, attr);
}

static long nkvm_vm_get_stats_fd(struct nkvm_vm *vm, unsigned long arg)
{
	return nkvm_vm_stats_fd(vm);
}

static const struct {
	unsigned int cmd;
	long (*fn)(struct nkvm_vm *vm, unsigned long arg);
} nkvm_vm_ioctls[] = {
	{ KVM_CREATE_VCPU,		nkvm_vm_create_vcpu },
	{ KVM_SET_USER_MEMORY_REGION,	nkvm_vm_set_memory_region },
	{ KVM_CHECK_EXTENSION,		nkvm_vm_check_extension },
	{ KVM_ENABLE_CAP,		nkvm_vm_enable_cap },
	{ KVM_CREATE_DEVICE,		nkvm_vm_create_device },
	{ KVM_GET_DIRTY_LOG,		nkvm_vm_get_dirty_log },
	{ KVM_CLEAR_DIRTY_LOG,		nkvm_vm_clear_dirty_log },
	{ KVM_IOEVENTFD,		nkvm_vm_ioeventfd },
	{ KVM_REGISTER_COALESCED_MMIO,	nkvm_vm_register_coalesced },
	{ KVM_UNREGISTER_COALESCED_MMIO, nkvm_vm_unregister_coalesced },
	{ KVM_GET_STATS_FD,		nkvm_vm_get_stats_fd },
};

static long nkvm_vm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct nkvm_vm *vm = file->private_data;
	unsigned int i;
	int r;

	r = nkvm_check_owner(vm);
	if (r)
		return r;

	for (i = 0; i < ARRAY_SIZE(nkvm_vm_ioctls); i++)
		if (nkvm_vm_ioctls[i].cmd == cmd)
			return nkvm_vm_ioctls[i].fn(vm, arg);

	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		if (!NKVM_ARCH->vm_attr)
			return -ENOTTY;
		return nkvm_attr_ioctl(vm, nkvm_vm_attr, cmd, arg);
	}

	if (NKVM_ARCH->vm_ioctl)
		return NKVM_ARCH->vm_ioctl(vm, cmd, arg);
	return -ENOTTY;
}

static int nkvm_vm_release(struct inode *inode, struct file *file)
{
	nkvm_vm_put(file->private_data);
	return 0;
}

static const struct file_operations nkvm_vm_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= nkvm_vm_ioctl,
	.release	= nkvm_vm_release,
	.llseek		= noop_llseek,
};

static struct nkvm_vm *nkvm_alloc_vm(unsigned long type)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	struct nkvm_vm *vm;
	int r;

	vm = kvzalloc(ops->vm_size, GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	refcount_set(&vm->users, 1);
	vm->type = type;
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	INIT_LIST_HEAD(&vm->devices);
	INIT_LIST_HEAD(&vm->ioeventfds);
	xa_init(&vm->vcpus);
	vm->max_vcpu_ids = ops->max_vcpu_ids;

	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto out_free;
	r = nkvm_coalesced_init(vm);
	if (r)
		goto out_srcu;
	r = nkvm_memslots_init(vm);
	if (r)
		goto out_srcu;
	r = ops->vm_init(vm, type);
	if (r)
		goto out_slots;
	vm->mm = current->mm;
	mmgrab(vm->mm);
	r = nkvm_mmu_init(vm);
	if (r)
		goto out_arch;
	return vm;

out_arch:
	mmdrop(vm->mm);
	if (ops->vm_destroy)
		ops->vm_destroy(vm);
out_slots:
	nkvm_memslots_free(vm);
out_srcu:
	nkvm_coalesced_free(vm);
	cleanup_srcu_struct(&vm->srcu);
out_free:
	kvfree(vm);
	return ERR_PTR(r);
}

int nkvm_create_vm(unsigned long type)
{
	struct nkvm_vm *vm;
	int fd;

	vm = nkvm_alloc_vm(type);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	fd = anon_inode_getfd("kvm-vm", &nkvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		nkvm_vm_put(vm);
	return fd;
}
