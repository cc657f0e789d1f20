/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NKVM_X86_SREGS_H
#define _NKVM_X86_SREGS_H

#include <linux/kvm.h>

bool nkvm_x86_sregs_valid(const struct kvm_sregs *sregs);

#endif /* _NKVM_X86_SREGS_H */
