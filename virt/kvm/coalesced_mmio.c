// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and PIO (KVM_REGISTER/UNREGISTER_COALESCED_MMIO): guest
 * writes inside a registered zone are appended to a ring instead of
 * exiting; userspace replays them at its next exit. The ring is one page
 * per VM, shown in every vCPU's mmap area at the page the arch names
 * (KVM_CAP_COALESCED_MMIO answers that page number). The kernel appends at
 * ring->last, userspace consumes from ring->first; one slot stays free so
 * that first == last means empty. When the ring is full, or userspace left
 * an index out of range, the write exits as usual. Reads are never
 * coalesced.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/iobus.h>
#include "core.h"

#define NKVM_COALESCED_MAX \
	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
	 sizeof(struct kvm_coalesced_mmio))

struct nkvm_coalesced_zone {
	struct nkvm_io_device dev;
	struct list_head node;		/* [s] vm->coalesced_zones */
	struct kvm_coalesced_mmio_zone zone;	/* (c) */
};

static struct nkvm_coalesced_zone *to_zone(struct nkvm_io_device *dev)
{
	return container_of(dev, struct nkvm_coalesced_zone, dev);
}

static int nkvm_coalesced_write(struct nkvm_io_device *dev,
				struct nkvm_vcpu *vcpu, u64 addr,
				unsigned int len, const void *val)
{
	struct nkvm_coalesced_zone *z = to_zone(dev);
	struct nkvm_vm *vm = vcpu->vm;
	struct kvm_coalesced_mmio_ring *ring = page_address(vm->coalesced_page);
	struct kvm_coalesced_mmio *e;
	u32 first, last;
	int r = -EOPNOTSUPP;

	/* A zone of size 0 is accepted, as stock, and never matches. */
	if (len > sizeof(e->data) || addr < z->zone.addr ||
	    addr - z->zone.addr >= z->zone.size ||
	    len > z->zone.size - (addr - z->zone.addr))
		return -EOPNOTSUPP;

	spin_lock(&vm->coalesced_lock);
	/* Both indexes live in a page userspace may write: check them. */
	first = READ_ONCE(ring->first);
	last = READ_ONCE(ring->last);
	if (first >= NKVM_COALESCED_MAX || last >= NKVM_COALESCED_MAX ||
	    (last + 1) % NKVM_COALESCED_MAX == first)
		goto out;
	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = z->zone.pio;
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, val, len);
	/* The entry is complete before userspace can see the new last. */
	smp_store_release(&ring->last, (last + 1) % NKVM_COALESCED_MAX);
	r = 0;
out:
	spin_unlock(&vm->coalesced_lock);
	return r;
}

static const struct nkvm_io_device_ops nkvm_coalesced_ops = {
	.write = nkvm_coalesced_write,
};

static enum nkvm_bus_id nkvm_zone_bus(const struct kvm_coalesced_mmio_zone *z)
{
	return z->pio ? NKVM_PIO_BUS : NKVM_MMIO_BUS;
}

static long nkvm_register_zone(struct nkvm_vm *vm,
			       const struct kvm_coalesced_mmio_zone *zone)
{
	struct nkvm_coalesced_zone *z;
	int r;

	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->dev.ops = &nkvm_coalesced_ops;
	z->zone = *zone;

	mutex_lock(&vm->slots_lock);
	r = nkvm_io_bus_register(vm, nkvm_zone_bus(zone), zone->addr,
				 zone->size, &z->dev);
	if (!r)
		list_add_tail(&z->node, &vm->coalesced_zones);
	mutex_unlock(&vm->slots_lock);
	if (r)
		kfree(z);
	return r;
}

/* Remove every zone of the same kind that contains the given range. */
static long nkvm_unregister_zones(struct nkvm_vm *vm,
				  const struct kvm_coalesced_mmio_zone *zone)
{
	struct nkvm_coalesced_zone *z, *tmp;
	int r = 0;

	mutex_lock(&vm->slots_lock);
	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, node) {
		if (z->zone.pio != zone->pio || zone->addr < z->zone.addr ||
		    zone->addr - z->zone.addr > z->zone.size ||
		    zone->size > z->zone.size - (zone->addr - z->zone.addr))
			continue;
		r = nkvm_io_bus_unregister(vm, nkvm_zone_bus(zone), &z->dev);
		if (r)
			break;
		list_del(&z->node);
		kfree(z);
	}
	mutex_unlock(&vm->slots_lock);
	return r;
}

long nkvm_vm_coalesced_mmio(struct nkvm_vm *vm, unsigned int ioctl,
			    unsigned long arg)
{
	struct kvm_coalesced_mmio_zone zone;

	if (!vm->coalesced_page)
		return -ENOTTY;
	if (copy_from_user(&zone, (void __user *)arg, sizeof(zone)))
		return -EFAULT;
	if (zone.pio > 1 || zone.addr + zone.size < zone.addr)
		return -EINVAL;
	if (ioctl == KVM_REGISTER_COALESCED_MMIO)
		return nkvm_register_zone(vm, &zone);
	return nkvm_unregister_zones(vm, &zone);
}

int nkvm_coalesced_init(struct nkvm_vm *vm)
{
	spin_lock_init(&vm->coalesced_lock);
	INIT_LIST_HEAD(&vm->coalesced_zones);
	if (!NKVM_ARCH->coalesced_mmio_page)
		return 0;
	vm->coalesced_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	return vm->coalesced_page ? 0 : -ENOMEM;
}

/* VM teardown: no vCPU runs; the buses are freed after this. */
void nkvm_coalesced_free(struct nkvm_vm *vm)
{
	struct nkvm_coalesced_zone *z, *tmp;

	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, node) {
		list_del(&z->node);
		kfree(z);
	}
	if (vm->coalesced_page)
		put_page(vm->coalesced_page);
	vm->coalesced_page = NULL;
}
