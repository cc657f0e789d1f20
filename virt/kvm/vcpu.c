// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects, their fds and the shared kvm_run area. A vCPU lives until
 * its VM dies; its fd (and any mapping of it) holds a VM reference.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <nkvm/compat.h>

#include "core.h"

unsigned long nkvm_vcpu_mmap_size(void)
{
	return NKVM_ARCH->vcpu_mmap_pages * PAGE_SIZE;
}

static vm_fault_t nkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct nkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff >= vcpu->nr_mmap_pages)
		return VM_FAULT_SIGBUS;

	page = vcpu->mmap_pages[vmf->pgoff];
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct nkvm_vcpu_vm_ops = {
	.fault = nkvm_vcpu_fault,
};

/* Unlike stock KVM, a mapping that reaches past the area is refused here. */
static int nkvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nkvm_vcpu *vcpu = file->private_data;
	unsigned long pages = vma_pages(vma);

	if (vma->vm_pgoff >= vcpu->nr_mmap_pages ||
	    pages > vcpu->nr_mmap_pages - vma->vm_pgoff)
		return -EINVAL;

	nkvm_vma_set_flags(vma, VM_DONTEXPAND);
	vma->vm_ops = &nkvm_vcpu_vm_ops;
	return 0;
}

static int nkvm_vcpu_attr(void *vcpu, unsigned int ioctl,
			  struct kvm_device_attr *attr)
{
	return NKVM_ARCH->vcpu_attr(vcpu, ioctl, attr);
}

static long nkvm_vcpu_ioctl_locked(struct nkvm_vcpu *vcpu, unsigned int cmd,
				   unsigned long arg)
{
	switch (cmd) {
	case KVM_RUN:
		return nkvm_vcpu_run(vcpu, arg);
	case KVM_SET_SIGNAL_MASK:
		return nkvm_vcpu_set_signal_mask(vcpu, (void __user *)arg);
	case KVM_GET_STATS_FD:
		return nkvm_vcpu_stats_fd(vcpu);
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		if (!NKVM_ARCH->vcpu_attr)
			return -ENOTTY;
		return nkvm_attr_ioctl(vcpu, nkvm_vcpu_attr, cmd, arg);
	}

	if (NKVM_ARCH->vcpu_ioctl)
		return NKVM_ARCH->vcpu_ioctl(vcpu, cmd, arg);
	return -ENOTTY;
}

static long nkvm_vcpu_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct nkvm_vcpu *vcpu = file->private_data;
	long r;

	r = nkvm_check_owner(vcpu->vm);
	if (r)
		return r;

	if (NKVM_ARCH->vcpu_async_ioctl) {
		r = NKVM_ARCH->vcpu_async_ioctl(vcpu, cmd, arg);
		if (r != -ENOIOCTLCMD)
			return r;
	}

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = nkvm_vcpu_ioctl_locked(vcpu, cmd, arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static int nkvm_vcpu_release(struct inode *inode, struct file *file)
{
	struct nkvm_vcpu *vcpu = file->private_data;

	nkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations nkvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= nkvm_vcpu_ioctl,
	.mmap		= nkvm_vcpu_mmap,
	.release	= nkvm_vcpu_release,
	.llseek		= noop_llseek,
};

static void nkvm_free_vcpu(struct nkvm_vcpu *vcpu)
{
	unsigned int i;

	nkvm_vcpu_kick_sync(vcpu);
	for (i = 0; i < vcpu->nr_mmap_pages; i++)
		if (vcpu->mmap_pages[i])
			put_page(vcpu->mmap_pages[i]);
	kfree(vcpu->mmap_pages);
	kfree(vcpu);
}

static struct nkvm_vcpu *nkvm_alloc_vcpu(struct nkvm_vm *vm, u32 id)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	struct nkvm_vcpu *vcpu;
	unsigned int i;
	int r = -ENOMEM;

	vcpu = kzalloc(ops->vcpu_size, GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return ERR_PTR(-ENOMEM);

	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	mutex_init(&vcpu->mutex);
	nkvm_vcpu_kick_init(vcpu);

	vcpu->mmap_pages = kcalloc(ops->vcpu_mmap_pages,
				   sizeof(*vcpu->mmap_pages),
				   GFP_KERNEL_ACCOUNT);
	if (!vcpu->mmap_pages)
		goto out_free;
	vcpu->nr_mmap_pages = ops->vcpu_mmap_pages;
	for (i = 0; i < vcpu->nr_mmap_pages; i++) {
		/* The VM's coalesced-MMIO ring; this vCPU holds a reference. */
		if (i && i == ops->coalesced_mmio_page) {
			vcpu->mmap_pages[i] = vm->coalesced_page;
			get_page(vm->coalesced_page);
			continue;
		}
		vcpu->mmap_pages[i] = alloc_page(GFP_KERNEL_ACCOUNT |
						 __GFP_ZERO);
		if (!vcpu->mmap_pages[i])
			goto out_free;
	}
	vcpu->run = page_address(vcpu->mmap_pages[0]);

	if (ops->vcpu_create) {
		r = ops->vcpu_create(vcpu);
		if (r)
			goto out_free;
	}
	return vcpu;

out_free:
	nkvm_free_vcpu(vcpu);
	return ERR_PTR(r);
}

static void nkvm_destroy_vcpu(struct nkvm_vcpu *vcpu)
{
	if (NKVM_ARCH->vcpu_destroy)
		NKVM_ARCH->vcpu_destroy(vcpu);
	nkvm_free_vcpu(vcpu);
}

static bool nkvm_vcpu_id_taken(struct nkvm_vm *vm, u32 id)
{
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	lockdep_assert_held(&vm->lock);
	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return true;
	return false;
}

/* Reserve a place for one more vCPU, or say why there is none. */
static int nkvm_reserve_vcpu(struct nkvm_vm *vm, unsigned long id)
{
	int r = 0;

	mutex_lock(&vm->lock);
	if (id >= vm->max_vcpu_ids ||
	    vm->created_vcpus >= NKVM_ARCH->max_vcpus)
		r = -EINVAL;
	else
		vm->created_vcpus++;
	mutex_unlock(&vm->lock);
	return r;
}

static void nkvm_unreserve_vcpu(struct nkvm_vm *vm)
{
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
}

int nkvm_create_vcpu(struct nkvm_vm *vm, unsigned long id)
{
	struct nkvm_vcpu *vcpu;
	char name[24];
	int r, fd;

	r = nkvm_reserve_vcpu(vm, id);
	if (r)
		return r;

	vcpu = nkvm_alloc_vcpu(vm, id);
	if (IS_ERR(vcpu)) {
		nkvm_unreserve_vcpu(vm);
		return PTR_ERR(vcpu);
	}

	mutex_lock(&vm->lock);
	if (nkvm_vcpu_id_taken(vm, id)) {
		r = -EEXIST;
		goto out_unlock;
	}

	vcpu->vcpu_idx = atomic_read(&vm->online_vcpus);
	r = xa_insert(&vm->vcpus, vcpu->vcpu_idx, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_unlock;

	/* The fd's reference; the caller's VM fd keeps users above zero. */
	nkvm_vm_get(vm);
	snprintf(name, sizeof(name), "kvm-vcpu:%u", vcpu->vcpu_id);
	fd = anon_inode_getfd(name, &nkvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		xa_erase(&vm->vcpus, vcpu->vcpu_idx);
		refcount_dec(&vm->users);
		goto out_unlock;
	}

	/* Publish only a fully set-up vCPU to lockless readers. */
	smp_wmb();
	atomic_inc(&vm->online_vcpus);
	mutex_unlock(&vm->lock);
	return fd;

out_unlock:
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	nkvm_destroy_vcpu(vcpu);
	return r;
}

/* VM teardown: no fd references the VM any more. */
void nkvm_destroy_vcpus(struct nkvm_vm *vm)
{
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		xa_erase(&vm->vcpus, i);
		nkvm_destroy_vcpu(vcpu);
	}
	atomic_set(&vm->online_vcpus, 0);
	vm->created_vcpus = 0;
}
