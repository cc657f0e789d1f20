// SPDX-License-Identifier: GPL-2.0
/*
 * The rest of what QEMU 7.2's KVM accelerator asks for at start-up:
 * KVM_GET/SET_SREGS2 (real mode round trip, bad flags, PDPTEs only with
 * PAE paging, which GET reports from the guest's CR3), the /dev/kvm
 * attributes of KVM_CAP_SYS_ATTRIBUTES (KVM_X86_XCOMP_GUEST_SUPP),
 * KVM_CAP_X86_DISABLE_EXITS (with HLT left to the guest a HLT no longer
 * exits: only a signal ends KVM_RUN), the TSC-deadline and robust
 * single-step capabilities, and the CPUID bits QEMU checks (x2APIC,
 * KVM_FEATURE_NOP_IO_DELAY).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <asm/kvm_para.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define PDPT_GPA	0x4000		/* 32-byte aligned, below 4 GiB */
#define BAD_PTR		((void *)8)

#define NR_CHECKS	36

/*
 * 16-bit code at CODE_GPA: sti; 1: hlt; jmp 1b. IF set: under Bochs 2.7 a
 * VMX guest halted with IF clear is never woken by the host's interrupts
 * (the test VM hung there on the stock kvm-intel); real CPUs exit either way.
 */
static const unsigned char hlt_loop[] = { 0xfb, 0xf4, 0xeb, 0xfd };

/* Four present PAE page-directory-pointer entries, no reserved bits. */
static const __u64 pdptes[4] = { 0x10001, 0x11001, 0x12001, 0x13001 };

static unsigned char *mem;

/* The part of struct kvm_sregs2 that struct kvm_sregs has too. */
#define SREGS_COMMON	offsetof(struct kvm_sregs2, flags)

/* 15 checks. */
static void test_sregs2(int kvm)
{
	struct kvm_sregs2 s2, t2;
	struct kvm_sregs s;
	struct guest g;
	int r;

	tap_ok(check_cap(kvm, KVM_CAP_SREGS2) > 0, "KVM_CAP_SREGS2 > 0");
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);

	memset(&s2, 0xaa, sizeof(s2));
	r = ioctl(g.vcpu, KVM_GET_SREGS2, &s2);
	tap_ok(!r && s2.flags == 0 && !(s2.cr0 & CR0_PE),
	       "GET_SREGS2 at reset (real mode): flags 0 (%d, %#llx)", r,
	       (unsigned long long)s2.flags);
	memset(&s, 0, sizeof(s));
	ioctl(g.vcpu, KVM_GET_SREGS, &s);
	tap_ok(!memcmp(&s, &s2, SREGS_COMMON),
	       "GET_SREGS2 agrees with GET_SREGS up to APIC base");
	s2.ds.selector = 0x1234;
	s2.ds.base = 0x12340;
	expect_success(ioctl(g.vcpu, KVM_SET_SREGS2, &s2),
		       "SET_SREGS2 with a new DS, flags 0");
	memset(&t2, 0, sizeof(t2));
	r = ioctl(g.vcpu, KVM_GET_SREGS2, &t2);
	tap_ok(!r && !memcmp(&s2, &t2, sizeof(s2)),
	       "GET_SREGS2 returns what SET_SREGS2 set");
	t2.flags = 2;
	expect_errno(ioctl(g.vcpu, KVM_SET_SREGS2, &t2), EINVAL,
		     "SET_SREGS2 with flags 2 -> EINVAL");
	t2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	memcpy(t2.pdptrs, pdptes, sizeof(pdptes));
	expect_errno(ioctl(g.vcpu, KVM_SET_SREGS2, &t2), EINVAL,
		     "SET_SREGS2 with PDPTRS_VALID in real mode -> EINVAL");
	expect_errno(ioctl(g.vcpu, KVM_GET_SREGS2, NULL), EFAULT,
		     "GET_SREGS2 to NULL -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_SET_SREGS2, NULL), EFAULT,
		     "SET_SREGS2 from NULL -> EFAULT");

	/* 32-bit protected mode without paging: still no PDPTEs. */
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, 0x8000))
		tap_bail("KVM_SET_SREGS: %m");
	memset(&t2, 0, sizeof(t2));
	r = ioctl(g.vcpu, KVM_GET_SREGS2, &t2);
	tap_ok(!r && t2.flags == 0 && (t2.cr0 & CR0_PE),
	       "32-bit protected mode without paging: flags 0");
	t2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	memcpy(t2.pdptrs, pdptes, sizeof(pdptes));
	expect_errno(ioctl(g.vcpu, KVM_SET_SREGS2, &t2), EINVAL,
		     "SET_SREGS2 with PDPTRS_VALID without paging -> EINVAL");

	/* 32-bit PAE paging: CR3 at four PDPTEs in guest memory. */
	memcpy(mem + PDPT_GPA, pdptes, sizeof(pdptes));
	memset(&s, 0, sizeof(s));
	r = ioctl(g.vcpu, KVM_GET_SREGS, &s);
	s.cr0 |= CR0_PG;
	s.cr4 |= CR4_PAE;
	s.cr3 = PDPT_GPA;
	s.efer = 0;
	tap_ok(!r && !ioctl(g.vcpu, KVM_SET_SREGS, &s),
	       "KVM_SET_SREGS: 32-bit PAE paging, CR3 %#x", PDPT_GPA);
	memset(&t2, 0, sizeof(t2));
	r = ioctl(g.vcpu, KVM_GET_SREGS2, &t2);
	tap_ok(!r && t2.flags == KVM_SREGS2_FLAGS_PDPTRS_VALID &&
	       !memcmp(t2.pdptrs, pdptes, sizeof(pdptes)),
	       "GET_SREGS2: PDPTRS_VALID and the four PDPTEs (%#llx %#llx %#llx %#llx)",
	       (unsigned long long)t2.pdptrs[0], (unsigned long long)t2.pdptrs[1],
	       (unsigned long long)t2.pdptrs[2], (unsigned long long)t2.pdptrs[3]);
	expect_success(ioctl(g.vcpu, KVM_SET_SREGS2, &t2),
		       "SET_SREGS2 with PDPTRS_VALID in PAE paging -> 0");
	memset(&s2, 0, sizeof(s2));
	r = ioctl(g.vcpu, KVM_GET_SREGS2, &s2);
	tap_ok(!r && !memcmp(&s2, &t2, sizeof(s2)),
	       "and GET_SREGS2 returns it unchanged");
	guest_destroy(&g);
}

/* 9 checks: attributes of /dev/kvm. */
static void test_sys_attr(int kvm)
{
	struct kvm_device_attr a = { .group = 0, .attr = KVM_X86_XCOMP_GUEST_SUPP };
	struct kvm_cpuid_entry2 *e;
	struct guest_cpuid cpuid;
	__u64 xcr0 = 0, leaf_d = ~0ULL;
	int r;

	tap_ok(check_cap(kvm, KVM_CAP_SYS_ATTRIBUTES) > 0,
	       "KVM_CAP_SYS_ATTRIBUTES > 0");
	expect_success(ioctl(kvm, KVM_HAS_DEVICE_ATTR, &a),
		       "HAS_DEVICE_ATTR(0, KVM_X86_XCOMP_GUEST_SUPP) -> 0");
	a.group = 1;
	expect_errno(ioctl(kvm, KVM_HAS_DEVICE_ATTR, &a), ENXIO,
		     "HAS_DEVICE_ATTR group 1 -> ENXIO");
	a.group = 0;
	a.attr = 99;
	expect_errno(ioctl(kvm, KVM_HAS_DEVICE_ATTR, &a), ENXIO,
		     "HAS_DEVICE_ATTR attr 99 -> ENXIO");
	a.addr = (uintptr_t)&xcr0;
	expect_errno(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), ENXIO,
		     "GET_DEVICE_ATTR attr 99 -> ENXIO");
	a.attr = KVM_X86_XCOMP_GUEST_SUPP;
	r = ioctl(kvm, KVM_GET_DEVICE_ATTR, &a);
	tap_ok(!r && (xcr0 & 3) == 3,
	       "GET_DEVICE_ATTR(XCOMP_GUEST_SUPP): x87 and SSE (%#llx)",
	       (unsigned long long)xcr0);
	guest_supported_cpuid(kvm, &cpuid);
	e = guest_cpuid_entry(&cpuid, 0xd, 0);
	if (e)
		leaf_d = e->eax | ((__u64)e->edx << 32);
	tap_ok(xcr0 == leaf_d,
	       "... the XCR0 bits of KVM_GET_SUPPORTED_CPUID leaf 0xd (%#llx)",
	       (unsigned long long)leaf_d);
	a.addr = (uintptr_t)BAD_PTR;
	expect_errno(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), EFAULT,
		     "GET_DEVICE_ATTR to a bad address -> EFAULT");
	expect_errno(ioctl(kvm, KVM_HAS_DEVICE_ATTR, NULL), EFAULT,
		     "HAS_DEVICE_ATTR from NULL -> EFAULT");
}

/* A VM without an irqchip (HLT left to the guest when hlt_in_guest). */
static void hlt_guest(struct guest *g, int kvm, bool hlt_in_guest)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_DISABLE_EXITS,
		.args[0] = KVM_X86_DISABLE_EXITS_HLT,
	};

	guest_create(g, kvm);
	if (hlt_in_guest && ioctl(g->vm, KVM_ENABLE_CAP, &cap))
		tap_diag("KVM_ENABLE_CAP(X86_DISABLE_EXITS, HLT): %m");
	guest_set_slot(g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(g);
	guest_real_mode(g, CODE_GPA);
}

/* 6 checks. */
static void test_disable_exits(int kvm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS };
	long caps = check_cap(kvm, KVM_CAP_X86_DISABLE_EXITS);
	struct guest g;
	int r;

	tap_ok((caps & KVM_X86_DISABLE_EXITS_HLT) &&
	       (caps & KVM_X86_DISABLE_EXITS_PAUSE),
	       "KVM_CAP_X86_DISABLE_EXITS has HLT and PAUSE (%#lx)", caps);
	guest_create(&g, kvm);
	cap.args[0] = 1 << 5;
	expect_errno(ioctl(g.vm, KVM_ENABLE_CAP, &cap), EINVAL,
		     "ENABLE_CAP(X86_DISABLE_EXITS) with bit 5 -> EINVAL");
	cap.args[0] = KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE;
	expect_success(ioctl(g.vm, KVM_ENABLE_CAP, &cap),
		       "ENABLE_CAP(X86_DISABLE_EXITS) with HLT | PAUSE -> 0");
	guest_destroy(&g);

	memcpy(mem + CODE_GPA, hlt_loop, sizeof(hlt_loop));
	hlt_guest(&g, kvm, false);
	tap_ok(guest_run_exit(&g, KVM_EXIT_HLT),
	       "without it, a guest HLT exits KVM_EXIT_HLT");
	guest_destroy(&g);

	hlt_guest(&g, kvm, true);
	guest_alarm_ms(300);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	guest_alarm_ms(0);
	tap_ok(r == -1 && errno == EINTR,
	       "with HLT left to the guest, only a signal ends KVM_RUN: EINTR (%d, %s)",
	       r, r ? "" : guest_exit_name(g.run->exit_reason));
	tap_ok(g.run->exit_reason == KVM_EXIT_INTR,
	       "... with KVM_EXIT_INTR (%s)", guest_exit_name(g.run->exit_reason));
	guest_destroy(&g);
}

/* 6 checks. */
static void test_caps_cpuid(int kvm)
{
	struct kvm_cpuid_entry2 *leaf1, *leaf_pv;
	struct guest_cpuid cpuid;
	__u32 ecx1, eax_pv;

	tap_ok(check_cap(kvm, KVM_CAP_TSC_DEADLINE_TIMER) > 0,
	       "KVM_CAP_TSC_DEADLINE_TIMER > 0");
	tap_ok(check_cap(kvm, KVM_CAP_X86_ROBUST_SINGLESTEP) > 0,
	       "KVM_CAP_X86_ROBUST_SINGLESTEP > 0");
	guest_supported_cpuid(kvm, &cpuid);
	leaf1 = guest_cpuid_entry(&cpuid, 1, 0);
	leaf_pv = guest_cpuid_entry(&cpuid, 0x40000001, 0);
	tap_ok(leaf1 && leaf_pv, "KVM_GET_SUPPORTED_CPUID has leaves 1 and 0x40000001");
	ecx1 = leaf1 ? leaf1->ecx : 0;
	eax_pv = leaf_pv ? leaf_pv->eax : 0;
	tap_ok(ecx1 & (1U << 21), "leaf 1 ECX: X2APIC (bit 21) (%#x)", ecx1);
	tap_ok(eax_pv & (1U << KVM_FEATURE_NOP_IO_DELAY),
	       "leaf 0x40000001 EAX: KVM_FEATURE_NOP_IO_DELAY (%#x)", eax_pv);
	tap_ok(eax_pv & (1U << KVM_FEATURE_CLOCKSOURCE2),
	       "leaf 0x40000001 EAX: still KVM_FEATURE_CLOCKSOURCE2 (%#x)",
	       eax_pv);
}

int main(void)
{
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!guest_backend_runs(kvm))
		return tap_skip_rest("no backend runs guests");
	mem = alloc_aligned(MEM_SIZE, MiB);

	test_sregs2(kvm);		/* 15 */
	test_sys_attr(kvm);		/* 9 */
	test_disable_exits(kvm);	/* 6 */
	test_caps_cpuid(kvm);		/* 6 */

	munmap(mem, MEM_SIZE);
	close(kvm);
	return tap_finish();
}
