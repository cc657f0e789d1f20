// SPDX-License-Identifier: GPL-2.0
/*
 * The two cascaded 8259 PICs. Placeholder: no state, no interrupts.
 */
#include "irqchip.h"

int nkvm_x86_pic_create(struct nkvm_x86_vm *xvm)
{
	return 0;
}

void nkvm_x86_pic_destroy(struct nkvm_x86_vm *xvm)
{
}

int nkvm_x86_pic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin, int level)
{
	return -1;
}

bool nkvm_x86_pic_has_interrupt(struct nkvm_x86_vm *xvm)
{
	return false;
}

int nkvm_x86_pic_ack(struct nkvm_x86_vm *xvm)
{
	return 0x0f;
}
