/* SPDX-License-Identifier: GPL-2.0 */
/*
 * I/O adapters (registered through the FLIC), the GSI routing to them,
 * adapter interruptions (adapter.c) and irqfds on the routes (irqfd.c).
 */
#ifndef _NKVM_S390_ADAPTER_H
#define _NKVM_S390_ADAPTER_H

#include "s390.h"

#define S390_MAX_GSI		4096	/* KVM_CAP_IRQ_ROUTING */

struct s390_adapter {
	u32 id;				/* (c) */
	u8 isc;				/* (c) */
	bool maskable;			/* (c) */
	bool swap;			/* (c) indicator bits MSB first */
	bool suppressible;		/* (c) AIS may suppress it */
	bool masked;			/* [a] */
};

/* A KVM_IRQ_ROUTING_S390_ADAPTER route: guest and user addresses. */
struct s390_route {
	u32 gsi;
	u32 adapter_id;
	u64 ind_gpa, summary_gpa;
	unsigned long ind_hva, summary_hva;
	u64 ind_offset;
	u32 summary_offset;
};

/* The VM's routing table, replaced whole, read under RCU. */
struct s390_routing {
	struct rcu_head rcu;
	unsigned int nr;
	struct s390_route routes[];
};

void s390_adapters_init(struct nkvm_s390_vm *svm);
void s390_adapters_destroy(struct nkvm_s390_vm *svm);
int s390_adapter_register(struct nkvm_s390_vm *svm, void __user *uaddr);
int s390_adapter_modify(struct nkvm_s390_vm *svm, void __user *uaddr);
int s390_adapter_inject(struct nkvm_s390_vm *svm, u32 id);
int s390_ais_mode(struct nkvm_s390_vm *svm, void __user *uaddr);
int s390_ais_all(struct nkvm_s390_vm *svm, void __user *uaddr, bool set,
		 u64 len);

int s390_enable_irqchip(struct nkvm_s390_vm *svm);
void s390_enable_user_instr0(struct nkvm_s390_vm *svm);
int s390_set_empty_routing(struct nkvm_s390_vm *svm);
int s390_set_gsi_routing(struct nkvm_s390_vm *svm, void __user *argp);
/* Raise gsi (0 -> 1): <0 error, 0 coalesced, 1 injected. */
int s390_route_set(struct nkvm_s390_vm *svm, u32 gsi);

/* irqfd.c */
int s390_irqfd(struct nkvm_s390_vm *svm, const struct kvm_irqfd *args);
void s390_irqfds_destroy(struct nkvm_s390_vm *svm);

/* flic.c */
extern const struct nkvm_device_ops s390_flic_ops;

#endif /* _NKVM_S390_ADAPTER_H */
