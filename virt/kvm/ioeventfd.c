// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: a guest write to a port or an MMIO address signals an
 * eventfd in the kernel instead of exiting to userspace. An ioeventfd
 * matches a write of exactly its length at exactly its address (length 0:
 * any length), and with KVM_IOEVENTFD_FLAG_DATAMATCH only when the value
 * written equals datamatch. Writes nobody takes exit as usual.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/compat.h>
#include <nkvm/iobus.h>
#include "core.h"

#define NKVM_IOEVENTFD_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | \
				 KVM_IOEVENTFD_FLAG_PIO | \
				 KVM_IOEVENTFD_FLAG_DEASSIGN)

struct nkvm_ioeventfd {
	struct nkvm_io_device dev;
	struct list_head node;		/* [s] vm->ioeventfds */
	struct eventfd_ctx *ctx;	/* (c) */
	enum nkvm_bus_id bus;		/* (c) */
	u64 addr;			/* (c) */
	unsigned int len;		/* (c) 0: any length */
	bool wildcard;			/* (c) no datamatch */
	u64 datamatch;			/* (c) */
};

static struct nkvm_ioeventfd *to_ioeventfd(struct nkvm_io_device *dev)
{
	return container_of(dev, struct nkvm_ioeventfd, dev);
}

/* The value of a little-endian access of len bytes. */
static u64 nkvm_io_value(const void *val, unsigned int len)
{
	switch (len) {
	case 1:
		return *(const u8 *)val;
	case 2:
		return get_unaligned_le16(val);
	case 4:
		return get_unaligned_le32(val);
	case 8:
		return get_unaligned_le64(val);
	}
	return 0;
}

static int nkvm_ioeventfd_write(struct nkvm_io_device *dev,
				struct nkvm_vcpu *vcpu, u64 addr,
				unsigned int len, const void *val)
{
	struct nkvm_ioeventfd *p = to_ioeventfd(dev);

	if (addr != p->addr || (p->len && len != p->len))
		return -EOPNOTSUPP;
	if (!p->wildcard && nkvm_io_value(val, len) != p->datamatch)
		return -EOPNOTSUPP;
	nkvm_eventfd_signal(p->ctx);
	return 0;
}

static const struct nkvm_io_device_ops nkvm_ioeventfd_ops = {
	.write = nkvm_ioeventfd_write,
};

static bool nkvm_ioeventfd_collides(struct nkvm_vm *vm,
				    const struct nkvm_ioeventfd *n)
{
	struct nkvm_ioeventfd *p;

	list_for_each_entry(p, &vm->ioeventfds, node)
		if (p->bus == n->bus && p->addr == n->addr &&
		    (!p->len || !n->len || p->len == n->len) &&
		    (p->wildcard || n->wildcard ||
		     p->datamatch == n->datamatch))
			return true;
	return false;
}

static void nkvm_ioeventfd_free(struct nkvm_ioeventfd *p)
{
	eventfd_ctx_put(p->ctx);
	kfree(p);
}

static int nkvm_assign_ioeventfd(struct nkvm_vm *vm,
				 const struct kvm_ioeventfd *args,
				 enum nkvm_bus_id bus)
{
	struct nkvm_ioeventfd *p;
	int r;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p->ctx)) {
		r = PTR_ERR(p->ctx);
		kfree(p);
		return r;
	}
	p->dev.ops = &nkvm_ioeventfd_ops;
	p->bus = bus;
	p->addr = args->addr;
	p->len = args->len;
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	p->datamatch = p->wildcard ? 0 : args->datamatch;

	mutex_lock(&vm->slots_lock);
	if (nkvm_ioeventfd_collides(vm, p))
		r = -EEXIST;
	else
		r = nkvm_io_bus_register(vm, bus, p->addr, p->len, &p->dev);
	if (!r)
		list_add_tail(&p->node, &vm->ioeventfds);
	mutex_unlock(&vm->slots_lock);
	if (r)
		nkvm_ioeventfd_free(p);
	return r;
}

static int nkvm_deassign_ioeventfd(struct nkvm_vm *vm,
				   const struct kvm_ioeventfd *args,
				   enum nkvm_bus_id bus)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct nkvm_ioeventfd *p, *found = NULL;
	struct eventfd_ctx *ctx;
	int r = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->slots_lock);
	list_for_each_entry(p, &vm->ioeventfds, node) {
		if (p->ctx != ctx || p->bus != bus || p->addr != args->addr ||
		    p->len != args->len || p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != args->datamatch))
			continue;
		found = p;
		break;
	}
	if (found) {
		r = nkvm_io_bus_unregister(vm, bus, &found->dev);
		if (!r)
			list_del(&found->node);
	}
	mutex_unlock(&vm->slots_lock);
	if (found && !r)
		nkvm_ioeventfd_free(found);
	eventfd_ctx_put(ctx);
	return r;
}

long nkvm_vm_ioeventfd(struct nkvm_vm *vm, unsigned long arg)
{
	struct kvm_ioeventfd args;
	enum nkvm_bus_id bus;

	if (copy_from_user(&args, (void __user *)arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~NKVM_IOEVENTFD_FLAGS)
		return -EINVAL;
	switch (args.len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args.addr + args.len < args.addr)
		return -EINVAL;
	/* A value can only be matched against a write of known length. */
	if (!args.len && (args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	bus = (args.flags & KVM_IOEVENTFD_FLAG_PIO) ? NKVM_PIO_BUS :
						      NKVM_MMIO_BUS;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return nkvm_deassign_ioeventfd(vm, &args, bus);
	return nkvm_assign_ioeventfd(vm, &args, bus);
}

/* VM teardown: no vCPU runs; the buses are freed after this. */
void nkvm_ioeventfds_free(struct nkvm_vm *vm)
{
	struct nkvm_ioeventfd *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vm->ioeventfds, node) {
		list_del(&p->node);
		nkvm_ioeventfd_free(p);
	}
}
