// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_DEV_TYPE_VFIO pseudo device: userspace tells the VM which VFIO
 * groups it uses. We keep a reference to each group file. We do not hand
 * our VM to VFIO (vfio_file_set_kvm() expects the host kernel's own
 * struct kvm), so VFIO drivers that need the KVM pointer are unsupported.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include <nkvm/compat.h>
#include <nkvm/device.h>

struct nkvm_vfio_group {
	struct list_head node;
	struct file *file;		/* reference held */
};

struct nkvm_vfio {
	struct mutex lock;		/* protects groups */
	struct list_head groups;
};

/* VFIO may not be loaded: look its helper up at run time. */
static bool nkvm_vfio_file_is_group(struct file *file)
{
	bool (*is_group)(struct file *file);
	bool ret;

	is_group = symbol_get(vfio_file_is_group);
	if (!is_group)
		return false;
	ret = is_group(file);
	symbol_put(vfio_file_is_group);
	return ret;
}

static int nkvm_vfio_group_add(struct nkvm_vfio *kv, int fd)
{
	struct nkvm_vfio_group *g;
	struct file *file;
	int r = 0;

	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!nkvm_vfio_file_is_group(file)) {
		r = -EINVAL;
		goto out_fput;
	}

	mutex_lock(&kv->lock);
	list_for_each_entry(g, &kv->groups, node) {
		if (g->file == file) {
			r = -EEXIST;
			goto out_unlock;
		}
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g) {
		r = -ENOMEM;
		goto out_unlock;
	}
	g->file = file;
	list_add_tail(&g->node, &kv->groups);
	mutex_unlock(&kv->lock);
	return 0;

out_unlock:
	mutex_unlock(&kv->lock);
out_fput:
	fput(file);
	return r;
}

static int nkvm_vfio_group_del(struct nkvm_vfio *kv, int fd)
{
	struct nkvm_vfio_group *g;
	struct fd f;
	int r = -ENOENT;

	f = fdget(fd);
	if (!nkvm_fd_file(f))
		return -EBADF;

	mutex_lock(&kv->lock);
	list_for_each_entry(g, &kv->groups, node) {
		if (g->file != nkvm_fd_file(f))
			continue;
		list_del(&g->node);
		fput(g->file);
		kfree(g);
		r = 0;
		break;
	}
	mutex_unlock(&kv->lock);
	fdput(f);
	return r;
}

static int nkvm_vfio_set_attr(struct nkvm_device *dev,
			      struct kvm_device_attr *attr)
{
	s32 __user *argp = u64_to_user_ptr(attr->addr);
	s32 fd;

	if (attr->group != KVM_DEV_VFIO_GROUP)
		return -ENXIO;
	if (attr->attr != KVM_DEV_VFIO_GROUP_ADD &&
	    attr->attr != KVM_DEV_VFIO_GROUP_DEL)
		return -ENXIO;
	if (get_user(fd, argp))
		return -EFAULT;
	if (attr->attr == KVM_DEV_VFIO_GROUP_ADD)
		return nkvm_vfio_group_add(dev->private, fd);
	return nkvm_vfio_group_del(dev->private, fd);
}

static int nkvm_vfio_has_attr(struct nkvm_device *dev,
			      struct kvm_device_attr *attr)
{
	if (attr->group == KVM_DEV_VFIO_GROUP &&
	    (attr->attr == KVM_DEV_VFIO_GROUP_ADD ||
	     attr->attr == KVM_DEV_VFIO_GROUP_DEL))
		return 0;
	return -ENXIO;
}

static int nkvm_vfio_create(struct nkvm_device *dev)
{
	struct nkvm_vfio *kv;

	kv = kzalloc(sizeof(*kv), GFP_KERNEL_ACCOUNT);
	if (!kv)
		return -ENOMEM;
	mutex_init(&kv->lock);
	INIT_LIST_HEAD(&kv->groups);
	dev->private = kv;
	return 0;
}

static void nkvm_vfio_destroy(struct nkvm_device *dev)
{
	struct nkvm_vfio *kv = dev->private;
	struct nkvm_vfio_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, &kv->groups, node) {
		list_del(&g->node);
		fput(g->file);
		kfree(g);
	}
	kfree(kv);
}

const struct nkvm_device_ops nkvm_vfio_device_ops = {
	.name			= "vfio",
	.type			= KVM_DEV_TYPE_VFIO,
	.single_instance	= true,
	.create			= nkvm_vfio_create,
	.destroy		= nkvm_vfio_destroy,
	.set_attr		= nkvm_vfio_set_attr,
	.has_attr		= nkvm_vfio_has_attr,
};
