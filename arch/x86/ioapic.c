// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC. Placeholder: no state, no interrupts.
 */
#include "irqchip.h"

int nkvm_x86_ioapic_create(struct nkvm_x86_vm *xvm)
{
	return 0;
}

void nkvm_x86_ioapic_destroy(struct nkvm_x86_vm *xvm)
{
}

int nkvm_x86_ioapic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin,
			    int level)
{
	return -1;
}

void nkvm_x86_ioapic_eoi(struct nkvm_x86_vm *xvm, u8 vector)
{
}
