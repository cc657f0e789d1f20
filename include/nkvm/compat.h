/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nkvm: the kernel interfaces that differ between the kernels we build for
 * (Debian 12's 6.1 and 6.12 series), behind one helper each. This is the
 * only place that tests the kernel version: code elsewhere calls the helpers.
 */
#ifndef _NKVM_COMPAT_H
#define _NKVM_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mm.h>

/* The kernel we are built for is major.minor or newer. */
#define NKVM_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/* 6.12 moved the unaligned access helpers out of asm/. */
#if NKVM_KERNEL_AT_LEAST(6, 12)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* vm_flags became read-only in 6.3: writers go through vm_flags_set(). */
static inline void nkvm_vma_set_flags(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
#if NKVM_KERNEL_AT_LEAST(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* eventfd_signal() lost its always-1 count argument in 6.8. */
static inline void nkvm_eventfd_signal(struct eventfd_ctx *ctx)
{
#if NKVM_KERNEL_AT_LEAST(6, 8)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* struct fd hides its file pointer behind fd_file() since 6.12. */
static inline struct file *nkvm_fd_file(struct fd f)
{
#if NKVM_KERNEL_AT_LEAST(6, 12)
	return fd_file(f);
#else
	return f.file;
#endif
}

#endif /* _NKVM_COMPAT_H */
