// SPDX-License-Identifier: GPL-2.0
/*
 * x86 MSRs that userspace steers: KVM_CAP_X86_USER_SPACE_MSR (the guest's
 * failing RDMSR/WRMSR exit as KVM_EXIT_X86_RDMSR/WRMSR for the reasons
 * enabled, and the next KVM_RUN completes them), KVM_X86_SET_MSR_FILTER
 * (argument checks, default allow/deny, replacing a filter, also while
 * the vCPU runs), KVM_CAP_MSR_PLATFORM_INFO, CPUID faulting, and the
 * feature MSRs ARCH_CAPABILITIES and PERF_CAPABILITIES.
 *
 * The guest runs in real mode: one RDMSR or WRMSR stub followed by HLT,
 * and a #GP handler that is a HLT, so where RIP stops tells how the
 * access ended.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MSR_PLATFORM_INFO	0xce
#define MSR_ARCH_CAP		0x10a
#define MSR_MISC_FEATURES	0x140
#define MSR_POWER_CTL		0x1fc
#define MSR_PAT			0x277
#define MSR_PERF_CAP		0x345
#define MSR_X2APIC_ID		0x802
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_BOGUS		0xdeadbeef

#define PLATFORM_INFO_CPUID_FAULT	(1ULL << 31)
#define ARCH_CAP_PSCHANGE_MC_NO		(1ULL << 6)
#define PAT_RESET		0x0007040600070406ULL

#define REASON_INVAL		KVM_MSR_EXIT_REASON_INVAL
#define REASON_UNKNOWN		KVM_MSR_EXIT_REASON_UNKNOWN
#define REASON_FILTER		KVM_MSR_EXIT_REASON_FILTER

#define MEM_SIZE	(2 * MiB)
#define RD_STUB		0x1000		/* rdmsr; hlt */
#define WR_STUB		0x1010		/* wrmsr; hlt */
#define CPUID_STUB	0x1020		/* cpuid; hlt */
#define LOOP_STUB	0x1030		/* 1: rdmsr; dec si; jnz 1b; hlt */
#define GP_HANDLER	0x1100		/* hlt */
#define STACK_TOP	0x8000

/* What RAX/RDX hold before a RDMSR; a failed one leaves them. */
#define RAX_MARK	0xaaaa5555ULL
#define RDX_MARK	0xbbbb6666ULL

#define NR_CHECKS	55

static struct guest g;
static unsigned char *mem;
static int kvm;

struct msr_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[4];
};

static long msrs_io(int fd, unsigned long nr, struct msr_buf *b, unsigned int n)
{
	b->hdr.nmsrs = n;
	b->hdr.pad = 0;
	return ioctl(fd, nr, b);
}

static int set_msr(int fd, unsigned int index, unsigned long long data)
{
	struct msr_buf b;

	memset(&b, 0, sizeof(b));
	b.e[0].index = index;
	b.e[0].data = data;
	return msrs_io(fd, KVM_SET_MSRS, &b, 1) == 1 ? 0 : -1;
}

static int get_msr(int fd, unsigned int index, unsigned long long *data)
{
	struct msr_buf b;

	memset(&b, 0, sizeof(b));
	b.e[0].index = index;
	if (msrs_io(fd, KVM_GET_MSRS, &b, 1) != 1)
		return -1;
	*data = b.e[0].data;
	return 0;
}

static long enable_cap(int vm, unsigned int cap, unsigned long long arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args[0] = arg };

	return ioctl(vm, KVM_ENABLE_CAP, &c);
}

static long set_filter(int vm, struct kvm_msr_filter *f)
{
	return ioctl(vm, KVM_X86_SET_MSR_FILTER, f);
}

static struct kvm_msr_list *get_list(unsigned long nr)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	ioctl(kvm, nr, &probe);
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(__u32));
	l->nmsrs = probe.nmsrs;
	if (ioctl(kvm, nr, l))
		l->nmsrs = 0;
	return l;
}

static bool in_list(const struct kvm_msr_list *l, unsigned int index)
{
	for (unsigned int i = 0; i < l->nmsrs; i++)
		if (l->indices[i] == index)
			return true;
	return false;
}

/* Real mode at rip with RCX, RAX, RDX given. */
static void enter(struct guest *gg, __u64 rip, __u64 rcx, __u64 rax,
		  __u64 rdx)
{
	struct kvm_regs r;

	if (!guest_enter_real(gg, rip, STACK_TOP) ||
	    ioctl(gg->vcpu, KVM_GET_REGS, &r))
		tap_bail("real-mode set-up: %m");
	r.rcx = rcx;
	r.rax = rax;
	r.rdx = rdx;
	if (ioctl(gg->vcpu, KVM_SET_REGS, &r))
		tap_bail("KVM_SET_REGS: %m");
}

static struct kvm_regs regs_of(struct guest *gg)
{
	struct kvm_regs r;

	memset(&r, 0, sizeof(r));
	if (ioctl(gg->vcpu, KVM_GET_REGS, &r))
		tap_bail("KVM_GET_REGS: %m");
	return r;
}

/* KVM_RUN once: the exit reason, or -1 when the ioctl failed. */
static int run_on(struct guest *gg)
{
	return ioctl(gg->vcpu, KVM_RUN, 0) ? -1 : (int)gg->run->exit_reason;
}

static int rdmsr_on(struct guest *gg, unsigned int index)
{
	enter(gg, RD_STUB, index, RAX_MARK, RDX_MARK);
	return run_on(gg);
}

static int guest_rdmsr(unsigned int index)
{
	return rdmsr_on(&g, index);
}

static int guest_wrmsr(unsigned int index, unsigned long long val)
{
	enter(&g, WR_STUB, index, (__u32)val, val >> 32);
	return run_on(&g);
}

/* The guest went on past the stub's HLT (exit is that HLT's). */
static bool done_on(struct guest *gg, int exit, __u64 stub, int len)
{
	struct kvm_regs r = regs_of(gg);

	if (exit == KVM_EXIT_HLT && r.rip == stub + len + 1)
		return true;
	tap_diag("exit %s, rip %#llx (expected HLT at %#llx)",
		 exit < 0 ? "error" : guest_exit_name(exit), r.rip,
		 stub + len);
	return false;
}

static bool done(int exit, __u64 stub)
{
	return done_on(&g, exit, stub, 2);
}

/* The access raised #GP: the guest stopped in its handler. */
static bool took_gp_on(struct guest *gg, int exit)
{
	struct kvm_regs r = regs_of(gg);

	if (exit == KVM_EXIT_HLT && r.rip == GP_HANDLER + 1)
		return true;
	tap_diag("exit %s, rip %#llx (expected the #GP handler)",
		 exit < 0 ? "error" : guest_exit_name(exit), r.rip);
	return false;
}

static bool took_gp(int exit)
{
	return took_gp_on(&g, exit);
}

/* The RDMSR's EDX:EAX. */
static unsigned long long rd_value(void)
{
	struct kvm_regs r = regs_of(&g);

	return (r.rax & 0xffffffffULL) | (r.rdx & 0xffffffffULL) << 32;
}

/* An MSR exit of this kind, reason, index (and data for writes). */
static bool msr_exit(int exit, unsigned int want, unsigned int reason,
		     unsigned int index, unsigned long long data)
{
	struct kvm_run *run = g.run;

	if (exit == (int)want && run->msr.reason == reason &&
	    run->msr.index == index && run->msr.data == data &&
	    !run->msr.error)
		return true;
	tap_diag("exit %s reason %u index %#x data %#llx error %u",
		 exit < 0 ? "error" : guest_exit_name(exit),
		 exit == (int)want ? run->msr.reason : 0,
		 exit == (int)want ? run->msr.index : 0,
		 exit == (int)want ? (unsigned long long)run->msr.data : 0,
		 exit == (int)want ? run->msr.error : 0);
	return false;
}

/* Sets the filter, bailing out on failure (for the guest checks). */
static void must_filter(struct kvm_msr_filter *f)
{
	if (set_filter(g.vm, f))
		tap_bail("KVM_X86_SET_MSR_FILTER: %m");
}

static void must_mask(unsigned long long mask)
{
	if (enable_cap(g.vm, KVM_CAP_X86_USER_SPACE_MSR, mask))
		tap_bail("KVM_ENABLE_CAP(X86_USER_SPACE_MSR, %#llx): %m", mask);
}

static __u8 deny_bits[8];			/* all zero: deny */
static __u8 allow_all[KVM_MSR_FILTER_MAX_BITMAP_SIZE];

/* A default-allow filter denying one MSR for the accesses in flags. */
static void deny_one(unsigned int index, __u32 flags)
{
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = { .flags = flags, .nmsrs = 1, .base = index,
			       .bitmap = deny_bits },
	};

	must_filter(&f);
}

static void no_filter(void)
{
	struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	must_filter(&f);
}

/* 16 checks: capabilities, KVM_ENABLE_CAP and KVM_X86_SET_MSR_FILTER. */
static void test_api(void)
{
	struct kvm_msr_filter f;
	int vm = create_vm(kvm);
	char *pages;
	long r;

	tap_ok(check_cap(kvm, KVM_CAP_X86_USER_SPACE_MSR) > 0 &&
	       check_cap(kvm, KVM_CAP_X86_MSR_FILTER) > 0 &&
	       check_cap(kvm, KVM_CAP_MSR_PLATFORM_INFO) > 0,
	       "USER_SPACE_MSR, MSR_FILTER and MSR_PLATFORM_INFO offered");
	expect_success(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR,
				  REASON_INVAL | REASON_UNKNOWN | REASON_FILTER),
		       "KVM_ENABLE_CAP(X86_USER_SPACE_MSR, every reason)");
	expect_errno(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, 1 << 3), EINVAL,
		     "an unknown reason bit -> EINVAL");
	expect_errno(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, 1ULL << 32),
		     EINVAL, "a reason bit above 31 -> EINVAL");

	memset(&f, 0, sizeof(f));
	f.flags = 2;
	expect_errno(set_filter(vm, &f), EINVAL, "filter flags 2 -> EINVAL");
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	expect_errno(set_filter(vm, &f), EINVAL,
		     "default deny without ranges -> EINVAL");
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	expect_success(set_filter(vm, &f),
		       "default allow without ranges (no filtering)");

	f.ranges[0] = (struct kvm_msr_filter_range){ .flags = 0, .nmsrs = 1,
		.base = 0, .bitmap = deny_bits };
	expect_errno(set_filter(vm, &f), EINVAL, "a range with flags 0 -> EINVAL");
	f.ranges[0].flags = KVM_MSR_FILTER_READ | 4;
	expect_errno(set_filter(vm, &f), EINVAL,
		     "a range with an unknown flag -> EINVAL");
	f.ranges[0].flags = KVM_MSR_FILTER_READ;
	f.ranges[0].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8 + 1;
	f.ranges[0].bitmap = allow_all;
	expect_errno(set_filter(vm, &f), EINVAL,
		     "a range of 0x3001 MSRs (bitmap too big) -> EINVAL");
	f.ranges[0].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;
	/* A range without MSRs is ignored, whatever else it says. */
	f.ranges[1] = (struct kvm_msr_filter_range){ .flags = 0xff, .nmsrs = 0,
		.base = 5, .bitmap = NULL };
	expect_success(set_filter(vm, &f),
		       "0x3000 MSRs, and an empty range with junk, are taken");
	f.ranges[0].bitmap = NULL;
	expect_errno(set_filter(vm, &f), EFAULT, "a NULL bitmap -> EFAULT");
	expect_errno(ioctl(vm, KVM_X86_SET_MSR_FILTER, NULL), EFAULT,
		     "a NULL filter -> EFAULT");

	/* One MSR's bitmap is copied as a whole long: 8 bytes. */
	pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		tap_bail("mmap: %m");
	munmap(pages + 4096, 4096);
	memset(&f, 0, sizeof(f));
	f.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_READ, .nmsrs = 1, .base = 0,
		.bitmap = (__u8 *)pages + 4092 };
	expect_errno(set_filter(vm, &f), EFAULT,
		     "a 1-MSR bitmap 4 bytes before a hole -> EFAULT");
	munmap(pages, 4096);

	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	for (int i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		f.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_WRITE, .nmsrs = 64,
			.base = 0x1000 * i, .bitmap = allow_all };
	expect_success(set_filter(vm, &f), "16 ranges, default deny");
	r = set_filter(vm, &f);
	expect_success(r, "the same filter again (replaced)");
	close(vm);
}

/* 3 checks: the feature MSRs and the MSR index list. */
static void test_lists(void)
{
	struct kvm_msr_list *feat = get_list(KVM_GET_MSR_FEATURE_INDEX_LIST);
	struct kvm_msr_list *all = get_list(KVM_GET_MSR_INDEX_LIST);
	struct msr_buf b;
	long r;

	tap_ok(in_list(feat, MSR_ARCH_CAP) && in_list(feat, MSR_PERF_CAP),
	       "the feature MSRs include ARCH_CAPABILITIES, PERF_CAPABILITIES");
	memset(&b, 0, sizeof(b));
	b.e[0].index = MSR_ARCH_CAP;
	b.e[1].index = MSR_PERF_CAP;
	b.e[1].data = 0x5a;
	r = msrs_io(kvm, KVM_GET_MSRS, &b, 2);
	/* An AMD host offers no PMU capabilities; both say PSCHANGE_MC_NO. */
	tap_ok(r == 2 && (b.e[0].data & ARCH_CAP_PSCHANGE_MC_NO) &&
	       b.e[1].data == 0,
	       "/dev/kvm reads them: ARCH_CAPABILITIES %#llx, PERF_CAPABILITIES %#llx (r %ld)",
	       b.e[0].data, b.e[1].data, r);
	tap_ok(in_list(all, MSR_PLATFORM_INFO) && in_list(all, MSR_MISC_FEATURES) &&
	       in_list(all, MSR_ARCH_CAP) && in_list(all, MSR_PERF_CAP) &&
	       in_list(all, MSR_POWER_CTL),
	       "the vCPU list has PLATFORM_INFO, MISC_FEATURES_ENABLES, ARCH/PERF_CAPABILITIES, POWER_CTL");
	free(feat);
	free(all);
}

/* 5 checks: the vCPU's new MSRs as userspace sees them. */
static void test_host_msrs(void)
{
	unsigned long long feat = 0, v[4] = { 1, 1, 1, 1 };
	int fd = g.vcpu;
	bool ok;

	get_msr(kvm, MSR_ARCH_CAP, &feat);
	ok = !get_msr(fd, MSR_ARCH_CAP, &v[0]) && !get_msr(fd, MSR_PERF_CAP, &v[1]) &&
	     !get_msr(fd, MSR_PLATFORM_INFO, &v[2]) &&
	     !get_msr(fd, MSR_MISC_FEATURES, &v[3]);
	tap_ok(ok && v[0] == feat && v[1] == 0 &&
	       v[2] == PLATFORM_INFO_CPUID_FAULT && v[3] == 0,
	       "a new vCPU: ARCH_CAP %#llx (feature %#llx), PERF_CAP %#llx, PLATFORM_INFO %#llx, MISC_FEATURES %#llx",
	       v[0], feat, v[1], v[2], v[3]);
	ok = set_msr(fd, MSR_PERF_CAP, 1) && !set_msr(fd, MSR_PERF_CAP, 0);
	tap_ok(ok, "PERF_CAPABILITIES takes only what the feature MSR offers");
	ok = !set_msr(fd, MSR_ARCH_CAP, 0x1234) && !get_msr(fd, MSR_ARCH_CAP, &v[0]) &&
	     v[0] == 0x1234 && !set_msr(fd, MSR_ARCH_CAP, feat);
	tap_ok(ok, "ARCH_CAPABILITIES: userspace sets any value");
	ok = set_msr(fd, MSR_MISC_FEATURES, 2) &&
	     !set_msr(fd, MSR_MISC_FEATURES, 1) &&
	     set_msr(fd, MSR_PLATFORM_INFO, 0) &&
	     !set_msr(fd, MSR_MISC_FEATURES, 0) &&
	     !set_msr(fd, MSR_PLATFORM_INFO, 0) &&
	     set_msr(fd, MSR_MISC_FEATURES, 1) &&
	     !set_msr(fd, MSR_PLATFORM_INFO, PLATFORM_INFO_CPUID_FAULT);
	tap_ok(ok, "CPUID faulting: only bit 0, only while PLATFORM_INFO offers it");
	ok = !set_msr(fd, MSR_POWER_CTL, 0x5a5a) &&
	     !get_msr(fd, MSR_POWER_CTL, &v[0]) && v[0] == 0x5a5a &&
	     !set_msr(fd, MSR_POWER_CTL, 0);
	tap_ok(ok, "POWER_CTL round trip");
}

/* 9 checks: exits for unknown and invalid accesses, and their completion. */
static void test_exits(void)
{
	unsigned long long v = 0;
	struct kvm_regs r;
	int exit;
	bool ok;

	tap_ok(took_gp(guest_rdmsr(MSR_BOGUS)),
	       "without KVM_CAP_X86_USER_SPACE_MSR an unknown MSR is a #GP");

	must_mask(REASON_UNKNOWN);
	exit = guest_rdmsr(MSR_BOGUS);
	tap_ok(msr_exit(exit, KVM_EXIT_X86_RDMSR, REASON_UNKNOWN, MSR_BOGUS, 0),
	       "RDMSR of an unknown MSR -> KVM_EXIT_X86_RDMSR, reason UNKNOWN");
	g.run->msr.data = 0x1122334455667788ULL;
	ok = done(run_on(&g), RD_STUB);
	v = rd_value();
	tap_ok(ok && v == 0x1122334455667788ULL,
	       "the next KVM_RUN puts data into EDX:EAX and goes on (%#llx)", v);

	exit = guest_wrmsr(MSR_BOGUS, 0xaabbccdd11223344ULL);
	tap_ok(msr_exit(exit, KVM_EXIT_X86_WRMSR, REASON_UNKNOWN, MSR_BOGUS,
			0xaabbccdd11223344ULL),
	       "WRMSR of an unknown MSR -> KVM_EXIT_X86_WRMSR with the data");
	g.run->msr.error = 1;
	tap_ok(took_gp(run_on(&g)), "error 1 -> #GP at the next KVM_RUN");

	guest_rdmsr(MSR_BOGUS);
	g.run->msr.data = 0x77;
	g.run->msr.error = 1;
	exit = run_on(&g);
	r = regs_of(&g);
	tap_ok(took_gp(exit) && r.rax == RAX_MARK && r.rdx == RDX_MARK,
	       "a failed RDMSR leaves EDX:EAX alone (%#llx:%#llx)", r.rdx,
	       r.rax);

	/* As stock: completion comes first, then immediate_exit. */
	guest_rdmsr(MSR_BOGUS);
	g.run->msr.data = 0x99;
	g.run->immediate_exit = 1;
	exit = ioctl(g.vcpu, KVM_RUN, 0);
	g.run->immediate_exit = 0;
	r = regs_of(&g);
	tap_ok(exit == -1 && errno == EINTR && r.rip == RD_STUB + 2 &&
	       r.rax == 0x99 && done(run_on(&g), RD_STUB),
	       "with immediate_exit: EINTR, the RDMSR completed (rip %#llx)",
	       r.rip);

	/* A value PAT refuses: INVAL, not UNKNOWN. */
	tap_ok(took_gp(guest_wrmsr(MSR_PAT, 2)),
	       "a bad PAT with only UNKNOWN exits enabled -> #GP");
	must_mask(REASON_INVAL | REASON_UNKNOWN);
	exit = guest_wrmsr(MSR_PAT, 2);
	ok = msr_exit(exit, KVM_EXIT_X86_WRMSR, REASON_INVAL, MSR_PAT, 2) &&
	     done(run_on(&g), WR_STUB) && !get_msr(g.vcpu, MSR_PAT, &v);
	tap_ok(ok && v == PAT_RESET,
	       "with INVAL: an exit; userspace's success goes on, PAT unchanged (%#llx)",
	       v);
}

/* 9 checks: the filter on the guest's accesses. */
static void test_filter(void)
{
	struct kvm_msr_filter deny_all_but_pat = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges[0] = { .flags = KVM_MSR_FILTER_READ |
				KVM_MSR_FILTER_WRITE,
			       .nmsrs = 1, .base = MSR_PAT, .bitmap = allow_all },
	};
	unsigned long long v = 0;
	int exit;
	bool ok;

	must_mask(REASON_FILTER);
	deny_one(MSR_LSTAR, KVM_MSR_FILTER_READ);
	exit = guest_rdmsr(MSR_LSTAR);
	tap_ok(msr_exit(exit, KVM_EXIT_X86_RDMSR, REASON_FILTER, MSR_LSTAR, 0),
	       "a RDMSR the filter denies -> exit, reason FILTER");
	g.run->msr.data = 0xffffffff81000000ULL;
	tap_ok(done(run_on(&g), RD_STUB) && rd_value() == 0xffffffff81000000ULL,
	       "... completed with userspace's value");
	ok = done(guest_wrmsr(MSR_LSTAR, 0xffff800000001000ULL), WR_STUB) &&
	     !get_msr(g.vcpu, MSR_LSTAR, &v);
	tap_ok(ok && v == 0xffff800000001000ULL,
	       "a read-only range leaves WRMSR to the kernel; KVM_GET_MSRS is not filtered (%#llx)",
	       v);
	must_mask(0);
	tap_ok(took_gp(guest_rdmsr(MSR_LSTAR)),
	       "without the FILTER reason a denied RDMSR is a #GP");

	must_mask(REASON_FILTER);
	must_filter(&deny_all_but_pat);
	ok = done(guest_rdmsr(MSR_PAT), RD_STUB);
	v = rd_value();
	tap_ok(ok && v == PAT_RESET,
	       "default deny: an allowed MSR is the kernel's (%#llx)", v);
	exit = guest_wrmsr(MSR_STAR, 0);
	tap_ok(msr_exit(exit, KVM_EXIT_X86_WRMSR, REASON_FILTER, MSR_STAR, 0) &&
	       done(run_on(&g), WR_STUB),
	       "default deny: any other MSR exits");
	/* No in-kernel APIC: a failure (INVAL, as stock), not the filter's. */
	must_mask(REASON_FILTER | REASON_INVAL);
	exit = guest_rdmsr(MSR_X2APIC_ID);
	ok = msr_exit(exit, KVM_EXIT_X86_RDMSR, REASON_INVAL, MSR_X2APIC_ID, 0);
	g.run->msr.error = 1;
	tap_ok(ok && took_gp(run_on(&g)),
	       "default deny does not cover the x2APIC MSRs (reason INVAL)");
	must_mask(REASON_FILTER);

	deny_one(MSR_STAR, KVM_MSR_FILTER_READ);
	deny_one(MSR_LSTAR, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE);
	tap_ok(done(guest_rdmsr(MSR_STAR), RD_STUB) &&
	       msr_exit(guest_rdmsr(MSR_LSTAR), KVM_EXIT_X86_RDMSR,
			REASON_FILTER, MSR_LSTAR, 0) &&
	       done(run_on(&g), RD_STUB),
	       "a new filter replaces the old one");
	no_filter();
	tap_ok(done(guest_rdmsr(MSR_LSTAR), RD_STUB),
	       "an empty default-allow filter filters nothing");
}

/* 8 checks: PLATFORM_INFO, CPUID faulting, POWER_CTL, the capabilities. */
static void test_guest_msrs(void)
{
	unsigned long long v;
	int vm = g.vm;
	bool ok;

	ok = done(guest_rdmsr(MSR_PLATFORM_INFO), RD_STUB);
	v = rd_value();
	tap_ok(ok && v == PLATFORM_INFO_CPUID_FAULT,
	       "the guest reads PLATFORM_INFO by default (%#llx)", v);
	enable_cap(vm, KVM_CAP_MSR_PLATFORM_INFO, 0);
	tap_ok(took_gp(guest_rdmsr(MSR_PLATFORM_INFO)),
	       "KVM_CAP_MSR_PLATFORM_INFO 0: RDMSR is a #GP");
	enable_cap(vm, KVM_CAP_MSR_PLATFORM_INFO, 1);
	tap_ok(done(guest_rdmsr(MSR_PLATFORM_INFO), RD_STUB) &&
	       took_gp(guest_wrmsr(MSR_PLATFORM_INFO, PLATFORM_INFO_CPUID_FAULT)),
	       "... 1: readable again; the guest never writes it");

	ok = done(guest_wrmsr(MSR_MISC_FEATURES, 1), WR_STUB);
	enter(&g, CPUID_STUB, 0, 0, 0);
	tap_ok(ok && done(run_on(&g), CPUID_STUB),
	       "CPUID faulting on: CPUID in ring 0 still runs");
	tap_ok(took_gp(guest_wrmsr(MSR_MISC_FEATURES, 2)) &&
	       done(guest_wrmsr(MSR_MISC_FEATURES, 0), WR_STUB),
	       "MISC_FEATURES_ENABLES bit 1 is a #GP");

	tap_ok(done(guest_wrmsr(MSR_POWER_CTL, 0x1234), WR_STUB) &&
	       done(guest_rdmsr(MSR_POWER_CTL), RD_STUB) && rd_value() == 0x1234,
	       "the guest's POWER_CTL keeps what it writes");
	tap_ok(took_gp(guest_rdmsr(MSR_ARCH_CAP)) &&
	       took_gp(guest_rdmsr(MSR_PERF_CAP)),
	       "no ARCH_CAPABILITIES/PDCM in CPUID: RDMSR of them is a #GP");
	tap_ok(took_gp(guest_wrmsr(MSR_ARCH_CAP, 0)) &&
	       took_gp(guest_wrmsr(MSR_PERF_CAP, 0)),
	       "the guest never writes ARCH/PERF_CAPABILITIES");
}

/* 2 checks: a vCPU whose CPUID has ARCH_CAPABILITIES reads it. */
static void test_arch_cap_cpuid(void)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .hdr.nent = 100 };
	unsigned long long feat = 0;
	struct kvm_regs r;
	struct guest g2;
	bool has = false, ok;

	if (!ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid))
		for (unsigned int i = 0; i < cpuid.hdr.nent; i++)
			if (cpuid.e[i].function == 7 && !cpuid.e[i].index)
				has = cpuid.e[i].edx & (1u << 29);
	tap_ok(has, "KVM_GET_SUPPORTED_CPUID offers ARCH_CAPABILITIES");

	guest_create(&g2, kvm);
	guest_set_slot(&g2, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g2);
	get_msr(kvm, MSR_ARCH_CAP, &feat);
	if (ioctl(g2.vcpu, KVM_SET_CPUID2, &cpuid))
		tap_bail("KVM_SET_CPUID2: %m");
	ok = done_on(&g2, rdmsr_on(&g2, MSR_ARCH_CAP), RD_STUB, 2);
	r = regs_of(&g2);
	tap_ok(has && ok && (r.rax & 0xffffffffULL) == (__u32)feat &&
	       (r.rdx & 0xffffffffULL) == feat >> 32,
	       "with it in CPUID the guest reads the vCPU's value (%#llx)",
	       feat);
	guest_destroy(&g2);
}

#define CPL3_CODE	0x1040		/* cpuid; mov al, 1; out 0x10, al */
#define CPL3_HANDLER	0x1200		/* mov al, 2; out 0x10, al */
#define CPL3_GDT	0x3000
#define CPL3_IDT	0x4000

static void cpl3_segment(struct kvm_segment *sg, __u16 sel, __u8 type)
{
	memset(sg, 0, sizeof(*sg));
	sg->selector = sel;
	sg->limit = 0xffffffff;
	sg->type = type;
	sg->present = 1;
	sg->dpl = 3;
	sg->s = 1;
	sg->db = 1;
	sg->g = 1;
}

/*
 * A 32-bit guest in ring 3 runs CPUID; its #GP handler lives in a
 * conforming code segment, so it runs in ring 3 too (no TSS needed).
 * IOPL 3 lets both report with OUT: 1 after CPUID, 2 from the handler.
 */
static int cpl3_cpuid(void)
{
	__u64 *gdt = (__u64 *)(mem + CPL3_GDT), *idt = (__u64 *)(mem + CPL3_IDT);
	static const unsigned char code[] = { 0x0f, 0xa2, 0xb0, 0x01, 0xe6, 0x10 };
	static const unsigned char handler[] = { 0xb0, 0x02, 0xe6, 0x10 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(mem + CPL3_CODE, code, sizeof(code));
	memcpy(mem + CPL3_HANDLER, handler, sizeof(handler));
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;		/* ring 0 code */
	gdt[2] = 0x00cf93000000ffffULL;		/* ring 0 data */
	gdt[3] = 0x00cffb000000ffffULL;		/* ring 3 code */
	gdt[4] = 0x00cff3000000ffffULL;		/* ring 3 data */
	gdt[5] = 0x00cf9f000000ffffULL;		/* conforming code, DPL 0 */
	memset(idt, 0, 256 * 8);
	/* #GP: a present 32-bit interrupt gate to 0x28:CPL3_HANDLER. */
	idt[13] = CPL3_HANDLER | (0x28ULL << 16) | (0x8e00ULL << 32);

	if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	cpl3_segment(&sregs.cs, 0x1b, 0xb);
	cpl3_segment(&sregs.ds, 0x23, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = CPL3_GDT;
	sregs.gdt.limit = 6 * 8 - 1;
	sregs.idt.base = CPL3_IDT;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 = 0x31;			/* PE, ET, NE */
	sregs.efer = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CPL3_CODE;
	regs.rsp = STACK_TOP;
	regs.rflags = 0x3002;			/* IOPL 3 */
	if (ioctl(g.vcpu, KVM_SET_SREGS, &sregs) ||
	    ioctl(g.vcpu, KVM_SET_REGS, &regs))
		tap_bail("ring 3 set-up: %m");
	return guest_out_byte(&g);
}

/* 2 checks: CPUID faulting in ring 3. */
static void test_cpuid_faulting(void)
{
	int out;

	out = cpl3_cpuid();
	tap_ok(out == 1, "CPUID in ring 3 runs without faulting (out %d)", out);
	if (set_msr(g.vcpu, MSR_MISC_FEATURES, 1))
		tap_bail("MISC_FEATURES_ENABLES 1 refused");
	out = cpl3_cpuid();
	set_msr(g.vcpu, MSR_MISC_FEATURES, 0);
	tap_ok(out == 2, "with CPUID faulting, CPUID in ring 3 is a #GP (out %d)",
	       out);
}

/* Swaps two filters that agree on LSTAR until told to stop. */
static atomic_int swapping_done;
static atomic_long swaps;

static void *swapper(void *arg)
{
	struct kvm_msr_filter a = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = { .flags = KVM_MSR_FILTER_READ, .nmsrs = 1,
			       .base = MSR_BOGUS, .bitmap = deny_bits },
	};
	struct kvm_msr_filter b = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges[0] = { .flags = KVM_MSR_FILTER_READ |
				KVM_MSR_FILTER_WRITE,
			       .nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8,
			       .base = 0xc0000000, .bitmap = allow_all },
	};
	int vm = *(int *)arg;

	while (!atomic_load(&swapping_done)) {
		if (set_filter(vm, atomic_load(&swaps) & 1 ? &b : &a))
			break;
		atomic_fetch_add(&swaps, 1);
	}
	return NULL;
}

/* 1 check: the filter is replaced again and again while the guest runs. */
static void test_replace_while_running(void)
{
	pthread_t t;
	int vm = g.vm, exit;

	must_mask(REASON_FILTER);
	enter(&g, LOOP_STUB, MSR_LSTAR, 0, 0);
	{
		struct kvm_regs r = regs_of(&g);

		r.rsi = 5000;
		if (ioctl(g.vcpu, KVM_SET_REGS, &r))
			tap_bail("KVM_SET_REGS: %m");
	}
	if (pthread_create(&t, NULL, swapper, &vm))
		tap_bail("pthread_create");
	while (!atomic_load(&swaps))
		usleep(100);
	exit = run_on(&g);
	atomic_store(&swapping_done, 1);
	pthread_join(t, NULL);
	tap_ok(done_on(&g, exit, LOOP_STUB, 5),
	       "5000 RDMSRs of LSTAR while %ld filter swaps: no exit",
	       atomic_load(&swaps));
}

int main(void)
{
	struct kvm_sregs sregs;
	static const unsigned char stubs[][8] = {
		{ 0x0f, 0x32, 0xf4 },			/* rdmsr; hlt */
		{ 0x0f, 0x30, 0xf4 },			/* wrmsr; hlt */
		{ 0x0f, 0xa2, 0xf4 },			/* cpuid; hlt */
		/* 1: rdmsr; dec si; jnz 1b; hlt */
		{ 0x0f, 0x32, 0x4e, 0x75, 0xfb, 0xf4 },
	};

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	memset(allow_all, 0xff, sizeof(allow_all));

	test_api();					/* 16 */
	test_lists();					/* 3 */

	guest_create(&g, kvm);
	guest_add_vcpu(&g);
	/* No backend that runs guests (api_only boots): nothing more. */
	if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs) && errno == ENOTTY) {
		for (int i = 19; i < NR_CHECKS; i++)
			tap_skip("no backend runs guests", "MSR exit check %d",
				 i + 1);
		return tap_finish();
	}
	test_host_msrs();				/* 5 */

	mem = alloc_aligned(MEM_SIZE, MiB);
	for (unsigned int i = 0; i < ARRAY_SIZE(stubs); i++)
		memcpy(mem + RD_STUB + 0x10 * i, stubs[i], sizeof(stubs[i]));
	mem[GP_HANDLER] = 0xf4;				/* hlt */
	mem[13 * 4] = GP_HANDLER & 0xff;		/* IVT 13: #GP */
	mem[13 * 4 + 1] = GP_HANDLER >> 8;
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);

	test_exits();					/* 9 */
	test_filter();					/* 9 */
	test_guest_msrs();				/* 8 */
	test_arch_cap_cpuid();				/* 2 */
	test_replace_while_running();			/* 1 */
	test_cpuid_faulting();				/* 2 */
	return tap_finish();
}
