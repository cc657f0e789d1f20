// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "a64.h"

int a64_init_vcpu(int vm, int vcpu, __u32 features)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		return -1;
	init.features[0] = features;
	return ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
}

int a64_get(int vcpu, __u64 id, __u64 *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (__u64)(uintptr_t)val };

	return ioctl(vcpu, KVM_GET_ONE_REG, &reg);
}

int a64_set(int vcpu, __u64 id, __u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (__u64)(uintptr_t)&val };

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

__u64 a64_reg(int vcpu, __u64 id)
{
	__u64 v;

	if (a64_get(vcpu, id, &v))
		tap_bail("KVM_GET_ONE_REG %llx: %m", (unsigned long long)id);
	return v;
}

void a64_guest(struct guest *g, int kvm, void **mem, size_t size,
	       const char *start, const char *end, __u32 features)
{
	*mem = alloc_aligned(size, 0x10000);
	memset(*mem, 0, size);
	memcpy(*mem, start, end - start);
	guest_create(g, kvm);
	guest_set_slot(g, 0, A64_RAM_GPA, *mem, size, 0);
	guest_add_vcpu(g);
	if (a64_init_vcpu(g->vm, g->vcpu, features))
		tap_bail("KVM_ARM_VCPU_INIT: %m");
	if (a64_set(g->vcpu, A64_PC, A64_RAM_GPA))
		tap_bail("KVM_SET_ONE_REG PC: %m");
}

bool a64_run_mmio_write(struct guest *g, __u64 gpa, __u64 expect)
{
	__u64 v = 0;
	bool ok;

	guest_alarm_ms(5000);
	ok = guest_run_exit(g, KVM_EXIT_MMIO);
	guest_alarm_ms(0);
	if (!ok)
		return false;
	memcpy(&v, g->run->mmio.data, 8);
	if (g->run->mmio.phys_addr == gpa && g->run->mmio.is_write &&
	    g->run->mmio.len == 8 && v == expect)
		return true;
	tap_diag("MMIO at %llx len %u write %u data %llx",
		 (unsigned long long)g->run->mmio.phys_addr, g->run->mmio.len,
		 g->run->mmio.is_write, (unsigned long long)v);
	return false;
}

int a64_add_vcpu(struct guest *g, unsigned long id, __u32 features,
		 struct kvm_run **run)
{
	int fd = create_vcpu(g->vm, id);

	if (a64_init_vcpu(g->vm, fd, features))
		tap_bail("KVM_ARM_VCPU_INIT of vCPU %lu: %m", id);
	*run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (*run == MAP_FAILED)
		tap_bail("mmap of vCPU %lu: %m", id);
	return fd;
}
