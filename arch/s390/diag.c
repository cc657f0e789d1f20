// SPDX-License-Identifier: GPL-2.0
/*
 * DIAGNOSE: the hypervisor calls the kernel answers, as stock does:
 * 0x10 (release pages), 0x44 (time-slice end), 0x9c (directed yield),
 * 0x258 (the pfault handshake) and 0x308 (IPL: KVM_EXIT_S390_RESET). The
 * other codes (0x500 virtio notifications, 0x501 breakpoints, 0x318...)
 * go to userspace as instruction intercepts.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/sched.h>
#include <asm/gmap.h>

#include "s390.h"
#include "interrupt.h"
#include "intercept.h"
#include "gaccess.h"

/* Registers of the RS-format DIAGNOSE: r1 and r3 in ipa. */
static u64 s390_diag_r1(struct nkvm_s390_vcpu *v)
{
	return s390_gprs(v)[(v->scb->ipa & 0xf0) >> 4];
}

static u64 s390_diag_r3(struct nkvm_s390_vcpu *v)
{
	return s390_gprs(v)[v->scb->ipa & 0xf];
}

/*
 * 0x10: the guest no longer needs the pages from r1 to r3 (inclusive,
 * page aligned, not the first two). They are discarded; the prefix pages
 * (the lowcore seen at 0 and 4096) never are.
 */
static int s390_diag_10(struct nkvm_s390_vcpu *v)
{
	struct gmap *gmap = s390_vm_of(v)->gmap;
	u64 start = s390_diag_r1(v), end = s390_diag_r3(v) + PAGE_SIZE;
	u64 prefix = s390_prefix(v);

	if ((start | end) & ~PAGE_MASK || start >= end ||
	    start < 2 * PAGE_SIZE)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	if (end <= prefix || start >= prefix + 2 * PAGE_SIZE) {
		gmap_discard(gmap, start, end);
		return 0;
	}
	/* Around the prefix area, and the absolute pages it swaps with. */
	gmap_discard(gmap, start, prefix);
	if (start <= prefix)
		gmap_discard(gmap, 0, PAGE_SIZE);
	if (end > prefix + PAGE_SIZE)
		gmap_discard(gmap, PAGE_SIZE, 2 * PAGE_SIZE);
	gmap_discard(gmap, prefix + 2 * PAGE_SIZE, end);
	return 0;
}

/*
 * 0x44: the guest has nothing to do for now. A reschedule point: the
 * scheduler's directed yield is not exported to modules.
 */
static int s390_diag_44(struct nkvm_s390_vcpu *v)
{
	cond_resched();
	return 0;
}

/*
 * 0x9c: give the time to CPU r1 (a lock holder, say). Without a directed
 * yield in the scheduler's exports, a reschedule point, unless the target
 * is this vCPU or does not exist.
 */
static int s390_diag_9c(struct nkvm_s390_vcpu *v)
{
	u32 target = s390_diag_r1(v);

	if (target != v->vcpu.vcpu_id && s390_vcpu_by_id(v->vcpu.vm, target))
		cond_resched();
	return 0;
}

/* The parameter block of DIAGNOSE 0x258. */
struct s390_prs_parm {
	u16 code;
	u16 subcode;
	u16 parm_len;
	u16 parm_version;
	u64 token_addr;
	u64 select_mask;
	u64 compare_mask;
	u64 zarch;
};

/*
 * 0x258: the pfault handshake. The token is recorded (and reaches
 * userspace in KVM_SYNC_PFAULT); nkvm does not deliver pfault interrupts
 * of its own, userspace may inject them.
 */
static int s390_diag_258(struct nkvm_s390_vcpu *v)
{
	u64 *ry = &s390_gprs(v)[v->scb->ipa & 0xf];
	u64 rx = s390_diag_r1(v);
	struct s390_prs_parm p;
	int r;

	if (rx & 7)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	r = s390_access_real(v, rx, &p, sizeof(p), S390_GACC_FETCH);
	if (r)
		return r > 0 ? s390_inject_prog(v, &v->last_pgm) : r;
	if (p.parm_version != 2 || p.parm_len < 5 || p.code != 0x258)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);

	switch (p.subcode) {
	case 0:		/* establish the token */
		if (v->pfault_token != KVM_S390_PFAULT_TOKEN_INVALID) {
			*ry = 8;
			return 0;
		}
		if ((p.compare_mask & p.select_mask) != p.compare_mask ||
		    (p.token_addr & 7) || p.zarch != BIT_ULL(63))
			return s390_inject_pgm_code(v, PGM_SPECIFICATION);
		if (!s390_gpa_valid(v->vcpu.vm, p.token_addr))
			return s390_inject_pgm_code(v, PGM_ADDRESSING);
		v->pfault_token = p.token_addr;
		v->pfault_select = p.select_mask;
		v->pfault_compare = p.compare_mask;
		*ry = 0;
		return 0;
	case 1:		/* cancel */
		if (p.token_addr || p.select_mask || p.compare_mask || p.zarch)
			return s390_inject_pgm_code(v, PGM_SPECIFICATION);
		*ry = v->pfault_token == KVM_S390_PFAULT_TOKEN_INVALID ? 4 : 0;
		v->pfault_token = KVM_S390_PFAULT_TOKEN_INVALID;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* 0x308: re-IPL (subcode 3 clear, 4 normal): userspace does the reset. */
static int s390_diag_308(struct nkvm_s390_vcpu *v)
{
	struct kvm_run *run = v->vcpu.run;

	switch (s390_diag_r3(v) & 0xffff) {
	case 3:
		run->s390_reset_flags = KVM_S390_RESET_CLEAR;
		break;
	case 4:
		run->s390_reset_flags = 0;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!READ_ONCE(s390_vm_of(v)->user_cpu_state))
		s390_vcpu_stop(v);
	run->s390_reset_flags |= KVM_S390_RESET_SUBSYSTEM |
				 KVM_S390_RESET_IPL | KVM_S390_RESET_CPU_INIT;
	run->exit_reason = KVM_EXIT_S390_RESET;
	return -EREMOTE;
}

static const struct {
	u16 code;
	s390_handler_t fn;
} s390_diags[] = {
	{ 0x010, s390_diag_10 },
	{ 0x044, s390_diag_44 },
	{ 0x09c, s390_diag_9c },
	{ 0x258, s390_diag_258 },
	{ 0x308, s390_diag_308 },
};

int s390_handle_diag(struct nkvm_s390_vcpu *v)
{
	u16 code = s390_addr_s(v, NULL) & 0xffff;
	unsigned int i;

	if (s390_problem_state(v))
		return s390_inject_pgm_code(v, PGM_PRIVILEGED_OP);
	for (i = 0; i < ARRAY_SIZE(s390_diags); i++)
		if (s390_diags[i].code == code)
			return s390_diags[i].fn(v);
	return -EOPNOTSUPP;
}
