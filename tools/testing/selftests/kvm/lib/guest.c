// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

void guest_create(struct guest *g, int kvm)
{
	memset(g, 0, sizeof(*g));
	g->kvm = kvm;
	g->vm = create_vm(kvm);
	g->vcpu = -1;
}

void guest_set_slot(struct guest *g, __u32 slot, __u64 gpa, void *mem,
		    __u64 size, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)mem,
	};

	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r))
		tap_bail("KVM_SET_USER_MEMORY_REGION slot %u: %m", slot);
}

void guest_add_vcpu(struct guest *g)
{
	int size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	g->vcpu = create_vcpu(g->vm, 0);
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
}

#if defined(__x86_64__)
void guest_real_mode(struct guest *g, __u64 rip)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rflags = 2;
	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");
}

void guest_set_es_base(struct guest *g, __u64 base)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.es.base = base;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

int guest_out_byte(struct guest *g)
{
	if (ioctl(g->vcpu, KVM_RUN, 0) || g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.direction != KVM_EXIT_IO_OUT)
		return -1;
	return *((uint8_t *)g->run + g->run->io.data_offset);
}
#endif

void guest_destroy(struct guest *g)
{
	if (g->vcpu >= 0)
		close(g->vcpu);
	close(g->vm);
}
