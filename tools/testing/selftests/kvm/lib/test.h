/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny TAP library for the nkvm selftests.
 *
 * Every test declares its plan up front (tap_plan()), reports each check
 * exactly once (tap_ok(), tap_skip(), or one of the expect_*() helpers) and
 * returns tap_finish(), which fails the program when the number of reported
 * checks differs from the plan or when any check failed.
 *
 * The tests are built against the distro uapi headers, never nkvm's own, so
 * they check the ABI that real userspace sees.
 */
#ifndef NKVM_SELFTEST_TEST_H
#define NKVM_SELFTEST_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1024UL * 1024UL)

/* An ioctl number no KVM version defines (type KVMIO, nr 0xfe). */
#define KVM_UNKNOWN_IOCTL _IO(KVMIO, 0xfe)

#define __printf(a, b) __attribute__((format(printf, a, b)))

void tap_plan(int n);
bool tap_ok(bool cond, const char *fmt, ...) __printf(2, 3);
void tap_skip(const char *reason, const char *fmt, ...) __printf(2, 3);
void tap_diag(const char *fmt, ...) __printf(1, 2);
void tap_bail(const char *fmt, ...) __printf(1, 2) __attribute__((noreturn));
int tap_finish(void);
/* Skip every planned check not reported yet, then tap_finish(). */
int tap_skip_rest(const char *reason);

/* ret must be -1 with errno == err. */
bool expect_errno(long ret, int err, const char *fmt, ...) __printf(3, 4);
/* ret must be -1 with errno being one of err1 / err2. */
bool expect_errno2(long ret, int err1, int err2, const char *fmt, ...)
	__printf(4, 5);
/* ret must be >= 0. */
bool expect_success(long ret, const char *fmt, ...) __printf(2, 3);
/* ret must be exactly val. */
bool expect_value(long ret, long val, const char *fmt, ...) __printf(3, 4);

/* Which implementation owns /dev/kvm: env KVM_IMPL, else /sys/module/nkvm. */
bool kvm_is_ours(void);
const char *kvm_impl_name(void);
/* Name of the module that owns /dev/kvm: env KVM_MODULE, else nkvm. */
const char *kvm_module(void);
/* /sys/module/<kvm_module()>/refcnt, or -1 when it cannot be read. */
long kvm_module_refcnt(void);
/* Poll (up to 3 s) for the refcnt to reach want; returns the last value. */
long kvm_module_refcnt_settle(long want);

int open_kvm(void);			/* bails out on failure */
int create_vm(int kvm_fd);		/* type 0; bails out on failure */
int create_vcpu(int vm_fd, unsigned long id);	/* bails out on failure */
int create_vfio_device(int vm_fd);	/* -1 with errno on failure */
long check_cap(int fd, long cap);

/* The capabilities every implementation must answer non-zero. */
struct kvm_cap_name {
	long cap;
	const char *name;
};
extern const struct kvm_cap_name kvm_needed_caps[];
extern const unsigned int kvm_nr_needed_caps;	/* KVM_CHECK_EXTENSION, <0 -> 0 */

/* Raise RLIMIT_NOFILE to at least n; returns false if impossible. */
bool raise_nofile(unsigned long n);

/*
 * mmap an anonymous region of size bytes aligned to align (a power of two);
 * bails out on failure.
 */
void *alloc_aligned(size_t size, size_t align);

#if defined(__x86_64__)
#define TEST_ARCH "x86_64"
#elif defined(__aarch64__)
#define TEST_ARCH "arm64"
#elif defined(__s390x__)
#define TEST_ARCH "s390x"
#else
#error "unsupported architecture"
#endif

#endif /* NKVM_SELFTEST_TEST_H */
