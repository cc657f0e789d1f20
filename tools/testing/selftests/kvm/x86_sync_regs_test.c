// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_SYNC_REGS on x86: the register sets of kvm_run.s.regs (GPRs,
 * special registers, events). KVM_CHECK_EXTENSION gives the mask; KVM_RUN
 * refuses unknown bits in kvm_valid_regs / kvm_dirty_regs with EINVAL;
 * dirty sets are applied before the guest runs with the checks of their
 * ioctls (in the order regs, sregs, events, a refused one failing KVM_RUN
 * with EINVAL and keeping its dirty bit) and valid sets are stored
 * whenever KVM_RUN returns, on failures too. A real-mode guest loops on
 * OUT 0x81 and INC BX.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define PORT		0x81

#define SYNC_ALL	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | \
			 KVM_SYNC_X86_EVENTS)
#define SYNC_INVALID	0x80000000ULL

#define CR0_CD		(1ULL << 30)
#define CR0_NW		(1ULL << 29)
#define CR4_RSVD	(1ULL << 63)

static const unsigned char guest_code[] = {
	0xe6, PORT,			/* 00: out 0x81, al	*/
	0x43,				/* 02: inc bx		*/
	0xeb, 0xfb,			/* 03: jmp 00		*/
};

#define NR_CHECKS	32

static struct guest g;
static unsigned char *mem;

/* KVM_RUN; true when it returned 0 with the guest's OUT. */
static bool run_io(void)
{
	int r = ioctl(g.vcpu, KVM_RUN, 0);

	if (r || g.run->exit_reason != KVM_EXIT_IO) {
		tap_diag("KVM_RUN: %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(g.run->exit_reason));
		return false;
	}
	return true;
}

static __u64 get_rbx(void)
{
	struct kvm_regs regs;

	if (ioctl(g.vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS: %m");
	return regs.rbx;
}

static void set_rbx(__u64 rbx)
{
	struct kvm_regs regs;

	if (ioctl(g.vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS: %m");
	regs.rbx = rbx;
	if (ioctl(g.vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");
}

static void get_sregs(struct kvm_sregs *s)
{
	if (ioctl(g.vcpu, KVM_GET_SREGS, s))
		tap_bail("KVM_GET_SREGS: %m");
}

static void get_events(struct kvm_vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	if (ioctl(g.vcpu, KVM_GET_VCPU_EVENTS, e))
		tap_bail("KVM_GET_VCPU_EVENTS: %m");
}

/* 3 checks */
static void test_cap(void)
{
	long cap = check_cap(g.kvm, KVM_CAP_SYNC_REGS);

	tap_ok((cap & SYNC_ALL) == SYNC_ALL && !(cap & SYNC_INVALID),
	       "KVM_CHECK_EXTENSION(SYNC_REGS) on /dev/kvm: %#lx", cap);
	expect_value(check_cap(g.vm, KVM_CAP_SYNC_REGS), cap,
		     "KVM_CHECK_EXTENSION(SYNC_REGS) on the VM: the same");
	tap_ok(g.run->kvm_valid_regs == 0 && g.run->kvm_dirty_regs == 0,
	       "a new vCPU's kvm_valid_regs and kvm_dirty_regs are 0");
}

/* 5 checks */
static void test_invalid_masks(void)
{
	__u64 rbx = get_rbx();

	g.run->kvm_valid_regs = SYNC_INVALID;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: an unknown bit in kvm_valid_regs is EINVAL");
	g.run->kvm_valid_regs = SYNC_INVALID | SYNC_ALL;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: unknown and known bits in kvm_valid_regs: EINVAL");
	g.run->kvm_valid_regs = 0;
	g.run->kvm_dirty_regs = SYNC_INVALID;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: an unknown bit in kvm_dirty_regs is EINVAL");
	g.run->kvm_dirty_regs = SYNC_INVALID | KVM_SYNC_X86_REGS;
	g.run->s.regs.regs.rbx = 0x5555;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: unknown and known bits in kvm_dirty_regs: EINVAL");
	tap_ok(get_rbx() == rbx,
	       "... and nothing was applied (RBX %#llx)", get_rbx());
	g.run->kvm_dirty_regs = 0;
}

/* 4 checks */
static void test_store(void)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	memset(&g.run->s.regs, 0, sizeof(g.run->s.regs));
	g.run->kvm_valid_regs = SYNC_ALL;
	tap_ok(run_io(), "KVM_RUN with all sets valid: the guest's OUT");
	if (ioctl(g.vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS: %m");
	get_sregs(&sregs);
	get_events(&ev);
	tap_ok(!memcmp(&regs, &g.run->s.regs.regs, sizeof(regs)),
	       "s.regs.regs is KVM_GET_REGS");
	tap_ok(!memcmp(&sregs, &g.run->s.regs.sregs, sizeof(sregs)),
	       "s.regs.sregs is KVM_GET_SREGS");
	tap_ok(!memcmp(&ev, &g.run->s.regs.events, sizeof(ev)),
	       "s.regs.events is KVM_GET_VCPU_EVENTS");
}

/* 7 checks */
static void test_dirty(void)
{
	struct kvm_run *run = g.run;

	run->s.regs.regs.rbx = 0x1230;
	run->s.regs.sregs.apic_base = 1 << 11;
	run->kvm_valid_regs = SYNC_ALL;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	tap_ok(run_io() && run->s.regs.regs.rbx == 0x1231 &&
	       run->s.regs.sregs.apic_base == 1 << 11,
	       "dirty regs and sregs applied: RBX %#llx, APIC base %#llx",
	       run->s.regs.regs.rbx, run->s.regs.sregs.apic_base);
	expect_value(run->kvm_dirty_regs, 0,
		     "KVM_RUN cleared the dirty bits of the sets it applied");
	expect_value(get_rbx(), 0x1231, "KVM_GET_REGS agrees");

	/* Valid but not dirty: userspace's values are overwritten. */
	run->s.regs.regs.rbx = 0xdead;
	tap_ok(run_io() && run->s.regs.regs.rbx == 0x1232,
	       "not dirty: s.regs.regs.rbx refreshed from the guest (%#llx)",
	       run->s.regs.regs.rbx);

	/* Neither: s.regs is left alone, the guest keeps its values. */
	run->kvm_valid_regs = 0;
	run->s.regs.regs.rbx = 0xaaaa;
	set_rbx(0x100);
	tap_ok(run_io() && run->s.regs.regs.rbx == 0xaaaa,
	       "not valid: s.regs.regs left as userspace wrote it");
	expect_value(get_rbx(), 0x101, "not dirty: the guest kept its RBX");

	/* Dirty but not valid: applied, not stored back. */
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	run->s.regs.regs.rbx = 0x200;
	run->s.regs.regs.rcx = 0x77;
	tap_ok(run_io() && get_rbx() == 0x201 && run->s.regs.regs.rbx == 0x200,
	       "dirty, not valid: RBX %#llx in the guest, s.regs keeps %#llx",
	       get_rbx(), run->s.regs.regs.rbx);
}

/* 7 checks */
static void test_bad_sregs(void)
{
	struct kvm_run *run = g.run;
	struct kvm_sregs sregs;
	__u64 cr0;

	get_sregs(&sregs);
	cr0 = sregs.cr0;
	/* NW without CD: KVM_SET_SREGS refuses it. */
	run->s.regs.sregs = sregs;
	run->s.regs.sregs.cr0 = (sregs.cr0 | CR0_NW) & ~CR0_CD;
	expect_errno(ioctl(g.vcpu, KVM_SET_SREGS, &run->s.regs.sregs), EINVAL,
		     "KVM_SET_SREGS: CR0.NW without CD is EINVAL");
	run->s.regs.regs.rbx = 0x300;
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN with those sregs dirty: EINVAL");
	expect_value(run->kvm_dirty_regs, KVM_SYNC_X86_SREGS,
		     "the regs bit cleared, the sregs bit kept");
	expect_value(get_rbx(), 0x300, "the regs before them were applied");
	get_sregs(&sregs);
	tap_ok(sregs.cr0 == cr0, "the sregs were not (CR0 %#llx)", sregs.cr0);

	/* Valid sets are stored on a failed KVM_RUN too. */
	run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	run->s.regs.regs.rbx = 0xbeef;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN with the bad sregs still dirty: EINVAL");
	expect_value(run->s.regs.regs.rbx, 0x300,
		     "... and s.regs.regs was stored all the same");
	run->kvm_dirty_regs = 0;
}

/* 2 checks */
static void test_bad_cr4(void)
{
	struct kvm_run *run = g.run;

	get_sregs(&run->s.regs.sregs);
	run->s.regs.sregs.cr4 |= CR4_RSVD;
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = KVM_SYNC_X86_SREGS;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: dirty sregs with a reserved CR4 bit: EINVAL");
	get_sregs(&run->s.regs.sregs);
	tap_ok(!(run->s.regs.sregs.cr4 & CR4_RSVD), "CR4 unchanged");
	run->kvm_dirty_regs = 0;
}

/* 3 checks */
static void test_events(void)
{
	struct kvm_run *run = g.run;
	struct kvm_vcpu_events ev;

	get_events(&run->s.regs.events);
	run->s.regs.events.exception.injected = 1;
	run->s.regs.events.exception.nr = 2;	/* NMI: not an exception */
	run->kvm_dirty_regs = KVM_SYNC_X86_EVENTS;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: dirty events injecting vector 2: EINVAL");
	get_events(&run->s.regs.events);
	run->s.regs.events.flags |= 0x80000000;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINVAL,
		     "KVM_RUN: dirty events with an unknown flag: EINVAL");

	get_events(&run->s.regs.events);
	run->s.regs.events.nmi.masked = 1;
	run->kvm_valid_regs = KVM_SYNC_X86_EVENTS;
	run_io();
	get_events(&ev);
	tap_ok(run->kvm_dirty_regs == 0 && ev.nmi.masked &&
	       run->s.regs.events.nmi.masked,
	       "dirty events applied: NMIs masked (dirty %#llx)",
	       (unsigned long long)run->kvm_dirty_regs);
	run->kvm_dirty_regs = 0;
}

/* 1 check */
static void test_immediate_exit(void)
{
	struct kvm_run *run = g.run;

	run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	run->kvm_dirty_regs = 0;
	run->s.regs.regs.rbx = 0xbeef;
	run->immediate_exit = 1;
	tap_ok(ioctl(g.vcpu, KVM_RUN, 0) == -1 && errno == EINTR &&
	       run->s.regs.regs.rbx == get_rbx(),
	       "immediate_exit: EINTR, s.regs.regs stored (RBX %#llx)",
	       run->s.regs.regs.rbx);
	run->immediate_exit = 0;
	run->kvm_valid_regs = 0;
}

int main(void)
{
	tap_plan(NR_CHECKS);
	guest_create(&g, open_kvm());
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);

	test_cap();
	test_invalid_masks();
	test_store();
	test_dirty();
	test_bad_sregs();
	test_bad_cr4();
	test_events();
	test_immediate_exit();

	guest_destroy(&g);
	close(g.kvm);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
