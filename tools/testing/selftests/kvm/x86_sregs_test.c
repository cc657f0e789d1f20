// SPDX-License-Identifier: GPL-2.0
/*
 * x86 vCPU register state: the reset state a new vCPU shows, KVM_GET/SET_REGS
 * round trips, and KVM_SET_SREGS refusing (EINVAL) control-register, EFER,
 * segment and APIC-base combinations no CPU can be in. Bad pointers: EFAULT.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define APIC_BASE_BSP	(1ULL << 8)
#define APIC_BASE_EN	(1ULL << 11)

static void test_reset_state(int vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (!expect_success(ioctl(vcpu, KVM_GET_REGS, &regs), "KVM_GET_REGS"))
		memset(&regs, 0, sizeof(regs));
	tap_ok(regs.rip == 0xfff0 && regs.rflags == 0x2,
	       "reset: RIP 0xfff0, RFLAGS 0x2 (got %#llx, %#llx)",
	       regs.rip, regs.rflags);
	tap_ok(regs.rdx == 0x600 && !regs.rax && !regs.rsp,
	       "reset: RDX 0x600 (P6 signature), RAX and RSP 0 (got %#llx)",
	       regs.rdx);

	if (!expect_success(ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS"))
		memset(&sregs, 0, sizeof(sregs));
	tap_ok(sregs.cs.selector == 0xf000 && sregs.cs.base == 0xffff0000 &&
	       sregs.cs.limit == 0xffff,
	       "reset: CS f000:ffff0000 limit ffff (got %x:%llx %x)",
	       sregs.cs.selector, sregs.cs.base, sregs.cs.limit);
	tap_ok(sregs.ds.base == 0 && sregs.ds.limit == 0xffff &&
	       sregs.ds.present && sregs.ds.s && sregs.ds.type == 3,
	       "reset: DS base 0 limit ffff, present data segment");
	tap_ok(sregs.cr0 == (CR0_CD | CR0_NW | CR0_ET) && !sregs.cr4 &&
	       !sregs.efer && !sregs.cr3,
	       "reset: CR0 0x60000010, CR3/CR4/EFER 0 (got cr0 %#llx)",
	       sregs.cr0);
	tap_ok(sregs.gdt.limit == 0xffff && sregs.idt.limit == 0xffff,
	       "reset: GDTR and IDTR limit ffff");
}

static void test_regs_roundtrip(int vcpu)
{
	struct kvm_regs in, out;

	memset(&in, 0, sizeof(in));
	in.rax = 0x1111; in.rbx = 0x2222; in.r15 = 0xf15;
	in.rip = 0x1000; in.rflags = 0x202; in.rsp = 0x8000;
	expect_success(ioctl(vcpu, KVM_SET_REGS, &in), "KVM_SET_REGS");
	expect_success(ioctl(vcpu, KVM_GET_REGS, &out), "KVM_GET_REGS after SET");
	tap_ok(!memcmp(&in, &out, sizeof(in)), "KVM_GET_REGS returns what was set");
	expect_errno(ioctl(vcpu, KVM_SET_REGS, (void *)8), EFAULT,
		     "KVM_SET_REGS from a bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_GET_REGS, (void *)8), EFAULT,
		     "KVM_GET_REGS to a bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_GET_SREGS, (void *)8), EFAULT,
		     "KVM_GET_SREGS to a bad pointer -> EFAULT");
	expect_errno(ioctl(vcpu, KVM_SET_SREGS, (void *)8), EFAULT,
		     "KVM_SET_SREGS from a bad pointer -> EFAULT");
}

/* Long mode as the upstream selftest library sets it up. */
static void make_long_mode(struct kvm_sregs *s)
{
	s->cr0 = CR0_PE | CR0_NE | CR0_PG;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
	s->cr3 = 0x100000;
	s->cs.l = 1;
	s->cs.db = 0;
}

static void expect_bad_sregs(int vcpu, const struct kvm_sregs *base,
			     void (*mutate)(struct kvm_sregs *s),
			     const char *what)
{
	struct kvm_sregs s = *base;

	mutate(&s);
	expect_errno(ioctl(vcpu, KVM_SET_SREGS, &s), EINVAL,
		     "KVM_SET_SREGS with %s -> EINVAL", what);
}

static void cr0_high(struct kvm_sregs *s) { s->cr0 |= 1ULL << 32; }
static void cr0_nw_no_cd(struct kvm_sregs *s) { s->cr0 = CR0_NW | CR0_ET; }
static void cr0_pg_no_pe(struct kvm_sregs *s) { s->cr0 = CR0_PG | CR0_ET; }
static void cr4_rsvd(struct kvm_sregs *s) { s->cr4 |= 1ULL << 63; }
static void lma_alone(struct kvm_sregs *s) { s->efer = EFER_LMA; }
static void cs_l_real(struct kvm_sregs *s) { s->cs.l = 1; }
static void lm_no_pae(struct kvm_sregs *s) { make_long_mode(s); s->cr4 = 0; }
static void lm_no_lma(struct kvm_sregs *s) { make_long_mode(s); s->efer = EFER_LME; }
static void lm_cr3_high(struct kvm_sregs *s) { make_long_mode(s); s->cr3 = 1ULL << 62; }
static void apic_rsvd(struct kvm_sregs *s) { s->apic_base |= 1ULL << 9; }

static void test_sregs(int vcpu)
{
	struct kvm_sregs base, s, out;

	if (!expect_success(ioctl(vcpu, KVM_GET_SREGS, &base),
			    "KVM_GET_SREGS for the validation base"))
		memset(&base, 0, sizeof(base));

	expect_bad_sregs(vcpu, &base, cr0_high, "CR0 bit 32 set");
	expect_bad_sregs(vcpu, &base, cr0_nw_no_cd, "CR0.NW without CR0.CD");
	expect_bad_sregs(vcpu, &base, cr0_pg_no_pe, "CR0.PG without CR0.PE");
	expect_bad_sregs(vcpu, &base, cr4_rsvd, "CR4 bit 63 set");
	expect_bad_sregs(vcpu, &base, lma_alone, "EFER.LMA outside long mode");
	expect_bad_sregs(vcpu, &base, cs_l_real, "CS.L outside long mode");
	expect_bad_sregs(vcpu, &base, lm_no_pae, "long mode without CR4.PAE");
	expect_bad_sregs(vcpu, &base, lm_no_lma, "EFER.LME+CR0.PG without EFER.LMA");
	expect_bad_sregs(vcpu, &base, lm_cr3_high, "CR3 beyond MAXPHYADDR in long mode");
	expect_bad_sregs(vcpu, &base, apic_rsvd, "APIC base reserved bit 9");

	/* The state the upstream selftest library uses must be accepted. */
	s = base;
	make_long_mode(&s);
	expect_success(ioctl(vcpu, KVM_SET_SREGS, &s), "KVM_SET_SREGS into long mode");
	memset(&out, 0, sizeof(out));
	expect_success(ioctl(vcpu, KVM_GET_SREGS, &out), "KVM_GET_SREGS in long mode");
	tap_ok(out.cr0 == s.cr0 && out.cr4 == s.cr4 && out.efer == s.efer &&
	       out.cr3 == s.cr3 && out.cs.l == 1,
	       "long-mode CR0/CR3/CR4/EFER/CS.L read back (cr0 %#llx efer %#llx)",
	       out.cr0, out.efer);

	/* And back to the reset state. */
	expect_success(ioctl(vcpu, KVM_SET_SREGS, &base), "KVM_SET_SREGS back to reset state");
}

/*
 * A vCPU in x2APIC mode (APIC_BASE.EXTD | EN), as a migrated Linux guest
 * is: its KVM_SET_SREGS and KVM_SET_SREGS2 must be taken with the
 * in-kernel LAPIC and X2APIC in the vCPU's CPUID, whether or not the host
 * has x2APIC (QEMU's TCG, the test platform, has none). EXTD without EN
 * stays invalid.
 */
static void test_x2apic_base(int kvm)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .c.nent = 100 };
	struct kvm_sregs2 s2, out2;
	struct kvm_sregs s, out;
	int vm = create_vm(kvm), vcpu;
	bool ok;

	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
		tap_skip("no in-kernel irqchip", "x2APIC base: KVM_SET_SREGS");
		tap_skip("no in-kernel irqchip", "x2APIC base: KVM_SET_SREGS2");
		tap_skip("no in-kernel irqchip", "x2APIC base: EXTD without EN");
		close(vm);
		return;
	}
	vcpu = create_vcpu(vm, 0);
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) ||
	    ioctl(vcpu, KVM_SET_CPUID2, &cpuid))
		tap_bail("KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2: %m");
	memset(&s, 0, sizeof(s));
	memset(&out, 0, sizeof(out));
	ioctl(vcpu, KVM_GET_SREGS, &s);
	s.apic_base |= 0xc00;			/* EN | EXTD */
	ok = !ioctl(vcpu, KVM_SET_SREGS, &s) &&
	     !ioctl(vcpu, KVM_GET_SREGS, &out);
	tap_ok(ok && out.apic_base == s.apic_base,
	       "x2APIC base: KVM_SET_SREGS takes EN|EXTD and reads it back (%#llx)",
	       (unsigned long long)out.apic_base);
	memset(&s2, 0, sizeof(s2));
	memset(&out2, 0, sizeof(out2));
	ioctl(vcpu, KVM_GET_SREGS2, &s2);
	ok = !ioctl(vcpu, KVM_SET_SREGS2, &s2) &&
	     !ioctl(vcpu, KVM_GET_SREGS2, &out2);
	tap_ok(ok && out2.apic_base == s2.apic_base && (s2.apic_base & 0x400),
	       "x2APIC base: KVM_SET_SREGS2 round trip in x2APIC mode (%#llx)",
	       (unsigned long long)out2.apic_base);
	s.apic_base &= ~0x800ULL;		/* EXTD alone */
	expect_errno(ioctl(vcpu, KVM_SET_SREGS, &s), EINVAL,
		     "x2APIC base: EXTD without EN -> EINVAL");
	close(vcpu);
	close(vm);
}

int main(void)
{
	int kvm, vm, vcpu;

	tap_plan(33);
	kvm = open_kvm();
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);

	test_reset_state(vcpu);
	test_regs_roundtrip(vcpu);
	test_sregs(vcpu);
	test_x2apic_base(kvm);

	close(vcpu);
	close(vm);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "x86 register state");
	return tap_finish();
}

#endif
