// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VCPU limits, the vCPU mmap (struct kvm_run) and KVM_RUN before
 * any backend runs guests.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"

#if defined(__x86_64__)
#define IS_X86 1
#else
#define IS_X86 0
#endif

/* nkvm loaded with api_only=1 (no hardware virtualization). */
static bool ours_api_only(void)
{
	FILE *f = fopen("/sys/module/nkvm/parameters/api_only", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y';
}

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	siglongjmp(sigbus_jmp, sig);
}

/* Returns true if reading *p raised SIGBUS. */
static bool touch_sigbus(volatile char *p)
{
	struct sigaction sa = { .sa_handler = sigbus_handler }, old;
	bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1) == 0)
		(void)*p;
	else
		bus = true;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static void test_mmap(int kvm, int vcpu)
{
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	long ps = sysconf(_SC_PAGESIZE);
	struct kvm_run *run, *run2;
	void *beyond;

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (!tap_ok(run != MAP_FAILED, "mmap of KVM_GET_VCPU_MMAP_SIZE (%ld)",
		    size)) {
		tap_skip("no mapping", "struct kvm_run read/write");
		tap_skip("no mapping", "second mapping shows the same page");
		return;
	}
	run->immediate_exit = 1;
	tap_ok(run->immediate_exit == 1 && run->exit_reason < 1000,
	       "struct kvm_run is readable and writable");
	run2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run2 != MAP_FAILED) {
		bool same = run2->immediate_exit == 1;

		run2->immediate_exit = 0;
		same = same && run->immediate_exit == 0;
		tap_ok(same, "a second mapping shows the same struct kvm_run");
		munmap(run2, size);
	} else {
		tap_ok(false, "a second mapping shows the same struct kvm_run");
	}
	run->immediate_exit = 0;
	munmap(run, size);

	/*
	 * Deliberate difference (contract-draft.txt): ours refuses a mapping
	 * beyond KVM_GET_VCPU_MMAP_SIZE at mmap() time with EINVAL; stock
	 * accepts the mmap and its fault handler answers VM_FAULT_SIGBUS.
	 */
	beyond = mmap(NULL, size + ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		      vcpu, 0);
	if (kvm_is_ours()) {
		expect_errno(beyond == MAP_FAILED ? -1 : 0, EINVAL,
			     "mmap beyond the vCPU mmap size -> EINVAL (ours)");
	} else {
		tap_ok(beyond != MAP_FAILED &&
		       touch_sigbus((char *)beyond + size),
		       "mmap beyond the vCPU mmap size: SIGBUS on touch (stock)");
	}
	if (beyond != MAP_FAILED)
		munmap(beyond, size + ps);
}

static void test_max_vcpus(int kvm)
{
	long max = check_cap(kvm, KVM_CAP_MAX_VCPUS);
	int *fds = calloc(max + 1, sizeof(int));
	int vm = create_vm(kvm);
	long i, n = 0;
	int fd = -1;

	if (!raise_nofile(max + 64))
		tap_diag("cannot raise RLIMIT_NOFILE to %ld", max + 64);
	for (i = 0; i < max; i++) {
		fds[i] = ioctl(vm, KVM_CREATE_VCPU, i);
		if (fds[i] < 0)
			break;
		n++;
	}
	if (n < max)
		tap_diag("vCPU %ld: errno %d", n, errno);
	tap_ok(n == max, "created KVM_CAP_MAX_VCPUS = %ld vCPUs", max);
	if (n == max) {
		fd = ioctl(vm, KVM_CREATE_VCPU, max);
		expect_errno(fd, EINVAL, "vCPU number %ld -> EINVAL", max + 1);
		if (fd >= 0)
			close(fd);
	} else {
		tap_skip("could not create them all", "one vCPU too many");
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	close(vm);
}

int main(void)
{
	long nr, max, max_id;
	int kvm, vm, vcpu, fd;

	tap_plan(11);
	kvm = open_kvm();
	nr = check_cap(kvm, KVM_CAP_NR_VCPUS);
	max = check_cap(kvm, KVM_CAP_MAX_VCPUS);
	max_id = check_cap(kvm, KVM_CAP_MAX_VCPU_ID);
	tap_diag("NR_VCPUS %ld MAX_VCPUS %ld MAX_VCPU_ID %ld", nr, max, max_id);
	tap_ok(nr >= 1 && nr <= max, "KVM_CAP_NR_VCPUS <= KVM_CAP_MAX_VCPUS");

	vm = create_vm(kvm);
	fd = ioctl(vm, KVM_CREATE_VCPU, max_id);
	expect_errno(fd, EINVAL, "KVM_CREATE_VCPU id %ld (MAX_VCPU_ID) -> EINVAL",
		     max_id);
	if (fd >= 0)
		close(fd);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	expect_success(vcpu, "KVM_CREATE_VCPU id 0");
	fd = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	expect_errno(fd, EEXIST, "KVM_CREATE_VCPU id 0 again -> EEXIST");
	if (fd >= 0)
		close(fd);
	if (vcpu < 0)
		tap_bail("no vCPU");

	test_mmap(kvm, vcpu);

	/*
	 * arm64: a vCPU runs only after KVM_ARM_VCPU_INIT (ours and stock).
	 * Elsewhere, where ours runs no guests (no backend for this hardware
	 * yet, or loaded with api_only=1) KVM_RUN must say ENOEXEC; it reports
	 * KVM_CAP_IMMEDIATE_EXIT exactly where it runs them.
	 */
#if defined(__aarch64__)
	expect_errno(ioctl(vcpu, KVM_RUN, 0), ENOEXEC,
		     "KVM_RUN before KVM_ARM_VCPU_INIT -> ENOEXEC%s",
		     kvm_is_ours() && ours_api_only() ? " (api_only)" : "");
#else
	if (kvm_is_ours() && (ours_api_only() ||
			      check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0))
		expect_errno(ioctl(vcpu, KVM_RUN, 0), ENOEXEC,
			     "KVM_RUN without a backend -> ENOEXEC (ours)");
	else
		tap_skip("this module runs guests: see the x86_*_test and s390_*_test guest tests",
			 "KVM_RUN");
#endif
	close(vcpu);
	close(vm);

	test_max_vcpus(kvm);
	close(kvm);
	return tap_finish();
}
