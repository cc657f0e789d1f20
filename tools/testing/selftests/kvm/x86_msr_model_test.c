// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific MSRs with no device behind them, as a guest sees them:
 * the ones firmware and kernels touch at boot (platform ID, bus clocks,
 * RAPL, the AMD northbridge and configuration registers, HWCR) and the
 * performance counters. A 32-bit guest runs RDMSR or WRMSR on request;
 * its #GP handler reports the fault and steps over the instruction. The
 * expected answers are stock kvm-amd's (6.1): a constant or 0 read, and
 * a write that is #GP, ignored, or allowed only as 0.
 *
 * The performance counters are checked only for what both agree on: stock
 * may have a vPMU that keeps what is written to them, nkvm has none and
 * drops it, so no read-back after a non-zero write; and the family 15h
 * ones with PERFCTR_CORE differ (test_perfctr_core()).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define CMD_GPA		0x5000
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define GP_VECTOR	13

/* The request block at CMD_GPA. */
struct msr_cmd {
	__u32 write, index, eax, edx;	/* from the host */
	__u32 gp, out_eax, out_edx;	/* from the guest */
};

asm(".pushsection .rodata\n"
    ".code32\n"
    "mm_guest:\n"
    "	out %al, $0x80\n"		/* ready: the host fills the block */
    "	movl $0, 0x5010\n"
    "	mov 0x5004, %ecx\n"
    "	mov 0x5008, %eax\n"
    "	mov 0x500c, %edx\n"
    "	cmpl $0, 0x5000\n"
    "	jne 1f\n"
    "	rdmsr\n"
    "	jmp 2f\n"
    "1:	wrmsr\n"
    "2:	mov %eax, 0x5014\n"
    "	mov %edx, 0x5018\n"
    "	jmp mm_guest\n"
    /* #GP: drop the error code, step over the 2-byte RDMSR/WRMSR. */
    "mm_gp:\n"
    "	add $4, %esp\n"
    "	addl $2, (%esp)\n"
    "	movl $1, 0x5010\n"
    "	iret\n"
    "mm_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char mm_guest[], mm_guest_end[], mm_gp[];

#define NR_CHECKS	41

#define CPUID_PERFCTR_CORE	(1U << 23)	/* 0x80000001 ECX */

static unsigned char *mem;

enum { MSR_OK = 0, MSR_GP = 1, MSR_BROKEN = -1 };

/* One RDMSR or WRMSR by the guest: MSR_OK, MSR_GP, or MSR_BROKEN. */
static int guest_msr(struct guest *g, bool write, __u32 index, __u64 *val)
{
	struct msr_cmd *c = (struct msr_cmd *)(mem + CMD_GPA);
	int port;

	c->write = write;
	c->index = index;
	c->eax = (__u32)*val;
	c->edx = *val >> 32;
	if (guest_run_out(g, &port) < 0 || port != 0x80)
		return MSR_BROKEN;
	if (c->gp)
		return MSR_GP;
	if (!write)
		*val = c->out_eax | ((__u64)c->out_edx << 32);
	return MSR_OK;
}

static bool rd_is(struct guest *g, __u32 index, __u64 want)
{
	__u64 v = 0;
	int r = guest_msr(g, false, index, &v);

	if (r == MSR_OK && v == want)
		return true;
	if (r == MSR_GP)
		tap_diag("RDMSR %#x: #GP, expected %#llx", index,
			 (unsigned long long)want);
	else
		tap_diag("RDMSR %#x: %s %#llx, expected %#llx", index,
			 r == MSR_OK ? "read" : "guest broken",
			 (unsigned long long)v, (unsigned long long)want);
	return false;
}

static bool rd_gp(struct guest *g, __u32 index)
{
	__u64 v = 0;
	int r = guest_msr(g, false, index, &v);

	if (r != MSR_GP)
		tap_diag("RDMSR %#x: %s %#llx, expected #GP", index,
			 r == MSR_OK ? "read" : "guest broken",
			 (unsigned long long)v);
	return r == MSR_GP;
}

/* want: MSR_OK or MSR_GP. */
static bool wr_is(struct guest *g, __u32 index, __u64 val, int want)
{
	int r = guest_msr(g, true, index, &val);

	if (r != want)
		tap_diag("WRMSR %#x <- %#llx: %s, expected %s", index,
			 (unsigned long long)val,
			 r == MSR_OK ? "taken" : r == MSR_GP ? "#GP" : "guest broken",
			 want == MSR_OK ? "taken" : "#GP");
	return r == want;
}

enum { W_GP, W_ZERO_OK };

static const struct {
	__u32 first, last;
	__u64 value;
	int write;
	const char *name;
} model_msrs[] = {
	{ 0x17, 0x17, 0, W_GP, "PLATFORM_ID" },
	{ 0x2a, 0x2a, 0, W_GP, "EBL_CR_POWERON" },
	{ 0x199, 0x199, 0, W_GP, "PERF_CTL" },
	{ 0x1db, 0x1de, 0, W_GP, "LASTBRANCH/LASTINT FROM/TO" },
	{ 0xc0010010, 0xc0010010, 0, W_GP, "SYSCFG" },
	{ 0xc0010055, 0xc0010055, 0, W_GP, "INT_PENDING_MSG" },
	{ 0xc0010112, 0xc0010113, 0, W_GP, "TSEG_ADDR/MASK" },
	{ 0x606, 0x606, 0, W_GP, "RAPL_POWER_UNIT" },
	{ 0x611, 0x611, 0, W_GP, "PKG_ENERGY_STATUS" },
	{ 0x619, 0x619, 0, W_GP, "DRAM_ENERGY_STATUS" },
	{ 0x639, 0x639, 0, W_GP, "PP0_ENERGY_STATUS" },
	{ 0x641, 0x641, 0, W_GP, "PP1_ENERGY_STATUS" },
	{ 0x2c, 0x2c, 1U << 24, W_GP, "EBC_FREQUENCY_ID" },
	{ 0xcd, 0xcd, 3, W_GP, "FSB_FREQ" },
	{ 0x198, 0x198, 1000 | (4ULL << 40), W_GP, "PERF_STATUS" },
	{ 0xc1, 0xc2, 0, W_ZERO_OK, "P6 PERFCTR0/1" },
	{ 0x186, 0x187, 0, W_ZERO_OK, "P6 EVNTSEL0/1" },
	{ 0xc0010000, 0xc0010007, 0, W_ZERO_OK, "K7 EVNTSEL0-3/PERFCTR0-3" },
	{ 0xc001001f, 0xc001001f, 0, W_ZERO_OK, "NB_CFG" },
	{ 0xc0011022, 0xc0011022, 0, W_ZERO_OK, "DC_CFG" },
	{ 0xc0011023, 0xc0011023, 0, W_ZERO_OK, "TW_CFG" },
	{ 0xc001102a, 0xc001102a, 0, W_ZERO_OK, "BU_CFG2" },
	{ 0xc001102c, 0xc001102c, 0, W_ZERO_OK, "F15H EX_CFG" },
	{ 0x1d9, 0x1d9, 0, W_ZERO_OK, "DEBUGCTL" },
};

/* 24 checks: one per row of the table. */
static void test_table(struct guest *g)
{
	unsigned int i;
	__u32 m;

	for (i = 0; i < ARRAY_SIZE(model_msrs); i++) {
		bool ok = true;

		for (m = model_msrs[i].first; m <= model_msrs[i].last; m++) {
			ok &= rd_is(g, m, model_msrs[i].value);
			if (model_msrs[i].write == W_GP)
				ok &= wr_is(g, m, model_msrs[i].value, MSR_GP);
			else
				ok &= wr_is(g, m, 0, MSR_OK);
		}
		if (model_msrs[i].first == model_msrs[i].last)
			tap_ok(ok, "%s (%#x): reads %#llx, %s", model_msrs[i].name,
			       model_msrs[i].first,
			       (unsigned long long)model_msrs[i].value,
			       model_msrs[i].write == W_GP ?
			       "a write of it is #GP" : "a write of 0 is taken");
		else
			tap_ok(ok, "%s (%#x-%#x): read %#llx, %s",
			       model_msrs[i].name, model_msrs[i].first,
			       model_msrs[i].last,
			       (unsigned long long)model_msrs[i].value,
			       model_msrs[i].write == W_GP ?
			       "a write of it is #GP" : "a write of 0 is taken");
	}
}

/* 12 checks. */
static void test_special(struct guest *g)
{
	bool ok = true;
	__u32 m;

	/* The K7 counters take an event select without a #GP. */
	for (m = 0xc0010000; m <= 0xc0010007; m++)
		ok &= wr_is(g, m, 0x76, MSR_OK);
	tap_ok(ok, "K7 EVNTSEL0-3/PERFCTR0-3: a write of 0x76 is taken");

	tap_ok(rd_is(g, 0x11e, 0xbe702111),
	       "BBL_CR_CTL3 (0x11e) reads 0xbe702111");
	tap_ok(wr_is(g, 0x11e, 1U << 19, MSR_OK) &&
	       rd_is(g, 0x11e, 0xbe702111),
	       "BBL_CR_CTL3: a write is dropped");
	tap_ok(rd_is(g, 0xc001001b, 0x20000000),
	       "K7 CLK_CTL (0xc001001b) reads 0x20000000");
	tap_ok(wr_is(g, 0xc001001b, 0, MSR_OK) &&
	       rd_is(g, 0xc001001b, 0x20000000),
	       "K7 CLK_CTL: a write is dropped");

	tap_ok(rd_is(g, 0xc0010058, 0) && wr_is(g, 0xc0010058, 0, MSR_OK),
	       "MMIO_CONF_BASE (0xc0010058): reads 0, a write of 0 is taken");
	tap_ok(wr_is(g, 0xc0010058, 1ULL << 32, MSR_GP) &&
	       wr_is(g, 0xc0010058, 1, MSR_GP),
	       "MMIO_CONF_BASE: a non-zero write is #GP");

	/* HWCR: bits 3, 6 and 8 ignored, McStatusWrEn (18) kept. */
	tap_ok(wr_is(g, 0xc0010015, 0x40, MSR_OK) && rd_is(g, 0xc0010015, 0),
	       "HWCR (0xc0010015): a write of 0x40 is taken, reads 0");
	tap_ok(wr_is(g, 0xc0010015, 1U << 18, MSR_OK) &&
	       rd_is(g, 0xc0010015, 1U << 18),
	       "HWCR: McStatusWrEn (1 << 18) is kept");
	tap_ok(wr_is(g, 0xc0010015, 1, MSR_GP) &&
	       rd_is(g, 0xc0010015, 1U << 18),
	       "HWCR: a write of 1 is #GP, the value stays");
	/*
	 * A write of 0 after McStatusWrEn: stock 6.1 takes it without
	 * clearing the bit (only 1 << 18 is stored); nkvm clears it, as later
	 * kernels do (arch/x86/msr_model.c).
	 */
	if (kvm_is_ours()) {
		tap_skip("stock keeps McStatusWrEn on a write of 0",
			 "HWCR: a write of 0 keeps McStatusWrEn (stock 6.1)");
		tap_ok(wr_is(g, 0xc0010015, 0, MSR_OK) &&
		       rd_is(g, 0xc0010015, 0),
		       "HWCR: a write of 0 clears McStatusWrEn (nkvm)");
	} else {
		tap_ok(wr_is(g, 0xc0010015, 0, MSR_OK) &&
		       rd_is(g, 0xc0010015, 1U << 18),
		       "HWCR: a write of 0 keeps McStatusWrEn (stock 6.1)");
		tap_skip("nkvm clears McStatusWrEn on a write of 0",
			 "HWCR: a write of 0 clears McStatusWrEn (nkvm)");
	}
}

/*
 * Stock's vPMU, on when the host has a PMU it can share: "Y" in kvm's
 * enable_pmu parameter (it turns itself off without one, as under QEMU
 * TCG: "SVM: PMU virtualization is disabled").
 */
static bool stock_has_vpmu(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/enable_pmu", "r");
	int c = 0;

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y' || c == '1';
}

/*
 * 2 checks: the family 15h counters with PERFCTR_CORE in the guest's
 * CPUID. Stock answers them from its vPMU: with one they read 0 and take
 * writes; without one (the test VM's case) they stay #GP whatever CPUID
 * says (and stock does not offer PERFCTR_CORE). nkvm has no vPMU and
 * answers as stock without one (arch/x86/msr_model.c).
 */
static void test_perfctr_core(struct guest *g)
{
	bool zero = !kvm_is_ours() && stock_has_vpmu();
	bool ok = true;
	__u32 m;

	if (zero) {
		for (m = 0xc0010200; m <= 0xc001020b; m++)
			ok &= rd_is(g, m, 0) && wr_is(g, m, 0, MSR_OK);
		tap_ok(ok, "F15H PERF_CTL/CTR with PERFCTR_CORE (stock with a vPMU): read 0, a write of 0 is taken");
		tap_skip("a vPMU answers them",
			 "F15H PERF_CTL/CTR with PERFCTR_CORE, stock without a vPMU: #GP");
		return;
	}
	tap_skip("no vPMU (nkvm, or stock without one) refuses them",
		 "F15H PERF_CTL/CTR with PERFCTR_CORE (stock with a vPMU): read 0, a write of 0 is taken");
	for (m = 0xc0010200; m <= 0xc001020b; m++)
		ok &= rd_gp(g, m) && wr_is(g, m, 0, MSR_GP);
	tap_ok(ok, "F15H PERF_CTL/CTR with PERFCTR_CORE, no vPMU: #GP");
}

/* The supported CPUID with PERFCTR_CORE set or clear. */
static void set_cpuid(struct guest *g, bool perfctr_core)
{
	struct kvm_cpuid_entry2 *e;
	struct guest_cpuid cpuid;

	guest_supported_cpuid(g->kvm, &cpuid);
	e = guest_cpuid_entry(&cpuid, 0x80000001, 0);
	if (!e)
		tap_bail("no CPUID leaf 0x80000001");
	e->ecx &= ~CPUID_PERFCTR_CORE;
	if (perfctr_core)
		e->ecx |= CPUID_PERFCTR_CORE;
	if (ioctl(g->vcpu, KVM_SET_CPUID2, &cpuid))
		tap_bail("KVM_SET_CPUID2: %m");
}

/* A guest ready for requests: 1 check. */
static void guest_start(struct guest *g, int kvm, bool perfctr_core)
{
	int port;

	guest_create(g, kvm);
	memset(mem, 0, MEM_SIZE);
	memcpy(mem + CODE_GPA, mm_guest, mm_guest_end - mm_guest);
	guest_set_slot(g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(g);
	set_cpuid(g, perfctr_core);
	if (!guest_flat_mode(g, mem, false, CODE_GPA, STACK_TOP) ||
	    !guest_load_tables(g, mem, GDT_GPA, IDT_GPA))
		tap_bail("32-bit guest set-up: %m");
	guest_idt_gate(mem, IDT_GPA, GP_VECTOR, CODE_GPA + (mm_gp - mm_guest));
	tap_ok(guest_run_out(g, &port) == 0 && port == 0x80,
	       "32-bit guest with a #GP handler, CPUID PERFCTR_CORE %s",
	       perfctr_core ? "set" : "clear");
}

int main(void)
{
	struct guest g;
	bool ok = true;
	int kvm;
	__u32 m;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!guest_backend_runs(kvm))
		return tap_skip_rest("no backend runs guests");
	mem = alloc_aligned(MEM_SIZE, MiB);

	guest_start(&g, kvm, false);			/* 1 */
	test_table(&g);					/* 24 */
	test_special(&g);				/* 12 */
	/* The family 15h counters need PERFCTR_CORE in the guest's CPUID. */
	for (m = 0xc0010200; m <= 0xc001020b; m++)
		ok &= rd_gp(&g, m) && wr_is(&g, m, 0, MSR_GP);
	tap_ok(ok, "F15H PERF_CTL/CTR (0xc0010200-0xc001020b) without PERFCTR_CORE: read and write #GP");
	guest_destroy(&g);

	guest_start(&g, kvm, true);			/* 1 */
	test_perfctr_core(&g);				/* 2 */
	guest_destroy(&g);

	munmap(mem, MEM_SIZE);
	close(kvm);
	return tap_finish();
}
