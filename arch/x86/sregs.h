/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NKVM_X86_SREGS_H
#define _NKVM_X86_SREGS_H

#include <linux/kvm.h>

bool nkvm_x86_sregs_valid(const struct kvm_sregs *sregs, u64 cr4_rsvd);
bool nkvm_x86_efer_valid(u64 efer);
/*
 * May a guest instruction in the state sregs write val to CRn (0 or 4)?
 * false: the CPU would raise #GP(0). cr4_rsvd as for nkvm_x86_sregs_valid().
 */
bool nkvm_x86_cr_write_valid(const struct kvm_sregs *sregs, unsigned int cr,
			     u64 val, u64 cr4_rsvd);
bool nkvm_x86_apic_base_valid(u64 base);

#endif /* _NKVM_X86_SREGS_H */
