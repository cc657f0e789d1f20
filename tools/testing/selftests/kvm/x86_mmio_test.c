// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_EXIT_MMIO: guest MOVs to and from a GPA outside every memslot, in
 * real mode (ES.base set to the MMIO area through KVM_SET_SREGS) and in
 * long mode (4-level paging, 2 MiB pages). For each access the host checks
 * phys_addr, len, is_write and a write's data, and RIP: past the
 * instruction for a write, still on it for a read (which the next KVM_RUN
 * completes). A read is followed in the guest by "out %al, $0x20", at
 * which exit the host checks the destination register.
 *
 * The long mode guest ends with an ADD to MMIO: stock emulates it (an MMIO
 * read first); nkvm emulates MOVs only and exits with
 * KVM_INTERNAL_ERROR_EMULATION and the instruction bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000
#define PD_MMIO_GPA	0x13000
#define MMIO_GPA	0xd0000000ULL
#define SYNC_PORT	0x20

/*
 * The guests. Every MMIO instruction sits between labels <p>N and <p>N_e;
 * each read is followed by the sync OUT.
 */
#define SYNC "out %al, $0x20\n"
asm(".pushsection .rodata\n"
    ".code16\n"
    "rm_start:\n"
    "	mov $0x1a, %bx\n"
    "	mov $0x11223344, %edx\n"
    "rm0:	movb $0x5a, %es:0x10\n"
    "rm0_e:\n"
    "rm1:	movw $0xbeef, %es:0x12\n"
    "rm1_e:\n"
    "rm2:	movl $0x89abcdef, %es:0x14\n"
    "rm2_e:	mov $0x7788, %ax\n"
    "rm3:	mov %ax, %es:0x18\n"			/* a3, moffs16 */
    "rm3_e:\n"
    "rm4:	mov %ah, %es:(%bx)\n"			/* 88, high byte */
    "rm4_e:	mov $-1, %eax\n"
    "rm5:	mov %es:0x20, %al\n"			/* a0 */
    "rm5_e:	" SYNC
    "rm6:	movsbl %es:0x21, %ecx\n"		/* 66 0f be */
    "rm6_e:	" SYNC
    "rm7:	mov %es:2(%bx), %dh\n"			/* 8a, high byte */
    "rm7_e:	" SYNC
    "	mov $0x24, %ebx\n"
    "rm8:	addr32 mov %es:(%ebx), %eax\n"		/* 67 66 8b */
    "rm8_e:	" SYNC
    "rm9:	movzwl %es:0x28, %esi\n"		/* 66 0f b7 */
    "rm9_e:	" SYNC
    "	hlt\n"
    "rm_end:\n"
    ".code64\n"
    "lm_start:\n"
    "	mov $0xd0000000, %ebx\n"
    "	xor %ecx, %ecx\n"
    "lm0:	movb $0x5a, (%rbx)\n"
    "lm0_e:\n"
    "lm1:	movw $0xbeef, 2(%rbx)\n"
    "lm1_e:\n"
    "lm2:	movl $0x89abcdef, 4(%rbx)\n"
    "lm2_e:\n"
    "lm3:	movq $-2, 8(%rbx)\n"			/* imm32 sign-extended */
    "lm3_e:	mov $0x1122334455667788, %rax\n"
    "lm4:	mov %rax, 0x10(%rbx,%rcx,8)\n"		/* SIB */
    "lm4_e:	mov $0x0102030405060708, %r9\n"
    "lm5:	mov %r9w, 0x18(%rbx)\n"			/* 66 REX.R */
    "lm5_e:	mov $0xa5, %esi\n"
    "lm6:	mov %sil, 0x1a(%rbx)\n"			/* REX: SIL, not DH */
    "lm6_e:\n"
    "lm7:	movabs %eax, 0xd0000020\n"		/* a3, moffs64 */
    "lm7_e:\n"
    "lm8:	mov %ah, 0x1b(%rbx)\n"
    "lm8_e:	mov $-1, %rax\n"
    "	mov $-1, %r8\n"
    "	mov $-1, %rcx\n"
    "	mov $-1, %rdx\n"
    "lm9:	mov 0x30(%rbx), %al\n"
    "lm9_e:	" SYNC
    "lm10:	mov 0x38(%rbx), %eax\n"
    "lm10_e: " SYNC
    "lm11:	mov 0x40(%rbx), %rax\n"
    "lm11_e: " SYNC
    "lm12:	mov 0x48(%rbx), %r8\n"
    "lm12_e: " SYNC
    "lm13:	mov 0x50(%rbx), %r8d\n"
    "lm13_e: " SYNC
    "lm14:	movzbl 0x58(%rbx), %eax\n"
    "lm14_e: " SYNC
    "lm15:	movzwq 0x5a(%rbx), %r8\n"
    "lm15_e: " SYNC
    "lm16:	movsbq 0x5c(%rbx), %rax\n"
    "lm16_e: " SYNC
    "lm17:	movswl 0x5e(%rbx), %ecx\n"
    "lm17_e: " SYNC
    "lm18:	mov 0x60(%rbx), %dh\n"
    "lm18_e: " SYNC
    "lm19:	movabs 0xd0000070, %rax\n"		/* REX.W a1 */
    "lm19_e: " SYNC
    "lm20:	mov 0x62(%rbx), %r9w\n"
    "lm20_e: " SYNC
    "lm21:	add %al, (%rbx)\n"			/* not a MOV */
    "	hlt\n"
    "lm_end:\n"
    ".popsection\n");

#define L(x) extern const uint8_t x[], x##_e[]
L(rm0); L(rm1); L(rm2); L(rm3); L(rm4); L(rm5); L(rm6); L(rm7); L(rm8);
L(rm9);
L(lm0); L(lm1); L(lm2); L(lm3); L(lm4); L(lm5); L(lm6); L(lm7); L(lm8);
L(lm9); L(lm10); L(lm11); L(lm12); L(lm13); L(lm14); L(lm15); L(lm16);
L(lm17); L(lm18); L(lm19); L(lm20);
extern const uint8_t lm21[];
extern const uint8_t rm_start[], rm_end[], lm_start[], lm_end[];

#define R(r) offsetof(struct kvm_regs, r)

struct step {
	const uint8_t *insn, *next;
	bool write;
	uint64_t gpa;
	unsigned int len;
	uint64_t data;		/* a write's value, or a read's answer */
	size_t reg;		/* a read: the register to check at the sync */
	uint64_t want;
};

#define W(n, g, l, d) { n, n##_e, true, MMIO_GPA + (g), l, d, 0, 0 }
#define RD(n, g, l, d, r, w) { n, n##_e, false, MMIO_GPA + (g), l, d, R(r), w }

static const struct step rm_steps[] = {
	W(rm0, 0x10, 1, 0x5a),
	W(rm1, 0x12, 2, 0xbeef),
	W(rm2, 0x14, 4, 0x89abcdef),
	W(rm3, 0x18, 2, 0x7788),
	W(rm4, 0x1a, 1, 0x77),
	RD(rm5, 0x20, 1, 0x12, rax, 0xffffff12),
	RD(rm6, 0x21, 1, 0x80, rcx, 0xffffff80),
	RD(rm7, 0x1c, 1, 0xab, rdx, 0x1122ab44),
	RD(rm8, 0x24, 4, 0xcafef00d, rax, 0xcafef00d),
	RD(rm9, 0x28, 2, 0x8001, rsi, 0x8001),
};

static const struct step lm_steps[] = {
	W(lm0, 0x00, 1, 0x5a),
	W(lm1, 0x02, 2, 0xbeef),
	W(lm2, 0x04, 4, 0x89abcdef),
	W(lm3, 0x08, 8, 0xfffffffffffffffeULL),
	W(lm4, 0x10, 8, 0x1122334455667788ULL),
	W(lm5, 0x18, 2, 0x0708),
	W(lm6, 0x1a, 1, 0xa5),
	W(lm7, 0x20, 4, 0x55667788),
	W(lm8, 0x1b, 1, 0x77),
	RD(lm9, 0x30, 1, 0x12, rax, 0xffffffffffffff12ULL),
	RD(lm10, 0x38, 4, 0x87654321, rax, 0x87654321),
	RD(lm11, 0x40, 8, 0x0123456789abcdefULL, rax, 0x0123456789abcdefULL),
	RD(lm12, 0x48, 8, 0xfedcba9876543210ULL, r8, 0xfedcba9876543210ULL),
	RD(lm13, 0x50, 4, 0x80000000, r8, 0x80000000),
	RD(lm14, 0x58, 1, 0xff, rax, 0xff),
	RD(lm15, 0x5a, 2, 0xfffe, r8, 0xfffe),
	RD(lm16, 0x5c, 1, 0x80, rax, 0xffffffffffffff80ULL),
	RD(lm17, 0x5e, 2, 0x8000, rcx, 0xffff8000),
	RD(lm18, 0x60, 1, 0x5a, rdx, 0xffffffffffff5affULL),
	RD(lm19, 0x70, 8, 0x1122334455667788ULL, rax, 0x1122334455667788ULL),
	RD(lm20, 0x62, 2, 0xbeef, r9, 0x010203040506beefULL),
};

/* The code the guest was started with, at CODE_GPA. */
static const uint8_t *guest_code;

static uint64_t gpa_of(const uint8_t *label)
{
	return CODE_GPA + (label - guest_code);
}

static bool enter_mode(struct guest *g, uint8_t *mem, bool long_mode)
{
	if (long_mode) {
		uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT_GPA);
		uint64_t *pd_mmio = (uint64_t *)(mem + PD_MMIO_GPA);

		/* The 2 MiB at MMIO_GPA, identity-mapped (0-4 MiB by the lib). */
		pdpt[MMIO_GPA >> 30] = PD_MMIO_GPA | GUEST_PTE_P | GUEST_PTE_RW;
		pd_mmio[(MMIO_GPA >> 21) & 511] = MMIO_GPA | GUEST_PTE_P |
						  GUEST_PTE_RW | GUEST_PTE_PS;
		return guest_flat_mode(g, mem, true, CODE_GPA, 0x8000);
	}
	/* Real mode at 0000:1000; ES's cached base points at MMIO. */
	if (!guest_enter_real(g, CODE_GPA, 0x8000))
		return false;
	guest_set_es_base(g, MMIO_GPA);
	return true;
}

static bool get_regs(struct guest *g, struct kvm_regs *regs)
{
	if (ioctl(g->vcpu, KVM_GET_REGS, regs)) {
		tap_diag("KVM_GET_REGS: %m");
		return false;
	}
	return true;
}

static bool run_to(struct guest *g, unsigned int reason)
{
	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g->run->exit_reason != reason) {
		tap_diag("exit reason %u, expected %u", g->run->exit_reason, reason);
		if (g->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			tap_diag("internal error %u, ndata %u, data %#llx %#llx",
				 g->run->internal.suberror, g->run->internal.ndata,
				 (unsigned long long)g->run->internal.data[0],
				 (unsigned long long)g->run->internal.data[1]);
		return false;
	}
	return true;
}

static bool do_step(struct guest *g, const struct step *s)
{
	struct kvm_run *run = g->run;
	uint64_t data = 0, rip_want, got;
	struct kvm_regs regs;

	if (!run_to(g, KVM_EXIT_MMIO) || !get_regs(g, &regs))
		return false;
	memcpy(&data, run->mmio.data, s->len);
	/* A write is complete at the exit; a read completes at the next run. */
	rip_want = gpa_of(s->write ? s->next : s->insn);
	if (run->mmio.phys_addr != s->gpa || run->mmio.len != s->len ||
	    run->mmio.is_write != s->write || (s->write && data != s->data) ||
	    regs.rip != rip_want) {
		tap_diag("mmio: addr %#llx len %u write %u data %#llx rip %#llx (want rip %#llx)",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			 run->mmio.is_write, (unsigned long long)data,
			 (unsigned long long)regs.rip, (unsigned long long)rip_want);
		return false;
	}
	if (s->write)
		return true;

	memcpy(run->mmio.data, &s->data, s->len);
	if (!run_to(g, KVM_EXIT_IO) || !get_regs(g, &regs))
		return false;
	memcpy(&got, (uint8_t *)&regs + s->reg, sizeof(got));
	if (run->io.port != SYNC_PORT || got != s->want) {
		tap_diag("sync: port %#x register %#llx, want %#llx",
			 run->io.port, (unsigned long long)got,
			 (unsigned long long)s->want);
		return false;
	}
	return true;
}

/* add %al, (%rbx): stock reads first, nkvm does not emulate it. */
static bool check_add(struct guest *g)
{
	struct kvm_regs regs;

	if (!kvm_is_ours())
		return run_to(g, KVM_EXIT_MMIO) && !g->run->mmio.is_write &&
		       g->run->mmio.len == 1 && g->run->mmio.phys_addr == MMIO_GPA;

	if (!run_to(g, KVM_EXIT_INTERNAL_ERROR) || !get_regs(g, &regs))
		return false;
	if (g->run->emulation_failure.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    !(g->run->emulation_failure.flags &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) ||
	    g->run->emulation_failure.insn_size < 2 ||
	    memcmp(g->run->emulation_failure.insn_bytes, lm21, 2) ||
	    regs.rip != gpa_of(lm21)) {
		tap_diag("suberror %u flags %#llx size %u bytes %02x %02x rip %#llx",
			 g->run->emulation_failure.suberror,
			 (unsigned long long)g->run->emulation_failure.flags,
			 g->run->emulation_failure.insn_size,
			 g->run->emulation_failure.insn_bytes[0],
			 g->run->emulation_failure.insn_bytes[1],
			 (unsigned long long)regs.rip);
		return false;
	}
	return true;
}

static void run_mode(int kvm, bool long_mode, const struct step *steps,
		     unsigned int n)
{
	const char *m = long_mode ? "long mode" : "real mode";
	const uint8_t *end = long_mode ? lm_end : rm_end;
	struct guest g;
	unsigned int i;
	uint8_t *mem;

	guest_code = long_mode ? lm_start : rm_start;
	guest_create(&g, kvm);
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, guest_code, end - guest_code);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);

	tap_ok(enter_mode(&g, mem, long_mode), "%s: KVM_SET_SREGS/REGS", m);
	for (i = 0; i < n; i++) {
		const struct step *s = &steps[i];

		tap_ok(do_step(&g, s), "%s: %s of %u bytes at %#llx (insn at +%#lx)",
		       m, s->write ? "write" : "read", s->len,
		       (unsigned long long)s->gpa, (long)(s->insn - guest_code));
	}
	if (!long_mode)
		tap_ok(run_to(&g, KVM_EXIT_HLT), "%s: KVM_EXIT_HLT", m);
	else
		tap_ok(check_add(&g), "%s: ADD to MMIO (%s)", m,
		       kvm_is_ours() ? "internal error" : "emulated read");

	guest_destroy(&g);
}

int main(void)
{
	int n = 4 + ARRAY_SIZE(rm_steps) + ARRAY_SIZE(lm_steps);
	int kvm;

	tap_plan(n);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		/* No backend that runs guests (api_only, or VMX for now). */
		for (int i = 0; i < n; i++)
			tap_skip("this module does not run guests here", "mmio");
		return tap_finish();
	}
	run_mode(kvm, false, rm_steps, ARRAY_SIZE(rm_steps));
	run_mode(kvm, true, lm_steps, ARRAY_SIZE(lm_steps));
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "mmio");
	return tap_finish();
}

#endif
