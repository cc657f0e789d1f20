// SPDX-License-Identifier: GPL-2.0
/*
 * x86 vCPU and VM state ioctls: KVM_GET/SET_FPU, KVM_GET/SET_XSAVE,
 * KVM_GET_XSAVE2, KVM_GET/SET_XCRS, KVM_GET/SET_TSC_KHZ (vCPU and VM),
 * KVM_TRANSLATE, KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR and their
 * capabilities; XSAVE, AVX and leaf 0xD in KVM_GET_SUPPORTED_CPUID.
 *
 * Then a long-mode guest (4-level paging, a GDT and an IDT with a #GP
 * handler that reports itself and skips the 3-byte XSETBV): CPUID shows
 * OSXSAVE once CR4.OSXSAVE is set; XSETBV of XCR0 0 and of XCR1 take #GP;
 * XSETBV of 3 is seen by XGETBV and by KVM_GET_XCRS; the host itself
 * still runs AVX after the guest ran with XCR0 3 (the host's XCR0 came
 * back); XCR0 values set with KVM_SET_XCRS between exits (1, then 7, or
 * 3 without AVX) are what the guest's XGETBV reads, and CPUID leaf 0xD's
 * size follows;
 * the guest reads XMM1 as KVM_SET_XSAVE left it, then loads pi on the x87
 * stack and 32 bytes into YMM0 (XMM0 without AVX), which the host reads
 * back through KVM_GET_FPU and KVM_GET_XSAVE.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define PLAN		78

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000
#define DATA_GPA	0x3000		/* +4: AVX?, +0x100: 32 bytes to load */
#define IDT_GPA		0x4000
#define GDT_GPA		0x5000
#define TR_PAGE_GPA	0x6000		/* target of the 4 KiB mapping */
#define TR_PD_GPA	0x13000
#define TR_PT_GPA	0x14000
#define TR_LINEAR	0x40000000ULL	/* PDPT[1] -> TR_PD -> TR_PT */
#define STACK_TOP	0x8000


#define CPUID1_XSAVE	(1u << 26)
#define CPUID1_OSXSAVE	(1u << 27)
#define CPUID1_AVX	(1u << 28)

#define XFEATURE_FP	1ULL
#define XFEATURE_SSE	2ULL
#define XFEATURE_YMM	4ULL

/* Offsets in the XSAVE area (standard format). */
#define XS_FCW		0
#define XS_FSW		2
#define XS_FTW		4
#define XS_MXCSR	24
#define XS_ST0		32
#define XS_XMM(n)	(160 + 16 * (n))
#define XS_XSTATE_BV	512
#define XS_XCOMP_BV	520
#define XS_RESERVED	528
#define XS_YMM_HI	576

/*
 * The guest. Exits: OUT 0x10 CPUID.1:ECX; 0x11 from the #GP handler;
 * 0x12 XCR0 read by XGETBV; 0x13 CPUID.(0xd,0):EBX; 0x14 XMM1 bits 31:0.
 */
asm(".pushsection .rodata\n"
    ".code64\n"
    "st_start:\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ecx, %eax\n"
    "	out %eax, $0x10\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	xor %ecx, %ecx\n"
    "	xsetbv\n"				/* XCR0 = 0: #GP */
    "	mov $1, %eax\n"
    "	mov $1, %ecx\n"
    "	xsetbv\n"				/* XCR1: #GP */
    "	mov $3, %eax\n"
    "	xor %ecx, %ecx\n"
    "	xsetbv\n"
    "	xgetbv\n"
    "	out %eax, $0x12\n"
    "	xgetbv\n"				/* after KVM_SET_XCRS 1 */
    "	out %eax, $0x12\n"
    "	xgetbv\n"				/* after KVM_SET_XCRS 7 */
    "	out %eax, $0x12\n"
    "	mov $0xd, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ebx, %eax\n"
    "	out %eax, $0x13\n"
    "	movq %xmm1, %rax\n"
    "	out %eax, $0x14\n"
    "	fldpi\n"
    "	cmpl $0, 0x3004\n"
    "	je 1f\n"
    "	vmovdqu 0x3100, %ymm0\n"
    "	jmp 2f\n"
    "1:	movdqu 0x3100, %xmm0\n"
    "2:	hlt\n"
    "st_gp:\n"
    "	out %al, $0x11\n"
    "	add $8, %rsp\n"				/* the error code */
    "	addq $3, (%rsp)\n"			/* past the XSETBV */
    "	iretq\n"
    "st_end:\n"
    ".popsection\n");

extern const uint8_t st_start[], st_gp[], st_end[];

/* pi in the x87's 80-bit format, as FLDPI loads it. */
static const uint8_t x87_pi[10] = {
	0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40,
};

static bool host_avx;
static uint64_t host_xcr0;

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

/* XSAVE area size for the components of xcr0 (standard format). */
static uint32_t xsave_size(uint64_t xcr0)
{
	uint32_t size = 576, r[4];
	int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		host_cpuid(0xd, i, r);
		if (r[0] + r[1] > size)
			size = r[0] + r[1];
	}
	return size;
}

static struct kvm_cpuid2 *get_supported(int kvm)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	if (!c)
		tap_bail("out of memory");
	c->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn,
				     uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void test_caps(int kvm)
{
	long tc = check_cap(kvm, KVM_CAP_TSC_CONTROL);

	tap_ok(check_cap(kvm, KVM_CAP_XSAVE) == 1, "KVM_CAP_XSAVE");
	tap_ok(check_cap(kvm, KVM_CAP_XCRS) == 1, "KVM_CAP_XCRS (host has XSAVE)");
	tap_ok(check_cap(kvm, KVM_CAP_XSAVE2) >= (long)sizeof(struct kvm_xsave),
	       "KVM_CAP_XSAVE2 >= %zu (got %ld)", sizeof(struct kvm_xsave),
	       check_cap(kvm, KVM_CAP_XSAVE2));
	tap_ok(check_cap(kvm, KVM_CAP_GET_TSC_KHZ) > 0, "KVM_CAP_GET_TSC_KHZ");
	tap_ok(check_cap(kvm, KVM_CAP_SET_TSS_ADDR) > 0, "KVM_CAP_SET_TSS_ADDR");
	tap_ok(check_cap(kvm, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0,
	       "KVM_CAP_SET_IDENTITY_MAP_ADDR");
	tap_diag("KVM_CAP_TSC_CONTROL %ld", tc);
}

static void test_supported_cpuid(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e0 = find(c, 0, 0), *e1 = find(c, 1, 0);
	struct kvm_cpuid_entry2 *d0 = find(c, 0xd, 0), *d1 = find(c, 0xd, 1);
	struct kvm_cpuid_entry2 *d2 = find(c, 0xd, 2);
	uint64_t want = XFEATURE_FP | XFEATURE_SSE | (host_avx ? XFEATURE_YMM : 0);
	uint32_t r[4];

	tap_ok(e1 && (e1->ecx & CPUID1_XSAVE) && !(e1->ecx & CPUID1_OSXSAVE),
	       "supported CPUID.1:ECX has XSAVE, not OSXSAVE");
	tap_ok(e1 && !!(e1->ecx & CPUID1_AVX) == host_avx,
	       "supported CPUID.1:ECX has AVX iff the host does (%d)", host_avx);
	tap_ok(e0 && e0->eax >= 0xd && d0 && (d0->eax & 7) == want &&
	       d0->ebx >= xsave_size(want) && d0->ecx == d0->ebx,
	       "leaf 0xd.0: x87, SSE%s, size %u (got eax %#x ebx %u ecx %u)",
	       host_avx ? ", AVX" : "", xsave_size(want), d0 ? d0->eax : 0,
	       d0 ? d0->ebx : 0, d0 ? d0->ecx : 0);
	tap_ok(d1 != NULL, "leaf 0xd.1 present");
	host_cpuid(0xd, 2, r);
	if (host_avx)
		tap_ok(d2 && d2->eax == r[0] && d2->ebx == r[1],
		       "leaf 0xd.2 (AVX state): size %u at offset %u", r[0], r[1]);
	else
		tap_skip("no AVX on this host", "leaf 0xd.2");
}

static void test_vm_ioctls(int kvm)
{
	int vm = create_vm(kvm), vcpu;
	uint64_t addr = 0xfeffc000;
	long khz, r;

	expect_success(ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL),
		       "KVM_SET_TSS_ADDR 0xfffbd000");
	expect_errno(ioctl(vm, KVM_SET_TSS_ADDR, 0xffffe000UL), EINVAL,
		     "KVM_SET_TSS_ADDR 0xffffe000 (pages past 4 GiB) -> EINVAL");
	expect_success(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &addr),
		       "KVM_SET_IDENTITY_MAP_ADDR before any vCPU");
	expect_errno(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (void *)8), EFAULT,
		     "KVM_SET_IDENTITY_MAP_ADDR bad pointer -> EFAULT");

	khz = ioctl(vm, KVM_GET_TSC_KHZ, 0);
	tap_ok(khz > 0, "VM KVM_GET_TSC_KHZ: %ld kHz", khz);
	expect_success(ioctl(vm, KVM_SET_TSC_KHZ, khz), "VM KVM_SET_TSC_KHZ %ld", khz);
	/*
	 * Deliberate difference: without TSC scaling stock takes any rate
	 * for the VM (and its vCPUs then run at the host's rate or catch
	 * up); nkvm refuses a rate it cannot give.
	 */
	r = ioctl(vm, KVM_SET_TSC_KHZ, khz / 2);
	if (kvm_is_ours())
		expect_errno(r, EINVAL, "VM KVM_SET_TSC_KHZ %ld -> EINVAL", khz / 2);
	else
		expect_success(r, "stock: VM KVM_SET_TSC_KHZ %ld", khz / 2);
	tap_ok(!ioctl(vm, KVM_SET_TSC_KHZ, 0) && ioctl(vm, KVM_GET_TSC_KHZ, 0) == khz,
	       "VM KVM_SET_TSC_KHZ 0: the host's rate again");

	vcpu = create_vcpu(vm, 0);
	expect_errno(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &addr), EINVAL,
		     "KVM_SET_IDENTITY_MAP_ADDR once a vCPU exists -> EINVAL");

	tap_ok(ioctl(vcpu, KVM_GET_TSC_KHZ, 0) == khz, "vCPU KVM_GET_TSC_KHZ %ld", khz);
	expect_success(ioctl(vcpu, KVM_SET_TSC_KHZ, khz), "vCPU KVM_SET_TSC_KHZ %ld", khz);
	/* 250 ppm of the rate count as the same rate. */
	if (khz >= 8000)
		tap_ok(!ioctl(vcpu, KVM_SET_TSC_KHZ, khz + 1) &&
		       ioctl(vcpu, KVM_GET_TSC_KHZ, 0) == khz + 1,
		       "vCPU KVM_SET_TSC_KHZ %ld (within 250 ppm)", khz + 1);
	else
		tap_skip("TSC too slow", "vCPU KVM_SET_TSC_KHZ within 250 ppm");
	expect_errno(ioctl(vcpu, KVM_SET_TSC_KHZ, khz / 2), EINVAL,
		     "vCPU KVM_SET_TSC_KHZ %ld (slower, no scaling) -> EINVAL", khz / 2);
	/* Deliberate difference: stock catches a faster TSC up now and then. */
	r = ioctl(vcpu, KVM_SET_TSC_KHZ, khz * 2);
	if (kvm_is_ours())
		expect_errno(r, EINVAL, "vCPU KVM_SET_TSC_KHZ %ld -> EINVAL", khz * 2);
	else
		expect_success(r, "stock: vCPU KVM_SET_TSC_KHZ %ld (catch-up)", khz * 2);
	tap_ok(!ioctl(vcpu, KVM_SET_TSC_KHZ, 0) && ioctl(vcpu, KVM_GET_TSC_KHZ, 0) == khz,
	       "vCPU KVM_SET_TSC_KHZ 0: the host's rate again");
	close(vcpu);
	close(vm);
}

static bool set_xcr0(int vcpu, uint64_t val)
{
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = val;
	return !ioctl(vcpu, KVM_SET_XCRS, &x);
}

static uint64_t get_xcr0(int vcpu)
{
	struct kvm_xcrs x;

	memset(&x, 0xff, sizeof(x));
	if (ioctl(vcpu, KVM_GET_XCRS, &x) || x.nr_xcrs != 1 || x.flags ||
	    x.xcrs[0].xcr != 0)
		return 0;
	return x.xcrs[0].value;
}

static bool set_cr4(int vcpu, uint64_t cr4)
{
	struct kvm_sregs s;

	if (ioctl(vcpu, KVM_GET_SREGS, &s))
		return false;
	s.cr4 = cr4;
	return !ioctl(vcpu, KVM_SET_SREGS, &s);
}

/* XCRs and CR4.OSXSAVE, before and after KVM_SET_CPUID2. */
static void test_xcrs(int vcpu, struct kvm_cpuid2 *sup, uint64_t want)
{
	struct kvm_cpuid2 *no_xsave;
	struct kvm_cpuid_entry2 *e;
	struct kvm_xcrs x;

	tap_ok(get_xcr0(vcpu) == 1, "KVM_GET_XCRS at reset: one XCR, XCR0 = 1");
	expect_errno(ioctl(vcpu, KVM_GET_XCRS, (void *)8), EFAULT,
		     "KVM_GET_XCRS bad pointer -> EFAULT");
	tap_ok(!set_xcr0(vcpu, 3) && errno == EINVAL,
	       "KVM_SET_XCRS XCR0 3 without CPUID leaf 0xd -> EINVAL");
	/* A table without XSAVE makes CR4.OSXSAVE reserved. */
	no_xsave = malloc(sizeof(*sup) + sup->nent * sizeof(sup->entries[0]));
	if (!no_xsave)
		tap_bail("out of memory");
	memcpy(no_xsave, sup, sizeof(*sup) + sup->nent * sizeof(sup->entries[0]));
	e = find(no_xsave, 1, 0);
	if (e)
		e->ecx &= ~CPUID1_XSAVE;
	tap_ok(!ioctl(vcpu, KVM_SET_CPUID2, no_xsave) &&
	       !set_cr4(vcpu, CR4_OSXSAVE) && errno == EINVAL,
	       "KVM_SET_SREGS CR4.OSXSAVE when CPUID has no XSAVE -> EINVAL");
	free(no_xsave);

	if (ioctl(vcpu, KVM_SET_CPUID2, sup))
		tap_bail("KVM_SET_CPUID2: %m");
	tap_ok(set_xcr0(vcpu, 3) && get_xcr0(vcpu) == 3, "KVM_SET_XCRS XCR0 3");
	tap_ok(!set_xcr0(vcpu, 0) && errno == EINVAL, "XCR0 0 (no x87) -> EINVAL");
	tap_ok(!set_xcr0(vcpu, 5) && errno == EINVAL, "XCR0 5 (AVX without SSE) -> EINVAL");
	tap_ok(!set_xcr0(vcpu, 3 | (1ULL << 62)) && errno == EINVAL,
	       "XCR0 bit 62 -> EINVAL");

	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].value = 3;
	x.flags = 1;
	expect_errno(ioctl(vcpu, KVM_SET_XCRS, &x), EINVAL, "KVM_SET_XCRS flags 1 -> EINVAL");
	x.flags = 0;
	x.nr_xcrs = KVM_MAX_XCRS + 1;
	expect_errno(ioctl(vcpu, KVM_SET_XCRS, &x), EINVAL,
		     "KVM_SET_XCRS nr_xcrs %d -> EINVAL", KVM_MAX_XCRS + 1);
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 1;
	x.xcrs[0].value = 7;
	tap_ok(!ioctl(vcpu, KVM_SET_XCRS, &x) && get_xcr0(vcpu) == 3,
	       "KVM_SET_XCRS of XCR1 only: ignored, XCR0 stays 3");
	expect_errno(ioctl(vcpu, KVM_SET_XCRS, (void *)8), EFAULT,
		     "KVM_SET_XCRS bad pointer -> EFAULT");
	tap_ok(set_xcr0(vcpu, want) && get_xcr0(vcpu) == want,
	       "KVM_SET_XCRS XCR0 %#llx", (unsigned long long)want);
	tap_ok(set_xcr0(vcpu, 1) && get_xcr0(vcpu) == 1, "KVM_SET_XCRS XCR0 1 again");
}

static void test_fpu(int vcpu)
{
	struct kvm_fpu f, in, out;
	int i;

	memset(&f, 0xcc, sizeof(f));
	tap_ok(!ioctl(vcpu, KVM_GET_FPU, &f) && f.fcw == 0x37f && f.mxcsr == 0,
	       "KVM_GET_FPU at reset: FCW 0x37f, MXCSR not reported (fcw %#x mxcsr %#x)",
	       f.fcw, f.mxcsr);

	memset(&in, 0, sizeof(in));
	for (i = 0; i < 10; i++)
		in.fpr[0][i] = x87_pi[i];
	in.fcw = 0x27f;
	in.fsw = 0x3800;
	in.ftwx = 0x80;
	in.last_opcode = 0x1e9;
	in.last_ip = 0x123456789aULL;
	in.last_dp = 0xabcdef0123ULL;
	for (i = 0; i < 16; i++)
		in.xmm[3][i] = 0x30 + i;
	expect_success(ioctl(vcpu, KVM_SET_FPU, &in), "KVM_SET_FPU");
	memset(&out, 0xcc, sizeof(out));
	tap_ok(!ioctl(vcpu, KVM_GET_FPU, &out) &&
	       !memcmp(out.fpr, in.fpr, sizeof(in.fpr)) && out.fcw == in.fcw &&
	       out.fsw == in.fsw && out.ftwx == in.ftwx &&
	       out.last_opcode == in.last_opcode && out.last_ip == in.last_ip &&
	       out.last_dp == in.last_dp && !memcmp(out.xmm, in.xmm, sizeof(in.xmm)),
	       "KVM_GET_FPU returns what KVM_SET_FPU set");
	expect_errno(ioctl(vcpu, KVM_GET_FPU, (void *)8), EFAULT, "KVM_GET_FPU bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_SET_FPU, (void *)8), EFAULT, "KVM_SET_FPU bad pointer -> EFAULT");
}

static uint8_t *xs_byte(struct kvm_xsave *x, unsigned int off)
{
	return (uint8_t *)x->region + off;
}

static uint64_t xs_u64(struct kvm_xsave *x, unsigned int off)
{
	uint64_t v;

	memcpy(&v, xs_byte(x, off), 8);
	return v;
}

static void xs_set_u64(struct kvm_xsave *x, unsigned int off, uint64_t v)
{
	memcpy(xs_byte(x, off), &v, 8);
}

/* The XMM1 value the guest must find. */
static const uint8_t xmm1_in[16] = {
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static void test_xsave(int kvm, int vcpu)
{
	long size2 = check_cap(kvm, KVM_CAP_XSAVE2);
	struct kvm_xsave good, bad;
	struct kvm_fpu f;
	uint8_t *big;
	uint32_t mxcsr;
	uint16_t fcw = 0x37f, zero16 = 0;

	memset(&good, 0, sizeof(good));
	expect_success(ioctl(vcpu, KVM_GET_XSAVE, &good), "KVM_GET_XSAVE");
	/* Empty x87 stack, default control word, and XMM1 for the guest. */
	memcpy(xs_byte(&good, XS_FCW), &fcw, 2);
	memcpy(xs_byte(&good, XS_FSW), &zero16, 2);
	*xs_byte(&good, XS_FTW) = 0;
	memcpy(xs_byte(&good, XS_XMM(1)), xmm1_in, 16);
	xs_set_u64(&good, XS_XSTATE_BV, xs_u64(&good, XS_XSTATE_BV) |
		   XFEATURE_FP | XFEATURE_SSE);
	expect_success(ioctl(vcpu, KVM_SET_XSAVE, &good), "KVM_SET_XSAVE (x87, SSE)");
	memset(&f, 0, sizeof(f));
	tap_ok(!ioctl(vcpu, KVM_GET_FPU, &f) && !memcmp(f.xmm[1], xmm1_in, 16) &&
	       f.fcw == 0x37f && f.ftwx == 0,
	       "KVM_GET_FPU sees KVM_SET_XSAVE's XMM1 and FCW");

	big = calloc(1, size2 > 0 ? size2 : 1);
	if (!big)
		tap_bail("out of memory");
	memset(&bad, 0, sizeof(bad));
	tap_ok(size2 >= (long)sizeof(bad) && !ioctl(vcpu, KVM_GET_XSAVE2, big) &&
	       !ioctl(vcpu, KVM_GET_XSAVE, &bad) && !memcmp(big, &bad, sizeof(bad)),
	       "KVM_GET_XSAVE2 (%ld bytes) matches KVM_GET_XSAVE", size2);
	free(big);

	bad = good;
	xs_set_u64(&bad, XS_XSTATE_BV, xs_u64(&bad, XS_XSTATE_BV) | (1ULL << 62));
	expect_errno(ioctl(vcpu, KVM_SET_XSAVE, &bad), EINVAL,
		     "KVM_SET_XSAVE XSTATE_BV bit 62 -> EINVAL");
	bad = good;
	*xs_byte(&bad, XS_RESERVED + 5) = 1;
	expect_errno(ioctl(vcpu, KVM_SET_XSAVE, &bad), EINVAL,
		     "KVM_SET_XSAVE reserved header byte -> EINVAL");
	bad = good;
	xs_set_u64(&bad, XS_XCOMP_BV, (1ULL << 63) | 3);
	expect_errno(ioctl(vcpu, KVM_SET_XSAVE, &bad), EINVAL,
		     "KVM_SET_XSAVE compacted format (XCOMP_BV) -> EINVAL");
	bad = good;
	memcpy(&mxcsr, xs_byte(&bad, XS_MXCSR), 4);
	mxcsr |= 1u << 31;
	memcpy(xs_byte(&bad, XS_MXCSR), &mxcsr, 4);
	memset(xs_byte(&bad, XS_XMM(1)), 0, 16);
	expect_errno(ioctl(vcpu, KVM_SET_XSAVE, &bad), EINVAL,
		     "KVM_SET_XSAVE reserved MXCSR bit -> EINVAL");
	expect_errno(ioctl(vcpu, KVM_SET_XSAVE, (void *)8), EFAULT,
		     "KVM_SET_XSAVE bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_GET_XSAVE, (void *)8), EFAULT,
		     "KVM_GET_XSAVE bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_GET_XSAVE2, (void *)8), EFAULT,
		     "KVM_GET_XSAVE2 bad pointer -> EFAULT");
	memset(&f, 0, sizeof(f));
	tap_ok(!ioctl(vcpu, KVM_GET_FPU, &f) && !memcmp(f.xmm[1], xmm1_in, 16),
	       "refused KVM_SET_XSAVEs left the state alone");
}

static bool translate(int vcpu, uint64_t la, uint64_t *pa, struct kvm_translation *t)
{
	memset(t, 0, sizeof(*t));
	t->linear_address = la;
	if (ioctl(vcpu, KVM_TRANSLATE, t)) {
		tap_diag("KVM_TRANSLATE %#llx: %m", (unsigned long long)la);
		return false;
	}
	*pa = t->physical_address;
	return t->valid;
}

static void test_translate_paged(int vcpu, uint8_t *mem)
{
	uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(mem + TR_PD_GPA);
	uint64_t *pt = (uint64_t *)(mem + TR_PT_GPA);
	struct kvm_translation t;
	uint64_t pa = 0;
	bool ok;

	pdpt[1] = TR_PD_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	pd[0] = TR_PT_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	pt[3] = TR_PAGE_GPA | GUEST_PTE_P | GUEST_PTE_RW;

	ok = translate(vcpu, 0x201234, &pa, &t);
	tap_ok(ok && pa == 0x201234,
	       "KVM_TRANSLATE 0x201234 (2 MiB page) -> %#llx", (unsigned long long)pa);
	ok = translate(vcpu, TR_LINEAR + 0x3123, &pa, &t);
	tap_ok(ok && pa == TR_PAGE_GPA + 0x123 && t.writeable == 1 && t.usermode == 0,
	       "KVM_TRANSLATE %#llx (4 KiB page) -> %#llx, writeable 1, usermode 0",
	       TR_LINEAR + 0x3123, (unsigned long long)pa);
	tap_ok(!translate(vcpu, TR_LINEAR + 0x4000, &pa, &t) && !t.valid,
	       "KVM_TRANSLATE of a linear address whose PTE is not present: not valid");
	tap_ok(!translate(vcpu, 0x80000000ULL, &pa, &t) && !t.valid,
	       "KVM_TRANSLATE where the PDPT entry is not present: not valid");
}

static bool io_exit(struct guest *g, uint16_t port, uint32_t *val)
{
	*val = 0;
	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g->run->exit_reason != KVM_EXIT_IO || g->run->io.port != port) {
		tap_diag("exit %s port %#x, expected IO to %#x",
			 guest_exit_name(g->run->exit_reason),
			 g->run->exit_reason == KVM_EXIT_IO ? g->run->io.port : 0,
			 port);
		return false;
	}
	memcpy(val, (uint8_t *)g->run + g->run->io.data_offset,
	       g->run->io.size < 4 ? g->run->io.size : 4);
	return true;
}

/* The host's own AVX use after a guest ran with XCR0 3: SIGILL if broken. */
static bool host_avx_works(void)
{
	uint8_t in[32], out[32];
	int i;

	for (i = 0; i < 32; i++)
		in[i] = 0x55 + i;
	asm volatile("vmovdqu %1, %%ymm2\n\tvmovdqu %%ymm2, %0"
		     : "=m"(out) : "m"(in) : "xmm2");
	return !memcmp(in, out, 32);
}

static void set_gate(uint8_t *mem, unsigned int vec, uint64_t handler)
{
	uint64_t *gate = (uint64_t *)(mem + IDT_GPA + 16 * vec);

	gate[0] = (handler & 0xffff) | (8ULL << 16) | (0x8eULL << 40) |
		  (((handler >> 16) & 0xffff) << 48);
	gate[1] = handler >> 32;
}

static void run_guest(struct guest *g, uint8_t *mem, uint64_t want)
{
	struct kvm_xsave x;
	struct kvm_fpu f;
	uint32_t val = 0, avx = host_avx;
	uint64_t xcr0;
	uint8_t *src = mem + DATA_GPA + 0x100;
	bool ok;
	int i;

	for (i = 0; i < 32; i++)
		src[i] = 0xa0 + i;
	memcpy(mem + DATA_GPA + 4, &avx, sizeof(avx));

	ok = io_exit(g, 0x10, &val);
	tap_ok(ok && (val & CPUID1_OSXSAVE),
	       "guest CPUID.1:ECX has OSXSAVE with CR4.OSXSAVE set (%#x)", val);
	tap_ok(io_exit(g, 0x11, &val), "guest XSETBV of XCR0 0 -> #GP");
	tap_ok(io_exit(g, 0x11, &val), "guest XSETBV of XCR1 -> #GP");
	ok = io_exit(g, 0x12, &val);
	tap_ok(ok && val == 3, "guest XSETBV 3: its XGETBV reads %#x", val);
	/*
	 * QEMU's TCG never takes the XSETBV intercept: the guest writes
	 * XCR0 itself. nkvm reads it back at every exit; stock does not, so
	 * there it keeps the old XCR0 (real hardware intercepts XSETBV).
	 */
	xcr0 = get_xcr0(g->vcpu);
	if (kvm_is_ours() || xcr0 == 3)
		tap_ok(xcr0 == 3, "KVM_GET_XCRS after the guest's XSETBV 3 (%#llx)",
		       (unsigned long long)xcr0);
	else
		tap_skip("XSETBV not intercepted by the emulator, stock keeps its XCR0",
			 "KVM_GET_XCRS after the guest's XSETBV");
	if (host_avx)
		tap_ok(host_avx_works() && (xgetbv0() & 7) == 7,
		       "the host still runs AVX (its XCR0 is back)");
	else
		tap_skip("no AVX on this host", "host AVX after the guest's XCR0 3");
	ok = set_xcr0(g->vcpu, 1) && io_exit(g, 0x12, &val);
	tap_ok(ok && val == 1, "KVM_SET_XCRS 1: the guest's XGETBV reads %#x", val);
	ok = set_xcr0(g->vcpu, want) && io_exit(g, 0x12, &val);
	tap_ok(ok && val == want, "KVM_SET_XCRS %#llx: the guest's XGETBV reads %#x",
	       (unsigned long long)want, val);
	ok = io_exit(g, 0x13, &val);
	tap_ok(ok && val == xsave_size(want),
	       "guest CPUID.(0xd,0):EBX %u is the size for its XCR0 (%u)", val,
	       xsave_size(want));
	ok = io_exit(g, 0x14, &val);
	tap_ok(ok && !memcmp(&val, xmm1_in, 4),
	       "guest XMM1 is what KVM_SET_XSAVE set (%#x)", val);
	ok = !ioctl(g->vcpu, KVM_RUN, 0);
	tap_ok(ok && g->run->exit_reason == KVM_EXIT_HLT,
	       "guest HLT (exit %s)", guest_exit_name(g->run->exit_reason));

	memset(&f, 0, sizeof(f));
	tap_ok(!ioctl(g->vcpu, KVM_GET_FPU, &f) && !memcmp(f.fpr[0], x87_pi, 10) &&
	       !memcmp(f.xmm[0], src, 16),
	       "KVM_GET_FPU: ST0 is pi, XMM0 the guest's load");
	memset(&x, 0, sizeof(x));
	if (ioctl(g->vcpu, KVM_GET_XSAVE, &x))
		tap_diag("KVM_GET_XSAVE: %m");
	tap_ok(!memcmp(xs_byte(&x, XS_ST0), x87_pi, 10) &&
	       !memcmp(xs_byte(&x, XS_XMM(0)), src, 16) &&
	       (xs_u64(&x, XS_XSTATE_BV) & 3) == 3,
	       "KVM_GET_XSAVE: x87 and SSE state of the guest (XSTATE_BV %#llx)",
	       (unsigned long long)xs_u64(&x, XS_XSTATE_BV));
	if (host_avx)
		tap_ok((xs_u64(&x, XS_XSTATE_BV) & XFEATURE_YMM) &&
		       !memcmp(xs_byte(&x, XS_YMM_HI), src + 16, 16),
		       "KVM_GET_XSAVE: YMM0's upper half from the guest's VMOVDQU");
	else
		tap_skip("no AVX on this host", "YMM0 in KVM_GET_XSAVE");
}

static void test_guest(int kvm, struct kvm_cpuid2 *sup)
{
	uint64_t want = host_avx ? 7 : 3;
	uint64_t gdt[3] = { 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL };
	struct kvm_translation t;
	struct kvm_sregs s;
	struct guest g;
	uint64_t pa = 0;
	uint8_t *mem;
	bool ok;

	guest_create(&g, kvm);
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, st_start, st_end - st_start);
	memcpy(mem + GDT_GPA, gdt, sizeof(gdt));
	set_gate(mem, 13, CODE_GPA + (st_gp - st_start));
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);

	/* Real mode, no paging: linear is physical. */
	ok = translate(g.vcpu, 0x12345, &pa, &t);
	tap_ok(ok && pa == 0x12345,
	       "KVM_TRANSLATE without paging: 0x12345 -> %#llx", (unsigned long long)pa);
	expect_errno(ioctl(g.vcpu, KVM_TRANSLATE, (void *)8), EFAULT,
		     "KVM_TRANSLATE bad pointer -> EFAULT");

	test_xcrs(g.vcpu, sup, want);
	test_fpu(g.vcpu);
	test_xsave(kvm, g.vcpu);

	if (!guest_flat_mode(&g, mem, true, CODE_GPA, STACK_TOP))
		tap_bail("long mode set-up: %m");
	test_translate_paged(g.vcpu, mem);

	if (ioctl(g.vcpu, KVM_GET_SREGS, &s))
		tap_bail("KVM_GET_SREGS: %m");
	s.gdt.base = GDT_GPA;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = IDT_GPA;
	s.idt.limit = 16 * 14 - 1;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	expect_success(ioctl(g.vcpu, KVM_SET_SREGS, &s),
		       "KVM_SET_SREGS CR4.OSXSAVE with CPUID XSAVE");
	run_guest(&g, mem, want);
	guest_destroy(&g);
}

int main(void)
{
	struct kvm_cpuid2 *sup;
	uint32_t r[4];
	int kvm, i;

	tap_plan(PLAN);
	kvm = open_kvm();
	host_cpuid(1, 0, r);
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) || !(r[2] & CPUID1_OSXSAVE)) {
		/* No backend that runs guests here, or a host without XSAVE. */
		for (i = 0; i < PLAN; i++)
			tap_skip("no guests or no XSAVE here", "x86 state");
		return tap_finish();
	}
	host_xcr0 = xgetbv0();
	host_avx = (r[2] & CPUID1_AVX) && (host_xcr0 & 6) == 6;
	tap_diag("host XCR0 %#llx, AVX %d", (unsigned long long)host_xcr0, host_avx);

	test_caps(kvm);
	sup = get_supported(kvm);
	test_supported_cpuid(sup);
	test_vm_ioctls(kvm);
	test_guest(kvm, sup);
	free(sup);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "x86 state");
	return tap_finish();
}

#endif
