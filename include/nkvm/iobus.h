/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel I/O buses: guest port I/O and MMIO that a device in the kernel
 * (an ioeventfd, a coalesced-MMIO zone, later the emulated interrupt
 * controllers and timers) handles without an exit to userspace. The arch
 * offers every PIO or MMIO access to the bus before it exits.
 *
 * A bus is an immutable array of ranges, copied on update under
 * vm->slots_lock and read under vm->srcu, like the memslots. An access is
 * offered to each range that covers it, in address order, until a device
 * takes it; a range of length 0 covers every access starting at its
 * address. At most NKVM_IO_BUS_MAX ranges per bus.
 */
#ifndef _NKVM_IOBUS_H
#define _NKVM_IOBUS_H

#include <nkvm/nkvm.h>

#define NKVM_IO_BUS_MAX		1000

struct nkvm_io_device;

struct nkvm_io_device_ops {
	/*
	 * 0 when the device handled the access, -EOPNOTSUPP to pass it on
	 * (it is not this device's: another datamatch, a full ring...).
	 * Called under vm->srcu from the vCPU thread; may not sleep long.
	 */
	int (*read)(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
		    u64 addr, unsigned int len, void *val);
	int (*write)(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
		     u64 addr, unsigned int len, const void *val);
};

struct nkvm_io_device {
	const struct nkvm_io_device_ops *ops;
};

struct nkvm_io_range {
	u64 addr;
	u64 len;			/* 0: any access at addr */
	struct nkvm_io_device *dev;
};

struct nkvm_io_bus {
	unsigned int nr;
	struct nkvm_io_range range[];	/* sorted by addr */
};

/* Under vm->slots_lock. -ENOSPC when the bus is full. */
int nkvm_io_bus_register(struct nkvm_vm *vm, enum nkvm_bus_id bus, u64 addr,
			 u64 len, struct nkvm_io_device *dev);
/*
 * Under vm->slots_lock. Removes every range of dev; when this returns no
 * vCPU is in a callback of dev any more (an SRCU grace period passed).
 */
int nkvm_io_bus_unregister(struct nkvm_vm *vm, enum nkvm_bus_id bus,
			   struct nkvm_io_device *dev);

/* 0 when a device handled the access, -EOPNOTSUPP when none did. */
int nkvm_io_bus_write(struct nkvm_vcpu *vcpu, enum nkvm_bus_id bus, u64 addr,
		      unsigned int len, const void *val);
int nkvm_io_bus_read(struct nkvm_vcpu *vcpu, enum nkvm_bus_id bus, u64 addr,
		     unsigned int len, void *val);

#endif /* _NKVM_IOBUS_H */
