/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 guests for the arm64 tests: a VM with RAM at A64_RAM_GPA, vCPU
 * initialisation with the preferred target, ONE_REG helpers, and guest
 * code written as asm blobs in the test binary and copied into guest RAM.
 * Guest code runs at EL1 with its MMU off, so it must be position
 * independent. Helpers bail out (tap_bail) when the set-up itself fails.
 */
#ifndef NKVM_SELFTEST_A64_H
#define NKVM_SELFTEST_A64_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "guest.h"

#define A64_RAM_GPA	0x40000000ULL
#define A64_MMIO_GPA	0x10000000ULL	/* nothing mapped there */

#define A64_CORE(name)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
			 KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))
#define A64_X(n)	A64_CORE(regs.regs[n])
#define A64_PC		A64_CORE(regs.pc)
#define A64_PSTATE	A64_CORE(regs.pstate)
#define A64_SP_EL1	A64_CORE(sp_el1)
/* A system register by its encoding (KVM_REG_ARM64_SYSREG). */
#define A64_SYSREG(op0, op1, crn, crm, op2) \
	ARM64_SYS_REG(op0, op1, crn, crm, op2)

/* PSCI function numbers (SMCCC 32-bit and 64-bit calls). */
#define PSCI_VERSION_FN		0x84000000U
#define PSCI_CPU_OFF_FN		0x84000002U
#define PSCI_CPU_ON_FN64	0xc4000003U
#define PSCI_AFFINITY_INFO_FN64	0xc4000004U
#define PSCI_SYSTEM_OFF_FN	0x84000008U
#define PSCI_SYSTEM_RESET_FN	0x84000009U
#define PSCI_FEATURES_FN	0x8400000aU

/*
 * Guest code: defines name_start[] and name_end[] around body (GNU as
 * syntax for AArch64, one instruction per line). The labels are global
 * and hidden, and so declared: the compiler then addresses them directly.
 * (Local labels reached through the GOT got one shared GOT entry from
 * the linker, so end - start was 0 and the guest ran zeroes.)
 */
#define A64_GUEST_CODE(name, body)					\
	extern const char name##_start[], name##_end[]			\
		__attribute__((visibility("hidden")));			\
	asm(".pushsection .rodata\n.balign 4\n"				\
	    ".globl " #name "_start\n.hidden " #name "_start\n"	\
	    ".globl " #name "_end\n.hidden " #name "_end\n"		\
	    #name "_start:\n" body "\n" #name "_end:\n.popsection\n")

/* KVM_ARM_PREFERRED_TARGET and KVM_ARM_VCPU_INIT; -1 with errno. */
int a64_init_vcpu(int vm, int vcpu, __u32 features);
int a64_get(int vcpu, __u64 id, __u64 *val);
int a64_set(int vcpu, __u64 id, __u64 val);
/* a64_get() that bails out on failure. */
__u64 a64_reg(int vcpu, __u64 id);
/*
 * A VM with size bytes of RAM at A64_RAM_GPA (returned in *mem) holding
 * the code [start, end) at its start, and vCPU 0 initialised with
 * features (KVM_ARM_VCPU_* bits) with its PC there.
 */
void a64_guest(struct guest *g, int kvm, void **mem, size_t size,
	       const char *start, const char *end, __u32 features);
/*
 * KVM_RUN of g's vCPU under a 5 s alarm must exit with an 8-byte MMIO
 * write of expect at gpa; else false, with a TAP diagnostic.
 */
bool a64_run_mmio_write(struct guest *g, __u64 gpa, __u64 expect);
/* One more vCPU of g's VM, initialised; its fd and mapping. */
int a64_add_vcpu(struct guest *g, unsigned long id, __u32 features,
		 struct kvm_run **run);

#endif
