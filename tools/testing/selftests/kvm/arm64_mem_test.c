// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 2 on arm64: guest memory faulted in on demand, the dirty log of a
 * slot with KVM_MEM_LOG_DIRTY_PAGES (only written pages are logged; a
 * page is logged again after KVM_GET_DIRTY_LOG re-armed it), and a
 * KVM_MEM_READONLY slot (reads see the host's data, a write exits with
 * KVM_EXIT_MMIO and leaves the memory alone).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "test.h"
#include "guest.h"
#include "a64.h"

#define LOG_GPA		0x50000000ULL
#define LOG_SIZE	0x100000
#define RO_GPA		0x60000000ULL
#define RO_SIZE		0x10000

/* x9: MMIO, x10: the logged slot, x11: the read-only slot. */
A64_GUEST_CODE(mem_code,
	"	movz	x9, #0x1000, lsl #16\n"
	"	movz	x10, #0x5000, lsl #16\n"
	"	movz	x11, #0x6000, lsl #16\n"
	"	mov	x0, #0x11\n"
	"	str	x0, [x10]\n"
	"	add	x1, x10, #0x3000\n"
	"	str	x0, [x1]\n"
	"	add	x1, x10, #0x5000\n"
	"	ldr	x2, [x1]\n"
	"	str	x2, [x9]\n"			/* end of phase 1 */
	"	mov	x0, #0x22\n"
	"	add	x1, x10, #0x3000\n"
	"	str	x0, [x1, #8]\n"
	"	add	x1, x10, #0x7000\n"
	"	str	x0, [x1]\n"
	"	str	x0, [x9, #8]\n"			/* end of phase 2 */
	"	ldr	x2, [x11]\n"
	"	str	x2, [x9, #16]\n"
	"	mov	x0, #0x88\n"
	"	str	x0, [x11, #8]\n"
	"	str	xzr, [x9, #24]\n"
	"	b	.\n");

static struct guest g;

static bool mmio_write(__u64 gpa, __u64 expect)
{
	return a64_run_mmio_write(&g, gpa, expect);
}

/* The log of slot 1 is exactly these pages (a 0-terminated list + 1). */
static bool log_is(const unsigned int *pages, unsigned int n)
{
	__u64 bitmap[LOG_SIZE / 4096 / 64] = {};
	__u64 want[LOG_SIZE / 4096 / 64] = {};
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };
	unsigned int i;

	if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log)) {
		tap_diag("KVM_GET_DIRTY_LOG: %m");
		return false;
	}
	for (i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	if (!memcmp(bitmap, want, sizeof(want)))
		return true;
	tap_diag("log %016llx %016llx, expected %016llx %016llx",
		 (unsigned long long)bitmap[0], (unsigned long long)bitmap[1],
		 (unsigned long long)want[0], (unsigned long long)want[1]);
	return false;
}

int main(void)
{
	static const unsigned int p1[] = { 0, 3 }, p2[] = { 3, 7 };
	__u8 *logmem, *romem;
	void *mem;
	int kvm;

	tap_plan(10);
	kvm = open_kvm();
	logmem = alloc_aligned(LOG_SIZE, 0x10000);
	romem = alloc_aligned(RO_SIZE, 0x10000);
	memset(logmem, 0, LOG_SIZE);
	memset(romem, 0, RO_SIZE);
	logmem[0x5000] = 0x5a;
	romem[0] = 0x77;
	a64_guest(&g, kvm, &mem, 0x10000, mem_code_start, mem_code_end, 0);
	guest_set_slot(&g, 1, LOG_GPA, logmem, LOG_SIZE,
		       KVM_MEM_LOG_DIRTY_PAGES);
	guest_set_slot(&g, 2, RO_GPA, romem, RO_SIZE, KVM_MEM_READONLY);

	tap_ok(mmio_write(A64_MMIO_GPA, 0x5a),
	       "phase 1: the guest read the logged slot's page 5");
	tap_ok(logmem[0] == 0x11 && logmem[0x3000] == 0x11,
	       "phase 1: its writes reached the host's memory");
	tap_ok(log_is(p1, 2), "phase 1: the log is pages 0 and 3 (not 5, read)");
	tap_ok(log_is(NULL, 0), "read again at once: the log is empty");
	tap_ok(mmio_write(A64_MMIO_GPA + 8, 0x22) && logmem[0x3008] == 0x22 &&
	       logmem[0x7000] == 0x22, "phase 2 ran");
	tap_ok(log_is(p2, 2), "phase 2: the log is pages 3 (again) and 7");

	tap_ok(mmio_write(A64_MMIO_GPA + 16, 0x77),
	       "a read of the read-only slot sees the host's data");
	tap_ok(mmio_write(RO_GPA + 8, 0x88),
	       "a write to the read-only slot: KVM_EXIT_MMIO at its address");
	tap_ok(mmio_write(A64_MMIO_GPA + 24, 0) && romem[8] == 0,
	       "the read-only slot's memory is unchanged");
	tap_ok(a64_reg(g.vcpu, A64_PC) == A64_RAM_GPA + 20 * 4,
	       "PC at the last store");
	guest_destroy(&g);
	close(kvm);
	return tap_finish();
}
