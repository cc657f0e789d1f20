// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD. On every arch: the argument checks (flags, lengths, a
 * wrapping range, datamatch without a length, fds that are no eventfd),
 * EEXIST for a registration that overlaps another on the same bus, and
 * deassignment (ENOENT unless every field matches). On x86 a real-mode
 * guest writes ports and MMIO addresses: a matching write signals the
 * eventfd and the guest goes on without an exit; a write of another value
 * (datamatch) or length exits to userspace as usual.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#define API_CHECKS	20
#define GUEST_CHECKS	9

static int ioeventfd(int vm, __u64 addr, __u32 len, int fd, __u32 flags,
		     __u64 datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm, KVM_IOEVENTFD, &a);
}

static const __u32 DM = KVM_IOEVENTFD_FLAG_DATAMATCH;
static const __u32 PIO = KVM_IOEVENTFD_FLAG_PIO;
static const __u32 DEASSIGN = KVM_IOEVENTFD_FLAG_DEASSIGN;

static void api(int kvm)
{
	int vm = create_vm(kvm);
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	int pipefd[2];

	if (efd < 0 || efd2 < 0 || pipe(pipefd))
		tap_bail("eventfd/pipe: %m");

	tap_ok(check_cap(kvm, KVM_CAP_IOEVENTFD) > 0, "KVM_CAP_IOEVENTFD");
	tap_ok(check_cap(kvm, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0,
	       "KVM_CAP_IOEVENTFD_ANY_LENGTH");
	expect_errno(ioeventfd(vm, 0x1000, 4, efd, 1 << 7, 0), EINVAL,
		     "an unknown flag: EINVAL");
	expect_errno(ioeventfd(vm, 0x1000, 3, efd, 0, 0), EINVAL,
		     "length 3: EINVAL");
	expect_errno(ioeventfd(vm, 0x1000, 0, efd, DM, 0), EINVAL,
		     "datamatch with length 0: EINVAL");
	expect_errno(ioeventfd(vm, ~0ULL - 1, 4, efd, 0, 0), EINVAL,
		     "a range that wraps: EINVAL");
	expect_errno(ioeventfd(vm, 0x1000, 4, -1, 0, 0), EBADF,
		     "fd -1: EBADF");
	expect_errno(ioeventfd(vm, 0x1000, 4, pipefd[0], 0, 0), EINVAL,
		     "a pipe is no eventfd: EINVAL");
	expect_errno(ioctl(vm, KVM_IOEVENTFD, (void *)8), EFAULT,
		     "a bad argument pointer: EFAULT");

	expect_success(ioeventfd(vm, 0x1000, 4, efd, 0, 0), "MMIO 0x1000/4");
	expect_errno(ioeventfd(vm, 0x1000, 4, efd2, 0, 0), EEXIST,
		     "the same again (another eventfd): EEXIST");
	expect_errno(ioeventfd(vm, 0x1000, 4, efd2, DM, 7), EEXIST,
		     "a datamatch one under the wildcard: EEXIST");
	expect_success(ioeventfd(vm, 0x1000, 4, efd, PIO, 0),
		       "port 0x1000/4: another bus, no collision");
	expect_success(ioeventfd(vm, 0x1000, 2, efd, 0, 0),
		       "MMIO 0x1000/2: another length, no collision");
	expect_errno(ioeventfd(vm, 0x1000, 8, efd, DEASSIGN, 0), ENOENT,
		     "deassign with another length: ENOENT");
	expect_errno(ioeventfd(vm, 0x1000, 4, efd2, DEASSIGN, 0), ENOENT,
		     "deassign with another eventfd: ENOENT");
	expect_success(ioeventfd(vm, 0x1000, 4, efd, DEASSIGN, 0),
		       "deassign MMIO 0x1000/4");
	expect_errno(ioeventfd(vm, 0x1000, 4, efd, DEASSIGN, 0), ENOENT,
		     "deassign it again: ENOENT");
	tap_ok(!ioeventfd(vm, 0x2000, 2, efd, DM, 1) &&
	       !ioeventfd(vm, 0x2000, 2, efd2, DM, 2),
	       "two datamatch values at one address");
	expect_errno(ioeventfd(vm, 0x2000, 0, efd, 0, 0), EEXIST,
		     "any-length at that address: EEXIST");

	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
	close(efd2);
	close(vm);
}

#if defined(__x86_64__)

#define CODE_GPA	0x1000
#define MMIO_GPA	0x90000		/* beyond the 512 KiB slot */

/* ES has base MMIO_GPA. */
static const uint8_t code[] = {
	0xb0, 0x5a,			/* mov al,0x5a */
	0xe6, 0x20,			/* out 0x20,al      -> efd_any */
	0xb8, 0x34, 0x12,		/* mov ax,0x1234 */
	0xe7, 0x22,			/* out 0x22,ax      -> efd_match */
	0xe6, 0x10,			/* out 0x10,al      exit 1 */
	0xb8, 0x78, 0x56,		/* mov ax,0x5678 */
	0xe7, 0x22,			/* out 0x22,ax      exit 2 */
	0x26, 0xa2, 0x00, 0x00,		/* mov es:[0],al    -> efd_mmio */
	0x26, 0xa3, 0x04, 0x00,		/* mov es:[4],ax    exit 3 (len 2) */
	0xf4,				/* hlt */
};

static uint64_t count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void guest_part(int kvm)
{
	int efd_any = eventfd(0, EFD_NONBLOCK), efd_match = eventfd(0, EFD_NONBLOCK);
	int efd_mmio = eventfd(0, EFD_NONBLOCK);
	struct kvm_run *run;
	uint8_t *low;
	struct guest g;

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	guest_set_slot(&g, 0, 0, low, 512 * 1024, 0);
	tap_ok(!ioeventfd(g.vm, 0x20, 1, efd_any, PIO, 0) &&
	       !ioeventfd(g.vm, 0x22, 2, efd_match, PIO | DM, 0x1234) &&
	       !ioeventfd(g.vm, MMIO_GPA, 0, efd_mmio, 0, 0) &&
	       !ioeventfd(g.vm, MMIO_GPA + 4, 4, efd_mmio, 0, 0),
	       "ioeventfds on ports 0x20, 0x22 (datamatch) and MMIO");
	guest_add_vcpu(&g);
	run = g.run;
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, MMIO_GPA);

	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_IO &&
	       run->io.port == 0x10,
	       "OUTs to 0x20 and 0x22 (matching) did not exit (port %#x)",
	       run->io.port);
	tap_ok(count(efd_any) == 1, "the port 0x20 eventfd was signalled");
	tap_ok(count(efd_match) == 1, "the datamatch eventfd was signalled");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_IO &&
	       run->io.port == 0x22 && run->io.size == 2 &&
	       *(uint16_t *)((uint8_t *)run + run->io.data_offset) == 0x5678,
	       "another value on 0x22 exits to userspace");
	tap_ok(count(efd_match) == 0, "and signals nothing");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_MMIO &&
	       run->mmio.phys_addr == MMIO_GPA + 4 && run->mmio.len == 2 &&
	       run->mmio.is_write,
	       "a 2-byte write where a 4-byte ioeventfd sits exits as MMIO");
	tap_ok(count(efd_mmio) == 1,
	       "the any-length MMIO eventfd was signalled once");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_HLT,
	       "HLT");
	guest_destroy(&g);
	close(efd_any);
	close(efd_match);
	close(efd_mmio);
}

#endif

int main(void)
{
	int kvm;

	tap_plan(API_CHECKS + GUEST_CHECKS);
	kvm = open_kvm();
	api(kvm);
#if defined(__x86_64__)
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		guest_part(kvm);
		close(kvm);
		return tap_finish();
	}
#endif
	for (int i = 0; i < GUEST_CHECKS; i++)
		tap_skip("no x86 guests here", "ioeventfd in a guest");
	close(kvm);
	return tap_finish();
}
