// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID ioctls: KVM_GET_SUPPORTED_CPUID (sizes, E2BIG, the leaves the
 * upstream selftest library relies on), KVM_SET_CPUID2 / KVM_GET_CPUID2
 * (round trip, E2BIG, EINVAL for impossible address widths, EFAULT).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"

#if defined(__x86_64__)

#define MAX_ENTRIES	256

static struct kvm_cpuid2 *cpuid_alloc(unsigned int nent)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	if (!c)
		tap_bail("out of memory");
	c->nent = nent;
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, __u32 fn)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static bool same_leaves(struct kvm_cpuid2 *a, struct kvm_cpuid2 *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *x = &a->entries[i], *y = &b->entries[i];
		bool fixed = x->function == 0 || x->function >= 0x40000000;

		if (x->function != y->function || x->index != y->index ||
		    (fixed && memcmp(x, y, sizeof(*x)))) {
			tap_diag("entry %u: set %#x/%u %x %x %x %x, got %#x/%u %x %x %x %x",
				 i, x->function, x->index, x->eax, x->ebx, x->ecx, x->edx,
				 y->function, y->index, y->eax, y->ebx, y->ecx, y->edx);
			return false;
		}
	}
	return true;
}

static struct kvm_cpuid2 *test_supported(int kvm)
{
	struct kvm_cpuid2 *c = cpuid_alloc(MAX_ENTRIES), *small = cpuid_alloc(1);
	struct kvm_cpuid_entry2 *e;
	__u32 vbits = 0;

	small->nent = 0;
	expect_errno(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, small), E2BIG,
		     "KVM_GET_SUPPORTED_CPUID nent 0 -> E2BIG");
	small->nent = 1;
	expect_errno(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, small), E2BIG,
		     "KVM_GET_SUPPORTED_CPUID nent 1 -> E2BIG");
	free(small);
	expect_errno(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, (void *)8), EFAULT,
		     "KVM_GET_SUPPORTED_CPUID bad pointer -> EFAULT");

	if (!expect_success(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c),
			    "KVM_GET_SUPPORTED_CPUID nent %d", MAX_ENTRIES))
		c->nent = 0;
	tap_ok(c->nent > 2 && c->nent <= MAX_ENTRIES, "nent %u is plausible", c->nent);
	e = find(c, 0);
	tap_ok(e && e->eax >= 1, "leaf 0 present, max basic leaf >= 1");
	e = find(c, 1);
	tap_ok(e && e->edx, "leaf 1 present with features");
	e = find(c, 0x40000000);
	tap_ok(e && e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 && e->edx == 0x4d,
	       "leaf 0x40000000 carries the KVMKVMKVM signature");
	e = find(c, 0x80000008);
	if (e)
		vbits = (e->eax >> 8) & 0xff;
	tap_ok(vbits == 48 || vbits == 57,
	       "leaf 0x80000008 gives 48 or 57 virtual address bits (got %u)", vbits);
	return c;
}

static void test_set_get(int vcpu, struct kvm_cpuid2 *sup)
{
	struct kvm_cpuid2 *big = cpuid_alloc(MAX_ENTRIES + 1);
	struct kvm_cpuid2 *out = cpuid_alloc(MAX_ENTRIES), *bad;
	struct kvm_cpuid_entry2 *e;
	unsigned int n = sup->nent;

	expect_errno(ioctl(vcpu, KVM_SET_CPUID2, big), E2BIG,
		     "KVM_SET_CPUID2 with %d entries -> E2BIG", MAX_ENTRIES + 1);
	free(big);
	expect_errno(ioctl(vcpu, KVM_SET_CPUID2, (void *)8), EFAULT,
		     "KVM_SET_CPUID2 bad pointer -> EFAULT");

	expect_success(ioctl(vcpu, KVM_SET_CPUID2, sup), "KVM_SET_CPUID2 (supported table)");
	out->nent = 0;
	expect_errno(ioctl(vcpu, KVM_GET_CPUID2, out), E2BIG,
		     "KVM_GET_CPUID2 nent 0 -> E2BIG");
	out->nent = MAX_ENTRIES;
	expect_success(ioctl(vcpu, KVM_GET_CPUID2, out), "KVM_GET_CPUID2");
	/*
	 * Deliberate difference: stock 6.1 leaves nent as the caller gave it
	 * on success (it only writes nent back on failure, where the copy
	 * back never happens); ours reports the table's size.
	 */
	if (kvm_is_ours())
		tap_ok(out->nent == n, "KVM_GET_CPUID2 sets nent to %u (got %u)", n, out->nent);
	else
		tap_ok(out->nent == MAX_ENTRIES, "stock KVM_GET_CPUID2 leaves nent alone (%u)",
		       out->nent);
	/*
	 * Stock adjusts run-time bits (OSXSAVE, XSAVE sizes, APIC ids) as it
	 * stores the table: compare the leaves, and the registers of leaves
	 * with no run-time state.
	 */
	tap_ok(same_leaves(sup, out, n),
	       "KVM_GET_CPUID2 returns the %u leaves that were set", n);

	/* Only 4- and 5-level paging exist: 40 virtual address bits can't. */
	bad = cpuid_alloc(n);
	memcpy(bad->entries, sup->entries, n * sizeof(sup->entries[0]));
	e = find(bad, 0x80000008);
	if (e) {
		e->eax = (e->eax & ~0xff00u) | (40u << 8);
		expect_errno(ioctl(vcpu, KVM_SET_CPUID2, bad), EINVAL,
			     "KVM_SET_CPUID2 with 40 virtual address bits -> EINVAL");
	} else {
		tap_ok(false, "no leaf 0x80000008 to corrupt");
	}
	free(bad);
	free(out);
}

int main(void)
{
	struct kvm_cpuid2 *sup;
	int kvm, vm, vcpu;

	tap_plan(18);
	kvm = open_kvm();
	tap_ok(check_cap(kvm, KVM_CAP_EXT_CPUID) > 0, "KVM_CAP_EXT_CPUID");
	sup = test_supported(kvm);
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	test_set_get(vcpu, sup);
	free(sup);
	close(vcpu);
	close(vm);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "CPUID ioctls");
	return tap_finish();
}

#endif
