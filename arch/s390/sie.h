/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hardware side of SIE (START INTERPRETIVE EXECUTION): the state
 * description ("SIE control block") one per vCPU, the page it lives in,
 * the system control area (SCA) one per VM, and the codes SIE reports.
 * Offsets are the architecture's; the static_asserts at the bottom keep
 * the layout honest.
 */
#ifndef _NKVM_S390_SIE_H
#define _NKVM_S390_SIE_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <asm/ptrace.h>

/* cpuflags (offset 0x0): the vCPU's state and its intervention requests. */
#define SIE_CPU_STOPPED		0x80000000u
#define SIE_CPU_WAIT		0x10000000u
#define SIE_CPU_ECALL_PEND	0x08000000u
#define SIE_CPU_STOP_INT	0x04000000u	/* intercept: stop request */
#define SIE_CPU_IO_INT		0x02000000u	/* intercept: I/O enabled */
#define SIE_CPU_EXT_INT		0x01000000u	/* intercept: external enabled */
#define SIE_CPU_RUNNING		0x00800000u
#define SIE_CPU_ZARCH		0x00000800u
#define SIE_CPU_KSS		0x00000200u
#define SIE_CPU_SM		0x00000080u
#define SIE_CPU_GED2		0x00000010u
#define SIE_CPU_GED		0x00000004u

/* prog0c: set by sie64a while the CPU is in SIE. */
#define SIE_PROG_IN_SIE		0x00000001u
/* prog20: sie64a does not enter SIE while one is set. */
#define SIE_PROG_BLOCK		0x00000001u
#define SIE_PROG_REQUEST	0x00000002u

/* lctl: LCTL(G) of these control registers intercepts. */
#define SIE_LCTL_CR0		0x8000
#define SIE_LCTL_CR6		0x0200
#define SIE_LCTL_CR14		0x0002

/* ictl: instructions that intercept. */
#define SIE_ICTL_OPEREXC	0x80000000u	/* operation exceptions */
#define SIE_ICTL_PINT		0x20000000u
#define SIE_ICTL_LPSW		0x00400000u
#define SIE_ICTL_STCTL		0x00040000u
#define SIE_ICTL_ISKE		0x00004000u
#define SIE_ICTL_SSKE		0x00002000u
#define SIE_ICTL_RRBE		0x00001000u

/* eca: execution controls A. */
#define SIE_ECA_CEI		0x80000000u
#define SIE_ECA_IB		0x40000000u
#define SIE_ECA_SIGPI		0x10000000u
#define SIE_ECA_MVPGI		0x01000000u
#define SIE_ECA_PROTEXCI	0x00002000u
#define SIE_ECA_SII		0x00000001u

/* ecb: execution controls B. */
#define SIE_ECB_SPECI		0x08
#define SIE_ECB_SRSI		0x04
#define SIE_ECB_HOSTPROTINT	0x02

/* ecd: execution controls D. */
#define SIE_ECD_MEF		0x08000000u	/* multiple-epoch facility */

/* icptcode (offset 0x50): why SIE gave control back. */
enum sie_icpt {
	SIE_ICPT_NONE		= 0x00,	/* a host interruption: nothing to do */
	SIE_ICPT_INST		= 0x04,	/* instruction */
	SIE_ICPT_PROGI		= 0x08,	/* program interruption */
	SIE_ICPT_INSTPROGI	= 0x0c,	/* instruction and program interruption */
	SIE_ICPT_EXTREQ		= 0x10,	/* external interruption request */
	SIE_ICPT_EXTINT		= 0x14,	/* external interruption */
	SIE_ICPT_IOREQ		= 0x18,	/* I/O interruption request */
	SIE_ICPT_WAIT		= 0x1c,	/* wait state */
	SIE_ICPT_VALIDITY	= 0x20,	/* the state description is invalid */
	SIE_ICPT_STOP		= 0x28,	/* stop request */
	SIE_ICPT_OPEREXC	= 0x2c,	/* operation exception */
	SIE_ICPT_PARTEXEC	= 0x38,	/* partial execution */
	SIE_ICPT_IOINST		= 0x40,	/* I/O instruction */
	SIE_ICPT_KSS		= 0x5c,	/* keyless subset */
	SIE_ICPT_MCHKREQ	= 0x60,	/* machine-check request */
	SIE_ICPT_INT_ENABLE	= 0x64,	/* an interruption class was enabled */
	SIE_ICPT_MAX		= 0x100,
};

/* The guest's prefix: 8 KiB aligned, below 2 GiB, in the word at 0x4. */
#define SIE_PREFIX_MASK		0x7fffe000u
#define SIE_IBC_MASK		0x00000fffu

#define SIE_HPID_NKVM		0x04	/* the hypervisor id stock KVM uses */

/*
 * The state description. Fields without a comment are not used by nkvm
 * and stay 0. SIE reads and writes it while the vCPU runs; the thread
 * in KVM_RUN owns it otherwise (see the legends in s390.h).
 */
struct s390_sie_block {
	atomic_t cpuflags;		/* 0x000 SIE_CPU_* */
	u32 prefix_ibc;			/* 0x004 prefix | IBC */
	u8 reserved08[4];		/* 0x008 */
	u32 prog0c;			/* 0x00c SIE_PROG_IN_SIE */
	u8 reserved10[16];		/* 0x010 */
	atomic_t prog20;		/* 0x020 SIE_PROG_BLOCK/REQUEST */
	u8 reserved24[4];		/* 0x024 */
	u64 cputm;			/* 0x028 CPU timer */
	u64 ckc;			/* 0x030 clock comparator */
	u64 epoch;			/* 0x038 guest TOD - host TOD */
	u32 svcc;			/* 0x040 */
	u16 lctl;			/* 0x044 SIE_LCTL_* */
	s16 icpua;			/* 0x046 CPU address */
	u32 ictl;			/* 0x048 SIE_ICTL_* */
	u32 eca;			/* 0x04c SIE_ECA_* */
	u8 icptcode;			/* 0x050 enum sie_icpt */
	u8 icptstatus;			/* 0x051 */
	u16 ihcpu;			/* 0x052 */
	u8 reserved54;			/* 0x054 */
	u8 iictl;			/* 0x055 */
	u16 ipa;			/* 0x056 instruction, bytes 0-1 */
	u32 ipb;			/* 0x058 instruction, bytes 2-5 */
	u32 scaoh;			/* 0x05c SCA origin, high word */
	u8 fpf;				/* 0x060 */
	u8 ecb;				/* 0x061 SIE_ECB_* */
	u8 ecb2;			/* 0x062 */
	u8 ecb3;			/* 0x063 */
	u32 scaol;			/* 0x064 SCA origin, low word */
	u8 sdf;				/* 0x068 */
	u8 epdx;			/* 0x069 epoch index */
	u8 cpnc;			/* 0x06a */
	u8 reserved6b;			/* 0x06b */
	u32 todpr;			/* 0x06c TOD programmable register */
	u32 gd;				/* 0x070 */
	u8 reserved74[12];		/* 0x074 */
	u64 mso;			/* 0x080 main-storage origin */
	u64 msl;			/* 0x088 main-storage limit */
	psw_t gpsw;			/* 0x090 guest PSW */
	u64 gg14;			/* 0x0a0 guest r14 */
	u64 gg15;			/* 0x0a8 guest r15 */
	u8 reservedb0[8];		/* 0x0b0 */
	u8 hpid;			/* 0x0b8 */
	u8 reservedb9[7];		/* 0x0b9 */
	u32 eiparams;			/* 0x0c0 */
	u16 extcpuaddr;			/* 0x0c4 external-call source */
	u16 eic;			/* 0x0c6 external-interruption code */
	u32 reservedc8;			/* 0x0c8 */
	u16 pgmilc;			/* 0x0cc program ILC */
	u16 iprcc;			/* 0x0ce program interruption code */
	u32 dxc;			/* 0x0d0 data-exception code */
	u16 mcn;			/* 0x0d4 monitor class */
	u8 perc;			/* 0x0d6 PER code */
	u8 peratmid;			/* 0x0d7 */
	u64 peraddr;			/* 0x0d8 */
	u8 eai;				/* 0x0e0 exception access id */
	u8 peraid;			/* 0x0e1 */
	u8 oai;				/* 0x0e2 operand access id */
	u8 armid;			/* 0x0e3 */
	u8 reservede4[4];		/* 0x0e4 */
	u64 tecmc;			/* 0x0e8 translation exception code */
	u8 reservedf0[12];		/* 0x0f0 */
	u32 crycbd;			/* 0x0fc */
	u64 gcr[16];			/* 0x100 guest control registers */
	u64 gbea;			/* 0x180 breaking-event address */
	u8 reserved188[8];		/* 0x188 */
	u64 sdnxo;			/* 0x190 */
	u8 reserved198[8];		/* 0x198 */
	u32 fac;			/* 0x1a0 facility list (31-bit) */
	u8 reserved1a4[20];		/* 0x1a4 */
	u64 cbrlo;			/* 0x1b8 */
	u8 reserved1c0[8];		/* 0x1c0 */
	u32 ecd;			/* 0x1c8 SIE_ECD_* */
	u8 reserved1cc[18];		/* 0x1cc */
	u64 pp;				/* 0x1de program parameter */
	u8 reserved1e6[2];		/* 0x1e6 */
	u64 itdba;			/* 0x1e8 */
	u64 riccbd;			/* 0x1f0 */
	u64 gvrd;			/* 0x1f8 */
} __packed __aligned(512);

/*
 * What the kernel's machine-check handler stores for a machine check
 * that hit the guest (arch/s390/kernel/nmi.c finds it 0x200 bytes after
 * the state description sie64a was given).
 */
struct s390_mcck_info {
	u64 mcic;
	u64 failing_storage_address;
	u32 ext_damage_code;
	u32 reserved;
};

/* The page of a vCPU's state description. */
struct s390_sie_page {
	struct s390_sie_block scb;	/* 0x000 */
	struct s390_mcck_info mcck;	/* 0x200 */
	u8 reserved218[0x600 - 0x218];
	u8 itdb[256];			/* 0x600 transaction diagnostic block */
	u8 reserved700[0x1000 - 0x700];
};

/*
 * The basic SCA: the IPTE interlock and one entry per CPU address 0-63,
 * found by SIE through scaoh/scaol. It must lie below 2 GiB unless the
 * machine has 64-bit SCA origins.
 */
#define SCA_BASIC_SLOTS		64

struct s390_sca_entry {
	u8 reserved0;
	u8 sigp_ctrl;
	u16 reserved[3];
	u64 sda;			/* the CPU's state description */
	u64 reserved2[2];
};

struct s390_bsca {
	u64 ipte_control;
	u64 reserved[5];
	u64 mcn;			/* bit n (from the left): CPU n exists */
	u64 reserved2;
	struct s390_sca_entry cpu[SCA_BASIC_SLOTS];
};

/* sie64a (arch/s390/kernel/entry.S): 0, -EFAULT (guest fault it could not
 * resolve) or -EINTR (machine check in the guest). gprs: guest r0-r15,
 * r14/r15 going through gg14/gg15.
 */
int sie64a(struct s390_sie_block *scb, u64 *gprs);

static_assert(sizeof(struct s390_sie_block) == 512);
static_assert(offsetof(struct s390_sie_block, icptcode) == 0x50);
static_assert(offsetof(struct s390_sie_block, scaol) == 0x64);
static_assert(offsetof(struct s390_sie_block, gpsw) == 0x90);
static_assert(offsetof(struct s390_sie_block, eic) == 0xc6);
static_assert(offsetof(struct s390_sie_block, tecmc) == 0xe8);
static_assert(offsetof(struct s390_sie_block, gcr) == 0x100);
static_assert(offsetof(struct s390_sie_block, fac) == 0x1a0);
static_assert(offsetof(struct s390_sie_block, ecd) == 0x1c8);
static_assert(offsetof(struct s390_sie_block, pp) == 0x1de);
static_assert(offsetof(struct s390_sie_block, gvrd) == 0x1f8);
static_assert(offsetof(struct s390_sie_page, mcck) == 0x200);
static_assert(sizeof(struct s390_sie_page) == 4096);
static_assert(sizeof(struct s390_bsca) == 0x40 + 64 * 32);

#endif /* _NKVM_S390_SIE_H */
