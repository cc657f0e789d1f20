// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual features and quirks: the capabilities (DISABLE_QUIRKS2's
 * mask, ENFORCE_PV_FEATURE_CPUID, their bad arguments), the KVM CPUID
 * features and MSR_KVM_STEAL_TIME in the MSR list; a 32-bit guest that
 * makes hypercalls with VMMCALL (an unknown number, VAPIC_POLL_IRQ,
 * SCHED_YIELD, KICK_CPU, a bad SEND_IPI), with VMCALL (patched into
 * VMMCALL under KVM_X86_QUIRK_FIX_HYPERCALL_INSN), runs MONITOR/MWAIT
 * (NOPs) and reads MSR_KVM_STEAL_TIME, whose record the host watches move
 * from one KVM_RUN to the next; then, in a second VM with the quirks off
 * and the PV features enforced with an empty KVM leaf, the same VMCALL,
 * MONITOR and MWAIT raise #UD, hypercalls give -KVM_ENOSYS and the PV
 * MSRs #GP; last, MISC_ENABLE.MWAIT drives CPUID.1:ECX.MWAIT only with
 * KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT off.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define GDT_GPA		0x3000
#define IDT_GPA		0x4000
#define ST_GPA		0x5000
#define STACK_TOP	0x8000

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define MSR_KVM_STEAL_TIME	0x4b564d03
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_MWAIT	(1ULL << 18)
#define CPUID_MWAIT		(1U << 3)

#define QUIRK_LINT0		(1ULL << 0)
#define QUIRK_MMIO_HOLE		(1ULL << 2)
#define QUIRK_OUT_7E		(1ULL << 3)
#define QUIRK_NO_MWAIT		(1ULL << 4)
#define QUIRK_FIX_HC		(1ULL << 5)
#define QUIRK_MWAIT_NO_UD	(1ULL << 6)

#define ALL_QUIRKS	(QUIRK_LINT0 | QUIRK_MMIO_HOLE | QUIRK_OUT_7E | \
			 QUIRK_NO_MWAIT | \
			 QUIRK_FIX_HC | QUIRK_MWAIT_NO_UD)

/* STEAL_TIME, PV_UNHALT, PV_SEND_IPI, PV_SCHED_YIELD. */
#define PV_FEATURES		((1U << 5) | (1U << 7) | (1U << 11) | (1U << 13))

#define KVM_ENOSYS	1000
#define KVM_EINVAL	22

struct steal_time {
	uint64_t steal;
	uint32_t version;
	uint32_t flags;
	uint8_t preempted;
	uint8_t pad[47];
};

/*
 * pv_main: each result is in EAX at the OUT that follows. pv_strict: the
 * same with #UD (OUT 0x20, step over 3 bytes) and #GP (OUT 0x21, step
 * over the 2-byte RDMSR/WRMSR) handlers.
 */
extern const uint8_t pv_start[], pv_end[], pv_main[], pv_strict[],
	pv_patch1[], pv_patch2[], pv_ud[], pv_gp[], pv_out7e1[], pv_out7e2[],
	pv_kicker[], pv_sleeper[], pv_hole[], pv_user[];
asm(".pushsection .rodata\n"
    ".code32\n"
    "pv_start:\n"
    "pv_main:\n"
    "	mov $0xffff, %eax\n"		/* unknown */
    "	vmmcall\n"
    "	out %al, $0x10\n"
    "	mov $1, %eax\n"			/* VAPIC_POLL_IRQ */
    "	vmmcall\n"
    "	out %al, $0x11\n"
    "	mov $11, %eax\n"		/* SCHED_YIELD */
    "	xor %ebx, %ebx\n"
    "	vmmcall\n"
    "	out %al, $0x12\n"
    "	mov $5, %eax\n"			/* KICK_CPU, APIC id 0 */
    "	xor %ebx, %ebx\n"
    "	xor %ecx, %ecx\n"
    "	vmmcall\n"
    "	out %al, $0x13\n"
    "	mov $10, %eax\n"		/* SEND_IPI, logical: bad */
    "	mov $1, %ebx\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $0x800, %esi\n"
    "	vmmcall\n"
    "	out %al, $0x14\n"
    "	mov $1, %eax\n"
    "pv_patch1:\n"
    "	vmcall\n"
    "	out %al, $0x15\n"
    "	mov $0x1000, %eax\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	monitor\n"
    "	mwait\n"
    "	mov $0x4b564d03, %ecx\n"
    "	rdmsr\n"
    "	out %al, $0x16\n"
    "pv_out7e1:\n"
    "	out %al, $0x7e\n"
    "	out %al, $0x17\n"
    "	hlt\n"
    "pv_strict:\n"
    "	mov $11, %eax\n"		/* SCHED_YIELD, withheld */
    "	xor %ebx, %ebx\n"
    "	vmmcall\n"
    "	out %al, $0x10\n"
    "	mov $1, %eax\n"			/* VAPIC_POLL_IRQ: never withheld */
    "	vmmcall\n"
    "	out %al, $0x11\n"
    "	mov $1, %eax\n"
    "pv_patch2:\n"
    "	vmcall\n"
    "	out %al, $0x12\n"
    "	mov $0x1000, %eax\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	monitor\n"
    "	mwait\n"
    "	out %al, $0x13\n"
    "	mov $0x4b564d03, %ecx\n"
    "	rdmsr\n"
    "	mov $0x4b564d01, %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	out %al, $0x14\n"
    "pv_out7e2:\n"
    "	out %al, $0x7e\n"
    "	hlt\n"
    /* With an irqchip: SEND_IPI of vector 0x40 to APIC id 1, KICK_CPU 1. */
    "pv_kicker:\n"
    "	mov $10, %eax\n"
    "	mov $2, %ebx\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $0x40, %esi\n"
    "	vmmcall\n"
    "	out %al, $0x30\n"
    "	mov $5, %eax\n"
    "	xor %ebx, %ebx\n"
    "	mov $1, %ecx\n"
    "	vmmcall\n"
    "	out %al, $0x31\n"
    "	hlt\n"
    /* Kicked before it halts: the HLT returns at once. */
    "pv_sleeper:\n"
    "	cli\n"
    "	hlt\n"
    "	out %al, $0x32\n"
    "	hlt\n"
    /* Reads the LAPIC page's ID register. */
    "pv_hole:\n"
    "	mov 0xfee00020, %eax\n"
    "	out %al, $0x40\n"
    "	hlt\n"
    /* Started in ring 3 with IOPL 3. */
    "pv_user:\n"
    "	mov $1, %eax\n"
    "	vmmcall\n"
    "	out %al, $0x50\n"
    "1:	jmp 1b\n"
    "pv_ud:\n"
    "	addl $3, (%esp)\n"
    "	out %al, $0x20\n"
    "	iret\n"
    "pv_gp:\n"
    "	add $4, %esp\n"
    "	addl $2, (%esp)\n"
    "	out %al, $0x21\n"
    "	iret\n"
    "pv_end:\n"
    ".code64\n"
    ".popsection\n");

#define GUEST_ADDR(label)	((uint64_t)(CODE_GPA + (label - pv_start)))

#define NR_CHECKS	51

static const uint8_t vmcall_insn[3] = { 0x0f, 0x01, 0xc1 };
static const uint8_t vmmcall_insn[3] = { 0x0f, 0x01, 0xd9 };

/*
 * The code above is written for AMD: VMMCALL is the native hypercall,
 * VMCALL the other vendor's, which FIX_HYPERCALL_INSN rewrites. On Intel
 * the roles swap: load_code() swaps the two in the guest's copy.
 */
static const uint8_t *native_insn = vmmcall_insn;
static const uint8_t *foreign_insn = vmcall_insn;

static void load_code(uint8_t *dst)
{
	size_t len = pv_end - pv_start;

	memcpy(dst, pv_start, len);
	if (!guest_host_intel())
		return;
	native_insn = vmcall_insn;
	foreign_insn = vmmcall_insn;
	for (size_t i = 0; i + 3 <= len; i++) {
		if (dst[i] != 0x0f || dst[i + 1] != 0x01)
			continue;
		if (dst[i + 2] == 0xc1)
			dst[i + 2] = 0xd9;
		else if (dst[i + 2] == 0xd9)
			dst[i + 2] = 0xc1;
	}
}

static struct kvm_cpuid2 *supported;

static long enable_cap(int fd, uint32_t cap, uint64_t arg, uint32_t flags)
{
	struct kvm_enable_cap c;

	memset(&c, 0, sizeof(c));
	c.cap = cap;
	c.flags = flags;
	c.args[0] = arg;
	return ioctl(fd, KVM_ENABLE_CAP, &c);
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static int msr_io(int vcpu, unsigned long op, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} b;
	int r;

	memset(&b, 0, sizeof(b));
	b.hdr.nmsrs = 1;
	b.e.index = index;
	b.e.data = *data;
	r = ioctl(vcpu, op, &b);
	*data = b.e.data;
	return r;
}

/* 9 checks. */
static void test_static(int kvm)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_msr_list *l;
	uint32_t i, found = 0;
	long r;
	int vm, vcpu;

	r = check_cap(kvm, KVM_CAP_DISABLE_QUIRKS2);
	tap_ok((r & ALL_QUIRKS) == ALL_QUIRKS,
	       "KVM_CAP_DISABLE_QUIRKS2 offers LINT0_REENABLED, LAPIC_MMIO_HOLE, OUT_7E_INC_RIP, MISC_ENABLE_NO_MWAIT, FIX_HYPERCALL_INSN, MWAIT_NEVER_UD_FAULTS (%#lx)",
	       r);
	tap_ok(check_cap(kvm, KVM_CAP_DISABLE_QUIRKS) == 1 &&
	       check_cap(kvm, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) == 1,
	       "KVM_CAP_DISABLE_QUIRKS and KVM_CAP_ENFORCE_PV_FEATURE_CPUID");

	e = find_leaf(supported, 0x40000001);
	tap_ok(e && (e->eax & PV_FEATURES) == PV_FEATURES,
	       "CPUID 0x40000001 offers STEAL_TIME, PV_UNHALT, PV_SEND_IPI, PV_SCHED_YIELD (%#x)",
	       e ? e->eax : 0);

	l = calloc(1, sizeof(*l) + 4096 * sizeof(l->indices[0]));
	if (!l)
		tap_bail("out of memory");
	l->nmsrs = 4096;
	if (ioctl(kvm, KVM_GET_MSR_INDEX_LIST, l))
		tap_bail("KVM_GET_MSR_INDEX_LIST: %m");
	for (i = 0; i < l->nmsrs; i++)
		found += l->indices[i] == MSR_KVM_STEAL_TIME;
	tap_ok(found == 1, "MSR_KVM_STEAL_TIME in KVM_GET_MSR_INDEX_LIST");
	free(l);

	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	expect_errno(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, 1ULL << 63, 0),
		     EINVAL, "DISABLE_QUIRKS2 with an unknown quirk -> EINVAL");
	expect_errno(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, QUIRK_FIX_HC, 1),
		     EINVAL, "DISABLE_QUIRKS2 with flags -> EINVAL");
	expect_success(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS, ~0ULL, 0),
		       "DISABLE_QUIRKS takes any mask");
	expect_errno(enable_cap(vcpu, KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 1, 1),
		     EINVAL, "vCPU ENABLE_CAP with flags -> EINVAL");
	expect_errno(enable_cap(vcpu, KVM_CAP_DISABLE_QUIRKS2, 0, 0), EINVAL,
		     "vCPU ENABLE_CAP of a VM capability -> EINVAL");
	close(vcpu);
	close(vm);
}

static uint8_t *mem;
static struct guest g;

static void vm_setup(int kvm, struct kvm_cpuid2 *cpuid, uint64_t no_quirks,
		     bool enforce, uint64_t rip)
{
	memset(mem, 0, MEM_SIZE);
	load_code(mem + CODE_GPA);
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (ioctl(g.vcpu, KVM_SET_CPUID2, cpuid))
		tap_bail("KVM_SET_CPUID2: %m");
	if (no_quirks && enable_cap(g.vm, KVM_CAP_DISABLE_QUIRKS2, no_quirks, 0))
		tap_bail("KVM_CAP_DISABLE_QUIRKS2: %m");
	if (enforce && enable_cap(g.vcpu, KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 1, 0))
		tap_bail("KVM_CAP_ENFORCE_PV_FEATURE_CPUID: %m");
	if (!guest_flat_mode(&g, mem, false, rip, STACK_TOP) ||
	    !guest_load_tables(&g, mem, GDT_GPA, IDT_GPA))
		tap_bail("entering protected mode: %m");
	guest_idt_gate(mem, IDT_GPA, 6, GUEST_ADDR(pv_ud));
	guest_idt_gate(mem, IDT_GPA, 13, GUEST_ADDR(pv_gp));
}

/* Run to an OUT to port: EAX then, or -1 on another exit. */
static int64_t run_to(uint16_t port)
{
	struct kvm_regs regs;
	int r = guest_out_byte(&g);

	if (r < 0 || g.run->io.port != port) {
		tap_diag("exit %s port %#x, expected OUT to %#x",
			 guest_exit_name(g.run->exit_reason), g.run->io.port,
			 port);
		return -1;
	}
	if (ioctl(g.vcpu, KVM_GET_REGS, &regs))
		return -1;
	return (uint32_t)regs.rax;
}

static uint64_t rip(void)
{
	struct kvm_regs regs;

	if (ioctl(g.vcpu, KVM_GET_REGS, &regs))
		return 0;
	return regs.rip;
}

static struct steal_time steal(void)
{
	struct steal_time st;

	memcpy(&st, mem + ST_GPA, sizeof(st));
	return st;
}

/* 14 checks. */
static void test_main(int kvm)
{
	struct steal_time st1, st2;
	uint64_t v;
	int64_t r;

	vm_setup(kvm, supported, 0, false, GUEST_ADDR(pv_main));
	v = ST_GPA | 1 | (1 << 1);
	tap_ok(msr_io(g.vcpu, KVM_SET_MSRS, MSR_KVM_STEAL_TIME, &v) == 0,
	       "MSR_KVM_STEAL_TIME with a reserved bit is refused");
	v = ST_GPA | 1;
	memset(mem + ST_GPA, 0xff, sizeof(struct steal_time));
	tap_ok(msr_io(g.vcpu, KVM_SET_MSRS, MSR_KVM_STEAL_TIME, &v) == 1,
	       "MSR_KVM_STEAL_TIME set to the record's GPA | enabled");

	r = run_to(0x10);
	tap_ok(r == (uint32_t)-KVM_ENOSYS, "unknown hypercall -> -KVM_ENOSYS (%#llx)",
	       (long long)r);
	st1 = steal();
	tap_ok(!(st1.version & 1) && st1.version && !st1.preempted,
	       "steal-time record written: version %u even, preempted %u",
	       st1.version, st1.preempted);
	r = run_to(0x11);
	st2 = steal();
	tap_ok(r == 0, "KVM_HC_VAPIC_POLL_IRQ -> 0 (%lld)", (long long)r);
	tap_ok(!(st2.version & 1) && st2.version > st1.version &&
	       st2.steal >= st1.steal,
	       "the next KVM_RUN rewrote it: version %u -> %u, steal %llu -> %llu",
	       st1.version, st2.version, (unsigned long long)st1.steal,
	       (unsigned long long)st2.steal);
	r = run_to(0x12);
	tap_ok(r == 0, "KVM_HC_SCHED_YIELD -> 0 (%lld)", (long long)r);
	r = run_to(0x13);
	tap_ok(r == 0, "KVM_HC_KICK_CPU -> 0 (%lld)", (long long)r);
	r = run_to(0x14);
	tap_ok(r == (uint32_t)-KVM_EINVAL,
	       "KVM_HC_SEND_IPI to a logical destination -> -KVM_EINVAL (%#llx)",
	       (long long)r);
	r = run_to(0x15);
	tap_ok(r == 0, "the other vendor's hypercall ran as one (%lld)",
	       (long long)r);
	tap_ok(!memcmp(mem + GUEST_ADDR(pv_patch1), native_insn, 3),
	       "FIX_HYPERCALL_INSN: it was rewritten as the native one");
	r = run_to(0x16);
	tap_ok(r == (ST_GPA | 1),
	       "MONITOR/MWAIT are NOPs; the guest reads MSR_KVM_STEAL_TIME (%#llx)",
	       (long long)r);
	v = 0;
	r = msr_io(g.vcpu, KVM_GET_MSRS, MSR_KVM_STEAL_TIME, &v);
	tap_ok(r == 1 && v == (ST_GPA | 1), "KVM_GET_MSRS reads it too (%#llx)",
	       (unsigned long long)v);
	r = run_to(0x7e);
	tap_ok(r >= 0 && rip() == GUEST_ADDR(pv_out7e1) + 2,
	       "OUT_7E_INC_RIP: RIP is past an OUT to 0x7e at the exit");
	tap_ok(run_to(0x17) >= 0, "guest done");
	guest_destroy(&g);
}

/* 9 checks. */
static void test_strict(int kvm)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	size_t size = sizeof(*c) + supported->nent * sizeof(c->entries[0]);
	int64_t r;
	uint64_t v;

	c = malloc(size);
	if (!c)
		tap_bail("out of memory");
	memcpy(c, supported, size);
	e = find_leaf(c, 0x40000001);
	if (e)
		e->eax = 0;
	vm_setup(kvm, c, QUIRK_FIX_HC | QUIRK_MWAIT_NO_UD | QUIRK_OUT_7E, true,
		 GUEST_ADDR(pv_strict));
	free(c);

	v = ST_GPA | 1;
	tap_ok(msr_io(g.vcpu, KVM_SET_MSRS, MSR_KVM_STEAL_TIME, &v) == 0,
	       "enforced: userspace cannot set MSR_KVM_STEAL_TIME either");
	r = run_to(0x10);
	tap_ok(r == (uint32_t)-KVM_ENOSYS,
	       "enforced: KVM_HC_SCHED_YIELD -> -KVM_ENOSYS (%#llx)",
	       (long long)r);
	r = run_to(0x11);
	tap_ok(r == 0, "enforced: KVM_HC_VAPIC_POLL_IRQ still 0 (%lld)",
	       (long long)r);
	tap_ok(run_to(0x20) >= 0,
	       "quirk off: the other vendor's hypercall raised #UD");
	r = run_to(0x12);
	tap_ok(r >= 0 && !memcmp(mem + GUEST_ADDR(pv_patch2), foreign_insn, 3),
	       "quirk off: it was left alone");
	tap_ok(run_to(0x20) >= 0 && run_to(0x20) >= 0 && run_to(0x13) >= 0,
	       "MWAIT_NEVER_UD_FAULTS off, no MWAIT in CPUID: MONITOR and MWAIT raise #UD");
	tap_ok(run_to(0x21) >= 0, "enforced: RDMSR MSR_KVM_STEAL_TIME raised #GP");
	tap_ok(run_to(0x21) >= 0,
	       "enforced: WRMSR MSR_KVM_SYSTEM_TIME_NEW raised #GP");
	tap_ok(run_to(0x14) >= 0, "guest done");
	r = run_to(0x7e);
	tap_ok(r >= 0 && rip() == GUEST_ADDR(pv_out7e2),
	       "quirk off: RIP is on the OUT to 0x7e at the exit");
	guest_destroy(&g);
}

static bool cpuid_mwait(int vcpu)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	bool r;

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	if (!c)
		tap_bail("out of memory");
	c->nent = 256;
	if (ioctl(vcpu, KVM_GET_CPUID2, c))
		tap_bail("KVM_GET_CPUID2: %m");
	e = find_leaf(c, 1);
	r = e && (e->ecx & CPUID_MWAIT);
	free(c);
	return r;
}

/* 7 checks. */
static void test_misc_enable(int kvm)
{
	uint64_t v;
	int vm, vcpu;

	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	if (ioctl(vcpu, KVM_SET_CPUID2, supported))
		tap_bail("KVM_SET_CPUID2: %m");
	tap_ok(!cpuid_mwait(vcpu), "CPUID.1:ECX.MWAIT clear");
	v = MISC_ENABLE_MWAIT;
	tap_ok(msr_io(vcpu, KVM_SET_MSRS, MSR_IA32_MISC_ENABLE, &v) == 1,
	       "MISC_ENABLE.MWAIT set");
	tap_ok(!cpuid_mwait(vcpu),
	       "with MISC_ENABLE_NO_MWAIT (default), CPUID does not follow");
	v = 0;
	msr_io(vcpu, KVM_SET_MSRS, MSR_IA32_MISC_ENABLE, &v);
	expect_success(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, QUIRK_NO_MWAIT, 0),
		       "MISC_ENABLE_NO_MWAIT disabled");
	v = MISC_ENABLE_MWAIT;
	tap_ok(msr_io(vcpu, KVM_SET_MSRS, MSR_IA32_MISC_ENABLE, &v) == 1 &&
	       cpuid_mwait(vcpu),
	       "without it, setting MISC_ENABLE.MWAIT sets CPUID.1:ECX.MWAIT");
	v = 0;
	tap_ok(msr_io(vcpu, KVM_SET_MSRS, MSR_IA32_MISC_ENABLE, &v) == 1 &&
	       !cpuid_mwait(vcpu), "and clearing it clears the CPUID bit");
	v = 0;
	tap_ok(msr_io(vcpu, KVM_GET_MSRS, MSR_IA32_MISC_ENABLE, &v) == 1 &&
	       !(v & MISC_ENABLE_MWAIT), "MISC_ENABLE reads back");
	close(vcpu);
	close(vm);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* LVT0 of vCPU 0 (the BSP) at creation. */
static uint32_t bsp_lvt0(int kvm, uint64_t no_quirks)
{
	struct kvm_lapic_state ls;
	uint32_t v = 0;
	int vm, vcpu;

	vm = create_vm(kvm);
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	if (no_quirks && enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, no_quirks, 0))
		tap_bail("KVM_CAP_DISABLE_QUIRKS2: %m");
	vcpu = create_vcpu(vm, 0);
	if (!ioctl(vcpu, KVM_GET_LAPIC, &ls))
		memcpy(&v, ls.regs + 0x350, 4);
	close(vcpu);
	close(vm);
	return v;
}

/*
 * A guest whose in-kernel LAPIC is disabled reads its page: EAX at the
 * OUT that follows, or -1 with the exit left in g.run.
 */
static int64_t hole_read(int kvm, uint64_t no_quirks)
{
	uint64_t base = 0xfee00000 | (1 << 8);	/* BSP, not enabled */
	int64_t r;

	memset(mem, 0, MEM_SIZE);
	load_code(mem + CODE_GPA);
	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	if (no_quirks && enable_cap(g.vm, KVM_CAP_DISABLE_QUIRKS2, no_quirks, 0))
		tap_bail("KVM_CAP_DISABLE_QUIRKS2: %m");
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, false, GUEST_ADDR(pv_hole), STACK_TOP) ||
	    msr_io(g.vcpu, KVM_SET_MSRS, 0x1b, &base) != 1)
		tap_bail("setting up the guest: %m");
	if (ioctl(g.vcpu, KVM_RUN, 0))
		tap_bail("KVM_RUN: %m");
	r = -1;
	if (g.run->exit_reason == KVM_EXIT_IO && g.run->io.port == 0x40) {
		struct kvm_regs regs;

		if (!ioctl(g.vcpu, KVM_GET_REGS, &regs))
			r = (uint32_t)regs.rax;
	}
	return r;
}

/* 1 check: a hypercall outside ring 0. */
static void test_user(int kvm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int64_t r;

	vm_setup(kvm, supported, 0, false, GUEST_ADDR(pv_user));
	if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs) ||
	    ioctl(g.vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cs.dpl = 3;
	sregs.cs.selector |= 3;
	sregs.ss.dpl = 3;
	sregs.ss.selector |= 3;
	sregs.ds.dpl = 3;
	sregs.ds.selector |= 3;
	regs.rflags = 0x3002;	/* IOPL 3 */
	if (ioctl(g.vcpu, KVM_SET_SREGS, &sregs) ||
	    ioctl(g.vcpu, KVM_SET_REGS, &regs))
		tap_bail("entering ring 3: %m");
	r = run_to(0x50);
	tap_ok(r == 0xffffffff, "a hypercall in ring 3 -> -KVM_EPERM (%#llx)",
	       (long long)r);
	guest_destroy(&g);
}

/* 2 checks. */
static void test_mmio_hole(int kvm)
{
	int64_t r;

	r = hole_read(kvm, 0);
	tap_ok(r == 0xffffffff,
	       "LAPIC_MMIO_HOLE: a disabled LAPIC's page reads all ones (%#llx)",
	       (long long)r);
	guest_destroy(&g);
	r = hole_read(kvm, QUIRK_MMIO_HOLE);
	tap_ok(r == -1 && g.run->exit_reason == KVM_EXIT_MMIO &&
	       g.run->mmio.phys_addr == 0xfee00020 && !g.run->mmio.is_write,
	       "quirk off: it is MMIO for userspace (exit %s, %#llx)",
	       guest_exit_name(g.run->exit_reason),
	       (unsigned long long)g.run->mmio.phys_addr);
	guest_destroy(&g);
}

/* 7 checks. */
static void test_irqchip(int kvm)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_lapic_state ls;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run1;
	uint32_t v;
	int64_t r;
	int vcpu1;

	v = bsp_lvt0(kvm, 0);
	tap_ok(v == 0x700, "LINT0_REENABLED: the BSP's LVT0 is ExtINT (%#x)", v);
	v = bsp_lvt0(kvm, QUIRK_LINT0);
	tap_ok(v == 0x10000, "quirk off: the BSP's LVT0 is masked (%#x)", v);

	memset(mem, 0, MEM_SIZE);
	load_code(mem + CODE_GPA);
	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	vcpu1 = create_vcpu(g.vm, 1);
	run1 = mmap(NULL, g.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    vcpu1, 0);
	if (run1 == MAP_FAILED)
		tap_bail("mmap: %m");
	if (!guest_flat_mode(&g, mem, false, GUEST_ADDR(pv_kicker), STACK_TOP) ||
	    ioctl(g.vcpu, KVM_GET_SREGS, &sregs) ||
	    ioctl(vcpu1, KVM_SET_SREGS, &sregs))
		tap_bail("entering protected mode: %m");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_ADDR(pv_sleeper);
	regs.rflags = 2;
	regs.rsp = STACK_TOP - 0x1000;
	if (ioctl(vcpu1, KVM_SET_REGS, &regs) ||
	    ioctl(vcpu1, KVM_SET_MP_STATE, &mp) ||
	    ioctl(vcpu1, KVM_GET_LAPIC, &ls))
		tap_bail("setting up vCPU 1: %m");
	ls.regs[0xf1] |= 1;	/* SPIV: software-enabled */
	if (ioctl(vcpu1, KVM_SET_LAPIC, &ls))
		tap_bail("KVM_SET_LAPIC: %m");

	r = run_to(0x30);
	tap_ok(r == 1, "KVM_HC_SEND_IPI to APIC id 1 -> 1 (%lld)", (long long)r);
	tap_ok(!ioctl(vcpu1, KVM_GET_LAPIC, &ls) && (ls.regs[0x220] & 1),
	       "vector 0x40 pending in vCPU 1's IRR");
	r = run_to(0x31);
	tap_ok(r == 0, "KVM_HC_KICK_CPU of APIC id 1 -> 0 (%lld)", (long long)r);

	sigaction(SIGALRM, &sa, NULL);
	alarm(20);
	r = ioctl(vcpu1, KVM_RUN, 0);
	alarm(0);
	tap_ok(!r && run1->exit_reason == KVM_EXIT_IO && run1->io.port == 0x32,
	       "the kick woke vCPU 1's next HLT, with interrupts off (%lld, exit %s)",
	       (long long)r, guest_exit_name(run1->exit_reason));
	tap_ok(!ioctl(vcpu1, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_RUNNABLE, "vCPU 1 runnable (%u)",
	       mp.mp_state);
	munmap(run1, g.run_size);
	close(vcpu1);
	guest_destroy(&g);
}

int main(void)
{
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	supported = calloc(1, sizeof(*supported) +
			   256 * sizeof(supported->entries[0]));
	if (!supported)
		tap_bail("out of memory");
	supported->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, supported))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
	test_static(kvm);
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 9; i < NR_CHECKS; i++)
			tap_skip("this module does not run guests here",
				 "PV guest");
		return tap_finish();
	}
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap: %m");
	test_main(kvm);
	test_strict(kvm);
	test_misc_enable(kvm);
	test_irqchip(kvm);
	test_mmio_hole(kvm);
	test_user(kvm);
	return tap_finish();
}
