// SPDX-License-Identifier: GPL-2.0
/*
 * s390 guests under SIE (Hercules): KVM_RUN and what it gives userspace,
 * the intercepts the kernel handles, and the vCPU's registers.
 *
 *  - A DIAGNOSE 0x501 goes to userspace as an instruction intercept
 *    (KVM_EXIT_S390_SIEIC, code 4) with the PSW after it and the guest's
 *    registers in kvm_run; the next KVM_RUN goes on after it. An unknown
 *    DIAGNOSE (0x318) and a disabled wait go to userspace too.
 *  - STIDP, STAP, STFL, STSI, SPX/STPX, SIGP SENSE are the kernel's; a
 *    privileged instruction in the problem state, an access outside the
 *    guest's memory are program interruptions the guest takes.
 *  - The registers: KVM_GET/SET_REGS, _SREGS, _FPU, KVM_GET/SET_ONE_REG,
 *    KVM_S390_SET_INITIAL_PSW, KVM_GET/SET_MP_STATE, KVM_CAP_SYNC_REGS
 *    with the s390 sets, and every error code of these ioctls.
 *
 * Each guest runs with DAT off, its lowcore at prefix 0, the code at
 * GUEST_S390_CODE. Checked on nkvm and on the stock kvm.ko; where they
 * answer differently on purpose (Documentation/api.md) each is checked
 * for its own answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LC_EXT_INT_CODE		0x86
#define LC_PGM_ILC		0x8c
#define LC_PGM_CODE		0x8e
#define LC_STFL			0xc8
#define LC_PGM_OLD_PSW		0x150
#define LC_PGM_NEW_PSW		0x1d0

#define CR0_AFP			(1ULL << (63 - 45))

static void *mem;
static void *bad_addr;

static __u64 rd64(__u64 gpa)
{
	__u64 v;

	memcpy(&v, (char *)mem + gpa, 8);
	return v;
}

static __u32 rd32(__u64 gpa)
{
	__u32 v;

	memcpy(&v, (char *)mem + gpa, 4);
	return v;
}

static __u16 rd16(__u64 gpa)
{
	__u16 v;

	memcpy(&v, (char *)mem + gpa, 2);
	return v;
}

static void wr_psw(__u64 gpa, __u64 mask, __u64 addr)
{
	memcpy((char *)mem + gpa, &mask, 8);
	memcpy((char *)mem + gpa + 8, &addr, 8);
}

static void fresh(struct guest *g, int kvm, const char *start,
		  const char *end, __u64 extra_mask)
{
	memset(mem, 0, GUEST_S390_MEM);
	guest_s390_create(g, kvm, mem, 0);
	guest_s390_load(g, mem, GUEST_S390_CODE, start, end, extra_mask);
}

/* ---- DIAGNOSE exits ---- */

GUEST_S390_CODE_BLOB(g_diag,
	"	lghi	1,42\n"
	"	diag	0,0,0x501\n"
	"	ahi	1,1\n"
	"	diag	0,0,0x501\n"
	"	diag	2,3,0x318\n"
	"0:	j	0b\n");

static void test_diag(int kvm)
{
	__u64 code = GUEST_S390_CODE;
	struct kvm_regs regs;
	struct guest g;

	fresh(&g, kvm, g_diag, g_diag_end, 0);
	tap_ok(guest_s390_run_diag(&g), "DIAGNOSE 0x501 -> KVM_EXIT_S390_SIEIC");
	tap_ok(g.run->s390_sieic.icptcode == 4 &&
	       g.run->s390_sieic.ipa == 0x8300 &&
	       g.run->s390_sieic.ipb == 0x05010000,
	       "intercept code 4, ipa 0x8300, ipb 0x05010000 (%s)",
	       guest_s390_exit_str(&g));
	tap_ok(g.run->psw_addr == code + 8 && g.run->psw_mask == PSW_MASK_64,
	       "PSW after the DIAGNOSE (%#llx:%#llx)",
	       (unsigned long long)g.run->psw_mask,
	       (unsigned long long)g.run->psw_addr);
	tap_ok(g.run->s.regs.gprs[1] == 42, "r1 42 in kvm_run.s.regs (%llu)",
	       (unsigned long long)g.run->s.regs.gprs[1]);
	tap_ok(!ioctl(g.vcpu, KVM_GET_REGS, &regs) && regs.gprs[1] == 42,
	       "KVM_GET_REGS: r1 42");
	tap_ok(guest_s390_run_diag(&g) && g.run->s.regs.gprs[1] == 43 &&
	       g.run->psw_addr == code + 16,
	       "the next KVM_RUN goes on after it (r1 %llu)",
	       (unsigned long long)g.run->s.regs.gprs[1]);
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) &&
	       g.run->exit_reason == KVM_EXIT_S390_SIEIC &&
	       g.run->s390_sieic.icptcode == 4 &&
	       g.run->s390_sieic.ipa == 0x8323 &&
	       g.run->s390_sieic.ipb == 0x03180000,
	       "DIAGNOSE 0x318 (not the kernel's) -> userspace (%s)",
	       guest_s390_exit_str(&g));
	guest_destroy(&g);
}

/* ---- what the kernel handles ---- */

GUEST_S390_CODE_BLOB(g_ident,
	"	llilh	2,2\n"			/* r2 = GUEST_S390_DATA */
	"	stidp	0(2)\n"
	"	stap	8(2)\n"
	"	stfl	0\n"
	"	lghi	0,0\n"
	"	lghi	1,0\n"
	"	stsi	0(2)\n"			/* fc 0: the level in r0 */
	"	ipm	3\n"
	"	lgr	4,0\n"
	"	llilh	0,0x3000\n"
	"	oill	0,2\n"			/* fc 3, sel1 2 */
	"	lghi	1,2\n"			/* sel2 2 */
	"	llilh	5,3\n"			/* 0x30000: a page */
	"	stsi	0(5)\n"
	"	ipm	6\n"
	"	lghi	7,1\n"
	"	sigp	8,7,1\n"		/* SENSE CPU 1: none */
	"	ipm	9\n"
	"	lghi	7,0\n"
	"	sigp	8,7,1\n"		/* SENSE itself */
	"	ipm	10\n"
	"	diag	0,0,0x501\n"
	"0:	j	0b\n");

static void test_ident(int kvm)
{
	struct kvm_s390_vm_cpu_processor proc;
	struct kvm_device_attr da = {
		.group = KVM_S390_VM_CPU_MODEL,
		.attr = KVM_S390_VM_CPU_PROCESSOR,
		.addr = (__u64)(unsigned long)&proc,
	};
	__u64 *gprs;
	struct guest g;
	bool ok;

	fresh(&g, kvm, g_ident, g_ident_end, 0);
	ok = !ioctl(g.vm, KVM_GET_DEVICE_ATTR, &da);
	tap_ok(guest_s390_run_diag(&g), "STIDP, STAP, STFL, STSI, SIGP run");
	gprs = g.run->s.regs.gprs;
	tap_ok(ok && rd64(GUEST_S390_DATA) == proc.cpuid,
	       "STIDP: the CPU model's id (%#llx, model %#llx)",
	       (unsigned long long)rd64(GUEST_S390_DATA),
	       (unsigned long long)proc.cpuid);
	tap_ok(rd16(GUEST_S390_DATA + 8) == 0, "STAP: CPU address 0");
	tap_ok(rd32(LC_STFL) == (__u32)(proc.fac_list[0] >> 32),
	       "STFL: the model's first 32 facility bits (%#x)",
	       rd32(LC_STFL));
	tap_ok(gprs[4] >> 28 == 3 && ((gprs[3] >> 28) & 3) == 0,
	       "STSI fc 0: level 3, cc 0 (r0 %#llx)",
	       (unsigned long long)gprs[4]);
	tap_ok(((gprs[6] >> 28) & 3) == 0 &&
	       !memcmp((char *)mem + 0x30000 + 32 + 12,
		       "\xd2\xe5\xd4\x87\xa4\x85\xa2\xa3", 8),
	       "STSI 3.2.2: cc 0, the VM named KVMguest (EBCDIC)");
	tap_ok(((gprs[9] >> 28) & 3) == 3, "SIGP SENSE of no CPU: cc 3");
	tap_ok(((gprs[10] >> 28) & 3) == 0, "SIGP SENSE of itself: cc 0");
	guest_destroy(&g);
}

GUEST_S390_CODE_BLOB(g_prefix,
	"	llilh	2,4\n"			/* 0x40000 */
	"	spx	0(2)\n"
	"	stpx	8(2)\n"
	"	diag	0,0,0x501\n"
	"0:	j	0b\n");

static void test_prefix(int kvm)
{
	struct guest g;

	fresh(&g, kvm, g_prefix, g_prefix_end, 0);
	*(__u32 *)((char *)mem + 0x40000) = 0x50000;
	tap_ok(guest_s390_run_diag(&g) && g.run->s.regs.prefix == 0x50000 &&
	       rd32(0x40008) == 0x50000,
	       "SPX 0x50000, STPX: the new prefix (kvm_run %#llx, stored %#x)",
	       (unsigned long long)g.run->s.regs.prefix, rd32(0x40008));
	guest_destroy(&g);
}

/*
 * Program interruptions: STIDP in the problem state (privileged), then a
 * load from 16 MiB, outside the guest's 2 MiB (addressing). The program
 * new PSW leads to a DIAGNOSE 0x501.
 */
GUEST_S390_CODE_BLOB(g_pgm,
	"	stidp	0x100\n"
	"0:	j	0b\n"
	"handler:\n"
	"	diag	0,0,0x501\n"
	"	llilh	3,0x100\n"		/* 16 MiB */
	"	lg	4,0(3)\n"
	"1:	j	1b\n"
	"handler2:\n"
	"	diag	0,0,0x501\n"
	"2:	j	2b\n");

static void test_program(int kvm)
{
	__u64 code = GUEST_S390_CODE;
	struct guest g;

	/* handler: after the stidp (4) and the j (4). */
	fresh(&g, kvm, g_pgm, g_pgm_end, 0x0001000000000000ULL);
	wr_psw(LC_PGM_NEW_PSW, PSW_MASK_64, code + 8);
	tap_ok(guest_s390_run_diag(&g) && rd16(LC_PGM_CODE) == 2 &&
	       rd16(LC_PGM_ILC) == 4 && rd64(LC_PGM_OLD_PSW + 8) == code + 4,
	       "privileged STIDP in the problem state: program interruption 2, ILC 4, old PSW after it (code %#x ilc %u old %#llx)",
	       rd16(LC_PGM_CODE), rd16(LC_PGM_ILC),
	       (unsigned long long)rd64(LC_PGM_OLD_PSW + 8));
	/* handler2: after diag (4), llilh (4), lg (6), j (4). */
	wr_psw(LC_PGM_NEW_PSW, PSW_MASK_64, code + 8 + 18);
	tap_ok(guest_s390_run_diag(&g) && rd16(LC_PGM_CODE) == 5 &&
	       rd16(LC_PGM_ILC) == 6 &&
	       rd64(LC_PGM_OLD_PSW + 8) == code + 8 + 14,
	       "a load beyond the guest's memory: addressing exception 5, ILC 6 (code %#x ilc %u old %#llx)",
	       rd16(LC_PGM_CODE), rd16(LC_PGM_ILC),
	       (unsigned long long)rd64(LC_PGM_OLD_PSW + 8));
	guest_destroy(&g);
}

/* A wait PSW with every interruption disabled: userspace's to end. */
GUEST_S390_CODE_BLOB(g_wait,
	"	larl	2,wpsw\n"
	"	lpswe	0(2)\n"
	"	.balign	8\n"
	"wpsw:	.quad	0x0002000180000000, 0x12345678\n");

static void test_disabled_wait(int kvm)
{
	struct guest g;
	int r;

	fresh(&g, kvm, g_wait, g_wait_end, 0);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	tap_ok(!r && g.run->exit_reason == KVM_EXIT_S390_SIEIC &&
	       g.run->s390_sieic.icptcode == 0x1c &&
	       g.run->psw_mask == 0x0002000180000000ULL &&
	       g.run->psw_addr == 0x12345678,
	       "disabled wait -> KVM_EXIT_S390_SIEIC, code 0x1c, the wait PSW (%s)",
	       guest_s390_exit_str(&g));
	guest_destroy(&g);
}

/* ---- registers ---- */

GUEST_S390_CODE_BLOB(g_regs,
	"	llilh	2,2\n"
	"	std	0,0(2)\n"		/* FPR0 */
	"	stfpc	8(2)\n"
	"	stctg	3,3,16(2)\n"
	"	ear	3,4\n"			/* AR4 */
	"	lgr	1,5\n"
	"	diag	0,0,0x501\n"
	"0:	j	0b\n");

static void test_regs(int kvm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	struct guest g;
	bool ok;

	fresh(&g, kvm, g_regs, g_regs_end, 0);
	memset(&regs, 0, sizeof(regs));
	regs.gprs[5] = 0x1122334455667788ULL;
	ok = !ioctl(g.vcpu, KVM_SET_REGS, &regs);
	ok &= !ioctl(g.vcpu, KVM_GET_SREGS, &sregs);
	sregs.crs[0] |= CR0_AFP;		/* STFPC needs it */
	sregs.crs[3] = 0xabcd;
	sregs.acrs[4] = 0x5a5a;
	ok &= !ioctl(g.vcpu, KVM_SET_SREGS, &sregs);
	memset(&fpu, 0, sizeof(fpu));
	fpu.fprs[0] = 0x4000000000000000ULL;	/* 2.0 */
	fpu.fpc = 0x00000001;			/* round toward 0 */
	ok &= !ioctl(g.vcpu, KVM_SET_FPU, &fpu);
	tap_ok(ok, "KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_FPU");
	tap_ok(guest_s390_run_diag(&g), "the guest stores its registers");
	tap_ok(g.run->s.regs.gprs[1] == 0x1122334455667788ULL,
	       "r5 from KVM_SET_REGS");
	tap_ok(rd64(GUEST_S390_DATA) == 0x4000000000000000ULL &&
	       rd32(GUEST_S390_DATA + 8) == 1,
	       "FPR0 and the FPC from KVM_SET_FPU (%#llx, %#x)",
	       (unsigned long long)rd64(GUEST_S390_DATA),
	       rd32(GUEST_S390_DATA + 8));
	tap_ok(rd64(GUEST_S390_DATA + 16) == 0xabcd &&
	       g.run->s.regs.gprs[3] == 0x5a5a,
	       "CR3 and AR4 from KVM_SET_SREGS");
	memset(&fpu, 0, sizeof(fpu));
	tap_ok(!ioctl(g.vcpu, KVM_GET_FPU, &fpu) &&
	       fpu.fprs[0] == 0x4000000000000000ULL && fpu.fpc == 1,
	       "KVM_GET_FPU after the run");
	tap_ok(!ioctl(g.vcpu, KVM_GET_SREGS, &sregs) && sregs.crs[3] == 0xabcd &&
	       sregs.acrs[4] == 0x5a5a &&
	       g.run->s.regs.acrs[4] == 0x5a5a && g.run->s.regs.crs[3] == 0xabcd,
	       "KVM_GET_SREGS and kvm_run agree after the run");
	expect_errno(ioctl(g.vcpu, KVM_SET_REGS, bad_addr), EFAULT,
		     "KVM_SET_REGS, bad pointer -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_GET_SREGS, bad_addr), EFAULT,
		     "KVM_GET_SREGS, bad pointer -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_SET_FPU, bad_addr), EFAULT,
		     "KVM_SET_FPU, bad pointer -> EFAULT");
	guest_destroy(&g);
}

/* ---- KVM_S390_SET_INITIAL_PSW, KVM_GET/SET_MP_STATE ---- */

static void test_psw_mp_state(int kvm)
{
	struct kvm_s390_psw psw = { .mask = PSW_MASK_64, .addr = 0x1000 };
	struct kvm_mp_state mp = { .mp_state = 0xff };
	struct guest g;
	int r;

	fresh(&g, kvm, g_diag, g_diag_end, 0);
	r = ioctl(g.vcpu, KVM_GET_MP_STATE, &mp);
	/*
	 * Stock 6.1's s390 returns the state as the ioctl's value and
	 * leaves the structure alone; nkvm stores it and returns 0.
	 */
	if (kvm_is_ours())
		tap_ok(!r && mp.mp_state == KVM_MP_STATE_STOPPED,
		       "a new vCPU is stopped (KVM_GET_MP_STATE: %d, %u)", r,
		       mp.mp_state);
	else
		tap_ok(r == KVM_MP_STATE_STOPPED,
		       "a new vCPU is stopped (stock returns the state: %d)",
		       r);
	expect_success(ioctl(g.vcpu, KVM_S390_SET_INITIAL_PSW, &psw),
		       "KVM_S390_SET_INITIAL_PSW on a stopped vCPU");
	tap_ok(g.run->psw_addr == 0x1000 && g.run->psw_mask == PSW_MASK_64,
	       "the PSW shows in kvm_run");
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_INITIAL_PSW, bad_addr), EFAULT,
		     "KVM_S390_SET_INITIAL_PSW, bad pointer -> EFAULT");
	psw.addr = GUEST_S390_CODE;
	ioctl(g.vcpu, KVM_S390_SET_INITIAL_PSW, &psw);
	tap_ok(guest_s390_run_diag(&g), "KVM_RUN starts the vCPU");
	r = ioctl(g.vcpu, KVM_GET_MP_STATE, &mp);
	if (kvm_is_ours())
		tap_ok(!r && mp.mp_state == KVM_MP_STATE_OPERATING,
		       "then it is operating (%d, %u)", r, mp.mp_state);
	else
		tap_ok(r == KVM_MP_STATE_OPERATING,
		       "then it is operating (stock: %d)", r);
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_INITIAL_PSW, &psw), EBUSY,
		     "KVM_S390_SET_INITIAL_PSW on an operating vCPU -> EBUSY");
	mp.mp_state = KVM_MP_STATE_CHECK_STOP;
	expect_errno(ioctl(g.vcpu, KVM_SET_MP_STATE, &mp), ENXIO,
		     "KVM_SET_MP_STATE CHECK_STOP -> ENXIO");
	expect_errno(ioctl(g.vcpu, KVM_SET_MP_STATE, bad_addr), EFAULT,
		     "KVM_SET_MP_STATE, bad pointer -> EFAULT");
	mp.mp_state = KVM_MP_STATE_STOPPED;
	expect_success(ioctl(g.vcpu, KVM_SET_MP_STATE, &mp),
		       "KVM_SET_MP_STATE STOPPED");
	/* Userspace controls the state now: a stopped vCPU does not run. */
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN of a vCPU userspace stopped -> EINVAL");
	mp.mp_state = KVM_MP_STATE_OPERATING;
	expect_success(ioctl(g.vcpu, KVM_SET_MP_STATE, &mp),
		       "KVM_SET_MP_STATE OPERATING");
	tap_ok(guest_s390_run_diag(&g), "then KVM_RUN runs it");
	guest_destroy(&g);
}

/* ---- KVM_GET/SET_ONE_REG ---- */

static int one_reg(int vcpu, unsigned long req, __u64 id, void *p)
{
	struct kvm_one_reg reg = { .id = id, .addr = (__u64)(unsigned long)p };

	return ioctl(vcpu, req, &reg);
}

static void test_one_reg(int kvm)
{
	static const struct {
		__u64 id;
		const char *name;
		unsigned int size;
	} regs[] = {
		{ KVM_REG_S390_TODPR, "TODPR", 4 },
		{ KVM_REG_S390_CPU_TIMER, "CPU_TIMER", 8 },
		{ KVM_REG_S390_CLOCK_COMP, "CLOCK_COMP", 8 },
		{ KVM_REG_S390_PFTOKEN, "PFTOKEN", 8 },
		{ KVM_REG_S390_PFCOMPARE, "PFCOMPARE", 8 },
		{ KVM_REG_S390_PFSELECT, "PFSELECT", 8 },
		{ KVM_REG_S390_PP, "PP", 8 },
		{ KVM_REG_S390_GBEA, "GBEA", 8 },
	};
	__u64 v = 0, back;
	__u32 v32, back32;
	struct guest g;
	unsigned int i;
	bool ok;

	fresh(&g, kvm, g_diag, g_diag_end, 0);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		if (regs[i].size == 4) {
			v32 = 0x1234 + i;
			back32 = 0;
			ok = !one_reg(g.vcpu, KVM_SET_ONE_REG, regs[i].id,
				      &v32) &&
			     !one_reg(g.vcpu, KVM_GET_ONE_REG, regs[i].id,
				      &back32) && back32 == v32;
		} else {
			v = 0x123456789aULL + i;
			back = 0;
			ok = !one_reg(g.vcpu, KVM_SET_ONE_REG, regs[i].id, &v) &&
			     !one_reg(g.vcpu, KVM_GET_ONE_REG, regs[i].id,
				      &back) && back == v;
		}
		tap_ok(ok, "ONE_REG %s: set and read back", regs[i].name);
	}
	expect_errno(one_reg(g.vcpu, KVM_GET_ONE_REG, KVM_REG_S390 | 0x77, &v),
		     EINVAL, "KVM_GET_ONE_REG of an unknown id -> EINVAL");
	expect_errno(one_reg(g.vcpu, KVM_SET_ONE_REG, KVM_REG_S390 | 0x77, &v),
		     EINVAL, "KVM_SET_ONE_REG of an unknown id -> EINVAL");
	expect_errno(one_reg(g.vcpu, KVM_GET_ONE_REG, KVM_REG_S390_PP, bad_addr),
		     EFAULT, "KVM_GET_ONE_REG to a bad address -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_SET_ONE_REG, bad_addr), EFAULT,
		     "KVM_SET_ONE_REG, bad pointer -> EFAULT");
	guest_destroy(&g);
}

/* ---- KVM_CAP_SYNC_REGS ---- */

GUEST_S390_CODE_BLOB(g_sync,
	"0:	llilh	2,2\n"
	"	stpx	0(2)\n"
	"	stctg	3,3,8(2)\n"
	"	ear	3,4\n"
	"	lgr	1,5\n"
	"	ahi	11,1\n"
	"	diag	0,0,0x501\n"
	"	j	0b\n");

#define SYNC_NEW_VCPU	(KVM_SYNC_PREFIX | KVM_SYNC_GPRS | KVM_SYNC_ACRS | \
			 KVM_SYNC_CRS | KVM_SYNC_ARCH0 | KVM_SYNC_PFAULT | \
			 KVM_SYNC_DIAG318)

static void test_sync_regs(int kvm)
{
	struct kvm_run *run;
	struct guest g;
	__u64 pp = 0;
	long cap;

	cap = check_cap(kvm, KVM_CAP_SYNC_REGS);
	/* Stock answers 1; nkvm the mask of the sets it takes, as on x86. */
	if (kvm_is_ours())
		tap_ok(cap == 0x1fff, "KVM_CAP_SYNC_REGS: the s390 sets (%#lx)",
		       cap);
	else
		tap_ok(cap == 1, "KVM_CAP_SYNC_REGS: 1 (stock)");
	fresh(&g, kvm, g_sync, g_sync_end, 0);
	run = g.run;
	tap_ok((run->kvm_valid_regs & SYNC_NEW_VCPU) == SYNC_NEW_VCPU &&
	       (run->kvm_valid_regs & (KVM_SYNC_FPRS | KVM_SYNC_VRS)),
	       "a new vCPU advertises its sets in kvm_valid_regs (%#llx)",
	       (unsigned long long)run->kvm_valid_regs);
	run->kvm_valid_regs = 0x80000000;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "kvm_valid_regs with an unknown set -> EINVAL");
	run->kvm_valid_regs = SYNC_NEW_VCPU;
	run->kvm_dirty_regs = 0x80000000;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "kvm_dirty_regs with an unknown set -> EINVAL");

	run->s.regs.prefix = 0x60000;
	run->s.regs.gprs[5] = 0xfeed;
	run->s.regs.gprs[11] = 100;
	run->s.regs.acrs[4] = 0x77;
	run->s.regs.crs[3] = 0x4321;
	run->s.regs.pp = 0x9999;
	run->kvm_dirty_regs = KVM_SYNC_PREFIX | KVM_SYNC_GPRS | KVM_SYNC_ACRS |
			      KVM_SYNC_CRS | KVM_SYNC_ARCH0;
	tap_ok(guest_s390_run_diag(&g), "KVM_RUN with dirty sets");
	tap_ok(run->kvm_dirty_regs == 0, "kvm_dirty_regs cleared (%#llx)",
	       (unsigned long long)run->kvm_dirty_regs);
	tap_ok(rd32(GUEST_S390_DATA) == 0x60000 &&
	       run->s.regs.prefix == 0x60000, "KVM_SYNC_PREFIX: the guest's prefix");
	tap_ok(run->s.regs.gprs[1] == 0xfeed && run->s.regs.gprs[11] == 101,
	       "KVM_SYNC_GPRS: r5, r11 (r11 now %llu)",
	       (unsigned long long)run->s.regs.gprs[11]);
	tap_ok(run->s.regs.gprs[3] == 0x77 && run->s.regs.acrs[4] == 0x77,
	       "KVM_SYNC_ACRS: AR4");
	tap_ok(rd64(GUEST_S390_DATA + 8) == 0x4321 && run->s.regs.crs[3] == 0x4321,
	       "KVM_SYNC_CRS: CR3");
	tap_ok(!one_reg(g.vcpu, KVM_GET_ONE_REG, KVM_REG_S390_PP, &pp) &&
	       pp == 0x9999 && run->s.regs.pp == 0x9999, "KVM_SYNC_ARCH0: PP");

	/* Not dirty: what userspace leaves in kvm_run is overwritten. */
	run->s.regs.crs[3] = 0x1111;
	run->s.regs.pp = 0x2222;
	run->s.regs.prefix = 0x70000;
	run->s.regs.diag318 = 0x4b1d;
	run->kvm_dirty_regs = 0;
	tap_ok(guest_s390_run_diag(&g) && run->s.regs.crs[3] == 0x4321 &&
	       run->s.regs.pp == 0x9999 && run->s.regs.prefix == 0x60000 &&
	       run->s.regs.diag318 != 0x4b1d && run->s.regs.gprs[11] == 102,
	       "clean sets are stored back over kvm_run");
	/* The general registers are always taken from kvm_run. */
	run->s.regs.gprs[11] = 500;
	run->kvm_valid_regs = 0;
	tap_ok(guest_s390_run_diag(&g) && run->s.regs.gprs[11] == 501,
	       "r11 from kvm_run without KVM_SYNC_GPRS, stored with kvm_valid_regs 0");
	guest_destroy(&g);
}

int main(void)
{
	int kvm;

	tap_plan(7 + 8 + 1 + 2 + 1 + 10 + 13 + 12 + 13);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return tap_skip_rest("no guests here (no SIE)");
	mem = alloc_aligned(GUEST_S390_MEM, MiB);
	bad_addr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(bad_addr, 4096);

	test_diag(kvm);
	test_ident(kvm);
	test_prefix(kvm);
	test_program(kvm);
	test_disabled_wait(kvm);
	test_regs(kvm);
	test_psw_mp_state(kvm);
	test_one_reg(kvm);
	test_sync_regs(kvm);
	close(kvm);
	return tap_finish();
}
