// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in 32-bit protected mode and in 64-bit long mode with 4-level
 * paging (2 MiB pages), entered through KVM_SET_SREGS as VMMs and the
 * upstream selftest library do: port I/O exits of 1 and 4 bytes, a guest
 * store above 1 MiB seen by the host in the memslot, HLT.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"

#if defined(__x86_64__)

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000
#define PML4_GPA	0x10000
#define PDPT_GPA	0x11000
#define PD_GPA		0x12000

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define PTE_P		1ULL
#define PTE_RW		2ULL
#define PTE_PS		0x80ULL

/* mov al,0x42; out 0x10,al; mov eax,0x12345678; mov [0x200000],eax;
 * out 0x11,eax; hlt
 */
static const uint8_t code32[] = {
	0xb0, 0x42, 0xe6, 0x10,
	0xb8, 0x78, 0x56, 0x34, 0x12,
	0xa3, 0x00, 0x00, 0x20, 0x00,
	0xe7, 0x11,
	0xf4,
};

/* mov al,0x42; out 0x10,al; mov rax,0x1122334455667788;
 * mov [0x300000],rax; out 0x11,eax; hlt
 */
static const uint8_t code64[] = {
	0xb0, 0x42, 0xe6, 0x10,
	0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00,
	0xe7, 0x11,
	0xf4,
};

struct guest {
	int vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
};

static void guest_create(int kvm, struct guest *g, const uint8_t *code, size_t len)
{
	struct kvm_userspace_memory_region r = { .slot = 0 };
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	g->vm = create_vm(kvm);
	g->mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(g->mem + CODE_GPA, code, len);
	r.memory_size = MEM_SIZE;
	r.userspace_addr = (uintptr_t)g->mem;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r))
		tap_bail("KVM_SET_USER_MEMORY_REGION: %m");
	g->vcpu = create_vcpu(g->vm, 0);
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = l;
	s->db = !l;
}

static bool enter_mode(struct guest *g, bool long_mode)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return false;
	flat_segment(&sregs.cs, 8, 0xb, long_mode);
	flat_segment(&sregs.ds, 16, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	if (long_mode) {
		uint64_t *pml4 = (uint64_t *)(g->mem + PML4_GPA);
		uint64_t *pdpt = (uint64_t *)(g->mem + PDPT_GPA);
		uint64_t *pd = (uint64_t *)(g->mem + PD_GPA);

		pml4[0] = PDPT_GPA | PTE_P | PTE_RW;
		pdpt[0] = PD_GPA | PTE_P | PTE_RW;
		pd[0] = 0 | PTE_P | PTE_RW | PTE_PS;
		pd[1] = (2 * MiB) | PTE_P | PTE_RW | PTE_PS;
		sregs.cr0 |= CR0_PG;
		sregs.cr3 = PML4_GPA;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
	}
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		return false;

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	regs.rsp = 0x8000;
	return !ioctl(g->vcpu, KVM_SET_REGS, &regs);
}

static bool io_exit(struct guest *g, uint16_t port, uint8_t size, uint32_t data)
{
	uint32_t got = 0;

	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g->run->exit_reason != KVM_EXIT_IO) {
		tap_diag("exit reason %u, expected KVM_EXIT_IO", g->run->exit_reason);
		return false;
	}
	memcpy(&got, (uint8_t *)g->run + g->run->io.data_offset, g->run->io.size);
	if (g->run->io.direction != KVM_EXIT_IO_OUT || g->run->io.port != port ||
	    g->run->io.size != size || g->run->io.count != 1 || got != data) {
		tap_diag("io: dir %u port %#x size %u count %u data %#x",
			 g->run->io.direction, g->run->io.port, g->run->io.size,
			 g->run->io.count, got);
		return false;
	}
	return true;
}

static void run_mode(int kvm, bool long_mode)
{
	const char *m = long_mode ? "long mode" : "protected mode";
	struct guest g;
	uint64_t stored = 0;

	if (long_mode)
		guest_create(kvm, &g, code64, sizeof(code64));
	else
		guest_create(kvm, &g, code32, sizeof(code32));

	tap_ok(enter_mode(&g, long_mode), "%s: KVM_SET_SREGS/REGS", m);
	tap_ok(io_exit(&g, 0x10, 1, 0x42), "%s: OUT 0x10 of 1 byte (0x42)", m);
	tap_ok(io_exit(&g, 0x11, 4, long_mode ? 0x55667788 : 0x12345678),
	       "%s: OUT 0x11 of 4 bytes", m);
	if (long_mode)
		memcpy(&stored, g.mem + 0x300000, 8);
	else
		memcpy(&stored, g.mem + 0x200000, 4);
	tap_ok(stored == (long_mode ? 0x1122334455667788ULL : 0x12345678),
	       "%s: the guest's store above 1 MiB is in the memslot (%#llx)", m,
	       (unsigned long long)stored);
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "%s: KVM_EXIT_HLT", m);

	close(g.vcpu);
	close(g.vm);
}

int main(void)
{
	int kvm;

	tap_plan(10);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		/* No backend that runs guests (api_only, or VMX for now). */
		for (int i = 0; i < 10; i++)
			tap_skip("this module does not run guests here", "guest modes");
		return tap_finish();
	}
	run_mode(kvm, false);
	run_mode(kvm, true);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "guest modes");
	return tap_finish();
}

#endif
