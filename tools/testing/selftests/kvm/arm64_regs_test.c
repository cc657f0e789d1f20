// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_ONE_REG on arm64 through the world switch: values set from
 * userspace (general registers, V0, FPCR, TPIDR_EL1) are what the guest
 * finds, and what the guest writes (general, SIMD and system registers)
 * is what userspace reads back. Then the error codes: a core register of
 * the wrong size (EINVAL), an id that names nothing (ENOENT), another
 * architecture's id (EINVAL), a PSTATE with a mode the vCPU cannot be in
 * (EINVAL), a bad address (EFAULT), and KVM_GET_REG_LIST's E2BIG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "test.h"
#include "guest.h"
#include "a64.h"

#define A64_V(n)	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(fp_regs.vregs[n]))
#define A64_FPCR	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(fp_regs.fpcr))
#define TPIDR_EL1	A64_SYSREG(3, 0, 13, 0, 4)

/*
 * x9 holds the MMIO base (set by the test). The guest reports x5, turns
 * its FP/SIMD traps off (CPACR_EL1 resets to 0), reports the low half of
 * V0, FPCR and TPIDR_EL1, then writes x6, V2 and TPIDR_EL1.
 */
A64_GUEST_CODE(regs_code,
	"	str	x5, [x9]\n"
	"	mov	x7, #(3 << 20)\n"		/* CPACR_EL1.FPEN: no FP traps */
	"	msr	cpacr_el1, x7\n"
	"	isb\n"
	"	fmov	x7, d0\n"
	"	str	x7, [x9, #8]\n"
	"	mrs	x7, fpcr\n"
	"	str	x7, [x9, #16]\n"
	"	mrs	x7, tpidr_el1\n"
	"	str	x7, [x9, #24]\n"
	"	movz	x6, #0x5555\n"
	"	msr	tpidr_el1, x6\n"
	"	fmov	d2, x6\n"
	"	str	xzr, [x9, #32]\n"
	"	b	.\n");

static struct guest g;

static bool mmio_write(unsigned int off, __u64 expect)
{
	return a64_run_mmio_write(&g, A64_MMIO_GPA + off, expect);
}

static int one_reg(unsigned long ioctl_nr, __u64 id, void *addr)
{
	struct kvm_one_reg reg = { .id = id, .addr = (__u64)(unsigned long)addr };

	return ioctl(g.vcpu, ioctl_nr, &reg);
}

int main(void)
{
	__u64 v, v128[2], x[31];
	struct kvm_reg_list *list;
	__u32 fpcr;
	bool ok;
	void *mem;
	int kvm, i;

	tap_plan(17);
	kvm = open_kvm();
	a64_guest(&g, kvm, &mem, 0x10000, regs_code_start, regs_code_end, 0);

	ok = true;
	for (i = 0; i < 31; i++) {
		x[i] = 0x0101010101010101ULL * (i + 1);
		if (i != 9)
			ok &= !a64_set(g.vcpu, A64_X(i), x[i]);
	}
	ok &= !a64_set(g.vcpu, A64_X(9), A64_MMIO_GPA);
	for (i = 0; i < 31; i++)
		ok &= a64_reg(g.vcpu, A64_X(i)) == (i == 9 ? A64_MMIO_GPA : x[i]);
	tap_ok(ok, "x0-x30 read back as set");

	v128[0] = 0x1122334455667788ULL;
	v128[1] = 0x99aabbccddeeff00ULL;
	fpcr = 0x03000000;		/* FZ, DN */
	ok = !one_reg(KVM_SET_ONE_REG, A64_V(0), v128) &&
	     !one_reg(KVM_SET_ONE_REG, A64_FPCR, &fpcr) &&
	     !a64_set(g.vcpu, TPIDR_EL1, 0xfeedf00d);
	memset(v128, 0, sizeof(v128));
	ok &= !one_reg(KVM_GET_ONE_REG, A64_V(0), v128) &&
	      v128[1] == 0x99aabbccddeeff00ULL;
	tap_ok(ok, "V0 (128 bits), FPCR and TPIDR_EL1 set and read back");

	tap_ok(mmio_write(0, x[5]), "the guest finds x5 as set");
	tap_ok(mmio_write(8, 0x1122334455667788ULL),
	       "the guest finds V0's low half as set");
	tap_ok(mmio_write(16, 0x03000000), "the guest finds FPCR as set");
	tap_ok(mmio_write(24, 0xfeedf00d), "the guest finds TPIDR_EL1 as set");
	tap_ok(mmio_write(32, 0), "the guest wrote x6, V2 and TPIDR_EL1");
	tap_ok(a64_reg(g.vcpu, A64_X(6)) == 0x5555 &&
	       a64_reg(g.vcpu, A64_X(10)) == x[10],
	       "x6 as the guest left it, x10 untouched");
	memset(v128, 0xff, sizeof(v128));
	tap_ok(!one_reg(KVM_GET_ONE_REG, A64_V(2), v128) &&
	       v128[0] == 0x5555 && v128[1] == 0,
	       "V2 as the guest left it (FMOV D2 zeroes the top half)");
	tap_ok(a64_reg(g.vcpu, TPIDR_EL1) == 0x5555,
	       "TPIDR_EL1 as the guest left it");

	/* Errors. */
	expect_errno(one_reg(KVM_GET_ONE_REG, (A64_X(0) & ~KVM_REG_SIZE_MASK) |
			     KVM_REG_SIZE_U32, &v), EINVAL,
		     "x0 as a 32-bit register: EINVAL");
	expect_errno(one_reg(KVM_GET_ONE_REG, A64_SYSREG(3, 7, 15, 15, 7), &v),
		     ENOENT, "a system register that does not exist: ENOENT");
	expect_errno(one_reg(KVM_GET_ONE_REG, KVM_REG_X86 | KVM_REG_SIZE_U64,
			     &v), EINVAL, "an x86 register id: EINVAL");
	expect_errno(a64_set(g.vcpu, A64_PSTATE, 0x3c0 | 0x8 /* EL2h */),
		     EINVAL, "PSTATE with mode EL2h: EINVAL");
	expect_errno(one_reg(KVM_GET_ONE_REG, A64_PC, (void *)8), EFAULT,
		     "a bad address: EFAULT");

	list = calloc(1, sizeof(*list) + 4096 * sizeof(__u64));
	list->n = 1;
	expect_errno(ioctl(g.vcpu, KVM_GET_REG_LIST, list), E2BIG,
		     "KVM_GET_REG_LIST with room for 1: E2BIG");
	ok = list->n > 1 && list->n <= 4096 &&
	     !ioctl(g.vcpu, KVM_GET_REG_LIST, list);
	if (ok) {
		bool pc = false, tpidr = false;

		for (i = 0; i < (int)list->n; i++) {
			pc |= list->reg[i] == A64_PC;
			tpidr |= list->reg[i] == TPIDR_EL1;
		}
		ok = pc && tpidr;
	}
	tap_ok(ok, "KVM_GET_REG_LIST lists PC and TPIDR_EL1 (%llu registers)",
	       (unsigned long long)list->n);
	free(list);
	guest_destroy(&g);
	close(kvm);
	return tap_finish();
}
