// SPDX-License-Identifier: GPL-2.0
/*
 * Guest writes to CR0 and CR4: leaving long mode by clearing CR0.PG in
 * compatibility mode and coming back (the guest-code fuzzer's case 920,
 * which froze the QEMU TCG test VM), the #GP a real CPU raises for an
 * invalid MOV to CR0/CR4, LMSW (register, memory and RIP-relative forms;
 * it cannot clear PE) and the TS/MP-only writes an OS does all the time.
 *
 * Every guest starts from guest_flat_mode() with its own GDT (flat code at
 * 8 for the start mode, data at 16, 32-bit code at 0x18, 64-bit code at
 * 0x20) and an IDT whose 32 exception gates lead to stubs that OUT the
 * vector to PORT_VECTOR and halt; the host reads the error code and the
 * faulting RIP from the guest's stack. Every guest gets at most MAX_EXITS
 * exits, and each KVM_RUN at most RUN_TIMEOUT_S seconds (SIGALRM).
 *
 * Some cases leave the vCPU at an exit with EFER.LME=1, CR0.PG=0 and
 * CR4.PAE=0. Under stock kvm-amd (which hands the guest's LME to the VMCB)
 * the next #VMEXIT freezes the QEMU TCG test VM: QEMU 7.2 restores the
 * host's CR0 with a check made against the guest's EFER and CR4, so the
 * host keeps the guest's CR0 (paging off). Those cases run on nkvm only,
 * which keeps LME out of the VMCB while LMA is clear.
 */
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000
#define GDT_GPA		0x2000
#define STUB_GPA	0x3000
#define IDT_GPA		0x4000
#define STACK_TOP	0x8000

#define SEL_CODE32	0x18
#define SEL_CODE64	0x20

#define MAX_EXITS	16
#define RUN_TIMEOUT_S	20

#define PORT_VECTOR	0xee	/* exception stubs: OUT of the vector */
#define PORT_BEFORE	0xe1	/* #GP guests: just before the faulting MOV */
#define PORT_NO_FAULT	0xe2	/* #GP guests: the MOV did not fault */


#define GP_VECTOR	13

#define STOCK_FREEZES							\
	"freezes the QEMU TCG test VM under stock kvm-amd: QEMU's #VMEXIT "	\
	"does not restore host CR0 when the guest has EFER.LME=1, "	\
	"CR0.PG=0, CR4.PAE=0; stock passes LME to the VMCB"

/*
 * Case 920 and its way back. Starts in 64-bit mode; RSI 0 stops at the
 * first HLT (case 1), RSI 1 goes on to re-enter long mode (case 2).
 */
#define LM_COMPAT	0x1009
#define LM_LONG64	0x104c
static const uint8_t lm_code[] = {
	0x6a, 0x18,			/* push 0x18 */
	0x68, 0x09, 0x10, 0x00, 0x00,	/* push 0x1009 */
	0x48, 0xcb,			/* retfq */
	/* 0x1009: compatibility mode (CS 0x18) */
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x25, 0xff, 0xff, 0xff, 0x7f,	/* and eax,0x7fffffff */
	0x0f, 0x22, 0xc0,		/* mov cr0,eax */
	0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx,0xc0000080 */
	0x0f, 0x32,			/* rdmsr */
	0xe7, 0xc1,			/* out 0xc1,eax */
	0x0f, 0x20, 0xe0,		/* mov eax,cr4 */
	0x24, 0xdf,			/* and al,0xdf */
	0x0f, 0x22, 0xe0,		/* mov cr4,eax */
	0x0f, 0x32,			/* rdmsr */
	0xe7, 0xc2,			/* out 0xc2,eax */
	0x85, 0xf6,			/* test esi,esi */
	0x75, 0x01,			/* jne 0x102e */
	0xf4,				/* hlt */
	/* 0x102e: */
	0x0f, 0x20, 0xe0,		/* mov eax,cr4 */
	0x0c, 0x20,			/* or al,0x20 */
	0x0f, 0x22, 0xe0,		/* mov cr4,eax */
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x0d, 0x00, 0x00, 0x00, 0x80,	/* or eax,0x80000000 */
	0x0f, 0x22, 0xc0,		/* mov cr0,eax */
	0x0f, 0x32,			/* rdmsr */
	0xe7, 0xc3,			/* out 0xc3,eax */
	0xea, 0x4c, 0x10, 0x00, 0x00,	/* jmp 0x20:0x104c */
	0x20, 0x00,
	/* 0x104c: 64-bit mode (CS 0x20) */
	0x48, 0xb8, 0x00, 0x00, 0x00,	/* movabs rax,0x89abcdef00000000 */
	0x00, 0xef, 0xcd, 0xab, 0x89,
	0x48, 0xc1, 0xe8, 0x20,		/* shr rax,0x20 */
	0xe7, 0xc4,			/* out 0xc4,eax */
	0xf4,				/* hlt */
};

/* #GP guests: OUT PORT_BEFORE, the faulting MOV at CODE_GPA + fault. */

/* Protected mode: EFER.LME=1 with CR4.PAE=0, then set CR0.PG. */
static const uint8_t gp_lme_code[] = {
	0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx,0xc0000080 */
	0x0f, 0x32,			/* rdmsr */
	0x80, 0xcc, 0x01,		/* or ah,0x1 */
	0x0f, 0x30,			/* wrmsr */
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x0d, 0x00, 0x00, 0x00, 0x80,	/* or eax,0x80000000 */
	0x0f, 0x22, 0xc0,		/* 0x1016: mov cr0,eax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* 64-bit mode: clear CR0.PG. */
static const uint8_t gp_pg64_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xc0,		/* mov rax,cr0 */
	0x25, 0xff, 0xff, 0xff, 0x7f,	/* and eax,0x7fffffff */
	0x0f, 0x22, 0xc0,		/* 0x100a: mov cr0,rax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* 64-bit mode: clear CR4.PAE. */
static const uint8_t gp_pae64_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xe0,		/* mov rax,cr4 */
	0x24, 0xdf,			/* and al,0xdf */
	0x0f, 0x22, 0xe0,		/* 0x1007: mov cr4,rax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* Protected mode: CR0.NW without CR0.CD. */
static const uint8_t gp_nw_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x0d, 0x00, 0x00, 0x00, 0x20,	/* or eax,0x20000000 */
	0x0f, 0x22, 0xc0,		/* 0x100a: mov cr0,eax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* Protected mode without paging: CR0.PG with CR0.PE clear. */
static const uint8_t gp_pg_no_pe_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x83, 0xe0, 0xfe,		/* and eax,0xfffffffe */
	0x0d, 0x00, 0x00, 0x00, 0x80,	/* or eax,0x80000000 */
	0x0f, 0x22, 0xc0,		/* 0x100d: mov cr0,eax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* 64-bit mode: CR0 bit 32. */
static const uint8_t gp_cr0_hi_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xc0,		/* mov rax,cr0 */
	0x48, 0x0f, 0xba, 0xe8, 0x20,	/* bts rax,0x20 */
	0x0f, 0x22, 0xc0,		/* 0x100a: mov cr0,rax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* 64-bit mode: CR4 bit 63. */
static const uint8_t gp_cr4_63_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xe0,		/* mov rax,cr4 */
	0x48, 0x0f, 0xba, 0xe8, 0x3f,	/* bts rax,0x3f */
	0x0f, 0x22, 0xe0,		/* 0x100a: mov cr4,rax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* Protected mode: CR4 bit 15 (reserved on every CPU). */
static const uint8_t gp_cr4_15_code[] = {
	0xe6, 0xe1,			/* out 0xe1,al */
	0x0f, 0x20, 0xe0,		/* mov eax,cr4 */
	0x0d, 0x00, 0x80, 0x00, 0x00,	/* or eax,0x8000 */
	0x0f, 0x22, 0xe0,		/* 0x100a: mov cr4,eax */
	0xe6, 0xe2,			/* out 0xe2,al */
	0xf4,				/* hlt */
};

/* Protected mode, EFER.LME set by KVM_SET_SREGS: the guest reads EFER. */
static const uint8_t sregs_lme_code[] = {
	0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx,0xc0000080 */
	0x0f, 0x32,			/* rdmsr */
	0xe7, 0xd0,			/* out 0xd0,eax */
	0xf4,				/* hlt */
};

/* Protected mode: LMSW from a register and from memory. */
static const uint8_t lmsw32_code[] = {
	0x0f, 0x20, 0xc0,		/* mov eax,cr0 */
	0x0c, 0x06,			/* or al,0x6 */
	0x0f, 0x01, 0xf0,		/* lmsw ax */
	0xe6, 0xd1,			/* out 0xd1,al */
	0xbb, 0x18, 0x10, 0x00, 0x00,	/* mov ebx,0x1018 */
	0x0f, 0x01, 0x73, 0x08,		/* lmsw WORD PTR [ebx+0x8] */
	0xe6, 0xd2,			/* out 0xd2,al */
	0xb8, 0x04, 0x00, 0x00, 0x00,	/* mov eax,0x4 */
	0x0f, 0x01, 0xf0,		/* lmsw ax */
	0xe6, 0xd3,			/* out 0xd3,al */
	0xf4,				/* hlt */
	0xf1, 0xff,			/* 0x1020: .word 0xfff1 */
};

/* 64-bit mode: LMSW with RIP-relative memory operands. */
static const uint8_t lmsw64_code[] = {
	0x0f, 0x01, 0x35, 0x0c, 0x00,	/* lmsw WORD PTR [rip+0xc] # 0x1013 */
	0x00, 0x00,
	0xe6, 0xd4,			/* out 0xd4,al */
	0x0f, 0x01, 0x35, 0x05, 0x00,	/* lmsw WORD PTR [rip+0x5] # 0x1015 */
	0x00, 0x00,
	0xe6, 0xd5,			/* out 0xd5,al */
	0xf4,				/* hlt */
	0x07, 0x00,			/* 0x1013: .word 0x0007 */
	0xf0, 0xff,			/* 0x1015: .word 0xfff0 */
};

/* 64-bit mode: writes that change only CR0.TS and CR0.MP. */
static const uint8_t ts_code[] = {
	0x0f, 0x20, 0xc0,		/* mov rax,cr0 */
	0x0c, 0x08,			/* or al,0x8 */
	0x0f, 0x22, 0xc0,		/* mov cr0,rax */
	0xe6, 0xb1,			/* out 0xb1,al */
	0x0f, 0x06,			/* clts */
	0xe6, 0xb2,			/* out 0xb2,al */
	0x0f, 0x20, 0xc0,		/* mov rax,cr0 */
	0x34, 0x02,			/* xor al,0x2 */
	0x0f, 0x22, 0xc0,		/* mov cr0,rax */
	0xe6, 0xb3,			/* out 0xb3,al */
	0xb9, 0xe8, 0x03, 0x00, 0x00,	/* mov ecx,0x3e8 */
	0x0f, 0x20, 0xc0,		/* 0x101d: mov rax,cr0 */
	0x34, 0x0a,			/* xor al,0xa */
	0x0f, 0x22, 0xc0,		/* mov cr0,rax */
	0xff, 0xc9,			/* dec ecx */
	0x75, 0xf4,			/* jne 0x101d */
	0x0f, 0x20, 0xc0,		/* mov rax,cr0 */
	0xe7, 0xb4,			/* out 0xb4,eax */
	0xf4,				/* hlt */
};

struct crg {
	struct guest g;
	uint8_t *mem;
	bool long_mode;
	bool dead;		/* a step failed: later steps fail at once */
	int exits_left;
	uint16_t port;		/* the last OUT */
	uint32_t data;
};

static void on_alarm(int sig)
{
	(void)sig;
}

/* Stub for vector v: mov al,v; out 0xee,al; hlt; jmp -3 (to the hlt). */
static void put_stubs(struct crg *c)
{
	for (unsigned int v = 0; v < 32; v++) {
		uint8_t *s = c->mem + STUB_GPA + v * 8;
		uint64_t h = STUB_GPA + v * 8;
		uint64_t *idt = (uint64_t *)(c->mem + IDT_GPA);

		s[0] = 0xb0;
		s[1] = v;
		s[2] = 0xe6;
		s[3] = PORT_VECTOR;
		s[4] = 0xf4;
		s[5] = 0xeb;
		s[6] = 0xfd;
		if (!c->long_mode) {
			guest_idt_gate(c->mem, IDT_GPA, v, h);
			continue;
		}
		/* 64-bit interrupt gate: selector 8 (64-bit code), IST 0. */
		idt[2 * v] = (h & 0xffff) | (8ULL << 16) | (0x8e00ULL << 32) |
			     ((h >> 16) << 48);
		idt[2 * v + 1] = h >> 32;
	}
}

static bool load_tables(struct crg *c)
{
	uint64_t *gdt = (uint64_t *)(c->mem + GDT_GPA);
	struct kvm_sregs s;

	gdt[0] = 0;
	gdt[1] = c->long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;		/* data, 4 GiB */
	gdt[3] = 0x00cf9b000000ffffULL;		/* code, 32-bit */
	gdt[4] = 0x00af9b000000ffffULL;		/* code, 64-bit */
	put_stubs(c);
	if (ioctl(c->g.vcpu, KVM_GET_SREGS, &s))
		return false;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 5 * 8 - 1;
	s.idt.base = IDT_GPA;
	s.idt.limit = c->long_mode ? 32 * 16 - 1 : 32 * 8 - 1;
	return !ioctl(c->g.vcpu, KVM_SET_SREGS, &s);
}

/* The CPUID a VMM would give (EFER.LME needs CPUID LM for WRMSR). */
static bool set_cpuid(struct crg *c)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[100];
	} cpuid;

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.h.nent = ARRAY_SIZE(cpuid.e);
	if (ioctl(c->g.kvm, KVM_GET_SUPPORTED_CPUID, &cpuid))
		return false;
	return !ioctl(c->g.vcpu, KVM_SET_CPUID2, &cpuid);
}

static void crg_start(struct crg *c, int kvm, bool long_mode,
		      const uint8_t *code, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->long_mode = long_mode;
	c->exits_left = MAX_EXITS;
	guest_create(&c->g, kvm);
	c->mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(c->mem + CODE_GPA, code, len);
	guest_set_slot(&c->g, 0, 0, c->mem, MEM_SIZE, 0);
	guest_add_vcpu(&c->g);
	if (!set_cpuid(c) ||
	    !guest_flat_mode(&c->g, c->mem, long_mode, CODE_GPA, STACK_TOP) ||
	    !load_tables(c)) {
		tap_diag("guest set-up: %m");
		c->dead = true;
	}
}

static void crg_end(struct crg *c)
{
	guest_destroy(&c->g);
	munmap(c->mem, MEM_SIZE);
}

/* An exception stub ran: its vector, error code and the faulting RIP. */
static bool crg_exception(struct crg *c, uint64_t *err, uint64_t *rip)
{
	unsigned int w = c->long_mode ? 8 : 4;
	struct kvm_regs r;

	*err = 0;
	*rip = 0;
	if (ioctl(c->g.vcpu, KVM_GET_REGS, &r) || r.rsp < 0x100 ||
	    r.rsp > STACK_TOP - 2 * w)
		return false;
	memcpy(err, c->mem + r.rsp, w);
	memcpy(rip, c->mem + r.rsp + w, w);
	return true;
}

/* One KVM_RUN, within the exit budget and the time limit. */
static bool crg_run(struct crg *c)
{
	int ret;

	if (c->dead)
		return false;
	if (c->exits_left-- <= 0) {
		tap_diag("more than %d exits", MAX_EXITS);
		c->dead = true;
		return false;
	}
	alarm(RUN_TIMEOUT_S);
	ret = ioctl(c->g.vcpu, KVM_RUN, 0);
	alarm(0);
	if (ret) {
		tap_diag("KVM_RUN: %m");
		c->dead = true;
		return false;
	}
	c->port = 0;
	c->data = 0;
	if (c->g.run->exit_reason == KVM_EXIT_IO &&
	    c->g.run->io.direction == KVM_EXIT_IO_OUT) {
		c->port = c->g.run->io.port;
		memcpy(&c->data, (uint8_t *)c->g.run + c->g.run->io.data_offset,
		       c->g.run->io.size < 4 ? c->g.run->io.size : 4);
	}
	return true;
}

static void crg_unexpected(struct crg *c, const char *want)
{
	uint64_t err, rip;

	c->dead = true;
	if (c->port == PORT_VECTOR && crg_exception(c, &err, &rip)) {
		tap_diag("wanted %s, got exception %u (error code %#llx) at %#llx",
			 want, c->data, (unsigned long long)err,
			 (unsigned long long)rip);
		return;
	}
	if (c->port) {
		tap_diag("wanted %s, got OUT %#x (%#x)", want, c->port, c->data);
		return;
	}
	tap_diag("wanted %s, got exit %s", want,
		 guest_exit_name(c->g.run->exit_reason));
}

/* Run to an OUT to port; false (diagnosed) on anything else. */
static bool crg_out(struct crg *c, uint16_t port)
{
	char want[32];

	if (!crg_run(c))
		return false;
	if (c->port == port)
		return true;
	snprintf(want, sizeof(want), "OUT %#x", port);
	crg_unexpected(c, want);
	return false;
}

static bool crg_hlt(struct crg *c)
{
	if (!crg_run(c))
		return false;
	if (c->g.run->exit_reason == KVM_EXIT_HLT)
		return true;
	crg_unexpected(c, "HLT");
	return false;
}

static bool crg_sregs(struct crg *c, struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	if (c->dead)
		return false;
	if (ioctl(c->g.vcpu, KVM_GET_SREGS, s)) {
		tap_diag("KVM_GET_SREGS: %m");
		c->dead = true;
		return false;
	}
	return true;
}

static bool efer_lme_only(uint64_t efer)
{
	return (efer & (EFER_LME | EFER_LMA)) == EFER_LME;
}

/*
 * Case 1 (and the first half of case 2): 64-bit mode -> retfq to a
 * 32-bit segment (compatibility mode) -> clear CR0.PG -> clear CR4.PAE.
 */
static void test_leave_long_mode(int kvm)
{
	struct kvm_sregs s;
	struct crg c;
	bool ok;

	crg_start(&c, kvm, true, lm_code, sizeof(lm_code));

	ok = crg_out(&c, 0xc1);
	tap_ok(ok && efer_lme_only(c.data),
	       "case 920: 64-bit -> retfq to compat -> MOV CR0 clearing PG: the guest runs on, its RDMSR EFER has LME, not LMA (%#x)",
	       c.data);
	ok = crg_sregs(&c, &s);
	tap_ok(ok && !(s.cr0 & CR0_PG) && (s.cr4 & CR4_PAE) &&
	       efer_lme_only(s.efer) && s.cs.selector == SEL_CODE32 && !s.cs.l,
	       "case 920: KVM_GET_SREGS after clearing CR0.PG: PG=0, EFER.LME=1, LMA=0, CS 0x18 (cr0 %#llx cr4 %#llx efer %#llx)",
	       s.cr0, s.cr4, s.efer);
	ok = crg_out(&c, 0xc2);
	tap_ok(ok && efer_lme_only(c.data),
	       "case 920: MOV CR4 clearing PAE with paging off: the guest runs on, RDMSR EFER still has LME (%#x)",
	       c.data);
	ok = crg_sregs(&c, &s);
	tap_ok(ok && !(s.cr0 & CR0_PG) && (s.cr0 & CR0_PE) && !(s.cr4 & CR4_PAE) &&
	       efer_lme_only(s.efer),
	       "case 920: KVM_GET_SREGS with EFER.LME=1, CR0.PG=0, CR4.PAE=0 (cr0 %#llx cr4 %#llx efer %#llx)",
	       s.cr0, s.cr4, s.efer);
	tap_ok(crg_hlt(&c), "case 920: the guest halts (the host survived the exits)");
	crg_end(&c);
}

/* Case 2: from there, PAE then PG (long mode, compat), far jump to 64-bit. */
static void test_reenter_long_mode(int kvm)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct crg c;
	bool ok;

	crg_start(&c, kvm, true, lm_code, sizeof(lm_code));
	if (!c.dead && ioctl(c.g.vcpu, KVM_GET_REGS, &r))
		c.dead = true;
	r.rsi = 1;
	if (!c.dead && ioctl(c.g.vcpu, KVM_SET_REGS, &r))
		c.dead = true;
	if (c.dead)
		tap_diag("set-up or KVM_GET/SET_REGS failed: %m");

	ok = crg_out(&c, 0xc1) && crg_out(&c, 0xc2);
	tap_ok(ok, "round trip: leaves long mode as in case 920 (OUT 0xc1, 0xc2)");
	ok = crg_out(&c, 0xc3);
	tap_ok(ok && (c.data & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	       "round trip: setting CR4.PAE then CR0.PG re-enters long mode: RDMSR EFER has LME and LMA (%#x)",
	       c.data);
	ok = crg_sregs(&c, &s);
	tap_ok(ok && (s.cr0 & CR0_PG) && (s.cr4 & CR4_PAE) && (s.efer & EFER_LMA) &&
	       (s.efer & EFER_LME) && !s.cs.l && s.cs.selector == SEL_CODE32,
	       "round trip: KVM_GET_SREGS in compatibility mode: PG, PAE, EFER.LME|LMA, CS.L=0 (cr0 %#llx efer %#llx)",
	       s.cr0, s.efer);
	ok = crg_out(&c, 0xc4);
	tap_ok(ok && c.data == 0x89abcdef,
	       "round trip: far jump to the 64-bit segment: a 64-bit shift gives 0x89abcdef (%#x)",
	       c.data);
	ok = crg_sregs(&c, &s);
	tap_ok(ok && (s.efer & EFER_LMA) && s.cs.l && s.cs.selector == SEL_CODE64,
	       "round trip: KVM_GET_SREGS in 64-bit mode: EFER.LMA, CS 0x20 with L=1 (efer %#llx)",
	       s.efer);
	tap_ok(crg_hlt(&c), "round trip: the guest halts");
	crg_end(&c);
}

struct gp_case {
	const char *what;
	const uint8_t *code;
	size_t len;
	bool long_mode;
	bool ours_only;		/* EFER.LME=1, CR0.PG=0, CR4.PAE=0 at an exit */
	bool high_bits;		/* the fault comes from bits 63:32 */
	uint32_t fault;		/* GPA of the faulting MOV */
};

static const struct gp_case gp_cases[] = {
	{ "protected mode, EFER.LME=1 and CR4.PAE=0: MOV CR0 setting PG",
	  gp_lme_code, sizeof(gp_lme_code), false, true, false, 0x1016 },
	{ "64-bit mode: MOV CR0 clearing PG",
	  gp_pg64_code, sizeof(gp_pg64_code), true, false, false, 0x100a },
	{ "long mode: MOV CR4 clearing PAE",
	  gp_pae64_code, sizeof(gp_pae64_code), true, false, false, 0x1007 },
	{ "protected mode: MOV CR0 with NW=1, CD=0",
	  gp_nw_code, sizeof(gp_nw_code), false, false, false, 0x100a },
	{ "protected mode without paging: MOV CR0 with PG=1, PE=0",
	  gp_pg_no_pe_code, sizeof(gp_pg_no_pe_code), false, false, false, 0x100d },
	{ "64-bit mode: MOV CR0 with bit 32 set",
	  gp_cr0_hi_code, sizeof(gp_cr0_hi_code), true, false, true, 0x100a },
	{ "64-bit mode: MOV CR4 with bit 63 set",
	  gp_cr4_63_code, sizeof(gp_cr4_63_code), true, false, true, 0x100a },
	{ "protected mode: MOV CR4 with reserved bit 15 set",
	  gp_cr4_15_code, sizeof(gp_cr4_15_code), false, false, false, 0x100a },
};

/*
 * Without decode assists stock kvm-amd emulates an intercepted MOV to CR0
 * or CR4 with its x86 emulator, whose emulator_set_cr() keeps bits 63:32
 * of the current value and takes only the low 32 bits of the new one
 * (mk_cr_64() in arch/x86/kvm/x86.c, 6.1): no #GP for high bits there.
 * With decode assists it reads the whole register and raises #GP.
 */
#define STOCK_TRUNCATES							\
	"stock kvm-amd without decode assists (QEMU TCG) emulates MOV CR "	\
	"and drops bits 63:32 of the value instead of raising #GP"

static bool host_decode_assists(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid_max(0x80000000, NULL) < 0x8000000a)
		return false;
	__cpuid(0x8000000a, a, b, c, d);
	return d & (1U << 7);
}

/* Case 3: the MOV raises #GP(0) at itself and CR0/CR4/EFER stay. */
static void test_gp(int kvm, const struct gp_case *gc)
{
	struct kvm_sregs before, after;
	uint64_t err = 0, rip = 0;
	const char *why = NULL;
	uint32_t vec = 0;
	struct crg c;
	bool ok;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));

	if (gc->ours_only && !kvm_is_ours())
		why = STOCK_FREEZES;
	if (gc->high_bits && !kvm_is_ours() && !host_decode_assists())
		why = STOCK_TRUNCATES;
	if (why) {
		tap_skip(why, "#GP: %s", gc->what);
		tap_skip(why, "#GP: %s: CR0/CR4/EFER unchanged", gc->what);
		return;
	}
	crg_start(&c, kvm, gc->long_mode, gc->code, gc->len);
	ok = crg_out(&c, PORT_BEFORE) && crg_sregs(&c, &before) && crg_run(&c);
	if (ok && c.port != PORT_VECTOR) {
		crg_unexpected(&c, "#GP");
		ok = false;
	}
	ok = ok && crg_exception(&c, &err, &rip);
	if (ok)
		vec = c.data;
	tap_ok(ok && vec == GP_VECTOR && err == 0 && rip == gc->fault,
	       "#GP: %s (vector %u, error code %#llx, at %#llx; want 13, 0, %#x)",
	       gc->what, vec, (unsigned long long)err,
	       (unsigned long long)rip, gc->fault);
	ok = ok && crg_sregs(&c, &after);
	tap_ok(ok && before.cr0 == after.cr0 && before.cr4 == after.cr4 &&
	       before.efer == after.efer,
	       "#GP: %s: CR0/CR4/EFER unchanged (cr0 %#llx -> %#llx, cr4 %#llx -> %#llx, efer %#llx -> %#llx)",
	       gc->what, before.cr0, after.cr0, before.cr4, after.cr4,
	       before.efer, after.efer);
	crg_end(&c);
}

/* Case 3: KVM_SET_SREGS puts the vCPU in protected mode with EFER.LME=1. */
static void test_sregs_lme(int kvm)
{
	const char *what = "KVM_SET_SREGS EFER.LME=1, CR0.PG=0, CR4.PAE=0";
	struct kvm_sregs s;
	struct crg c;
	bool ok;

	if (!kvm_is_ours()) {
		tap_skip(STOCK_FREEZES, "%s: accepted", what);
		tap_skip(STOCK_FREEZES, "%s: the guest's RDMSR EFER has LME", what);
		tap_skip(STOCK_FREEZES, "%s: KVM_GET_SREGS keeps EFER.LME", what);
		tap_skip(STOCK_FREEZES, "%s: the guest halts", what);
		return;
	}
	crg_start(&c, kvm, false, sregs_lme_code, sizeof(sregs_lme_code));
	ok = crg_sregs(&c, &s);
	s.efer = EFER_LME;
	ok = ok && !ioctl(c.g.vcpu, KVM_SET_SREGS, &s);
	tap_ok(ok, "%s: accepted", what);
	c.dead |= !ok;
	ok = crg_out(&c, 0xd0);
	tap_ok(ok && efer_lme_only(c.data), "%s: the guest's RDMSR EFER has LME (%#x)",
	       what, c.data);
	ok = crg_sregs(&c, &s);
	tap_ok(ok && efer_lme_only(s.efer) && !(s.cr0 & CR0_PG),
	       "%s: KVM_GET_SREGS keeps EFER.LME (efer %#llx cr0 %#llx)", what,
	       s.efer, s.cr0);
	tap_ok(crg_hlt(&c), "%s: the guest halts", what);
	crg_end(&c);
}

/* Run to the OUT to port, then CR0 must be want. */
static void check_cr0(struct crg *c, uint16_t port, uint64_t want,
		      const char *what)
{
	struct kvm_sregs s;
	bool ok;

	ok = crg_out(c, port) && crg_sregs(c, &s);
	tap_ok(ok && s.cr0 == want, "%s: CR0 %#llx (want %#llx)", what,
	       s.cr0, (unsigned long long)want);
}

/* Case 4: LMSW. */
static void test_lmsw(int kvm)
{
	const uint64_t base32 = CR0_PE | CR0_ET | CR0_NE;
	const uint64_t base64 = base32 | CR0_PG;
	struct crg c;

	crg_start(&c, kvm, false, lmsw32_code, sizeof(lmsw32_code));
	check_cr0(&c, 0xd1, base32 | CR0_MP | CR0_EM,
		  "LMSW AX (0f 01 f0) sets CR0.MP|EM");
	check_cr0(&c, 0xd2, base32,
		  "LMSW [EBX+8] (0f 01 73 08) of 0xfff1 clears MP|EM, leaves bits 4-15");
	check_cr0(&c, 0xd3, base32 | CR0_EM,
		  "LMSW AX of 0x0004 sets EM and cannot clear PE");
	tap_ok(crg_hlt(&c), "LMSW in protected mode: the guest halts");
	crg_end(&c);

	crg_start(&c, kvm, true, lmsw64_code, sizeof(lmsw64_code));
	check_cr0(&c, 0xd4, base64 | CR0_MP | CR0_EM,
		  "64-bit LMSW [RIP+0xc] (0f 01 35) of 0x0007 sets MP|EM");
	check_cr0(&c, 0xd5, base64,
		  "64-bit LMSW [RIP+0x5] of 0xfff0 clears MP|EM, keeps PE");
	tap_ok(crg_hlt(&c), "LMSW in 64-bit mode: the guest halts");
	crg_end(&c);
}

/* Case 5: what an OS does with CR0.TS and CR0.MP keeps working. */
static void test_ts_mp(int kvm)
{
	const uint64_t base = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	struct kvm_sregs s;
	struct crg c;
	bool ok;

	crg_start(&c, kvm, true, ts_code, sizeof(ts_code));
	check_cr0(&c, 0xb1, base | CR0_TS, "TS/MP: MOV CR0 setting TS");
	check_cr0(&c, 0xb2, base, "TS/MP: CLTS");
	check_cr0(&c, 0xb3, base | CR0_MP, "TS/MP: MOV CR0 setting MP");
	ok = crg_out(&c, 0xb4) && crg_sregs(&c, &s);
	tap_ok(ok && c.data == (uint32_t)(base | CR0_MP) && s.cr0 == (base | CR0_MP),
	       "TS/MP: 1000 MOV CR0 toggling TS and MP, then the guest's CR0 %#x and KVM_GET_SREGS %#llx (want %#llx)",
	       c.data, s.cr0, (unsigned long long)(base | CR0_MP));
	tap_ok(crg_hlt(&c), "TS/MP: the guest halts");
	crg_end(&c);
}

#define NR_CHECKS	(5 + 6 + 2 * ARRAY_SIZE(gp_cases) + 4 + 7 + 5)

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (unsigned int i = 0; i < NR_CHECKS; i++)
			tap_skip("this module does not run guests here",
				 "CR check %u", i + 1);
		return tap_finish();
	}
	sigaction(SIGALRM, &sa, NULL);

	test_leave_long_mode(kvm);
	test_reenter_long_mode(kvm);
	for (unsigned int i = 0; i < ARRAY_SIZE(gp_cases); i++)
		test_gp(kvm, &gp_cases[i]);
	test_sregs_lme(kvm);
	test_lmsw(kvm);
	test_ts_mp(kvm);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "control registers");
	return tap_finish();
}

#endif
