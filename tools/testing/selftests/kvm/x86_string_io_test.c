// SPDX-License-Identifier: GPL-2.0
/*
 * String I/O: INS and OUTS (with and without REP, 1, 2 and 4 bytes, DF
 * set and clear, a segment override on OUTS, a 32-bit address size in
 * 64-bit mode) in real mode, 32-bit protected mode and 64-bit mode, and
 * STOS, MOVS and LODS on MMIO in 32-bit and 64-bit mode.
 *
 * At every exit the host checks what stock KVM gives: KVM_EXIT_IO with
 * direction, size, port, count and (OUTS) the data, or KVM_EXIT_MMIO with
 * address, length, direction and (writes) the data; and RIP, RCX, RSI,
 * RDI. An OUTS exits once per element with RSI and RCX already moved on;
 * an INS exits for as many elements as stock's 1 KiB read-ahead takes
 * (bounded by RCX and by the bytes left in RDI's page, counted as
 * elements) and stores them in guest memory at the next KVM_RUN; a
 * string MMIO access exits once per element. Under REP, RIP stays on the
 * instruction. After each INS, an "out %al, $0x20" lets the host check
 * RDI and RCX; when the guest halts, the host checks the memory that INS
 * and MOVS filled.
 */
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
#define SRC_GPA		0x2000		/* the bytes OUTS and MOVS read */
#define SRC_END		0x3000
#define PD_MMIO_GPA	0x13000
#define MMIO_GPA	0xd0000000ULL
#define PORT		0x80
#define SYNC_PORT	0x20
#define GS_BASE		0x100

#define SYNC "out %al, $0x20\n"
asm(".pushsection .rodata\n"
    ".code16\n"
    "rm_start:\n"
    "	cld\n"
    "	mov $0x80, %dx\n"
    "	mov $0x2000, %si\n"
    "	mov $3, %cx\n"
    "rm0:	rep outsb\n"
    "	mov $0x2100, %si\n"
    "	mov $2, %cx\n"
    "rm1:	rep outsw\n"
    "	mov $0x2200, %si\n"
    "	mov $2, %cx\n"
    "rm2:	rep outsl\n"
    "	mov $0x2300, %si\n"
    "rm3:	outsb\n"
    "rm3_e:	mov $0x3000, %di\n"
    "	mov $6, %cx\n"
    "rm4:	rep insb\n"
    "rm4_e:	" SYNC
    "	mov $0x3100, %di\n"
    "	mov $4, %cx\n"
    "rm5:	rep insw\n"
    "rm5_e:	" SYNC
    "	std\n"
    "	mov $0x2405, %si\n"
    "	mov $3, %cx\n"
    "rm6:	rep outsb\n"
    "	mov $0x3205, %di\n"
    "	mov $4, %cx\n"
    "rm7:	rep insb\n"
    "rm7_e:	" SYNC
    "	mov $0x3302, %di\n"
    "	mov $2, %cx\n"
    "rm8:	rep insw\n"
    "rm8_e:	" SYNC
    "	cld\n"
    "	mov $0x100, %ax\n"
    "	mov %ax, %fs\n"				/* FS base 0x1000 */
    "	mov $0x1600, %si\n"
    "	mov $2, %cx\n"
    "rm9:	rep outsb %fs:(%si), (%dx)\n"
    "	mov $0x340, %ax\n"
    "	mov %ax, %es\n"				/* ES base 0x3400 */
    "	mov $0x10, %di\n"
    "rm10:	insb\n"
    "rm10_e: " SYNC
    "	hlt\n"
    "rm_end:\n"
    ".code32\n"
    "pm_start:\n"
    "	cld\n"
    "	mov $0x80, %edx\n"
    "	mov $0x2a00, %esi\n"
    "	mov $2, %ecx\n"
    "pm0:	rep outsw\n"
    "	mov $0x3800, %edi\n"
    "	mov $3, %ecx\n"
    "pm1:	rep insl\n"
    "pm1_e:	" SYNC
    "	mov $0xd0000600, %edi\n"
    "	mov $0xa1b2, %eax\n"
    "	mov $2, %ecx\n"
    "pm2:	rep stosw\n"
    "	mov $0x2b00, %esi\n"
    "	mov $0xd0000700, %edi\n"
    "pm3:	movsb\n"
    "pm3_e:	hlt\n"
    "pm_end:\n"
    ".code64\n"
    "lm_start:\n"
    "	cld\n"
    "	mov $0x80, %edx\n"
    "	mov $0x2000, %esi\n"
    "	mov $2, %ecx\n"
    "lm0:	rep outsb\n"
    "	mov $0x2100, %esi\n"
    "	mov $2, %ecx\n"
    "lm1:	rep outsl\n"
    "	mov $0x3000, %edi\n"
    "	mov $2000, %ecx\n"
    "lm2:	rep insb\n"
    "lm2_e:	" SYNC
    "	mov $0x4ff0, %edi\n"
    "	mov $20, %ecx\n"
    "lm3:	rep insw\n"
    "lm3_e:	" SYNC
    "	std\n"
    "	mov $0x6008, %edi\n"
    "	mov $10, %ecx\n"
    "lm4:	rep insl\n"
    "lm4_e:	" SYNC
    "	cld\n"
    "	mov $0x2500, %esi\n"
    "	mov $2, %ecx\n"
    "lm5:	rep outsb %gs:(%rsi), (%dx)\n"
    "	mov $0x100002700, %rsi\n"
    "	mov $0x100000002, %rcx\n"
    "lm6:	addr32 rep outsb\n"
    "	mov $0xd0000000, %edi\n"
    "	mov $0x5a, %eax\n"
    "	mov $3, %ecx\n"
    "lm7:	rep stosb\n"
    "	mov $0xd0000100, %edi\n"
    "	mov $0x11223344, %eax\n"
    "	mov $2, %ecx\n"
    "lm8:	rep stosl\n"
    "	std\n"
    "	mov $0xd0000208, %edi\n"
    "	mov $0x1122334455667788, %rax\n"
    "	mov $2, %ecx\n"
    "lm9:	rep stosq\n"
    "	cld\n"
    "	mov $0x2800, %esi\n"
    "	mov $0xd0000300, %edi\n"
    "	mov $3, %ecx\n"
    "lm10:	rep movsw\n"
    "	mov $0xd0000400, %esi\n"
    "	mov $0x7000, %edi\n"
    "lm11:	movsl\n"
    "lm11_e: " SYNC
    "	mov $0xd0000500, %esi\n"
    "	mov $-1, %rax\n"
    "lm12:	lodsw\n"
    "lm12_e: " SYNC
    "	hlt\n"
    "lm_end:\n"
    ".popsection\n");

#define L(x) extern const uint8_t x[]
L(rm0); L(rm1); L(rm2); L(rm3); L(rm3_e); L(rm4); L(rm4_e); L(rm5);
L(rm5_e); L(rm6); L(rm7); L(rm7_e); L(rm8); L(rm8_e); L(rm9); L(rm10);
L(rm10_e);
L(pm0); L(pm1); L(pm1_e); L(pm2); L(pm3_e);
L(lm0); L(lm1); L(lm2); L(lm2_e); L(lm3); L(lm3_e); L(lm4); L(lm4_e);
L(lm5); L(lm6); L(lm7); L(lm8); L(lm9); L(lm10); L(lm11); L(lm11_e);
L(lm12); L(lm12_e);
L(rm_start); L(rm_end); L(pm_start); L(pm_end); L(lm_start); L(lm_end);

enum kind { OUTS, INS, MMIO_W, MMIO_R, SYNC_OUT, HALT };

#define NC	UINT64_MAX	/* a register not checked */

struct step {
	enum kind kind;
	const uint8_t *rip;	/* RIP at the exit */
	unsigned int size;	/* I/O element or MMIO access, bytes */
	unsigned int count;	/* INS/OUTS: elements in this exit */
	uint64_t addr;		/* OUTS/MOVS: source GPA; INS: first element's;
				 * MMIO: phys_addr */
	bool down;		/* INS: DF set */
	uint64_t data;		/* STOS: expected; MMIO read: the answer */
	uint64_t ram;		/* MOVS: the RAM side (a write's source,
				 * a read's destination) */
	uint64_t rcx, rsi, rdi, rax;	/* at the exit, or NC */
};

#define O(l, sz, a, c, si)	{ OUTS, l, sz, 1, a, false, 0, 0, c, si, NC, NC }
#define I(l, sz, n, a, dn, c, di) { INS, l, sz, n, a, dn, 0, 0, c, NC, di, NC }
#define S(l, c, si, di, ax)	{ SYNC_OUT, l, 1, 1, 0, false, 0, 0, c, si, di, ax }
#define MW(l, sz, a, d, src, c, si, di) \
	{ MMIO_W, l, sz, 0, a, false, d, src, c, si, di, NC }
#define MR(l, sz, a, d, dst)	{ MMIO_R, l, sz, 0, a, false, d, dst, NC, NC, NC, NC }
#define HLT			{ HALT, NULL, 0, 0, 0, false, 0, 0, NC, NC, NC, NC }

static const struct step rm_steps[] = {
	O(rm0, 1, 0x2000, 2, 0x2001),
	O(rm0, 1, 0x2001, 1, 0x2002),
	O(rm0, 1, 0x2002, 0, 0x2003),
	O(rm1, 2, 0x2100, 1, 0x2102),
	O(rm1, 2, 0x2102, 0, 0x2104),
	O(rm2, 4, 0x2200, 1, 0x2204),
	O(rm2, 4, 0x2204, 0, 0x2208),
	O(rm3_e, 1, 0x2300, NC, 0x2301),		/* no REP */
	I(rm4, 1, 6, 0x3000, false, 6, 0x3000),
	S(rm4_e, 0, NC, 0x3006, NC),
	I(rm5, 2, 4, 0x3100, false, 4, 0x3100),
	S(rm5_e, 0, NC, 0x3108, NC),
	O(rm6, 1, 0x2405, 2, 0x2404),			/* DF=1 */
	O(rm6, 1, 0x2404, 1, 0x2403),
	O(rm6, 1, 0x2403, 0, 0x2402),
	I(rm7, 1, 4, 0x3205, true, 4, 0x3205),
	S(rm7_e, 0, NC, 0x3201, NC),
	I(rm8, 2, 2, 0x3302, true, 2, 0x3302),
	S(rm8_e, 0, NC, 0x32fe, NC),
	O(rm9, 1, 0x2600, 1, 0x1601),			/* FS:SI */
	O(rm9, 1, 0x2601, 0, 0x1602),
	I(rm10, 1, 1, 0x3410, false, NC, 0x10),		/* ES:DI, no REP */
	S(rm10_e, NC, NC, 0x11, NC),
	HLT,
};

static const struct step pm_steps[] = {
	O(pm0, 2, 0x2a00, 1, 0x2a02),
	O(pm0, 2, 0x2a02, 0, 0x2a04),
	I(pm1, 4, 3, 0x3800, false, 3, 0x3800),
	S(pm1_e, 0, NC, 0x380c, NC),
	MW(pm2, 2, MMIO_GPA + 0x600, 0xa1b2, 0, 1, NC, MMIO_GPA + 0x602),
	MW(pm2, 2, MMIO_GPA + 0x602, 0xa1b2, 0, 0, NC, MMIO_GPA + 0x604),
	/* no REP: RIP moves on */
	MW(pm3_e, 1, MMIO_GPA + 0x700, 0, 0x2b00, NC, 0x2b01, MMIO_GPA + 0x701),
	HLT,
};

static const struct step lm_steps[] = {
	O(lm0, 1, 0x2000, 1, 0x2001),
	O(lm0, 1, 0x2001, 0, 0x2002),
	O(lm1, 4, 0x2100, 1, 0x2104),
	O(lm1, 4, 0x2104, 0, 0x2108),
	/* 1 KiB at most per exit */
	I(lm2, 1, 1024, 0x3000, false, 2000, 0x3000),
	I(lm2, 1, 976, 0x3400, false, 976, 0x3400),
	S(lm2_e, 0, NC, 0x37d0, NC),
	/* 16 bytes left in the page: 16 words (stock's count) */
	I(lm3, 2, 16, 0x4ff0, false, 20, 0x4ff0),
	I(lm3, 2, 4, 0x5010, false, 4, 0x5010),
	S(lm3_e, 0, NC, 0x5018, NC),
	/* DF=1, 8 bytes below in the page: 8 dwords */
	I(lm4, 4, 8, 0x6008, true, 10, 0x6008),
	I(lm4, 4, 2, 0x5fe8, true, 2, 0x5fe8),
	S(lm4_e, 0, NC, 0x5fe0, NC),
	O(lm5, 1, 0x2600, 1, 0x2501),			/* GS:RSI */
	O(lm5, 1, 0x2601, 0, 0x2502),
	O(lm6, 1, 0x2700, 1, 0x2701),			/* ESI, ECX */
	O(lm6, 1, 0x2701, 0, 0x2702),
	MW(lm7, 1, MMIO_GPA + 0x000, 0x5a, 0, 2, NC, MMIO_GPA + 0x001),
	MW(lm7, 1, MMIO_GPA + 0x001, 0x5a, 0, 1, NC, MMIO_GPA + 0x002),
	MW(lm7, 1, MMIO_GPA + 0x002, 0x5a, 0, 0, NC, MMIO_GPA + 0x003),
	MW(lm8, 4, MMIO_GPA + 0x100, 0x11223344, 0, 1, NC, MMIO_GPA + 0x104),
	MW(lm8, 4, MMIO_GPA + 0x104, 0x11223344, 0, 0, NC, MMIO_GPA + 0x108),
	MW(lm9, 8, MMIO_GPA + 0x208, 0x1122334455667788ULL, 0, 1, NC,
	   MMIO_GPA + 0x200),
	MW(lm9, 8, MMIO_GPA + 0x200, 0x1122334455667788ULL, 0, 0, NC,
	   MMIO_GPA + 0x1f8),
	MW(lm10, 2, MMIO_GPA + 0x300, 0, 0x2800, 2, 0x2802, MMIO_GPA + 0x302),
	MW(lm10, 2, MMIO_GPA + 0x302, 0, 0x2802, 1, 0x2804, MMIO_GPA + 0x304),
	MW(lm10, 2, MMIO_GPA + 0x304, 0, 0x2804, 0, 0x2806, MMIO_GPA + 0x306),
	MR(lm11, 4, MMIO_GPA + 0x400, 0xcafef00d, 0x7000),
	S(lm11_e, NC, MMIO_GPA + 0x404, 0x7004, NC),
	MR(lm12, 2, MMIO_GPA + 0x500, 0xbeef, 0),
	S(lm12_e, NC, MMIO_GPA + 0x502, NC, 0xffffffffffffbeefULL),
	HLT,
};

static const uint8_t *guest_code;
static uint8_t *mem;
/* What INS and MOVS should have written, and where. */
static uint8_t *shadow, *touched;
static uint8_t in_seq;

static uint64_t gpa_of(const uint8_t *label)
{
	return CODE_GPA + (label - guest_code);
}

static uint8_t pattern(uint64_t gpa)
{
	return (uint8_t)(gpa * 31 + 7) ^ (uint8_t)(gpa >> 8);
}

static uint64_t pattern_val(uint64_t gpa, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		v |= (uint64_t)pattern(gpa + i) << (8 * i);
	return v;
}

static void expect_mem(uint64_t gpa, const void *data, unsigned int len)
{
	memcpy(shadow + gpa, data, len);
	memset(touched + gpa, 1, len);
}

static bool check_reg(const char *name, uint64_t got, uint64_t want)
{
	if (want == NC || got == want)
		return true;
	tap_diag("%s %#llx, want %#llx", name, (unsigned long long)got,
		 (unsigned long long)want);
	return false;
}

static bool check_regs(struct guest *g, const struct step *s)
{
	struct kvm_regs regs;
	bool ok;

	if (ioctl(g->vcpu, KVM_GET_REGS, &regs)) {
		tap_diag("KVM_GET_REGS: %m");
		return false;
	}
	ok = check_reg("rip", regs.rip, gpa_of(s->rip));
	ok &= check_reg("rcx", regs.rcx, s->rcx);
	ok &= check_reg("rsi", regs.rsi, s->rsi);
	ok &= check_reg("rdi", regs.rdi, s->rdi);
	ok &= check_reg("rax", regs.rax, s->rax);
	return ok;
}

static bool check_io(struct guest *g, const struct step *s)
{
	struct kvm_run *run = g->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool in = s->kind == INS;
	unsigned int port = s->kind == SYNC_OUT ? SYNC_PORT : PORT;
	unsigned int i, len = s->count * s->size;
	uint64_t got = 0;

	if (run->io.direction != (in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT) ||
	    run->io.size != s->size || run->io.port != port ||
	    run->io.count != s->count || run->io.data_offset != 4096) {
		tap_diag("io: dir %u size %u port %#x count %u offset %llu",
			 run->io.direction, run->io.size, run->io.port,
			 run->io.count,
			 (unsigned long long)run->io.data_offset);
		return false;
	}
	if (s->kind == OUTS) {
		memcpy(&got, data, s->size);
		if (got != pattern_val(s->addr, s->size)) {
			tap_diag("out data %#llx, want %#llx",
				 (unsigned long long)got,
				 (unsigned long long)pattern_val(s->addr, s->size));
			return false;
		}
	}
	if (!in)
		return true;
	/* The data of the elements, in the order the guest takes them. */
	for (i = 0; i < len; i++)
		data[i] = in_seq++ * 13 + 0x41;
	for (i = 0; i < s->count; i++) {
		uint64_t gpa = s->down ? s->addr - i * s->size :
					 s->addr + i * s->size;

		expect_mem(gpa, data + i * s->size, s->size);
	}
	return true;
}

static bool check_mmio(struct guest *g, const struct step *s)
{
	struct kvm_run *run = g->run;
	bool write = s->kind == MMIO_W;
	uint64_t got = 0, want;

	if (run->mmio.phys_addr != s->addr || run->mmio.len != s->size ||
	    run->mmio.is_write != write) {
		tap_diag("mmio: addr %#llx len %u write %u",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len, run->mmio.is_write);
		return false;
	}
	if (!write) {
		memcpy(run->mmio.data, &s->data, s->size);
		if (s->ram)
			expect_mem(s->ram, &s->data, s->size);
		return true;
	}
	memcpy(&got, run->mmio.data, s->size);
	want = s->ram ? pattern_val(s->ram, s->size) : s->data;
	if (got != want) {
		tap_diag("mmio data %#llx, want %#llx", (unsigned long long)got,
			 (unsigned long long)want);
		return false;
	}
	return true;
}

/* "OUTS of 2 bytes x 1 from 0x2100" and the like, for the TAP line. */
static const char *describe(const struct step *s)
{
	static char buf[96];

	switch (s->kind) {
	case OUTS:
		snprintf(buf, sizeof(buf), "OUTS of %u bytes from %#llx",
			 s->size, (unsigned long long)s->addr);
		break;
	case INS:
		snprintf(buf, sizeof(buf), "INS of %u bytes x %u to %#llx%s",
			 s->size, s->count, (unsigned long long)s->addr,
			 s->down ? " downwards" : "");
		break;
	case MMIO_W:
	case MMIO_R:
		snprintf(buf, sizeof(buf), "MMIO %s of %u bytes at %#llx",
			 s->kind == MMIO_W ? "write" : "read", s->size,
			 (unsigned long long)s->addr);
		break;
	case SYNC_OUT:
		snprintf(buf, sizeof(buf), "registers at the next OUT");
		break;
	default:
		snprintf(buf, sizeof(buf), "HLT");
		break;
	}
	return buf;
}

static bool do_step(struct guest *g, const struct step *s)
{
	struct kvm_run *run = g->run;
	unsigned int reason;

	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	reason = s->kind == HALT ? KVM_EXIT_HLT :
		 (s->kind == MMIO_W || s->kind == MMIO_R) ? KVM_EXIT_MMIO :
		 KVM_EXIT_IO;
	if (run->exit_reason != reason) {
		tap_diag("exit %s, want %s", guest_exit_name(run->exit_reason),
			 guest_exit_name(reason));
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			tap_diag("internal error %u: %#llx %#llx %#llx",
				 run->internal.suberror,
				 (unsigned long long)run->internal.data[0],
				 (unsigned long long)run->internal.data[1],
				 (unsigned long long)run->internal.data[2]);
		return false;
	}
	if (s->kind == HALT)
		return true;
	if (!check_regs(g, s))
		return false;
	if (reason == KVM_EXIT_MMIO)
		return check_mmio(g, s);
	return check_io(g, s);
}

static bool check_memory(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < 0x8000; i++) {
		if (!touched[i] || mem[i] == shadow[i])
			continue;
		if (bad++ < 4)
			tap_diag("guest byte %#x: %#x, want %#x", i, mem[i],
				 shadow[i]);
	}
	return !bad;
}

enum mode { REAL, PROT32, LONG64 };

static bool enter_mode(struct guest *g, enum mode mode)
{
	struct kvm_sregs sregs;
	uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT_GPA);
	uint64_t *pd_mmio = (uint64_t *)(mem + PD_MMIO_GPA);

	if (mode == REAL)
		return guest_enter_real(g, CODE_GPA, 0x8000);
	if (mode == PROT32)	/* flat, no paging */
		return guest_flat_mode(g, mem, false, CODE_GPA, 0x8000);

	/* The 2 MiB at MMIO_GPA, identity-mapped (0-4 MiB by the lib). */
	pdpt[MMIO_GPA >> 30] = PD_MMIO_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	pd_mmio[(MMIO_GPA >> 21) & 511] = MMIO_GPA | GUEST_PTE_P |
					  GUEST_PTE_RW | GUEST_PTE_PS;
	if (!guest_flat_mode(g, mem, true, CODE_GPA, 0x8000) ||
	    ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return false;
	sregs.gs.base = GS_BASE;
	return !ioctl(g->vcpu, KVM_SET_SREGS, &sregs);
}

static void run_mode(int kvm, enum mode mode, const struct step *steps,
		     unsigned int n)
{
	static const char * const names[] = { "real mode", "32-bit", "64-bit" };
	static const uint8_t * const starts[] = { rm_start, pm_start, lm_start };
	static const uint8_t * const ends[] = { rm_end, pm_end, lm_end };
	const char *m = names[mode];
	const uint8_t *end = ends[mode];
	bool failed = false;
	struct guest g;
	unsigned int i;

	guest_code = starts[mode];
	guest_create(&g, kvm);
	mem = alloc_aligned(MEM_SIZE, MiB);
	shadow = calloc(0x8000, 1);
	touched = calloc(0x8000, 1);
	if (!shadow || !touched)
		tap_bail("calloc");
	memcpy(mem + CODE_GPA, guest_code, end - guest_code);
	for (i = SRC_GPA; i < SRC_END; i++)
		mem[i] = pattern(i);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);

	tap_ok(enter_mode(&g, mode), "%s: KVM_SET_SREGS/REGS", m);
	for (i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		bool ok = !failed && do_step(&g, s);

		tap_ok(ok, "%s: exit %u, %s%s", m, i, describe(s),
		       failed ? " (not run: an earlier step failed)" : "");
		failed |= !ok;
	}
	tap_ok(!failed && check_memory(), "%s: guest memory written by INS/MOVS",
	       m);

	guest_destroy(&g);
	free(shadow);
	free(touched);
}

int main(void)
{
	int n = 6 + ARRAY_SIZE(rm_steps) + ARRAY_SIZE(pm_steps) +
		ARRAY_SIZE(lm_steps);
	int kvm;

	tap_plan(n);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		/* No backend that runs guests (api_only, or VMX for now). */
		for (int i = 0; i < n; i++)
			tap_skip("this module does not run guests here", "string io");
		return tap_finish();
	}
	run_mode(kvm, REAL, rm_steps, ARRAY_SIZE(rm_steps));
	run_mode(kvm, PROT32, pm_steps, ARRAY_SIZE(pm_steps));
	run_mode(kvm, LONG64, lm_steps, ARRAY_SIZE(lm_steps));
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "string io");
	return tap_finish();
}

#endif
