/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s390 interruptions: what interrupt.c offers the rest of arch/s390, and
 * the architecture's interruption codes.
 */
#ifndef _NKVM_S390_INTERRUPT_H
#define _NKVM_S390_INTERRUPT_H

#include "s390.h"

/* Program-interruption codes. */
#define PGM_OPERATION		0x01
#define PGM_PRIVILEGED_OP	0x02
#define PGM_EXECUTE		0x03
#define PGM_PROTECTION		0x04
#define PGM_ADDRESSING		0x05
#define PGM_SPECIFICATION	0x06
#define PGM_DATA		0x07
#define PGM_SEGMENT_TRANSLATION	0x10
#define PGM_PAGE_TRANSLATION	0x11
#define PGM_TRANSLATION_SPEC	0x12
#define PGM_SPACE_SWITCH	0x13
#define PGM_AFX_TRANSLATION	0x20
#define PGM_ASX_TRANSLATION	0x21
#define PGM_LX_TRANSLATION	0x22
#define PGM_EX_TRANSLATION	0x23
#define PGM_PRIMARY_AUTHORITY	0x24
#define PGM_SECONDARY_AUTHORITY	0x25
#define PGM_LFX_TRANSLATION	0x26
#define PGM_LSX_TRANSLATION	0x27
#define PGM_ALET_SPECIFICATION	0x28
#define PGM_ALEN_TRANSLATION	0x29
#define PGM_ALE_SEQUENCE	0x2a
#define PGM_ASTE_VALIDITY	0x2b
#define PGM_ASTE_SEQUENCE	0x2c
#define PGM_EXTENDED_AUTHORITY	0x2d
#define PGM_LSTE_SEQUENCE	0x2e
#define PGM_ASTE_INSTANCE	0x2f
#define PGM_STACK_FULL		0x30
#define PGM_STACK_EMPTY		0x31
#define PGM_STACK_SPECIFICATION	0x32
#define PGM_STACK_TYPE		0x33
#define PGM_STACK_OPERATION	0x34
#define PGM_ASCE_TYPE		0x38
#define PGM_REGION_FIRST_TRANS	0x39
#define PGM_REGION_SECOND_TRANS	0x3a
#define PGM_REGION_THIRD_TRANS	0x3b
#define PGM_MONITOR		0x40
#define PGM_PER			0x80
#define PGM_CRYPTO_OPERATION	0x119

/* External-interruption codes. */
#define EXT_CODE_EMERGENCY	0x1201
#define EXT_CODE_EXTERNAL_CALL	0x1202
#define EXT_CODE_CLOCK_COMP	0x1004
#define EXT_CODE_CPU_TIMER	0x1005
#define EXT_CODE_SERVICE	0x2401
#define EXT_CODE_CP_SERVICE	0x2603	/* pfault and virtio */
#define EXT_PARM_PFAULT_INIT	0x0600
#define EXT_PARM_PFAULT_DONE	0x0680
#define EXT_PARM_VIRTIO		0x0d00

/* The SCCB address and the event-pending bits of a service signal. */
#define SCCB_MASK		0xfffffff8u
#define SCCB_EVENT_PENDING	0x3u

/* Interruption-code bits of a machine check (MCIC). */
#define MCIC_SD			BIT_ULL(63)	/* system damage */
#define MCIC_PD			BIT_ULL(62)	/* instruction-processing damage */
#define MCIC_WARNING		BIT_ULL(55)
#define MCIC_DEGRADATION	BIT_ULL(56)
#define MCIC_EXT_DAMAGE		BIT_ULL(58)
#define MCIC_EXIGENT		(MCIC_SD | MCIC_PD)
#define MCIC_REPRESSIBLE	(MCIC_WARNING | MCIC_DEGRADATION | \
				 MCIC_EXT_DAMAGE)
/* CR14 bit of the channel-report-pending subclass (floating). */
#define CR14_CHANNEL_REPORT	BIT_ULL(63 - 35)

/* I/O interruption word: ISC in bits 2-4, bit 0 an adapter interruption. */
static inline u8 s390_isc_of(u32 io_int_word)
{
	return (io_int_word >> 27) & 7;
}

static inline u32 s390_isc_int_word(u8 isc)
{
	return ((u32)isc << 27) | 0x80000000u;
}

void s390_float_init(struct nkvm_s390_vm *svm);
void s390_float_clear(struct nkvm_s390_vm *svm);
/* Queue a floating interrupt (freed by the queue), kick a vCPU for it. */
int s390_inject_float(struct nkvm_s390_vm *svm, struct s390_float_irq *fi);
int s390_inject_float_int(struct nkvm_s390_vm *svm,
			  const struct kvm_s390_interrupt *s390int);
int s390_float_from_irq(struct s390_float_irq *f,
			const struct kvm_s390_irq *irq);
int s390_get_all_float(struct nkvm_s390_vm *svm, void __user *buf, u64 len);

int s390_int_to_irq(const struct kvm_s390_interrupt *s390int,
		    struct kvm_s390_irq *irq);
int s390_inject_vcpu(struct nkvm_s390_vcpu *v, struct kvm_s390_irq *irq);
int s390_inject_prog(struct nkvm_s390_vcpu *v, struct kvm_s390_pgm_info *pgm);
int s390_inject_pgm_code(struct nkvm_s390_vcpu *v, u16 code);
void s390_clear_local_irqs(struct nkvm_s390_vcpu *v);
void s390_clear_stop_irq(struct nkvm_s390_vcpu *v);
bool s390_stop_pending(struct nkvm_s390_vcpu *v, u8 *flags);
bool s390_vcpu_has_irq(struct nkvm_s390_vcpu *v, bool exclude_stop);
bool s390_ext_call_pending(struct nkvm_s390_vcpu *v);
int s390_get_irq_state(struct nkvm_s390_vcpu *v,
		       const struct kvm_s390_irq_state *st);
int s390_set_irq_state(struct nkvm_s390_vcpu *v,
		       const struct kvm_s390_irq_state *st);

/* Before each entry: deliver what the guest can take, request the rest. */
int s390_deliver_pending(struct nkvm_s390_vcpu *v);
void s390_reinject_mcck(struct nkvm_s390_vcpu *v);
void s390_wait_timer_init(struct nkvm_s390_vcpu *v);
int s390_handle_wait(struct nkvm_s390_vcpu *v);
u64 s390_vcpu_tod(struct nkvm_s390_vcpu *v);

#endif /* _NKVM_S390_INTERRUPT_H */
