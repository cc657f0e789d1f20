// SPDX-License-Identifier: GPL-2.0
/*
 * Stage-2 aborts: a fault on guest memory is mapped (stage2.c); one
 * outside the memslots, or a write to a read-only slot, is MMIO. An MMIO
 * data abort whose syndrome is valid (ESR_EL2.ISV) names the register,
 * size and signedness: it goes to the in-kernel MMIO bus first, then to
 * userspace as KVM_EXIT_MMIO, completed at the next KVM_RUN. Without a
 * valid syndrome it is KVM_EXIT_ARM_NISV if userspace asked for that
 * (KVM_CAP_ARM_NISV_TO_USER), else KVM_RUN fails with ENOSYS, as stock.
 * An instruction fetch outside memory, or a stage-1 table walk that hits
 * MMIO, is an external abort for the guest.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <nkvm/iobus.h>

#include "arm64.h"

#define SCTLR_E0E	BIT(24)
#define SCTLR_EE	BIT(25)
#define PSR_AA32_E	BIT(9)

static u64 fault_ipa(struct nkvm_arm64_vcpu *av)
{
	return ((av->exit.hpfar & HPFAR_MASK) << 8) |
	       (av->exit.far & (PAGE_SIZE - 1));
}

/* Whether the guest's data accesses are big-endian right now. */
static bool data_is_be(struct nkvm_arm64_vcpu *av)
{
	u64 pstate = av->regs.regs.pstate;

	if (pstate & PSR_MODE32_BIT)
		return pstate & PSR_AA32_E;
	if ((pstate & PSR_MODE_MASK) == PSR_MODE_EL0t)
		return av->sys[SR_SCTLR_EL1] & SCTLR_E0E;
	return av->sys[SR_SCTLR_EL1] & SCTLR_EE;
}

/* Register value <-> the bytes on the bus (little-endian order). */
static void reg_to_bytes(struct nkvm_arm64_vcpu *av, u64 v, u8 *buf,
			 unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[data_is_be(av) ? len - 1 - i : i] = v >> (8 * i);
}

static u64 bytes_to_reg(struct nkvm_arm64_vcpu *av, const u8 *buf,
			unsigned int len)
{
	unsigned int i;
	u64 v = 0;

	for (i = 0; i < len; i++)
		v |= (u64)buf[data_is_be(av) ? len - 1 - i : i] << (8 * i);
	return v;
}

/* Finish an MMIO read: the data goes to Rt; then step over the access. */
static void mmio_finish(struct nkvm_arm64_vcpu *av, const u8 *data)
{
	struct arm64_mmio *m = &av->mmio;
	u64 v;

	if (!m->is_write) {
		v = bytes_to_reg(av, data, m->len);
		if (m->sign_extend && m->len < 8) {
			unsigned int shift = 64 - 8 * m->len;

			v = (u64)((s64)(v << shift) >> shift);
		}
		if (!m->sixty_four)
			v &= 0xffffffff;
		arm64_set_reg(av, m->rt, v);
	}
	arm64_skip_instr(av);
}

/* At the next KVM_RUN: userspace has answered the MMIO exit. */
int arm64_mmio_complete(struct nkvm_arm64_vcpu *av)
{
	if (!av->mmio.pending)
		return 0;
	av->mmio.pending = false;
	mmio_finish(av, av->vcpu.run->mmio.data);
	return 0;
}

static int mmio_exit(struct nkvm_arm64_vcpu *av, u64 ipa)
{
	struct kvm_run *run = av->vcpu.run;
	struct arm64_mmio *m = &av->mmio;
	u64 esr = av->exit.esr;
	u8 data[8] = {};
	int r;

	if (!(esr & ESR_ELx_ISV)) {
		if (!READ_ONCE(av_vm(av)->nisv_to_user))
			return -ENOSYS;
		run->exit_reason = KVM_EXIT_ARM_NISV;
		run->arm_nisv.esr_iss = esr & (ESR_ELx_CM | ESR_ELx_WNR |
					       ESR_ELx_FSC);
		run->arm_nisv.fault_ipa = ipa;
		return 0;
	}
	m->is_write = esr & ESR_ELx_WNR;
	m->len = 1U << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	m->sign_extend = esr & ESR_ELx_SSE;
	m->sixty_four = esr & ESR_ELx_SF;
	m->rt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;

	if (m->is_write) {
		reg_to_bytes(av, arm64_get_reg(av, m->rt), data, m->len);
		r = nkvm_io_bus_write(&av->vcpu, NKVM_MMIO_BUS, ipa, m->len,
				      data);
	} else {
		r = nkvm_io_bus_read(&av->vcpu, NKVM_MMIO_BUS, ipa, m->len,
				     data);
	}
	if (!r) {
		mmio_finish(av, data);
		return 1;
	}
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = ipa;
	run->mmio.len = m->len;
	run->mmio.is_write = m->is_write;
	memcpy(run->mmio.data, data, sizeof(run->mmio.data));
	m->pending = true;
	return 0;
}

/* The stage-2 fault kinds that are ours: translation, access, permission. */
static bool s2_fault_ours(u64 esr)
{
	switch (esr & ESR_ELx_FSC_TYPE) {
	case ESR_ELx_FSC_FAULT:
	case ESR_ELx_FSC_ACCESS:
	case ESR_ELx_FSC_PERM:
		return true;
	}
	return false;
}

static int handle_abort(struct nkvm_arm64_vcpu *av, bool instr)
{
	u64 esr = av->exit.esr, ipa = fault_ipa(av);
	bool s1ptw = esr & ESR_ELx_S1PTW;
	bool write = !instr && !s1ptw && (esr & ESR_ELx_WNR) &&
		     !(esr & ESR_ELx_CM);
	int r;

	/* A synchronous external abort: give it to the guest. */
	if ((esr & ESR_ELx_FSC) == ESR_ELx_FSC_EXTABT) {
		arm64_inject_abort(av, instr, av->exit.far);
		return 1;
	}
	if (!s2_fault_ours(esr))
		return -EFAULT;
	/* Beyond the VM's IPA space: an abort, as stock. */
	if (ipa >> av_vm(av)->ipa_bits) {
		arm64_inject_abort(av, instr, av->exit.far);
		return 1;
	}

	r = arm64_s2_fault(av, ipa, write, instr);
	if (!r || r == -EAGAIN)
		return 1;
	if (r != -ENOENT)
		return r;

	if (instr || s1ptw) {
		arm64_inject_abort(av, instr, av->exit.far);
		return 1;
	}
	/* Cache maintenance on MMIO does nothing. */
	if (esr & ESR_ELx_CM) {
		arm64_skip_instr(av);
		return 1;
	}
	return mmio_exit(av, ipa);
}

int arm64_handle_dabt(struct nkvm_arm64_vcpu *av)
{
	return handle_abort(av, false);
}

int arm64_handle_iabt(struct nkvm_arm64_vcpu *av)
{
	return handle_abort(av, true);
}
