// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check emulation: KVM_CAP_MCE, KVM_X86_GET_MCE_CAP_SUPPORTED,
 * KVM_X86_SETUP_MCE and KVM_X86_SET_MCE, and the MCG_* / MCi_* MSRs from
 * userspace (KVM_GET/SET_MSRS) and from a real-mode guest, which takes an
 * injected #MC through its IVT and reads the bank in its handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <cpuid.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define GP_GPA		0x1100
#define MC_GPA		0x1200
#define STACK_TOP	0x8000

#define MSR_MCG_CAP	0x179
#define MSR_MCG_STATUS	0x17a
#define MSR_MCG_CTL	0x17b
#define MSR_MC_CTL(i)	(0x400 + 4 * (i))
#define MSR_MC_STATUS(i) (MSR_MC_CTL(i) + 1)
#define MSR_MC_ADDR(i)	(MSR_MC_CTL(i) + 2)
#define MSR_MC_MISC(i)	(MSR_MC_CTL(i) + 3)
#define MSR_MC_CTL2(i)	(0x280 + (i))

#define MCG_CTL_P	(1ULL << 8)
#define MCG_CMCI_P	(1ULL << 10)
#define MCG_SER_P	(1ULL << 24)
#define MCG_LMCE_P	(1ULL << 27)
#define MCG_RIPV	(1ULL << 0)
#define MCG_EIPV	(1ULL << 1)
#define MCG_MCIP	(1ULL << 2)

#define MCI_VAL		(1ULL << 63)
#define MCI_OVER	(1ULL << 62)
#define MCI_UC		(1ULL << 61)
#define MCI_EN		(1ULL << 60)
#define MCI_MISCV	(1ULL << 59)
#define MCI_ADDRV	(1ULL << 58)
#define MCI_PCC		(1ULL << 57)

#define CR4_MCE		(1ULL << 6)
#define MC_VECTOR	18
#define GP_VECTOR	13
#define NR_BANKS	10

#define PORT_GP		0x80
#define PORT_LOOP	0x81
#define PORT_VAL	0x82
#define PORT_DONE	0x83
#define PORT_MC		0x84

#define MOV_ECX(msr)	0x66, 0xb9, (msr) & 0xff, (msr) >> 8, 0, 0
#define RDMSR		0x0f, 0x32
#define WRMSR		0x0f, 0x30
#define OUT(port)	0xe6, (port)
#define XOR_EAX		0x66, 0x31, 0xc0
#define XOR_EDX		0x66, 0x31, 0xd2

/* 16-bit code: the guest's view of the MSRs, then a loop on OUT. */
static const unsigned char guest_code[] = {
	MOV_ECX(MSR_MCG_CAP), RDMSR, OUT(PORT_VAL),
	/* A non-zero MCi_STATUS from the guest: #GP. */
	MOV_ECX(MSR_MC_STATUS(1)), 0x66, 0xb8, 1, 0, 0, 0, XOR_EDX, WRMSR,
	/* MCi_CTL2 without CMCI: #GP. */
	MOV_ECX(MSR_MC_CTL2(1)), RDMSR,
	/* Past the last bank: #GP. */
	MOV_ECX(MSR_MC_CTL(NR_BANKS)), RDMSR,
	/* MCi_ADDR takes any value. */
	MOV_ECX(MSR_MC_ADDR(1)), 0x66, 0xb8, 0x34, 0x12, 0, 0, WRMSR,
	XOR_EAX, RDMSR, OUT(PORT_VAL),
	OUT(PORT_LOOP), 0xeb, 0xfc,
};

/* #GP: step over the 2-byte RDMSR/WRMSR, OUT 13 to PORT_GP. */
static const unsigned char gp_handler[] = {
	0x55,				/* push bp		*/
	0x89, 0xe5,			/* mov bp, sp		*/
	0x83, 0x46, 0x02, 0x02,		/* add word [bp+2], 2	*/
	0x5d,				/* pop bp		*/
	0xb0, GP_VECTOR, OUT(PORT_GP),	/* mov al, 13; out	*/
	0xcf,				/* iret			*/
};

/* #MC: show MC1_STATUS, MC1_ADDR, MCG_STATUS, clear them, IRET. */
static const unsigned char mc_handler[] = {
	MOV_ECX(MSR_MC_STATUS(1)), RDMSR, OUT(PORT_MC),
	MOV_ECX(MSR_MC_ADDR(1)), RDMSR, OUT(PORT_MC),
	MOV_ECX(MSR_MCG_STATUS), RDMSR, OUT(PORT_MC),
	XOR_EAX, XOR_EDX, WRMSR,
	MOV_ECX(MSR_MC_STATUS(1)), WRMSR,
	0xb0, 0x12, OUT(PORT_DONE),
	0xcf,
};

#define NR_CHECKS	67

static unsigned char *mem;
/* KVM_X86_GET_MCE_CAP_SUPPORTED: stock offers CMCI and LMCE on Intel. */
static __u64 supported;

/* As stock on AMD, MCG_CAP keeps bits 8:0 of what SETUP_MCE gave. */
static __u64 mcg_cap_kept(__u64 cap)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 ? cap & 0x1ff : cap;	/* "Auth" */
}

/* KVM_RUN must give KVM_EXIT_SHUTDOWN. */
static bool run_shutdown(struct guest *g)
{
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (r || g->run->exit_reason != KVM_EXIT_SHUTDOWN) {
		tap_diag("KVM_RUN: %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(g->run->exit_reason));
		return false;
	}
	return true;
}

static int get_msr(int vcpu, __u32 index, __u64 *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	r = ioctl(vcpu, KVM_GET_MSRS, &m);
	*val = m.e.data;
	return r;
}

static __u64 msr(int vcpu, __u32 index)
{
	__u64 v;

	if (get_msr(vcpu, index, &v) != 1)
		return 0xbadbadbadULL;
	return v;
}

static int set_msr(int vcpu, __u32 index, __u64 val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = val;
	return ioctl(vcpu, KVM_SET_MSRS, &m);
}

static int set_mce(int vcpu, __u32 bank, __u64 status, __u64 mcg_status,
		   __u64 addr, __u64 misc)
{
	struct kvm_x86_mce m;

	memset(&m, 0, sizeof(m));
	m.bank = bank;
	m.status = status;
	m.mcg_status = mcg_status;
	m.addr = addr;
	m.misc = misc;
	return ioctl(vcpu, KVM_X86_SET_MCE, &m);
}

static int setup_mce(int vcpu, __u64 cap)
{
	return ioctl(vcpu, KVM_X86_SETUP_MCE, &cap);
}

static bool exception_queued(int vcpu, unsigned int *nr)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	if (ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev))
		tap_bail("KVM_GET_VCPU_EVENTS: %m");
	*nr = ev.exception.nr;
	return ev.exception.injected;
}

static bool index_listed(int kvm, __u32 index)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	bool found = false;

	if (ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &probe) == 0 || errno != E2BIG)
		tap_bail("KVM_GET_MSR_INDEX_LIST size: %m");
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(__u32));
	if (!list)
		tap_bail("calloc");
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list))
		tap_bail("KVM_GET_MSR_INDEX_LIST: %m");
	for (__u32 i = 0; i < list->nmsrs; i++)
		if (list->indices[i] == index)
			found = true;
	free(list);
	return found;
}

/* 7 checks */
static __u64 test_system(int kvm)
{
	__u64 cap = 0;
	bool banks_listed = false;
	int vm;

	expect_value(check_cap(kvm, KVM_CAP_MCE), 32,
		     "KVM_CHECK_EXTENSION(KVM_CAP_MCE): 32 banks");
	expect_success(ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap),
		       "KVM_X86_GET_MCE_CAP_SUPPORTED");
	supported = cap;
	tap_ok((cap & MCG_CTL_P) && !(cap & 0xff) &&
	       (guest_host_intel() || !(cap & MCG_CMCI_P)),
	       "supported: MCG_CTL_P, no counts, CMCI only on Intel (%#llx)",
	       (unsigned long long)cap);
	expect_errno(ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, (void *)8),
		     EFAULT, "KVM_X86_GET_MCE_CAP_SUPPORTED, bad pointer: EFAULT");
	vm = create_vm(kvm);
	expect_errno(ioctl(vm, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap), ENOTTY,
		     "KVM_X86_GET_MCE_CAP_SUPPORTED on a VM fd: ENOTTY");
	close(vm);
	tap_ok(index_listed(kvm, MSR_MCG_STATUS) && index_listed(kvm, MSR_MCG_CTL),
	       "MSR index list: MCG_STATUS and MCG_CTL");
	for (__u32 i = 0; i < 32; i++)
		if (index_listed(kvm, MSR_MC_CTL(i)) ||
		    index_listed(kvm, MSR_MC_STATUS(i)) ||
		    index_listed(kvm, MSR_MC_CTL2(i)))
			banks_listed = true;
	tap_ok(!index_listed(kvm, MSR_MCG_CAP) && !banks_listed,
	       "MSR index list: neither MCG_CAP nor the bank MSRs");
	if (ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap))
		cap = MCG_CTL_P;
	return cap & (MCG_CTL_P | MCG_SER_P);
}

static void new_guest(struct guest *g, int kvm)
{
	guest_create(g, kvm);
	memset(mem, 0, MEM_SIZE);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	memcpy(mem + GP_GPA, gp_handler, sizeof(gp_handler));
	memcpy(mem + MC_GPA, mc_handler, sizeof(mc_handler));
	/* IVT entries: offset, segment 0. */
	*(__u32 *)(mem + 4 * GP_VECTOR) = GP_GPA;
	*(__u32 *)(mem + 4 * MC_VECTOR) = MC_GPA;
	guest_set_slot(g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(g);
	if (!guest_enter_real(g, CODE_GPA, STACK_TOP))
		tap_bail("real mode: %m");
}

/* 13 checks */
static void test_setup(int vcpu, __u64 caps)
{
	__u64 v, cap = caps | NR_BANKS;

	tap_ok(msr(vcpu, MSR_MCG_CAP) == 32 && msr(vcpu, MSR_MC_CTL(0)) == 0 &&
	       msr(vcpu, MSR_MC_STATUS(31)) == 0,
	       "a new vCPU: MCG_CAP 32 banks, bank MSRs 0 (MCG_CAP %#llx)",
	       (unsigned long long)msr(vcpu, MSR_MCG_CAP));
	expect_value(get_msr(vcpu, MSR_MC_CTL(32), &v), 0,
		     "KVM_GET_MSRS: no bank 32");
	expect_errno(setup_mce(vcpu, caps), EINVAL,
		     "KVM_X86_SETUP_MCE: no banks: EINVAL");
	expect_errno(setup_mce(vcpu, caps | 33), EINVAL,
		     "KVM_X86_SETUP_MCE: 33 banks: EINVAL");
	/* Taken exactly where KVM_X86_GET_MCE_CAP_SUPPORTED offers them. */
	if (supported & MCG_CMCI_P)
		expect_success(setup_mce(vcpu, cap | MCG_CMCI_P),
			       "KVM_X86_SETUP_MCE: CMCI_P (offered) is taken");
	else
		expect_errno(setup_mce(vcpu, cap | MCG_CMCI_P), EINVAL,
			     "KVM_X86_SETUP_MCE: CMCI_P (not offered): EINVAL");
	if (supported & MCG_LMCE_P)
		expect_success(setup_mce(vcpu, cap | MCG_LMCE_P),
			       "KVM_X86_SETUP_MCE: LMCE_P (offered) is taken");
	else
		expect_errno(setup_mce(vcpu, cap | MCG_LMCE_P), EINVAL,
			     "KVM_X86_SETUP_MCE: LMCE_P (not offered): EINVAL");
	expect_errno(ioctl(vcpu, KVM_X86_SETUP_MCE, (void *)8), EFAULT,
		     "KVM_X86_SETUP_MCE: bad pointer: EFAULT");
	expect_success(setup_mce(vcpu, cap | (1 << 16)),
		       "KVM_X86_SETUP_MCE: an extended-register count is taken");
	expect_success(setup_mce(vcpu, cap),
		       "KVM_X86_SETUP_MCE: %u banks, %#llx", NR_BANKS,
		       (unsigned long long)caps);
	expect_value(msr(vcpu, MSR_MCG_CAP), mcg_cap_kept(cap),
		     "MCG_CAP reads it back");
	tap_ok(msr(vcpu, MSR_MCG_CTL) == ~0ULL &&
	       msr(vcpu, MSR_MC_CTL(0)) == ~0ULL &&
	       msr(vcpu, MSR_MC_CTL(NR_BANKS - 1)) == ~0ULL,
	       "MCG_CTL and every MCi_CTL set to all ones");
	tap_ok(get_msr(vcpu, MSR_MC_CTL(NR_BANKS), &v) == 0 &&
	       set_msr(vcpu, MSR_MC_STATUS(NR_BANKS), 0) == 0,
	       "past the last bank: KVM_GET/SET_MSRS stop");
	expect_value(set_msr(vcpu, MSR_MCG_CAP, cap), 0,
		     "KVM_SET_MSRS: MCG_CAP is read-only");
}

/* 12 checks */
static void test_msr_rules(int vcpu)
{
	__u64 v;

	expect_value(set_msr(vcpu, MSR_MCG_CTL, 5), 0,
		     "MCG_CTL: 5 refused");
	tap_ok(set_msr(vcpu, MSR_MCG_CTL, 0) == 1 && msr(vcpu, MSR_MCG_CTL) == 0,
	       "MCG_CTL: 0 taken");
	expect_value(set_msr(vcpu, MSR_MCG_CTL, ~0ULL), 1,
		     "MCG_CTL: all ones taken");
	expect_value(set_msr(vcpu, MSR_MC_CTL(1), 0x1234), 0,
		     "MC1_CTL: 0x1234 refused");
	tap_ok(set_msr(vcpu, MSR_MC_CTL(1), ~0ULL & ~(1ULL << 10) & ~1ULL) == 1 &&
	       set_msr(vcpu, MSR_MC_CTL(1), 0) == 1 &&
	       set_msr(vcpu, MSR_MC_CTL(1), ~0ULL) == 1,
	       "MC1_CTL: all ones less bits 10 and 0, 0, all ones taken");
	tap_ok(set_msr(vcpu, MSR_MC_STATUS(1), MCI_VAL | 7) == 1 &&
	       msr(vcpu, MSR_MC_STATUS(1)) == (MCI_VAL | 7),
	       "MC1_STATUS: userspace may write any value");
	tap_ok(set_msr(vcpu, MSR_MC_ADDR(1), 0xabcd) == 1 &&
	       set_msr(vcpu, MSR_MC_MISC(1), 0x55) == 1 &&
	       msr(vcpu, MSR_MC_ADDR(1)) == 0xabcd &&
	       msr(vcpu, MSR_MC_MISC(1)) == 0x55,
	       "MC1_ADDR and MC1_MISC round trip");
	tap_ok(set_msr(vcpu, MSR_MC_CTL2(1), 0) == 1 &&
	       get_msr(vcpu, MSR_MC_CTL2(1), &v) == 1 && v == 0,
	       "MC1_CTL2 without CMCI: userspace reads and writes 0");
	expect_value(set_msr(vcpu, MSR_MC_CTL2(1), 1), 0,
		     "MC1_CTL2 without CMCI: 1 refused");
	expect_value(get_msr(vcpu, MSR_MC_CTL2(NR_BANKS), &v), 0,
		     "MCi_CTL2 past the last bank: refused");
	tap_ok(set_msr(vcpu, MSR_MCG_STATUS, MCG_MCIP) == 1 &&
	       msr(vcpu, MSR_MCG_STATUS) == MCG_MCIP &&
	       set_msr(vcpu, MSR_MCG_STATUS, 0) == 1,
	       "MCG_STATUS round trip");
	/* Clean bank 1 for what follows. */
	tap_ok(set_msr(vcpu, MSR_MC_STATUS(1), 0) == 1 &&
	       set_msr(vcpu, MSR_MC_ADDR(1), 0) == 1 &&
	       set_msr(vcpu, MSR_MC_MISC(1), 0) == 1,
	       "MC1_STATUS/ADDR/MISC cleared");
}

/* 14 checks */
static void test_set_mce(struct guest *g)
{
	int vcpu = g->vcpu;
	unsigned int nr;
	__u64 uc = MCI_VAL | MCI_UC | MCI_EN | MCI_PCC | 0x10;

	expect_errno(set_mce(vcpu, NR_BANKS, MCI_VAL, 0, 0, 0), EINVAL,
		     "KVM_X86_SET_MCE: bank past the last: EINVAL");
	expect_errno(set_mce(vcpu, 2, MCI_EN, 0, 0, 0), EINVAL,
		     "KVM_X86_SET_MCE: status without VAL: EINVAL");
	expect_errno(ioctl(vcpu, KVM_X86_SET_MCE, (void *)8), EFAULT,
		     "KVM_X86_SET_MCE: bad pointer: EFAULT");

	/* Corrected errors are logged, nothing is raised. */
	expect_success(set_mce(vcpu, 2, MCI_VAL | MCI_EN | 0x17, 0, 0x1000, 0x86),
		       "KVM_X86_SET_MCE: a corrected error");
	tap_ok(msr(vcpu, MSR_MC_STATUS(2)) == (MCI_VAL | MCI_EN | 0x17) &&
	       msr(vcpu, MSR_MC_ADDR(2)) == 0x1000 &&
	       msr(vcpu, MSR_MC_MISC(2)) == 0x86 && !exception_queued(vcpu, &nr),
	       "... logged in MC2, no exception queued");
	set_mce(vcpu, 2, MCI_VAL | MCI_EN | 0x18, 0, 0x2000, 0);
	tap_ok(msr(vcpu, MSR_MC_STATUS(2)) == (MCI_VAL | MCI_OVER | MCI_EN | 0x18) &&
	       msr(vcpu, MSR_MC_ADDR(2)) == 0x2000,
	       "a second one replaces it with OVER set");

	/* UCNA: uncorrected, no action required: logged only. */
	expect_success(set_mce(vcpu, 3, MCI_VAL | MCI_UC | MCI_EN | MCI_ADDRV,
			       0, 0x3000, 0),
		       "KVM_X86_SET_MCE: an uncorrected no-action error");
	tap_ok(msr(vcpu, MSR_MC_STATUS(3)) == (MCI_VAL | MCI_UC | MCI_EN | MCI_ADDRV) &&
	       !exception_queued(vcpu, &nr),
	       "... logged in MC3, no exception queued");
	set_mce(vcpu, 3, MCI_VAL | MCI_EN, 0, 0x4000, 0);
	tap_ok(msr(vcpu, MSR_MC_STATUS(3)) ==
	       (MCI_VAL | MCI_OVER | MCI_UC | MCI_EN | MCI_ADDRV) &&
	       msr(vcpu, MSR_MC_ADDR(3)) == 0x3000,
	       "a corrected error on it only sets OVER");

	/* Uncorrected errors with reporting off are dropped. */
	set_msr(vcpu, MSR_MCG_CTL, 0);
	expect_success(set_mce(vcpu, 4, uc, MCG_MCIP | MCG_EIPV, 0, 0),
		       "KVM_X86_SET_MCE: uncorrected with MCG_CTL 0");
	tap_ok(msr(vcpu, MSR_MC_STATUS(4)) == 0 && !exception_queued(vcpu, &nr),
	       "... dropped");
	set_msr(vcpu, MSR_MCG_CTL, ~0ULL);
	set_msr(vcpu, MSR_MC_CTL(4), 0);
	set_mce(vcpu, 4, uc, MCG_MCIP | MCG_EIPV, 0, 0);
	tap_ok(msr(vcpu, MSR_MC_STATUS(4)) == 0 && !exception_queued(vcpu, &nr),
	       "uncorrected with MC4_CTL 0: dropped");
	set_msr(vcpu, MSR_MC_CTL(4), ~0ULL);

	/* CR4.MCE is clear: the guest cannot take #MC and shuts down. */
	expect_success(set_mce(vcpu, 4, uc, MCG_MCIP | MCG_EIPV, 0, 0),
		       "KVM_X86_SET_MCE: uncorrected with CR4.MCE clear");
	tap_ok(run_shutdown(g), "... KVM_RUN: KVM_EXIT_SHUTDOWN");
}

/* KVM_RUN to an OUT to port; the guest's EDX:EAX. */
static bool run_out(struct guest *g, int port, __u64 *val)
{
	struct kvm_regs regs;
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (r || g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.port != port) {
		tap_diag("KVM_RUN: %d (errno %d), exit %s port %#x", r,
			 r ? errno : 0, guest_exit_name(g->run->exit_reason),
			 g->run->io.port);
		return false;
	}
	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS: %m");
	if (val)
		*val = (regs.rdx << 32) | (regs.rax & 0xffffffff);
	return true;
}

/* 20 checks */
static void test_guest(struct guest *g, __u64 caps)
{
	__u64 cap = caps | NR_BANKS, v = 0, uc, uc2;
	int vcpu = g->vcpu;
	struct kvm_sregs sregs;
	unsigned int nr = 0;
	bool ok;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cr4 |= CR4_MCE;
	expect_success(ioctl(vcpu, KVM_SET_SREGS, &sregs),
		       "KVM_SET_SREGS: CR4.MCE in real mode");
	expect_success(setup_mce(vcpu, cap), "KVM_X86_SETUP_MCE");

	ok = run_out(g, PORT_VAL, &v);
	tap_ok(ok && (__u32)v == (__u32)mcg_cap_kept(cap),
	       "guest RDMSR MCG_CAP: %#llx", (unsigned long long)v);
	tap_ok(run_out(g, PORT_GP, NULL),
	       "guest WRMSR of a non-zero MC1_STATUS: #GP");
	tap_ok(run_out(g, PORT_GP, NULL), "guest RDMSR MC1_CTL2: #GP");
	tap_ok(run_out(g, PORT_GP, NULL),
	       "guest RDMSR past the last bank: #GP");
	ok = run_out(g, PORT_VAL, &v);
	tap_ok(ok && (__u32)v == 0x1234 && msr(vcpu, MSR_MC_ADDR(1)) == 0x1234,
	       "guest WRMSR/RDMSR MC1_ADDR: %#llx", (unsigned long long)v);
	tap_ok(run_out(g, PORT_LOOP, NULL), "the guest reached its loop");

	uc = MCI_VAL | MCI_UC | MCI_EN | MCI_PCC | MCI_ADDRV | MCI_MISCV | 0x135;
	expect_success(set_mce(vcpu, 1, uc, MCG_RIPV | MCG_EIPV | MCG_MCIP,
			       0xabc000, 0x8c),
		       "KVM_X86_SET_MCE: an uncorrected error in MC1");
	ok = exception_queued(vcpu, &nr);
	tap_ok(ok && nr == MC_VECTOR,
	       "#MC queued (vector %u)", nr);
	tap_ok(msr(vcpu, MSR_MCG_STATUS) == (MCG_RIPV | MCG_EIPV | MCG_MCIP),
	       "MCG_STATUS set from the error");
	ok = run_out(g, PORT_MC, &v);
	tap_ok(ok && v == uc,
	       "the #MC handler reads MC1_STATUS %#llx", (unsigned long long)v);
	ok = run_out(g, PORT_MC, &v);
	tap_ok(ok && v == 0xabc000,
	       "... MC1_ADDR %#llx", (unsigned long long)v);
	ok = run_out(g, PORT_MC, &v);
	tap_ok(ok && v == (MCG_RIPV | MCG_EIPV | MCG_MCIP),
	       "... MCG_STATUS %#llx", (unsigned long long)v);
	tap_ok(run_out(g, PORT_DONE, NULL), "... clears them and returns");
	tap_ok(run_out(g, PORT_LOOP, NULL) && msr(vcpu, MSR_MCG_STATUS) == 0 &&
	       msr(vcpu, MSR_MC_STATUS(1)) == 0,
	       "back in the loop, MCG_STATUS and MC1_STATUS 0");

	/* An error already in the bank: OVER. */
	set_mce(vcpu, 1, MCI_VAL | MCI_EN | 1, 0, 0, 0);
	uc2 = MCI_VAL | MCI_UC | MCI_EN | MCI_PCC | 0x99;
	expect_success(set_mce(vcpu, 1, uc2, MCG_EIPV | MCG_MCIP, 0x5000, 0),
		       "KVM_X86_SET_MCE: uncorrected over a corrected error");
	tap_ok(msr(vcpu, MSR_MC_STATUS(1)) == (uc2 | MCI_OVER) &&
	       exception_queued(vcpu, &nr) && nr == MC_VECTOR,
	       "MC1_STATUS has OVER, #MC queued");
	/* Another while MCIP is set: shutdown. */
	expect_success(set_mce(vcpu, 2, uc2, MCG_EIPV | MCG_MCIP, 0, 0),
		       "KVM_X86_SET_MCE: uncorrected while MCG_STATUS.MCIP");
	tap_ok(msr(vcpu, MSR_MC_STATUS(2)) == 0, "... not logged");
	tap_ok(run_shutdown(g), "... KVM_RUN: KVM_EXIT_SHUTDOWN");
}

int main(void)
{
	struct guest g;
	__u64 caps;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	mem = alloc_aligned(MEM_SIZE, MiB);
	caps = test_system(kvm);

	new_guest(&g, kvm);
	test_setup(g.vcpu, caps);
	test_msr_rules(g.vcpu);
	test_set_mce(&g);
	guest_destroy(&g);

	new_guest(&g, kvm);
	test_guest(&g, caps);
	guest_destroy(&g);

	close(kvm);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
