/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of the generic core. */
#ifndef _NKVM_CORE_H
#define _NKVM_CORE_H

#include <nkvm/nkvm.h>
#include <nkvm/arch_ops.h>

#define NKVM_ARCH (&nkvm_arch_ops)

/* caps.c */
long nkvm_check_extension(struct nkvm_vm *vm, long cap);

/* vm.c */
int nkvm_create_vm(unsigned long type);
void nkvm_vm_get(struct nkvm_vm *vm);
void nkvm_vm_put(struct nkvm_vm *vm);
int nkvm_check_owner(struct nkvm_vm *vm);

/* vcpu.c */
int nkvm_create_vcpu(struct nkvm_vm *vm, unsigned long id);
void nkvm_destroy_vcpus(struct nkvm_vm *vm);
unsigned long nkvm_vcpu_mmap_size(void);

/* kick.c */
void nkvm_vcpu_kick_init(struct nkvm_vcpu *vcpu);

/* run.c */
long nkvm_vcpu_run(struct nkvm_vcpu *vcpu, unsigned long arg);
long nkvm_vcpu_set_signal_mask(struct nkvm_vcpu *vcpu, void __user *argp);

/* memslot.c */
int nkvm_memslots_init(struct nkvm_vm *vm);
struct nkvm_memslot *nkvm_slot_by_id(struct nkvm_memslots *s, u16 id);
void nkvm_memslots_free(struct nkvm_vm *vm);
int nkvm_set_memory_region(struct nkvm_vm *vm,
			   const struct kvm_userspace_memory_region *mem);

/* mmu.c */
int nkvm_mmu_init(struct nkvm_vm *vm);
void nkvm_mmu_destroy(struct nkvm_vm *vm);
void nkvm_mmu_unlock_flush(struct nkvm_vm *vm, bool flush)
	__releases(&vm->mmu_lock);
void nkvm_mmu_unmap_gfns(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end);
void nkvm_mmu_write_protect_gfns(struct nkvm_vm *vm, nkvm_gfn_t start,
				 nkvm_gfn_t end);

/* dirty_log.c */
long nkvm_vm_get_dirty_log(struct nkvm_vm *vm, unsigned long arg);
long nkvm_vm_clear_dirty_log(struct nkvm_vm *vm, unsigned long arg);
int nkvm_enable_manual_dirty_log(struct nkvm_vm *vm, u64 flags);

/* Slots that start logging have every bit set (INITIALLY_SET). */
static inline bool nkvm_dirty_log_initially_set(struct nkvm_vm *vm)
{
	return READ_ONCE(vm->manual_dirty_log) ==
	       (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
}

/* iobus.c, ioeventfd.c, coalesced_mmio.c */
void nkvm_io_buses_free(struct nkvm_vm *vm);
long nkvm_vm_ioeventfd(struct nkvm_vm *vm, unsigned long arg);
void nkvm_ioeventfds_free(struct nkvm_vm *vm);
int nkvm_coalesced_init(struct nkvm_vm *vm);
void nkvm_coalesced_free(struct nkvm_vm *vm);
long nkvm_vm_coalesced_mmio(struct nkvm_vm *vm, unsigned int ioctl,
			    unsigned long arg);

/* device.c */
typedef int (*nkvm_attr_fn)(void *obj, unsigned int ioctl,
			    struct kvm_device_attr *attr);
long nkvm_attr_ioctl(void *obj, nkvm_attr_fn fn, unsigned int ioctl,
		     unsigned long arg);
int nkvm_create_device(struct nkvm_vm *vm, void __user *argp);
void nkvm_destroy_devices(struct nkvm_vm *vm);
int nkvm_devices_init(void);
void nkvm_devices_exit(void);

#endif /* _NKVM_CORE_H */
