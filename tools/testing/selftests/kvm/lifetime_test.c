// SPDX-License-Identifier: GPL-2.0
/*
 * Object lifetimes: fds used from a forked child, close orders, a SIGKILLed
 * owner, module references held by every fd kind (and by a vCPU mapping
 * that outlives its fd), and VM create/destroy stress. Module references
 * are read from /sys/module/$KVM_MODULE/refcnt.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "test.h"

enum { VM_FD, VCPU_FD, DEV_FD, NR_FDS };

static long base0;	/* refcnt with nothing of ours open */

static int has_attr(int fd)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
	};

	return ioctl(fd, KVM_HAS_DEVICE_ATTR, &a);
}

static void make_all(int kvm, int fds[NR_FDS])
{
	fds[VM_FD] = create_vm(kvm);
	fds[VCPU_FD] = create_vcpu(fds[VM_FD], 0);
	fds[DEV_FD] = create_vfio_device(fds[VM_FD]);
	if (fds[DEV_FD] < 0)
		tap_bail("KVM_CREATE_DEVICE VFIO");
}

static void test_fork(int kvm)
{
	int fds[NR_FDS], res[8], pfd[2], status;
	pid_t pid;

	make_all(kvm, fds);
	if (pipe(pfd))
		tap_bail("pipe");
	pid = fork();
	if (pid < 0)
		tap_bail("fork");
	if (!pid) {
		res[0] = ioctl(fds[VM_FD], KVM_CHECK_EXTENSION,
			       KVM_CAP_USER_MEMORY);
		res[1] = errno;
		res[2] = ioctl(fds[VCPU_FD], KVM_RUN, 0);
		res[3] = errno;
		res[4] = has_attr(fds[DEV_FD]);
		res[5] = errno;
		res[6] = ioctl(kvm, KVM_GET_API_VERSION, 0);
		res[7] = errno;
		if (write(pfd[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	memset(res, 0, sizeof(res));
	if (read(pfd[0], res, sizeof(res)) != sizeof(res))
		tap_diag("child did not report");
	waitpid(pid, &status, 0);
	close(pfd[0]);
	errno = res[1];
	expect_errno(res[0], EIO, "child of fork(): VM fd ioctl -> EIO");
	errno = res[3];
	expect_errno(res[2], EIO, "child of fork(): vCPU fd ioctl -> EIO");
	errno = res[5];
	expect_errno(res[4], EIO, "child of fork(): device fd ioctl -> EIO");
	errno = res[7];
	expect_value(res[6], 12, "child of fork(): the system fd still works");
	close(fds[DEV_FD]);
	close(fds[VCPU_FD]);
	close(fds[VM_FD]);
}

static void test_close_order(int kvm, const int order[NR_FDS],
			     const char *desc)
{
	long before = kvm_module_refcnt(), after;
	int fds[NR_FDS], i;

	make_all(kvm, fds);
	for (i = 0; i < NR_FDS; i++)
		close(fds[order[i]]);
	after = kvm_module_refcnt_settle(before);
	tap_ok(before >= 0 && after == before,
	       "closing %s leaves nothing behind (refcnt %ld -> %ld)", desc,
	       before, after);
}

static void test_sigkill(void)
{
	long before = kvm_module_refcnt(), after;
	int pfd[2], status;
	char c = 0;
	pid_t pid;

	if (pipe(pfd))
		tap_bail("pipe");
	pid = fork();
	if (pid < 0)
		tap_bail("fork");
	if (!pid) {
		int kvm = open_kvm(), fds[NR_FDS];

		make_all(kvm, fds);
		create_vcpu(fds[VM_FD], 1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		tap_diag("child did not get ready");
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	after = kvm_module_refcnt_settle(before);
	tap_ok(c == 'x' && before >= 0 && after == before,
	       "a SIGKILLed owner of VM, vCPUs and device leaves nothing (refcnt %ld -> %ld)",
	       before, after);
}

/*
 * With only the given object held, delete_module(O_NONBLOCK) must refuse.
 * If the refcnt says nothing is held, do not call it: that would unload
 * the module under the remaining tests.
 */
static void expect_pinned(const char *what)
{
	long ref = kvm_module_refcnt();
	long r;

	if (ref <= base0) {
		tap_ok(false, "holding only %s pins %s (refcnt %ld, base %ld)",
		       what, kvm_module(), ref, base0);
		return;
	}
	r = syscall(__NR_delete_module, kvm_module(), O_NONBLOCK);
	expect_errno2(r, EWOULDBLOCK, EAGAIN,
		      "holding only %s: delete_module(%s) -> EWOULDBLOCK",
		      what, kvm_module());
	if (!r)
		tap_bail("%s was unloaded", kvm_module());
}

static void test_pinning(void)
{
	long size, ps = sysconf(_SC_PAGESIZE);
	int kvm, vm, vcpu, dev;
	void *run;

	kvm = open_kvm();
	expect_pinned("the system fd");

	vm = create_vm(kvm);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	close(kvm);
	expect_pinned("a VM fd");

	vcpu = create_vcpu(vm, 0);
	close(vm);
	expect_pinned("a vCPU fd");
	close(vcpu);

	kvm = open_kvm();
	vm = create_vm(kvm);
	close(kvm);
	dev = create_vfio_device(vm);
	close(vm);
	if (dev < 0)
		tap_ok(false, "KVM_CREATE_DEVICE failed");
	else
		expect_pinned("a device fd");
	close(dev);

	kvm = open_kvm();
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	run = mmap(NULL, size > 0 ? size : ps, PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	close(vcpu);
	close(vm);
	close(kvm);
	if (run == MAP_FAILED) {
		tap_ok(false, "mmap of the vCPU failed");
	} else {
		expect_pinned("an mmap of a closed vCPU fd");
		munmap(run, size);
	}
}

static void test_stress(int kvm)
{
	long before = kvm_module_refcnt(), after;
	int i, vm, vcpu, keeper = -1;

	/*
	 * Stock 6.1 enables SVM on every CPU when the first VM appears and
	 * disables it when the last one goes; under QEMU TCG 200 such cycles
	 * once soft-locked a CPU. Keep one VM alive on stock so the loop
	 * measures VM lifetimes, not the emulator's EFER.SVME toggling.
	 */
	if (!kvm_is_ours())
		keeper = create_vm(kvm);

	for (i = 0; i < 200; i++) {
		vm = create_vm(kvm);
		vcpu = create_vcpu(vm, 0);
		close(vcpu);
		close(vm);
	}
	if (keeper >= 0)
		close(keeper);
	after = kvm_module_refcnt_settle(before);
	tap_ok(before >= 0 && after == before,
	       "200 VMs with a vCPU each created and destroyed (refcnt %ld -> %ld)",
	       before, after);
}

int main(void)
{
	static const int vm_first[NR_FDS] = { VM_FD, VCPU_FD, DEV_FD };
	static const int vcpu_first[NR_FDS] = { VCPU_FD, DEV_FD, VM_FD };
	static const int dev_first[NR_FDS] = { DEV_FD, VM_FD, VCPU_FD };
	long end;
	int kvm;

	base0 = kvm_module_refcnt();
	if (base0 < 0 && !kvm_is_ours()) {
		printf("1..0 # SKIP %s has no module refcnt (built into the kernel, as on arm64)\n",
		       kvm_module());
		return 4;	/* kselftest's KSFT_SKIP */
	}
	tap_plan(15);
	tap_diag("%s refcnt at start: %ld", kvm_module(), base0);
	if (base0 < 0)
		tap_bail("cannot read /sys/module/%s/refcnt", kvm_module());

	kvm = open_kvm();
	test_fork(kvm);
	test_close_order(kvm, vm_first, "VM, vCPU, device");
	test_close_order(kvm, vcpu_first, "vCPU, device, VM");
	test_close_order(kvm, dev_first, "device, VM, vCPU");
	test_sigkill();
	test_stress(kvm);
	close(kvm);

	test_pinning();

	end = kvm_module_refcnt_settle(base0);
	tap_ok(end == base0, "refcnt back to its start value %ld (now %ld)",
	       base0, end);
	return tap_finish();
}
