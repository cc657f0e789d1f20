// SPDX-License-Identifier: GPL-2.0
/*
 * s390 (Hercules, SIE): KVM_S390_MEM_OP and the vCPU resets.
 *
 *  - MEM_OP on the vCPU (logical: DAT off here, so the guest's real
 *    addresses, with its prefix) and on the VM (absolute): copies both
 *    ways, CHECK_ONLY, an address outside the guest's memory (the
 *    addressing exception's code as the return value, injected with
 *    INJECT_EXCEPTION and taken by the guest), storage-key protection
 *    (KVM_S390_SET_SKEYS, then accesses with other keys), and every error
 *    code of the argument checks.
 *  - KVM_S390_NORMAL_RESET, _INITIAL_RESET and _CLEAR_RESET: what each
 *    clears and what it keeps, in the ioctls' view and in kvm_run.
 *
 * Checked on nkvm and on the stock kvm.ko.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LC_PGM_CODE		0x8e
#define LC_PGM_NEW_PSW		0x1d0
#define PREFIX			0x40000
#define DATA			0x30000
#define OUTSIDE			(GUEST_S390_MEM + 0x1000)

#define PGM_PROTECTION		0x04
#define PGM_ADDRESSING		0x05

#define CR0_RESET		0xe0ULL
#define CR14_RESET		0xc2000000ULL

static void *mem;
static void *bad_addr;

GUEST_S390_CODE_BLOB(g_diag,
	"0:	diag	0,0,0x501\n"
	"	j	0b\n");

static int memop(int fd, __u32 op, __u64 gaddr, void *buf, __u32 size,
		 __u64 flags, __u8 key)
{
	struct kvm_s390_mem_op mop = {
		.gaddr = gaddr,
		.size = size,
		.op = op,
		.buf = (__u64)(unsigned long)buf,
		.flags = flags,
		.key = key,
	};

	return ioctl(fd, KVM_S390_MEM_OP, &mop);
}

static void fresh(struct guest *g, int kvm)
{
	memset(mem, 0, GUEST_S390_MEM);
	guest_s390_create(g, kvm, mem, 0);
	guest_s390_load(g, mem, GUEST_S390_CODE, g_diag, g_diag_end, 0);
}

/* ---- MEM_OP ---- */

static void test_memop(int kvm)
{
	__u8 out[16], in[16], big[4];
	struct guest g;
	__u64 psw[2];
	int r;

	fresh(&g, kvm);
	tap_ok(check_cap(kvm, KVM_CAP_S390_MEM_OP) == 65536,
	       "KVM_CAP_S390_MEM_OP: 65536 bytes a call (%ld)",
	       check_cap(kvm, KVM_CAP_S390_MEM_OP));
	tap_ok(check_cap(g.vm, KVM_CAP_S390_MEM_OP_EXTENSION) > 0,
	       "KVM_CAP_S390_MEM_OP_EXTENSION");
	/* The lowcore moves to PREFIX: logical 0 is absolute PREFIX. */
	g.run->s.regs.prefix = PREFIX;
	g.run->kvm_dirty_regs = KVM_SYNC_PREFIX;
	tap_ok(guest_s390_run_diag(&g), "the guest runs with prefix %#x",
	       PREFIX);

	memcpy(out, "nkvm-memop-0123", 16);
	expect_success(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out,
			     16, 0, 0), "vCPU LOGICAL_WRITE 16 bytes");
	tap_ok(!memcmp((char *)mem + DATA, out, 16), "they are in memory");
	memset(in, 0, sizeof(in));
	expect_success(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in,
			     16, 0, 0), "vCPU LOGICAL_READ");
	tap_ok(!memcmp(in, out, 16), "read back the same bytes");
	memset(in, 0, sizeof(in));
	tap_ok(!memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, 0x100, in, 8, 0,
		      0) && !memcmp(in, "\0\0\0\0\0\0\0\0", 8) &&
	       !memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, 0x100, out, 8, 0,
		      0) && !memcmp((char *)mem + PREFIX + 0x100, out, 8),
	       "logical 0x100 is prefixed: absolute %#x",
	       PREFIX + 0x100);
	memset((char *)mem + DATA, 0, 16);
	expect_success(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out,
			     16, KVM_S390_MEMOP_F_CHECK_ONLY, 0),
		       "LOGICAL_WRITE CHECK_ONLY");
	tap_ok(!memcmp((char *)mem + DATA, "\0\0\0\0\0\0\0\0", 8),
	       "CHECK_ONLY wrote nothing");

	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, OUTSIDE, in, 8, 0, 0);
	tap_ok(r == PGM_ADDRESSING,
	       "LOGICAL_READ outside the guest's memory: addressing exception %d (%d)",
	       PGM_ADDRESSING, r);
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, OUTSIDE, in, 8,
		  KVM_S390_MEMOP_F_CHECK_ONLY, 0);
	tap_ok(r == PGM_ADDRESSING, "the same with CHECK_ONLY (%d)", r);
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, GUEST_S390_MEM - 8,
		  out, 16, 0, 0);
	tap_ok(r == PGM_ADDRESSING,
	       "a write across the end of memory: addressing exception (%d)",
	       r);

	/* INJECT_EXCEPTION: the guest takes it at its next run. */
	psw[0] = PSW_MASK_64;
	psw[1] = GUEST_S390_CODE;
	memcpy((char *)mem + PREFIX + LC_PGM_NEW_PSW, psw, 16);
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, OUTSIDE, in, 8,
		  KVM_S390_MEMOP_F_INJECT_EXCEPTION, 0);
	tap_ok(r == PGM_ADDRESSING && guest_s390_run_diag(&g) &&
	       *(__u16 *)((char *)mem + PREFIX + LC_PGM_CODE) == PGM_ADDRESSING,
	       "INJECT_EXCEPTION: the guest takes program interruption 5 (%d, code %#x)",
	       r, *(__u16 *)((char *)mem + PREFIX + LC_PGM_CODE));

	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in, 0, 0,
			   0), EINVAL, "size 0 -> EINVAL");
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in,
			   65537, 0, 0), E2BIG, "size 65537 -> E2BIG");
	expect_errno(memop(g.vcpu, 0xff, DATA, in, 8, 0, 0), EINVAL,
		     "unknown operation -> EINVAL");
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_ABSOLUTE_READ, DATA, in, 8,
			   0, 0), EINVAL, "ABSOLUTE_READ on the vCPU -> EINVAL");
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in, 8,
			   0x80, 0), EINVAL, "unknown flag -> EINVAL");
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in, 8,
			   KVM_S390_MEMOP_F_SKEY_PROTECTION, 16), EINVAL,
		     "access key 16 -> EINVAL");
	{
		struct kvm_s390_mem_op mop = {
			.gaddr = DATA, .size = 8,
			.op = KVM_S390_MEMOP_LOGICAL_READ,
			.buf = (__u64)(unsigned long)in, .ar = 16,
		};

		expect_errno(ioctl(g.vcpu, KVM_S390_MEM_OP, &mop), EINVAL,
			     "access register 16 -> EINVAL");
	}
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, bad_addr,
			   8, 0, 0), EFAULT, "READ into a bad buffer -> EFAULT");
	expect_errno(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA,
			   bad_addr, 8, 0, 0), EFAULT,
		     "WRITE from a bad buffer -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_S390_MEM_OP, bad_addr), EFAULT,
		     "vCPU KVM_S390_MEM_OP, bad pointer -> EFAULT");

	/* Absolute, on the VM: no prefixing. */
	memset(in, 0, sizeof(in));
	expect_success(memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, 0x100, out,
			     16, 0, 0), "VM ABSOLUTE_WRITE at 0x100");
	tap_ok(!memcmp((char *)mem + 0x100, out, 16),
	       "absolute 0x100 is not prefixed");
	tap_ok(!memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, 0x100, in, 16, 0, 0) &&
	       !memcmp(in, out, 16), "VM ABSOLUTE_READ reads it back");
	expect_success(memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, 0x200, out,
			     16, KVM_S390_MEMOP_F_CHECK_ONLY, 0),
		       "ABSOLUTE_WRITE CHECK_ONLY");
	tap_ok(!((char *)mem)[0x200], "CHECK_ONLY wrote nothing");
	r = memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, OUTSIDE, in, 8, 0, 0);
	tap_ok(r == PGM_ADDRESSING,
	       "ABSOLUTE_READ outside the guest's memory: %d (%d)",
	       PGM_ADDRESSING, r);
	expect_errno(memop(g.vm, KVM_S390_MEMOP_LOGICAL_READ, 0x100, in, 8, 0,
			   0), EINVAL, "LOGICAL_READ on the VM -> EINVAL");
	expect_errno(memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, 0x100, in, 8,
			   KVM_S390_MEMOP_F_INJECT_EXCEPTION, 0), EINVAL,
		     "INJECT_EXCEPTION on the VM -> EINVAL");
	expect_errno(memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, 0x100, in,
			   65537, 0, 0), E2BIG, "VM size 65537 -> E2BIG");
	expect_errno(memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, 0x100, bad_addr,
			   8, 0, 0), EFAULT, "VM READ into a bad buffer -> EFAULT");

	/* Storage keys: page DATA gets key 3 with fetch protection. */
	{
		struct kvm_s390_skeys sk = {
			.start_gfn = DATA >> 12, .count = 1,
			.skeydata_addr = (__u64)(unsigned long)big,
		};

		big[0] = 0x38;
		expect_success(ioctl(g.vm, KVM_S390_SET_SKEYS, &sk),
			       "KVM_S390_SET_SKEYS: key 3, fetch-protected");
		big[0] = 0;
		tap_ok(!ioctl(g.vm, KVM_S390_GET_SKEYS, &sk) &&
		       (big[0] & 0xf8) == 0x38,
		       "KVM_S390_GET_SKEYS reads it back (%#x)", big[0]);
	}
	expect_success(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out,
			     8, KVM_S390_MEMOP_F_SKEY_PROTECTION, 3),
		       "write with access key 3 (matching)");
	expect_success(memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out,
			     8, KVM_S390_MEMOP_F_SKEY_PROTECTION, 0),
		       "write with access key 0 (matches every key)");
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out, 8,
		  KVM_S390_MEMOP_F_SKEY_PROTECTION, 2);
	tap_ok(r == PGM_PROTECTION,
	       "write with access key 2: protection exception %d (%d)",
	       PGM_PROTECTION, r);
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_READ, DATA, in, 8,
		  KVM_S390_MEMOP_F_SKEY_PROTECTION, 2);
	tap_ok(r == PGM_PROTECTION,
	       "fetch with access key 2 from a fetch-protected page: %d (%d)",
	       PGM_PROTECTION, r);
	r = memop(g.vcpu, KVM_S390_MEMOP_LOGICAL_WRITE, DATA, out, 8, 0, 0);
	tap_ok(!r, "without SKEY_PROTECTION the key is not checked (%d)", r);
	r = memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_WRITE, DATA, out, 8,
		  KVM_S390_MEMOP_F_SKEY_PROTECTION, 2);
	tap_ok(r == PGM_PROTECTION, "VM ABSOLUTE_WRITE with key 2: %d (%d)",
	       PGM_PROTECTION, r);
	r = memop(g.vm, KVM_S390_MEMOP_ABSOLUTE_READ, DATA, in, 8,
		  KVM_S390_MEMOP_F_SKEY_PROTECTION, 3);
	tap_ok(!r, "VM ABSOLUTE_READ with key 3 (%d)", r);
	guest_destroy(&g);
}

/* ---- resets ---- */

static int one_reg(int vcpu, unsigned long req, __u64 id, void *p)
{
	struct kvm_one_reg reg = { .id = id, .addr = (__u64)(unsigned long)p };

	return ioctl(vcpu, req, &reg);
}

/* Registers of every kind to something else than their reset value. */
static void dirty(struct guest *g)
{
	struct kvm_s390_irq irq = { .type = KVM_S390_INT_EMERGENCY };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	__u64 v = 0x7777;
	__u32 todpr = 0x55;

	/* The PSW through kvm_run: KVM_S390_SET_INITIAL_PSW wants it stopped. */
	g->run->psw_mask = PSW_MASK_64;
	g->run->psw_addr = 0x12340;
	memset(&regs, 0, sizeof(regs));
	regs.gprs[1] = 0x1111;
	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");
	memset(&sregs, 0, sizeof(sregs));
	sregs.acrs[1] = 0x2222;
	sregs.crs[0] = 0x40000;
	sregs.crs[3] = 0x3333;
	sregs.crs[14] = 0x1;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	memset(&fpu, 0, sizeof(fpu));
	fpu.fprs[1] = 0x4444;
	fpu.fpc = 1;
	if (ioctl(g->vcpu, KVM_SET_FPU, &fpu))
		tap_bail("KVM_SET_FPU: %m");
	if (one_reg(g->vcpu, KVM_SET_ONE_REG, KVM_REG_S390_CPU_TIMER, &v) ||
	    one_reg(g->vcpu, KVM_SET_ONE_REG, KVM_REG_S390_CLOCK_COMP, &v) ||
	    one_reg(g->vcpu, KVM_SET_ONE_REG, KVM_REG_S390_PP, &v) ||
	    one_reg(g->vcpu, KVM_SET_ONE_REG, KVM_REG_S390_GBEA, &v) ||
	    one_reg(g->vcpu, KVM_SET_ONE_REG, KVM_REG_S390_TODPR, &todpr))
		tap_bail("KVM_SET_ONE_REG: %m");
	irq.u.emerg.code = 0;
	if (ioctl(g->vcpu, KVM_S390_IRQ, &irq))
		tap_bail("KVM_S390_IRQ: %m");
}

static int pending_irqs(struct guest *g)
{
	struct kvm_s390_irq buf[4];
	struct kvm_s390_irq_state st = {
		.buf = (__u64)(unsigned long)buf, .len = sizeof(buf),
	};

	return ioctl(g->vcpu, KVM_S390_GET_IRQ_STATE, &st) / sizeof(buf[0]);
}

static __u64 reg64(struct guest *g, __u64 id)
{
	__u64 v = 0xdead;

	one_reg(g->vcpu, KVM_GET_ONE_REG, id, &v);
	return v;
}

static void test_resets(int kvm)
{
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	struct guest g;
	int r;

	fresh(&g, kvm);
	tap_ok(check_cap(kvm, KVM_CAP_S390_VCPU_RESETS) > 0,
	       "KVM_CAP_S390_VCPU_RESETS");

	/* Normal: pending interrupts go, the vCPU stops, registers stay. */
	dirty(&g);
	tap_ok(pending_irqs(&g) == 1, "an emergency signal is pending");
	expect_success(ioctl(g.vcpu, KVM_S390_NORMAL_RESET, 0),
		       "KVM_S390_NORMAL_RESET");
	tap_ok(pending_irqs(&g) == 0, "normal reset: no interrupt pending");
	/* Stock 6.1 returns the state as the ioctl's value (s390_run_test). */
	mp.mp_state = 0xff;
	r = ioctl(g.vcpu, KVM_GET_MP_STATE, &mp);
	tap_ok(kvm_is_ours() ? !r && mp.mp_state == KVM_MP_STATE_STOPPED :
			       r == KVM_MP_STATE_STOPPED,
	       "normal reset: the vCPU is stopped (%d, %u)", r, mp.mp_state);
	tap_ok(!ioctl(g.vcpu, KVM_GET_REGS, &regs) && regs.gprs[1] == 0x1111 &&
	       !ioctl(g.vcpu, KVM_GET_SREGS, &sregs) &&
	       sregs.crs[3] == 0x3333 && sregs.acrs[1] == 0x2222 &&
	       g.run->psw_addr == 0x12340 &&
	       reg64(&g, KVM_REG_S390_CPU_TIMER) == 0x7777,
	       "normal reset keeps the registers, control registers, PSW, CPU timer");

	/* Initial: PSW, prefix, timers, CRs; not the GPRs, ARs, FPRs. */
	dirty(&g);
	/* A run sets the prefix (the PSW disables the pending signal). */
	g.run->psw_addr = GUEST_S390_CODE;
	g.run->s.regs.prefix = PREFIX;
	g.run->kvm_dirty_regs = KVM_SYNC_PREFIX;
	tap_ok(guest_s390_run_diag(&g) && g.run->s.regs.prefix == PREFIX,
	       "prefix %#x set by a run", PREFIX);
	expect_success(ioctl(g.vcpu, KVM_S390_INITIAL_RESET, 0),
		       "KVM_S390_INITIAL_RESET");
	tap_ok(pending_irqs(&g) == 0, "initial reset: no interrupt pending");
	tap_ok(!ioctl(g.vcpu, KVM_GET_SREGS, &sregs) &&
	       sregs.crs[0] == CR0_RESET && sregs.crs[14] == CR14_RESET &&
	       sregs.crs[3] == 0,
	       "initial reset: CR0 %#llx, CR14 %#llx, the others 0 (KVM_GET_SREGS)",
	       (unsigned long long)sregs.crs[0],
	       (unsigned long long)sregs.crs[14]);
	tap_ok(g.run->s.regs.crs[0] == CR0_RESET &&
	       g.run->s.regs.crs[14] == CR14_RESET && !g.run->s.regs.crs[3],
	       "initial reset: the same in kvm_run");
	/* Stock leaves kvm_run's prefix to the next KVM_RUN (checked there). */
	tap_ok(!g.run->psw_mask && !g.run->psw_addr,
	       "initial reset: PSW 0 in kvm_run (%#llx:%#llx, prefix %#llx)",
	       (unsigned long long)g.run->psw_mask,
	       (unsigned long long)g.run->psw_addr,
	       (unsigned long long)g.run->s.regs.prefix);
	tap_ok(!reg64(&g, KVM_REG_S390_CPU_TIMER) &&
	       !reg64(&g, KVM_REG_S390_CLOCK_COMP) &&
	       !reg64(&g, KVM_REG_S390_PP) &&
	       reg64(&g, KVM_REG_S390_GBEA) == 1,
	       "initial reset: CPU timer, clock comparator, PP 0, breaking-event address 1");
	tap_ok(!ioctl(g.vcpu, KVM_GET_FPU, &fpu) && !fpu.fpc &&
	       fpu.fprs[1] == 0x4444,
	       "initial reset: FPC 0, the FPRs kept (fpc %#x)", fpu.fpc);
	tap_ok(!ioctl(g.vcpu, KVM_GET_REGS, &regs) && regs.gprs[1] == 0x1111 &&
	       !ioctl(g.vcpu, KVM_GET_SREGS, &sregs) && sregs.acrs[1] == 0x2222,
	       "initial reset keeps the general and access registers");

	/* Clear: everything. */
	dirty(&g);
	expect_success(ioctl(g.vcpu, KVM_S390_CLEAR_RESET, 0),
		       "KVM_S390_CLEAR_RESET");
	tap_ok(!ioctl(g.vcpu, KVM_GET_REGS, &regs) && !regs.gprs[1] &&
	       !ioctl(g.vcpu, KVM_GET_SREGS, &sregs) && !sregs.acrs[1] &&
	       sregs.crs[0] == CR0_RESET,
	       "clear reset: general and access registers 0, CR0 reset");
	tap_ok(!ioctl(g.vcpu, KVM_GET_FPU, &fpu) && !fpu.fprs[1] && !fpu.fpc,
	       "clear reset: floating-point registers and FPC 0");
	tap_ok(!g.run->s.regs.gprs[1] && !g.run->s.regs.acrs[1],
	       "clear reset: the same in kvm_run");

	/* A reset vCPU runs again from a new PSW. */
	guest_s390_load(&g, mem, GUEST_S390_CODE, g_diag, g_diag_end, 0);
	tap_ok(guest_s390_run_diag(&g) && !g.run->s.regs.prefix,
	       "after the resets KVM_RUN runs it, at prefix 0 (%#llx)",
	       (unsigned long long)g.run->s.regs.prefix);
	guest_destroy(&g);
}

int main(void)
{
	int kvm;

	tap_plan(43 + 20);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return tap_skip_rest("no guests here (no SIE)");
	mem = alloc_aligned(GUEST_S390_MEM, MiB);
	bad_addr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(bad_addr, 4096);

	test_memop(kvm);
	test_resets(kvm);
	close(kvm);
	return tap_finish();
}
