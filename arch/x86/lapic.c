// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC. Placeholder: no state, nothing delivered.
 */
#include "irqchip.h"

int nkvm_x86_lapic_deliver(struct nkvm_vm *vm, struct nkvm_x86_vcpu *src,
			   const struct nkvm_x86_irq *irq)
{
	return -1;
}

int nkvm_x86_lapic_create(struct nkvm_x86_vcpu *xv)
{
	return 0;
}

void nkvm_x86_lapic_destroy(struct nkvm_x86_vcpu *xv)
{
}

/* Temporary stub for the PIC (wip-pic): the lapic branch implements it. */
void nkvm_x86_lapic_kick_extint(struct nkvm_x86_vm *xvm)
{
}
