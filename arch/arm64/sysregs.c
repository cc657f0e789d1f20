// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's system registers: one table, sorted by encoding, serves the
 * traps (EC 0x18: HCR_EL2.TID3 for the ID registers, TACR for ACTLR_EL1,
 * TSW for set/way cache maintenance, TERR for the RAS error records,
 * MDCR_EL2.TDA/TDOSA/TDRA for the debug registers) and KVM_GET/SET_ONE_REG
 * (the registers marked listed are KVM_GET_REG_LIST's). A trapped access
 * to an encoding the table does not know (PMU, LORegions, SPE, AMU,
 * activity monitors, implementation defined...) is UNDEFINED for the
 * guest, as for a CPU without those features: the ID registers hide them.
 *
 * ID registers read as the host's sanitised values (the kernel's
 * cpufeature view) with what the guest does not get removed: SVE, SME,
 * MTE, pointer authentication, AMU, PMU, SPE, trace, LORegions, WFxT; the
 * debug architecture is reported as ARMv8.0. Userspace may write an ID
 * register only with the value it reads (EINVAL otherwise).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/bsearch.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>

#include "arm64.h"

enum sr_kind {
	K_MEM,		/* the value in av->sys[idx], trapped or not */
	K_ID,		/* an ID register: computed, read-only */
	K_INVARIANT,	/* the host's MIDR, REVIDR, CLIDR, AIDR, CTR */
	K_ACTLR,	/* reads the host's value, writes ignored */
	K_OSLAR,	/* write-only: sets OSLSR_EL1.OSLK */
	K_OSLSR,	/* read-only for the guest */
	K_AUTH,		/* DBGAUTHSTATUS_EL1: non-secure debug only */
	K_RAZ_WI,	/* reads 0, writes ignored; not listed */
	K_NOP,		/* set/way maintenance: nothing to do */
};

struct sr_desc {
	u32 enc;		/* sys_reg(op0, op1, crn, crm, op2) */
	u8 kind;		/* enum sr_kind */
	s16 idx;		/* av->sys index for K_MEM, K_ACTLR, K_OSLSR */
	u64 reset;		/* reset value of av->sys[idx] */
};

#define MEM(e, i, r)	{ .enc = (e), .kind = K_MEM, .idx = (i), .reset = (r) }
#define KIND(e, k)	{ .enc = (e), .kind = (k), .idx = -1 }
#define ID(op2_crm)	KIND(sys_reg(3, 0, 0, (op2_crm) >> 3, (op2_crm) & 7), K_ID)

#define DBG(n)								\
	MEM(sys_reg(2, 0, 0, n, 4), SR_DBGBVR0_EL1 + (n), 0),		\
	MEM(sys_reg(2, 0, 0, n, 5), SR_DBGBCR0_EL1 + (n), 0),		\
	MEM(sys_reg(2, 0, 0, n, 6), SR_DBGWVR0_EL1 + (n), 0),		\
	MEM(sys_reg(2, 0, 0, n, 7), SR_DBGWCR0_EL1 + (n), 0)

#define ID8(crm)							\
	ID((crm) << 3 | 0), ID((crm) << 3 | 1), ID((crm) << 3 | 2),	\
	ID((crm) << 3 | 3), ID((crm) << 3 | 4), ID((crm) << 3 | 5),	\
	ID((crm) << 3 | 6), ID((crm) << 3 | 7)

/* Sorted by encoding (checked at load). */
static const struct sr_desc sr_table[] = {
	KIND(sys_reg(1, 0, 7, 6, 2), K_NOP),		/* DC ISW */
	KIND(sys_reg(1, 0, 7, 10, 2), K_NOP),		/* DC CSW */
	KIND(sys_reg(1, 0, 7, 14, 2), K_NOP),		/* DC CISW */
	DBG(0),
	DBG(1),
	MEM(sys_reg(2, 0, 0, 2, 0), SR_MDCCINT_EL1, 0),
	MEM(sys_reg(2, 0, 0, 2, 2), SR_MDSCR_EL1, 0),
	DBG(2), DBG(3), DBG(4), DBG(5), DBG(6), DBG(7), DBG(8), DBG(9),
	DBG(10), DBG(11), DBG(12), DBG(13), DBG(14), DBG(15),
	KIND(sys_reg(2, 0, 1, 0, 0), K_RAZ_WI),		/* MDRAR_EL1 */
	KIND(sys_reg(2, 0, 1, 0, 4), K_OSLAR),
	{ .enc = sys_reg(2, 0, 1, 1, 4), .kind = K_OSLSR, .idx = SR_OSLSR_EL1,
	  .reset = SYS_OSLSR_OSLM_IMPLEMENTED },
	KIND(sys_reg(2, 0, 1, 3, 4), K_RAZ_WI),		/* OSDLR_EL1 */
	KIND(sys_reg(2, 0, 1, 4, 4), K_RAZ_WI),		/* DBGPRCR_EL1 */
	KIND(sys_reg(2, 0, 7, 8, 6), K_RAZ_WI),		/* DBGCLAIMSET_EL1 */
	KIND(sys_reg(2, 0, 7, 9, 6), K_RAZ_WI),		/* DBGCLAIMCLR_EL1 */
	KIND(sys_reg(2, 0, 7, 14, 6), K_AUTH),
	KIND(sys_reg(2, 3, 0, 1, 0), K_RAZ_WI),		/* MDCCSR_EL0 */
	KIND(sys_reg(2, 3, 0, 4, 0), K_RAZ_WI),		/* DBGDTR_EL0 */
	KIND(sys_reg(2, 3, 0, 5, 0), K_RAZ_WI),		/* DBGDTRRX/TX_EL0 */
	MEM(sys_reg(2, 4, 0, 7, 0), SR_DBGVCR32_EL2, 0),
	KIND(sys_reg(3, 0, 0, 0, 0), K_INVARIANT),	/* MIDR_EL1 */
	MEM(sys_reg(3, 0, 0, 0, 5), SR_MPIDR_EL1, 0),
	KIND(sys_reg(3, 0, 0, 0, 6), K_INVARIANT),	/* REVIDR_EL1 */
	ID8(1), ID8(2), ID8(3), ID8(4), ID8(5), ID8(6), ID8(7),
	MEM(sys_reg(3, 0, 1, 0, 0), SR_SCTLR_EL1, 0x00c50078),
	{ .enc = sys_reg(3, 0, 1, 0, 1), .kind = K_ACTLR, .idx = SR_ACTLR_EL1 },
	MEM(sys_reg(3, 0, 1, 0, 2), SR_CPACR_EL1, 0),
	MEM(sys_reg(3, 0, 2, 0, 0), SR_TTBR0_EL1, 0),
	MEM(sys_reg(3, 0, 2, 0, 1), SR_TTBR1_EL1, 0),
	MEM(sys_reg(3, 0, 2, 0, 2), SR_TCR_EL1, 0),
	MEM(sys_reg(3, 0, 5, 1, 0), SR_AFSR0_EL1, 0),
	MEM(sys_reg(3, 0, 5, 1, 1), SR_AFSR1_EL1, 0),
	MEM(sys_reg(3, 0, 5, 2, 0), SR_ESR_EL1, 0),
	KIND(SYS_ERRIDR_EL1, K_RAZ_WI),
	KIND(SYS_ERRSELR_EL1, K_RAZ_WI),
	KIND(SYS_ERXFR_EL1, K_RAZ_WI),
	KIND(SYS_ERXCTLR_EL1, K_RAZ_WI),
	KIND(SYS_ERXSTATUS_EL1, K_RAZ_WI),
	KIND(SYS_ERXADDR_EL1, K_RAZ_WI),
	KIND(SYS_ERXMISC0_EL1, K_RAZ_WI),
	KIND(SYS_ERXMISC1_EL1, K_RAZ_WI),
	MEM(sys_reg(3, 0, 6, 0, 0), SR_FAR_EL1, 0),
	MEM(sys_reg(3, 0, 7, 4, 0), SR_PAR_EL1, 0),
	MEM(sys_reg(3, 0, 10, 2, 0), SR_MAIR_EL1, 0),
	MEM(sys_reg(3, 0, 10, 3, 0), SR_AMAIR_EL1, 0),
	MEM(sys_reg(3, 0, 12, 0, 0), SR_VBAR_EL1, 0),
	MEM(sys_reg(3, 0, 12, 1, 1), SR_DISR_EL1, 0),
	MEM(sys_reg(3, 0, 13, 0, 1), SR_CONTEXTIDR_EL1, 0),
	MEM(sys_reg(3, 0, 13, 0, 4), SR_TPIDR_EL1, 0),
	MEM(sys_reg(3, 0, 14, 1, 0), SR_CNTKCTL_EL1, 0),
	KIND(sys_reg(3, 1, 0, 0, 1), K_INVARIANT),	/* CLIDR_EL1 */
	KIND(sys_reg(3, 1, 0, 0, 7), K_INVARIANT),	/* AIDR_EL1 */
	MEM(sys_reg(3, 2, 0, 0, 0), SR_CSSELR_EL1, 0),
	KIND(sys_reg(3, 3, 0, 0, 1), K_INVARIANT),	/* CTR_EL0 */
	MEM(sys_reg(3, 3, 13, 0, 2), SR_TPIDR_EL0, 0),
	MEM(sys_reg(3, 3, 13, 0, 3), SR_TPIDRRO_EL0, 0),
	MEM(sys_reg(3, 4, 3, 0, 0), SR_DACR32_EL2, 0),
	MEM(sys_reg(3, 4, 5, 0, 1), SR_IFSR32_EL2, 0),
	MEM(sys_reg(3, 4, 5, 3, 0), SR_FPEXC32_EL2, 0x700),
};

/* The host's invariant registers and ACTLR/AMAIR, read once at load. */
static u64 host_midr, host_revidr, host_clidr, host_aidr, host_ctr;
static u64 host_actlr, host_amair;

/* DBGAUTHSTATUS_EL1: non-secure invasive and non-invasive debug enabled. */
#define GUEST_DBGAUTH	0xa

u32 arm64_guest_midr(void)
{
	return host_midr;
}

static int sr_cmp(const void *key, const void *elt)
{
	u32 enc = *(const u32 *)key;
	const struct sr_desc *d = elt;

	return enc < d->enc ? -1 : enc > d->enc;
}

static const struct sr_desc *sr_find(u32 enc)
{
	return bsearch(&enc, sr_table, ARRAY_SIZE(sr_table),
		       sizeof(sr_table[0]), sr_cmp);
}

static bool sr_listed(const struct sr_desc *d)
{
	return d->kind != K_RAZ_WI && d->kind != K_NOP &&
	       d->kind != K_OSLAR && d->kind != K_AUTH;
}

int arm64_sysregs_init(void)
{
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(sr_table); i++) {
		if (sr_table[i - 1].enc >= sr_table[i].enc) {
			pr_err("arm64 system register table unsorted at %u\n", i);
			return -EINVAL;
		}
	}
	host_midr = read_cpuid_id();
	host_revidr = read_sysreg(revidr_el1);
	host_clidr = read_sysreg(clidr_el1);
	host_aidr = read_sysreg(aidr_el1);
	host_ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	host_actlr = read_sysreg(actlr_el1);
	host_amair = read_sysreg(amair_el1);
	return 0;
}

#define FIELD(shift)	(0xfULL << (shift))

/* What the guest reads from the ID register at enc. */
static u64 id_value(u32 enc)
{
	u64 v;

	/*
	 * The kernel's sanitised registers; the others (reserved encodings,
	 * auxiliary feature registers, SVE and SME features) read as zero.
	 */
	switch (enc) {
	case SYS_ID_PFR0_EL1:
	case SYS_ID_PFR1_EL1:
	case SYS_ID_DFR0_EL1:
	case SYS_ID_MMFR0_EL1 ... SYS_ID_MMFR3_EL1:
	case SYS_ID_ISAR0_EL1 ... SYS_ID_ISAR6_EL1:
	case SYS_MVFR0_EL1 ... SYS_MVFR2_EL1:
	case SYS_ID_PFR2_EL1:
	case SYS_ID_MMFR5_EL1:
	case SYS_ID_AA64PFR0_EL1:
	case SYS_ID_AA64PFR1_EL1:
	case SYS_ID_AA64DFR0_EL1:
	case SYS_ID_AA64DFR1_EL1:
	case SYS_ID_AA64ISAR0_EL1 ... SYS_ID_AA64ISAR2_EL1:
	case SYS_ID_AA64MMFR0_EL1 ... SYS_ID_AA64MMFR2_EL1:
		v = read_sanitised_ftr_reg(enc);
		break;
	default:
		return 0;
	}

	switch (enc) {
	case SYS_ID_AA64PFR0_EL1:
		v &= ~(FIELD(ID_AA64PFR0_EL1_SVE_SHIFT) |
		       FIELD(ID_AA64PFR0_EL1_AMU_SHIFT) |
		       FIELD(ID_AA64PFR0_EL1_GIC_SHIFT));
		break;
	case SYS_ID_AA64PFR1_EL1:
		v &= ~(FIELD(ID_AA64PFR1_EL1_MTE_SHIFT) |
		       FIELD(ID_AA64PFR1_EL1_SME_SHIFT));
		break;
	case SYS_ID_AA64ISAR1_EL1:
		v &= ~(FIELD(ID_AA64ISAR1_EL1_APA_SHIFT) |
		       FIELD(ID_AA64ISAR1_EL1_API_SHIFT) |
		       FIELD(ID_AA64ISAR1_EL1_GPA_SHIFT) |
		       FIELD(ID_AA64ISAR1_EL1_GPI_SHIFT));
		break;
	case SYS_ID_AA64ISAR2_EL1:
		v &= ~(FIELD(ID_AA64ISAR2_EL1_APA3_SHIFT) |
		       FIELD(ID_AA64ISAR2_EL1_GPA3_SHIFT) |
		       FIELD(ID_AA64ISAR2_EL1_WFxT_SHIFT));
		break;
	case SYS_ID_AA64DFR0_EL1:
		/* ARMv8.0 debug, no PMU, SPE, trace, BRBE. */
		v &= ~(FIELD(ID_AA64DFR0_EL1_DebugVer_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_PMUVer_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_PMSVer_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_TraceVer_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_TraceBuffer_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_TraceFilt_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_BRBE_SHIFT) |
		       FIELD(ID_AA64DFR0_EL1_MTPMU_SHIFT));
		v |= 6ULL << ID_AA64DFR0_EL1_DebugVer_SHIFT;
		break;
	case SYS_ID_DFR0_EL1:
		v &= ~FIELD(24);		/* PerfMon */
		break;
	case SYS_ID_AA64MMFR1_EL1:
		v &= ~FIELD(ID_AA64MMFR1_EL1_LO_SHIFT);
		break;
	}
	return v;
}

static u64 invariant_value(u32 enc)
{
	switch (enc) {
	case SYS_MIDR_EL1:
		return host_midr;
	case SYS_REVIDR_EL1:
		return host_revidr;
	case SYS_CLIDR_EL1:
		return host_clidr;
	case SYS_AIDR_EL1:
		return host_aidr;
	default:
		return host_ctr;
	}
}

void arm64_reset_sysregs(struct nkvm_arm64_vcpu *av)
{
	u32 id = av->vcpu.vcpu_id;
	unsigned int i;

	memset(av->sys, 0, sizeof(av->sys));
	for (i = 0; i < ARRAY_SIZE(sr_table); i++)
		if (sr_table[i].idx >= 0)
			av->sys[sr_table[i].idx] = sr_table[i].reset;
	av->sys[SR_ACTLR_EL1] = host_actlr;
	av->sys[SR_AMAIR_EL1] = host_amair;
	/* Affinity from the vCPU id: 16 per cluster (the GICv3 SGI limit). */
	av->sys[SR_MPIDR_EL1] = BIT(31) | (id & 0xf) |
				(((u64)(id >> 4) & 0xff) << 8) |
				(((u64)(id >> 12) & 0xff) << 16);
	WRITE_ONCE(av->mpidr, av->sys[SR_MPIDR_EL1]);
}

/*
 * A trapped MSR/MRS (EC 0x18). Returns 1 (handled, back to the guest);
 * the PC moves past the instruction unless an exception was injected.
 */
int arm64_handle_sysreg(struct nkvm_arm64_vcpu *av)
{
	u64 esr = av->exit.esr;
	u32 enc = esr_sys64_to_sysreg(esr);
	bool read = (esr & ESR_ELx_SYS64_ISS_DIR_MASK) ==
		    ESR_ELx_SYS64_ISS_DIR_READ;
	unsigned int rt = ESR_ELx_SYS64_ISS_RT(esr);
	const struct sr_desc *d = sr_find(enc);
	u64 val = arm64_get_reg(av, rt);

	if (!d)
		goto undef;
	switch (d->kind) {
	case K_MEM:
	case K_ACTLR:
		if (read)
			val = av->sys[d->idx];
		else if (d->kind == K_MEM)
			av->sys[d->idx] = val;
		break;
	case K_ID:
		if (!read)
			goto undef;
		val = id_value(enc);
		break;
	case K_INVARIANT:
		if (!read)
			goto undef;
		val = invariant_value(enc);
		break;
	case K_OSLAR:
		if (read)
			goto undef;
		if (val & SYS_OSLAR_OSLK)
			av->sys[SR_OSLSR_EL1] |= SYS_OSLSR_OSLK;
		else
			av->sys[SR_OSLSR_EL1] &= ~SYS_OSLSR_OSLK;
		break;
	case K_OSLSR:
		if (!read)
			goto undef;
		val = av->sys[SR_OSLSR_EL1];
		break;
	case K_AUTH:
		if (!read)
			goto undef;
		val = GUEST_DBGAUTH;
		break;
	case K_RAZ_WI:
	case K_NOP:
		val = 0;
		break;
	}
	if (read)
		arm64_set_reg(av, rt, val);
	arm64_skip_instr(av);
	return 1;
undef:
	arm64_inject_undef(av);
	return 1;
}

/* KVM_REG_ARM64_SYSREG id -> sys_reg() encoding. */
static u32 id_to_enc(u64 id)
{
	return sys_reg((id & KVM_REG_ARM64_SYSREG_OP0_MASK) >>
		       KVM_REG_ARM64_SYSREG_OP0_SHIFT,
		       (id & KVM_REG_ARM64_SYSREG_OP1_MASK) >>
		       KVM_REG_ARM64_SYSREG_OP1_SHIFT,
		       (id & KVM_REG_ARM64_SYSREG_CRN_MASK) >>
		       KVM_REG_ARM64_SYSREG_CRN_SHIFT,
		       (id & KVM_REG_ARM64_SYSREG_CRM_MASK) >>
		       KVM_REG_ARM64_SYSREG_CRM_SHIFT,
		       (id & KVM_REG_ARM64_SYSREG_OP2_MASK) >>
		       KVM_REG_ARM64_SYSREG_OP2_SHIFT);
}

static u64 enc_to_id(u32 enc)
{
	return ARM64_SYS_REG(sys_reg_Op0(enc), sys_reg_Op1(enc),
			     sys_reg_CRn(enc), sys_reg_CRm(enc),
			     sys_reg_Op2(enc));
}

/* ONE_REG of a listed system register: -ENOENT for any other id. */
static const struct sr_desc *sr_by_id(u64 id)
{
	const struct sr_desc *d;

	if ((id & ~0xffffULL) !=
	    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG))
		return NULL;
	d = sr_find(id_to_enc(id));
	return d && sr_listed(d) ? d : NULL;
}

int arm64_get_sysreg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val)
{
	const struct sr_desc *d = sr_by_id(id);

	if (!d)
		return -ENOENT;
	switch (d->kind) {
	case K_ID:
		*val = id_value(d->enc);
		break;
	case K_INVARIANT:
		*val = invariant_value(d->enc);
		break;
	default:
		*val = av->sys[d->idx];
	}
	return 0;
}

int arm64_set_sysreg(struct nkvm_arm64_vcpu *av, u64 id, u64 val)
{
	const struct sr_desc *d = sr_by_id(id);

	if (!d)
		return -ENOENT;
	switch (d->kind) {
	case K_ID:
		return val == id_value(d->enc) ? 0 : -EINVAL;
	case K_INVARIANT:
		return val == invariant_value(d->enc) ? 0 : -EINVAL;
	case K_OSLSR:
		/* Only the lock bit may change. */
		if ((val ^ av->sys[d->idx]) & ~SYS_OSLSR_OSLK)
			return -EINVAL;
		break;
	default:
		break;
	}
	av->sys[d->idx] = val;
	if (d->idx == SR_MPIDR_EL1)
		WRITE_ONCE(av->mpidr, val);
	return 0;
}

/* The listed system registers' ids into ids (if not NULL); their number. */
unsigned int arm64_sysreg_ids(u64 *ids)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(sr_table); i++) {
		if (!sr_listed(&sr_table[i]))
			continue;
		if (ids)
			ids[n] = enc_to_id(sr_table[i].enc);
		n++;
	}
	return n;
}
