// SPDX-License-Identifier: GPL-2.0
/*
 * REP INSB whose RCX userspace changes at the exit (the upstream
 * userspace_io_test does this): the next KVM_RUN goes on from the
 * registers as they are then. Lowered, only that many bytes are stored;
 * raised, the instruction goes on for the rest (how many exits that
 * takes is not ABI: stock's batching differs from ours).
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#define NR_CHECKS	6

#if defined(__x86_64__)

#define CODE_GPA	0x1000

static const uint8_t code[] = {
	0xfc,				/* cld */
	0xba, 0x80, 0x00,		/* mov dx,0x80 */
	0xbf, 0x00, 0x20,		/* mov di,0x2000 */
	0xb9, 0x02, 0x00,		/* mov cx,2 */
	0xf3, 0x6c,			/* rep insb */
	0xf4,				/* hlt */
	0xbf, 0x00, 0x30,		/* mov di,0x3000 */
	0xb9, 0x03, 0x00,		/* mov cx,3 */
	0xf3, 0x6c,			/* rep insb */
	0xf4,				/* hlt */
};

/* Run to an INS exit; fill its data with v; set RCX to rcx (~0: keep it). */
static bool ins_exit(struct guest *g, uint8_t v, __u64 rcx, __u32 *count)
{
	struct kvm_regs regs;

	if (ioctl(g->vcpu, KVM_RUN, 0) || g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.direction != KVM_EXIT_IO_IN || g->run->io.port != 0x80)
		return false;
	*count = g->run->io.count;
	memset((uint8_t *)g->run + g->run->io.data_offset, v, 4096);
	if (rcx == ~0ULL)
		return true;
	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		return false;
	regs.rcx = rcx;
	return !ioctl(g->vcpu, KVM_SET_REGS, &regs);
}

static bool hlt_regs(struct guest *g, struct kvm_regs *regs)
{
	return !ioctl(g->vcpu, KVM_RUN, 0) && g->run->exit_reason == KVM_EXIT_HLT &&
	       !ioctl(g->vcpu, KVM_GET_REGS, regs);
}

int main(void)
{
	struct kvm_regs regs;
	__u32 count = 0;
	struct guest g;
	uint8_t *mem;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no guests here", "INS with RCX changed");
		return tap_finish();
	}
	guest_create(&g, kvm);
	mem = alloc_aligned(MiB, MiB);
	memcpy(mem + CODE_GPA, code, sizeof(code));
	guest_set_slot(&g, 0, 0, mem, MiB, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);

	tap_ok(ins_exit(&g, 0xaa, 1, &count) && count == 2,
	       "REP INSB of 2: one exit for 2 bytes (count %u); RCX set to 1", count);
	tap_ok(hlt_regs(&g, &regs) && regs.rcx == 0 && regs.rdi == 0x2001,
	       "the guest goes on with 1 byte stored (rcx %#llx rdi %#llx)",
	       regs.rcx, regs.rdi);
	tap_ok(mem[0x2000] == 0xaa && mem[0x2001] == 0, "the one byte, no more");

	tap_ok(ins_exit(&g, 0xbb, 5, &count) && count == 3,
	       "REP INSB of 3: one exit for 3 bytes (count %u); RCX set to 5", count);
	/* Feed the rest, one exit or more, until the HLT. */
	for (int i = 0; i < 5 && ins_exit(&g, 0xbb, ~0ULL, &count); i++)
		;
	tap_ok(g.run->exit_reason == KVM_EXIT_HLT &&
	       !ioctl(g.vcpu, KVM_GET_REGS, &regs) && regs.rcx == 0 &&
	       regs.rdi == 0x3005,
	       "then the guest is done (rcx %#llx rdi %#llx)", regs.rcx, regs.rdi);
	tap_diag("stored: %02x %02x %02x %02x %02x | %02x", mem[0x3000],
		 mem[0x3001], mem[0x3002], mem[0x3003], mem[0x3004], mem[0x3005]);
	tap_ok(regs.rip == CODE_GPA + sizeof(code), "RIP after the HLT (%#llx)",
	       regs.rip);
	guest_destroy(&g);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(NR_CHECKS);
	for (int i = 0; i < NR_CHECKS; i++)
		tap_skip("x86 only", "INS with RCX changed");
	return tap_finish();
}

#endif
