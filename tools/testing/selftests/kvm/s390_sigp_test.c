// SPDX-License-Identifier: GPL-2.0
/*
 * SIGNAL PROCESSOR between two vCPUs (Hercules, SIE): vCPU 0 signals
 * vCPU 1, which runs in another thread and waits enabled for external
 * interruptions. SENSE (stopped, operating, a CPU that does not exist),
 * EMERGENCY SIGNAL and EXTERNAL CALL taken by the waiting vCPU, STOP
 * (the target exits to userspace at its stop intercept), SET PREFIX and
 * STORE STATUS AT ADDRESS on the stopped one, SET ARCHITECTURE, START
 * (userspace's), and KVM_CAP_S390_USER_SIGP sending STOP to userspace.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LC_EXT_CPU_ADDR		0x84
#define LC_EXT_INT_CODE		0x86
#define LC_EXT_NEW		0x1b0
#define LC_PREFIX_SAVE		0x118	/* in a store-status area (0x1318) */
#define PREFIX1			0x80000
#define STATUS_AREA		0x9a000
#define CR0_EMERGENCY		(1ULL << (63 - 49))
#define CR0_EXT_CALL		(1ULL << (63 - 50))

#define SIGP_STATUS_STOPPED		0x40
#define SIGP_STATUS_INVALID_PARAMETER	0x100

static void *mem;

/* vCPU 0: one order per DIAGNOSE; r6 status, r8 cc, r7 parameter. */
GUEST_S390_CODE_BLOB(g_src,
	"	lghi	3,1\n"
	"	sigp	6,3,1\n"	/* SENSE 1 (stopped) */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,3\n"	/* EMERGENCY SIGNAL */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,2\n"	/* EXTERNAL CALL */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,5\n"	/* STOP */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,1\n"	/* SENSE 1 (stopped again) */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	llilf	7,0x90000\n"
	"	sigp	6,3,13\n"	/* SET PREFIX */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	llilf	7,0x9a000\n"
	"	sigp	6,3,14\n"	/* STORE STATUS AT ADDRESS */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	lghi	9,7\n"
	"	sigp	6,9,1\n"	/* SENSE 7: no such CPU */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,18\n"	/* SET ARCHITECTURE */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"	sigp	6,3,4\n"	/* START: userspace's */
	"	diag	0,0,0x501\n"
	"	sigp	6,3,5\n"	/* STOP, with USER_SIGP */
	"	diag	0,0,0x501\n"
	"	sigp	6,3,1\n"	/* SENSE, with USER_SIGP */
	"	ipm	8\n"
	"	diag	0,0,0x501\n"
	"0:	j	0b\n");

/* vCPU 1: wait enabled; report each interruption. */
GUEST_S390_CODE_BLOB(g_dst,
	"start:	larl	2,wpsw\n"
	"	lpswe	0(2)\n"
	"handler:\n"
	"	diag	0,0,0x501\n"
	"	j	start\n"
	"	.balign	8\n"
	"wpsw:	.quad	0x0302000180000000\n"	/* EXT | IO | WAIT | 64 */
	"	.quad	0x11000\n");

#define DST_CODE	(GUEST_S390_CODE + 0x1000)
#define DST_HANDLER	(DST_CODE + 10)

struct runner {
	struct guest *g;
	int r, exit_reason, icptcode;
};

static void *run_vcpu(void *p)
{
	struct runner *rn = p;

	rn->r = ioctl(rn->g->vcpu, KVM_RUN, 0);
	rn->exit_reason = rn->g->run->exit_reason;
	rn->icptcode = rn->g->run->s390_sieic.icptcode;
	return NULL;
}

static unsigned int cc(struct guest *g)
{
	return (g->run->s.regs.gprs[8] >> 28) & 3;
}

static __u32 status(struct guest *g)
{
	return (__u32)g->run->s.regs.gprs[6];
}

static __u16 rd16(__u64 gpa)
{
	__u16 v;

	memcpy(&v, (char *)mem + gpa, 2);
	return v;
}

static __u32 rd32(__u64 gpa)
{
	__u32 v;

	memcpy(&v, (char *)mem + gpa, 4);
	return v;
}

/* vCPU 1 in a thread until its next exit, while vCPU 0 runs one order. */
static bool order(struct guest *src, struct guest *dst, struct runner *rn)
{
	pthread_t t;
	bool ok;

	rn->g = dst;
	rn->r = -1;
	pthread_create(&t, NULL, run_vcpu, rn);
	usleep(300 * 1000);		/* let it reach its wait */
	ok = guest_s390_run_diag(src);
	pthread_join(t, NULL);
	return ok;
}

int main(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_USER_SIGP };
	struct kvm_s390_irq irqs[4];
	struct kvm_s390_irq_state st = {
		.buf = (__u64)(unsigned long)irqs, .len = sizeof(irqs),
	};
	__u64 psw[2] = { PSW_MASK_64, DST_HANDLER };
	struct kvm_sregs sregs;
	struct guest g0, g1;
	struct runner rn;
	int kvm, r;

	tap_plan(16);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return tap_skip_rest("no guests here (no SIE)");
	mem = alloc_aligned(GUEST_S390_MEM, MiB);
	memset(mem, 0, GUEST_S390_MEM);

	guest_s390_create(&g0, kvm, mem, 0);
	guest_s390_load(&g0, mem, GUEST_S390_CODE, g_src, g_src_end, 0);
	/* vCPU 1 on the same VM, its lowcore at PREFIX1. */
	memset(&g1, 0, sizeof(g1));
	g1.kvm = kvm;
	g1.vm = g0.vm;
	g1.run_size = g0.run_size;
	g1.vcpu = create_vcpu(g0.vm, 1);
	g1.run = mmap(NULL, g1.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g1.vcpu, 0);
	if (g1.run == MAP_FAILED)
		tap_bail("mmap of vCPU 1: %m");
	guest_s390_load(&g1, mem, DST_CODE, g_dst, g_dst_end, 0);
	memcpy((char *)mem + PREFIX1 + LC_EXT_NEW, psw, 16);
	if (ioctl(g1.vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.crs[0] |= CR0_EMERGENCY | CR0_EXT_CALL;
	if (ioctl(g1.vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	g1.run->s.regs.prefix = PREFIX1;
	g1.run->kvm_dirty_regs = KVM_SYNC_PREFIX;

	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 1 &&
	       (status(&g0) & SIGP_STATUS_STOPPED),
	       "SENSE of a new vCPU: cc 1, stopped (cc %u, status %#x)",
	       cc(&g0), status(&g0));
	r = order(&g0, &g1, &rn) && cc(&g0) == 0;
	tap_ok(r && !rn.r && rn.exit_reason == KVM_EXIT_S390_SIEIC &&
	       rd16(PREFIX1 + LC_EXT_INT_CODE) == 0x1201 &&
	       rd16(PREFIX1 + LC_EXT_CPU_ADDR) == 0,
	       "EMERGENCY SIGNAL: cc 0, the waiting vCPU 1 takes it from CPU 0 (code %#x)",
	       rd16(PREFIX1 + LC_EXT_INT_CODE));
	r = order(&g0, &g1, &rn) && cc(&g0) == 0;
	tap_ok(r && !rn.r && rd16(PREFIX1 + LC_EXT_INT_CODE) == 0x1202,
	       "EXTERNAL CALL: cc 0, taken (code %#x)",
	       rd16(PREFIX1 + LC_EXT_INT_CODE));
	r = order(&g0, &g1, &rn) && cc(&g0) == 0;
	tap_ok(r && !rn.r && rn.exit_reason == KVM_EXIT_S390_SIEIC &&
	       rn.icptcode == 0x28,
	       "STOP: cc 0, vCPU 1 exits with the stop intercept (exit %d, code %#x)",
	       rn.exit_reason, rn.icptcode);
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 1 &&
	       (status(&g0) & SIGP_STATUS_STOPPED),
	       "SENSE: stopped now (cc %u, status %#x)", cc(&g0), status(&g0));
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 0,
	       "SET PREFIX on the stopped vCPU: cc 0 (cc %u)", cc(&g0));
	memset(irqs, 0, sizeof(irqs));
	r = ioctl(g1.vcpu, KVM_S390_GET_IRQ_STATE, &st);
	tap_ok(r == sizeof(irqs[0]) &&
	       irqs[0].type == KVM_S390_SIGP_SET_PREFIX &&
	       irqs[0].u.prefix.address == 0x90000,
	       "it is pending at vCPU 1 (%d bytes)", r);
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 0 &&
	       rd32(STATUS_AREA + LC_PREFIX_SAVE) == PREFIX1,
	       "STORE STATUS AT ADDRESS: cc 0, the prefix saved (%#x)",
	       rd32(STATUS_AREA + LC_PREFIX_SAVE));
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 3,
	       "SENSE of CPU 7, which does not exist: cc 3");
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 1 &&
	       status(&g0) == SIGP_STATUS_INVALID_PARAMETER,
	       "SET ARCHITECTURE: cc 1, invalid parameter (%#x)", status(&g0));
	r = ioctl(g0.vcpu, KVM_RUN, 0);
	tap_ok(!r && g0.run->exit_reason == KVM_EXIT_S390_SIEIC &&
	       g0.run->s390_sieic.icptcode == 4 &&
	       g0.run->s390_sieic.ipa == 0xae63,
	       "START goes to userspace as an intercept (%s)",
	       guest_s390_exit_str(&g0));
	/* The PSW is past it already: userspace would start vCPU 1. */
	tap_ok(guest_s390_run_diag(&g0), "on to the next order");

	expect_success(ioctl(g0.vm, KVM_ENABLE_CAP, &cap),
		       "KVM_ENABLE_CAP KVM_CAP_S390_USER_SIGP");
	r = ioctl(g0.vcpu, KVM_RUN, 0);
	tap_ok(!r && g0.run->exit_reason == KVM_EXIT_S390_SIEIC &&
	       g0.run->s390_sieic.ipa == 0xae63 &&
	       g0.run->s390_sieic.ipb == 0x00050000,
	       "with it, STOP goes to userspace (%s)",
	       guest_s390_exit_str(&g0));
	tap_ok(guest_s390_run_diag(&g0), "on to SENSE");
	tap_ok(guest_s390_run_diag(&g0) && cc(&g0) == 1,
	       "SENSE stays in the kernel (cc %u)", cc(&g0));

	close(g1.vcpu);
	guest_destroy(&g0);
	close(kvm);
	return tap_finish();
}
