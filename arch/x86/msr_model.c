// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific MSRs with no device behind them: the ones firmware and
 * kernels read or write at boot (CPU family quirks, bus clocks, power and
 * energy counters, the AMD northbridge and configuration registers) and
 * the legacy performance counters of a CPU without a virtual PMU (the
 * family 15h ones are unknown MSRs then, #GP, as stock). Each answers
 * as stock KVM answers it: a constant read and a write that is ignored,
 * allowed only as 0, or refused (#GP); one table says which.
 *
 * One holds state: HWCR, where only McStatusWrEn sticks (it lets an AMD
 * guest write MCi_STATUS; mce.c). Unlike stock 6.1, a write of 0 clears
 * it again (as later kernels do). Without LBR virtualization, DEBUGCTL
 * and the LBR MSRs read 0 and DEBUGCTL takes any write, as stock on a
 * host without LBRV.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>

#include "x86.h"

enum {
	MSR_W_GP,		/* a write is #GP */
	MSR_W_IGNORE,		/* a write is taken and dropped */
	MSR_W_ZERO,		/* only 0 may be written */
};

/* Flags of a table entry. */
#define MSR_NO_READ	BIT(0)	/* write-only: a read is #GP */

static const struct {
	u32 first, last;
	u64 value;
	u8 write;
	u8 flags;
} x86_model_msrs[] = {
	{ MSR_IA32_PLATFORM_ID, MSR_IA32_PLATFORM_ID, 0, MSR_W_GP },
	{ MSR_IA32_EBL_CR_POWERON, MSR_IA32_EBL_CR_POWERON, 0, MSR_W_GP },
	/* Core/bus clock ratio 1: no guest divides by zero. */
	{ MSR_EBC_FREQUENCY_ID, MSR_EBC_FREQUENCY_ID, 1 << 24, MSR_W_GP },
	{ MSR_IA32_UCODE_WRITE, MSR_IA32_UCODE_WRITE, 0, MSR_W_IGNORE,
	  MSR_NO_READ },
	{ MSR_P6_PERFCTR0, MSR_P6_PERFCTR1, 0, MSR_W_IGNORE },
	{ MSR_FSB_FREQ, MSR_FSB_FREQ, 3, MSR_W_GP },
	/* 64 GB range, 256 KB, enabled, configured: what old Windows expects. */
	{ MSR_IA32_BBL_CR_CTL3, MSR_IA32_BBL_CR_CTL3, 0xbe702111, MSR_W_IGNORE },
	{ MSR_P6_EVNTSEL0, MSR_P6_EVNTSEL1, 0, MSR_W_IGNORE },
	/* A TSC step of 1000 and a multiplier of 4. */
	{ MSR_IA32_PERF_STATUS, MSR_IA32_PERF_STATUS, 1000 | (4ULL << 40),
	  MSR_W_GP },
	{ MSR_IA32_PERF_CTL, MSR_IA32_PERF_CTL, 0, MSR_W_GP },
	{ MSR_IA32_DEBUGCTLMSR, MSR_IA32_DEBUGCTLMSR, 0, MSR_W_IGNORE },
	{ MSR_IA32_LASTBRANCHFROMIP, MSR_IA32_LASTINTTOIP, 0, MSR_W_GP },
	{ MSR_RAPL_POWER_UNIT, MSR_RAPL_POWER_UNIT, 0, MSR_W_GP },
	{ MSR_PKG_ENERGY_STATUS, MSR_PKG_ENERGY_STATUS, 0, MSR_W_GP },
	{ MSR_DRAM_ENERGY_STATUS, MSR_DRAM_ENERGY_STATUS, 0, MSR_W_GP },
	{ MSR_PP0_ENERGY_STATUS, MSR_PP0_ENERGY_STATUS, 0, MSR_W_GP },
	{ MSR_PP1_ENERGY_STATUS, MSR_PP1_ENERGY_STATUS, 0, MSR_W_GP },
	/* The K7 counters (EVNTSEL0-3, PERFCTR0-3). */
	{ MSR_K7_EVNTSEL0, MSR_K7_PERFCTR3, 0, MSR_W_IGNORE },
	{ MSR_AMD64_SYSCFG, MSR_AMD64_SYSCFG, 0, MSR_W_GP },
	{ MSR_K7_CLK_CTL, MSR_K7_CLK_CTL, 0x20000000, MSR_W_IGNORE },
	{ MSR_AMD64_NB_CFG, MSR_AMD64_NB_CFG, 0, MSR_W_IGNORE },
	{ MSR_AMD64_PATCH_LOADER, MSR_AMD64_PATCH_LOADER, 0, MSR_W_IGNORE,
	  MSR_NO_READ },
	{ MSR_K8_INT_PENDING_MSG, MSR_K8_INT_PENDING_MSG, 0, MSR_W_GP },
	{ MSR_FAM10H_MMIO_CONF_BASE, MSR_FAM10H_MMIO_CONF_BASE, 0, MSR_W_ZERO },
	{ MSR_K8_TSEG_ADDR, MSR_K8_TSEG_MASK, 0, MSR_W_GP },
	/* Nested SVM is not offered: its host save area is a dead letter. */
	{ MSR_VM_HSAVE_PA, MSR_VM_HSAVE_PA, 0, MSR_W_IGNORE },
	{ MSR_AMD64_DC_CFG, MSR_AMD64_TW_CFG, 0, MSR_W_IGNORE },
	{ MSR_AMD64_BU_CFG2, MSR_AMD64_BU_CFG2, 0, MSR_W_IGNORE },
	{ MSR_F15H_EX_CFG, MSR_F15H_EX_CFG, 0, MSR_W_IGNORE },
};

/* HWCR bits a write may set: McStatusWrEn, and three that are ignored. */
#define HWCR_MCSTATUSWREN	BIT_ULL(18)
#define HWCR_IGNORED		(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8))

/* IC_CFG: family 15h models 02h-1fh read 1Eh there, other CPUs 0. */
static u64 x86_ic_cfg(struct nkvm_x86_vcpu *xv)
{
	u32 eax = nkvm_x86_guest_cpuid_eax(xv, 1);
	u32 family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
	u32 model = ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0);

	return family == 0x15 && model >= 0x2 && model < 0x20 ? 0x1e : 0;
}

static int x86_model_msr_find(u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x86_model_msrs); i++)
		if (index >= x86_model_msrs[i].first &&
		    index <= x86_model_msrs[i].last)
			return i;
	return -1;
}

/* As nkvm_x86_get_msr(); -1 when the MSR is not one of these. */
int nkvm_x86_model_msr_get(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	int i;

	switch (index) {
	case MSR_K7_HWCR:
		*data = xv->msrs.hwcr;
		return 0;
	case MSR_F15H_IC_CFG:
		*data = x86_ic_cfg(xv);
		return 0;
	}
	i = x86_model_msr_find(index);
	if (i < 0)
		return -1;
	if (x86_model_msrs[i].flags & MSR_NO_READ)
		return 1;
	*data = x86_model_msrs[i].value;
	return 0;
}

int nkvm_x86_model_msr_set(struct nkvm_x86_vcpu *xv, u32 index, u64 data)
{
	int i;

	switch (index) {
	case MSR_K7_HWCR:
		data &= ~HWCR_IGNORED;
		if (data & ~HWCR_MCSTATUSWREN)
			return 1;
		xv->msrs.hwcr = data;
		return 0;
	case MSR_F15H_IC_CFG:
		return 1;
	}
	i = x86_model_msr_find(index);
	if (i < 0)
		return -1;
	switch (x86_model_msrs[i].write) {
	case MSR_W_IGNORE:
		return 0;
	case MSR_W_ZERO:
		return data ? 1 : 0;
	}
	return 1;
}

/* The guest may write any MCi_STATUS (AMD's HWCR.McStatusWrEn), as stock. */
bool nkvm_x86_mci_status_writable(struct nkvm_x86_vcpu *xv)
{
	return (xv->msrs.hwcr & HWCR_MCSTATUSWREN) && nkvm_x86_guest_is_amd(xv);
}
