/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIE intercepts: the dispatcher (intercept.c) and what the instruction
 * handlers (priv.c, diag.c, sigp.c) share: operand decoding and the PSW.
 *
 * A handler returns 0 when it is done (the guest goes on), -EOPNOTSUPP
 * when userspace is to handle the intercept (KVM_EXIT_S390_SIEIC with the
 * intercept code and instruction), -EREMOTE when it prepared another exit
 * in kvm_run itself, or a negative errno for KVM_RUN. A program
 * interruption for the guest is injected (interrupt.h) and is a 0.
 */
#ifndef _NKVM_S390_INTERCEPT_H
#define _NKVM_S390_INTERCEPT_H

#include <asm/dis.h>

#include "s390.h"

typedef int (*s390_handler_t)(struct nkvm_s390_vcpu *v);

int s390_handle_intercept(struct nkvm_s390_vcpu *v);
/* The length of the intercepted instruction (or the EXECUTE's). */
int s390_icpt_ilen(struct nkvm_s390_vcpu *v);

/* Move the PSW by delta bytes, wrapping at the addressing mode. */
static inline void s390_forward_psw(struct nkvm_s390_vcpu *v, int delta)
{
	psw_t *psw = &v->scb->gpsw;
	u64 addr = psw->addr + delta;

	if (!(psw->mask & PSW_MASK_EA))
		addr &= psw->mask & PSW_MASK_BA ? 0x7fffffffUL : 0x00ffffffUL;
	psw->addr = addr;
}

/* Back to the intercepted instruction: it runs again. */
static inline void s390_retry_instr(struct nkvm_s390_vcpu *v)
{
	s390_forward_psw(v, -s390_icpt_ilen(v));
}

/* The condition code in the PSW. */
static inline void s390_set_psw_cc(struct nkvm_s390_vcpu *v, unsigned int cc)
{
	psw_t *psw = &v->scb->gpsw;

	psw->mask = (psw->mask & ~(3UL << 44)) | ((u64)(cc & 3) << 44);
}

static inline bool s390_problem_state(struct nkvm_s390_vcpu *v)
{
	return v->scb->gpsw.mask & PSW_MASK_PSTATE;
}

/* ---- operand fields of the instruction in ipa/ipb ---- */

/* RRE: r1 and r2 in ipb bits 8-15. */
static inline void s390_regs_rre(struct nkvm_s390_vcpu *v, int *r1, int *r2)
{
	*r1 = (v->scb->ipb & 0x00f00000) >> 20;
	*r2 = (v->scb->ipb & 0x000f0000) >> 16;
}

/* S: base and displacement in ipb bits 0-15; ar is the base register. */
static inline u64 s390_addr_s(struct nkvm_s390_vcpu *v, u8 *ar)
{
	u32 b2 = v->scb->ipb >> 28, d2 = (v->scb->ipb & 0x0fff0000) >> 16;

	if (ar)
		*ar = b2;
	return (b2 ? s390_gprs(v)[b2] : 0) + d2;
}

/* RS (and the registers of an RS/RSY instruction in ipa). */
static inline void s390_regs_rs(struct nkvm_s390_vcpu *v, int *r1, int *r3)
{
	*r1 = (v->scb->ipa & 0x00f0) >> 4;
	*r3 = v->scb->ipa & 0x000f;
}

/* RSY: base and 20-bit signed displacement. */
static inline u64 s390_addr_rsy(struct nkvm_s390_vcpu *v, u8 *ar)
{
	u32 ipb = v->scb->ipb;
	u32 b2 = ipb >> 28, dl2 = (ipb & 0x0fff0000) >> 16;
	u32 dh2 = (ipb & 0x0000ff00) >> 8;
	s64 d2 = (s64)(s32)((dh2 << 12 | dl2) << 12) >> 12;

	if (ar)
		*ar = b2;
	return (b2 ? s390_gprs(v)[b2] : 0) + d2;
}

/* SSE: the two base-displacement operands. */
static inline void s390_addr_sse(struct nkvm_s390_vcpu *v, u64 *a1, u64 *a2,
				 u8 *ar1, u8 *ar2)
{
	u32 b1 = (v->scb->ipb & 0xf0000000) >> 28;
	u32 d1 = (v->scb->ipb & 0x0fff0000) >> 16;
	u32 b2 = (v->scb->ipb & 0x0000f000) >> 12;
	u32 d2 = v->scb->ipb & 0x00000fff;

	*a1 = (b1 ? s390_gprs(v)[b1] : 0) + d1;
	*a2 = (b2 ? s390_gprs(v)[b2] : 0) + d2;
	if (ar1)
		*ar1 = b1;
	if (ar2)
		*ar2 = b2;
}

/* priv.c: the instruction tables by opcode, second level. */
int s390_handle_b2(struct nkvm_s390_vcpu *v);
int s390_handle_b9(struct nkvm_s390_vcpu *v);
int s390_handle_eb(struct nkvm_s390_vcpu *v);
int s390_handle_e5(struct nkvm_s390_vcpu *v);
int s390_handle_01(struct nkvm_s390_vcpu *v);
int s390_handle_lpsw(struct nkvm_s390_vcpu *v);
int s390_handle_lctl(struct nkvm_s390_vcpu *v);
int s390_handle_stctl(struct nkvm_s390_vcpu *v);
int s390_handle_aa(struct nkvm_s390_vcpu *v);
int s390_handle_e3(struct nkvm_s390_vcpu *v);
int s390_handle_sthyi(struct nkvm_s390_vcpu *v);

/* diag.c */
int s390_handle_diag(struct nkvm_s390_vcpu *v);

/* sigp.c */
int s390_handle_sigp(struct nkvm_s390_vcpu *v);
int s390_handle_sigp_pei(struct nkvm_s390_vcpu *v);

#endif /* _NKVM_S390_INTERCEPT_H */
