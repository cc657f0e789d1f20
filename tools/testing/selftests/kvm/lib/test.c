// SPDX-License-Identifier: GPL-2.0
/*
 * TAP helpers and KVM boilerplate shared by the nkvm selftests.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static int tap_planned;
static int tap_count;
static int tap_failed;

void tap_plan(int n)
{
	tap_planned = n;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%d\n", n);
	printf("# %s on %s, module %s\n", TEST_ARCH, kvm_impl_name(),
	       kvm_module());
}

static void tap_vline(bool cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(cond, fmt, ap);
	va_end(ap);
	printf("\n");
	return cond;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(true, fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\n", errno, strerror(errno));
	exit(1);
}

int tap_finish(void)
{
	if (tap_count != tap_planned) {
		tap_diag("planned %d checks but ran %d", tap_planned, tap_count);
		return 1;
	}
	if (tap_failed)
		tap_diag("%d of %d checks failed", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

int tap_skip_rest(const char *reason)
{
	while (tap_count < tap_planned)
		tap_skip(reason, "check %d", tap_count + 1);
	return tap_finish();
}

static bool expect_vline(bool cond, long ret, int err, const char *want,
			 const char *fmt, va_list ap)
{
	tap_vline(cond, fmt, ap);
	printf("\n");
	if (!cond) {
		if (ret == -1)
			tap_diag("  got -1, errno %d (%s); want %s", err,
				 strerror(err), want);
		else
			tap_diag("  got %ld; want %s", ret, want);
	}
	return cond;
}

bool expect_errno(long ret, int err, const char *fmt, ...)
{
	int saved = errno;
	char want[64];
	va_list ap;
	bool r;

	snprintf(want, sizeof(want), "-1/%s", strerrorname_np(err));
	va_start(ap, fmt);
	r = expect_vline(ret == -1 && saved == err, ret, saved, want, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool expect_errno2(long ret, int err1, int err2, const char *fmt, ...)
{
	int saved = errno;
	char want[64];
	va_list ap;
	bool r;

	snprintf(want, sizeof(want), "-1/%s or -1/%s", strerrorname_np(err1),
		 strerrorname_np(err2));
	va_start(ap, fmt);
	r = expect_vline(ret == -1 && (saved == err1 || saved == err2), ret,
			 saved, want, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool expect_success(long ret, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = expect_vline(ret >= 0, ret, saved, "success", fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool expect_value(long ret, long val, const char *fmt, ...)
{
	int saved = errno;
	char want[64];
	va_list ap;
	bool r;

	snprintf(want, sizeof(want), "%ld", val);
	va_start(ap, fmt);
	r = expect_vline(ret == val, ret, saved, want, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool kvm_is_ours(void)
{
	const char *impl = getenv("KVM_IMPL");
	struct stat st;

	if (impl && !strcmp(impl, "ours"))
		return true;
	if (impl && !strcmp(impl, "stock"))
		return false;
	return stat("/sys/module/nkvm", &st) == 0;
}

const char *kvm_impl_name(void)
{
	return kvm_is_ours() ? "ours" : "stock";
}

const char *kvm_module(void)
{
	const char *mod = getenv("KVM_MODULE");

	if (mod && *mod)
		return mod;
	return "nkvm";
}

long kvm_module_refcnt(void)
{
	char path[256];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", kvm_module());
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

long kvm_module_refcnt_settle(long want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long val = kvm_module_refcnt();
	int i;

	for (i = 0; i < 300 && val != want; i++) {
		nanosleep(&ts, NULL);
		val = kvm_module_refcnt();
	}
	return val;
}

int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_bail("open /dev/kvm");
	return fd;
}

int create_vm(int kvm_fd)
{
	int fd = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);

	if (fd < 0)
		tap_bail("KVM_CREATE_VM");
	return fd;
}

int create_vcpu(int vm_fd, unsigned long id)
{
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);

	if (fd < 0)
		tap_bail("KVM_CREATE_VCPU %lu", id);
	return fd;
}

int create_vfio_device(int vm_fd)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -1;
	return cd.fd;
}

long check_cap(int fd, long cap)
{
	long r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

bool raise_nofile(unsigned long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return false;
	if (rl.rlim_cur >= n)
		return true;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	rl.rlim_cur = n;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

void *alloc_aligned(size_t size, size_t align)
{
	size_t len = size + align;
	uintptr_t p, a;
	void *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		tap_bail("mmap %zu bytes", len);
	p = (uintptr_t)m;
	a = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > p)
		munmap(m, a - p);
	if (p + len > a + size)
		munmap((void *)(a + size), p + len - (a + size));
	return (void *)a;
}

const struct kvm_cap_name kvm_needed_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS" },
	{ KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS" },
	{ KVM_CAP_MAX_VCPU_ID, "KVM_CAP_MAX_VCPU_ID" },
	{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
	{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
	{ KVM_CAP_CHECK_EXTENSION_VM, "KVM_CAP_CHECK_EXTENSION_VM" },
	{ KVM_CAP_MULTI_ADDRESS_SPACE, "KVM_CAP_MULTI_ADDRESS_SPACE" },
};
const unsigned int kvm_nr_needed_caps = ARRAY_SIZE(kvm_needed_caps);
