/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Binary statistics (KVM_GET_STATS_FD, virt/kvm/stats.c).
 *
 * A statistic is one or more u64 values inside the VM or vCPU object. The
 * core offers the generic ones (struct nkvm_vm_stat, struct nkvm_vcpu_stat);
 * an arch adds its own through nkvm_arch_ops.vm_stats / vcpu_stats. Each
 * descriptor names the byte offset of its first value from the start of
 * the object the arch allocated (nkvm_arch_ops.vm_size / vcpu_size, whose
 * first member is struct nkvm_vm / struct nkvm_vcpu), so one table can
 * point into the core's part and into the arch's part alike.
 *
 * Concurrency: a value has a single writer at a time (the vCPU's thread
 * for a vCPU statistic; whoever holds the lock named in its legend for a
 * VM one) and is written with WRITE_ONCE(). The stats fd reads it with
 * READ_ONCE() and no lock: all supported arches are 64-bit, so a reader
 * never sees a torn value, only a slightly old one. Histograms are read
 * value by value and so are not a consistent snapshot.
 */
#ifndef _NKVM_STATS_H
#define _NKVM_STATS_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Name size (with the NUL) of the id string and of every descriptor. */
#define NKVM_STATS_NAME_SIZE	48
/* Buckets of the halt-time log histograms, as stock. */
#define NKVM_HALT_HIST_COUNT	32

struct nkvm_stat_desc {
	const char *name;	/* shorter than NKVM_STATS_NAME_SIZE */
	u32 flags;		/* KVM_STATS_TYPE_*, _UNIT_*, _BASE_* */
	s16 exponent;
	u16 size;		/* number of u64 values */
	u32 bucket_size;	/* linear histograms only */
	u32 offset;		/* of the first value in the object */
};

/* Named _name, at _member of _type (a u64, or a u64 array for histograms). */
#define NKVM_STAT_NAMED(_type, _name, _member, _flags, _exp, _size)	\
	{								\
		.name = _name,						\
		.flags = (_flags),					\
		.exponent = (_exp),					\
		.size = (_size),					\
		.offset = offsetof(_type, _member),			\
	}

/* An event count. */
#define NKVM_STAT_COUNTER(_type, _name, _member)			\
	NKVM_STAT_NAMED(_type, _name, _member,				\
			KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE |\
			KVM_STATS_BASE_POW10, 0, 1)
/* A number that goes up and down (e.g. mapped pages). */
#define NKVM_STAT_ICOUNTER(_type, _name, _member)			\
	NKVM_STAT_NAMED(_type, _name, _member,				\
			KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE |	\
			KVM_STATS_BASE_POW10, 0, 1)
/* 0 or 1, now. */
#define NKVM_STAT_IBOOLEAN(_type, _name, _member)			\
	NKVM_STAT_NAMED(_type, _name, _member,				\
			KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN |\
			KVM_STATS_BASE_POW10, 0, 1)
/* Total time in nanoseconds. */
#define NKVM_STAT_TIME_NS(_type, _name, _member)			\
	NKVM_STAT_NAMED(_type, _name, _member,				\
			KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS |\
			KVM_STATS_BASE_POW10, -9, 1)
/* A log2 histogram of times in nanoseconds, _size buckets. */
#define NKVM_STAT_LOGHIST_NS(_type, _name, _member, _size)		\
	NKVM_STAT_NAMED(_type, _name, _member,				\
			KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS |\
			KVM_STATS_BASE_POW10, -9, _size)

/*
 * The generic VM statistics. [k]: under vm->mmu_lock. Every flush the
 * core asks for is carried out (an IPI to every CPU), so the two match.
 */
struct nkvm_vm_stat {
	u64 remote_tlb_flush;		/* [k] */
	u64 remote_tlb_flush_requests;	/* [k] */
};

/*
 * The generic vCPU statistics, written by the vCPU's thread only. nkvm
 * never polls before halting, so the poll counters and histograms stay 0.
 * signal_exits is counted by the core's KVM_RUN loop; an arch that reports
 * it lists it in its own table (it is not a generic statistic upstream).
 */
struct nkvm_vcpu_stat {
	u64 halt_successful_poll;
	u64 halt_attempted_poll;
	u64 halt_poll_invalid;
	u64 halt_wakeup;		/* blocks ended by an event */
	u64 halt_poll_success_ns;
	u64 halt_poll_fail_ns;
	u64 halt_wait_ns;		/* time asleep in nkvm_vcpu_block() */
	u64 halt_poll_success_hist[NKVM_HALT_HIST_COUNT];
	u64 halt_poll_fail_hist[NKVM_HALT_HIST_COUNT];
	u64 halt_wait_hist[NKVM_HALT_HIST_COUNT];
	u64 blocking;			/* 1 while in nkvm_vcpu_block() */
	u64 signal_exits;		/* KVM_EXIT_INTR for a pending signal */
};

/* One more event, by the value's only writer. */
static inline void nkvm_stat_inc(u64 *stat)
{
	WRITE_ONCE(*stat, *stat + 1);
}

static inline void nkvm_stat_add(u64 *stat, u64 n)
{
	WRITE_ONCE(*stat, *stat + n);
}

static inline void nkvm_stat_dec(u64 *stat)
{
	WRITE_ONCE(*stat, *stat - 1);
}

/*
 * Count value into a log2 histogram of size buckets: bucket 0 holds 0,
 * bucket i (i >= 1) [2^(i-1), 2^i), the last one everything above.
 */
static inline void nkvm_stat_log_hist(u64 *hist, size_t size, u64 value)
{
	size_t i = min_t(size_t, fls64(value), size - 1);

	nkvm_stat_inc(&hist[i]);
}

struct nkvm_vm;
struct nkvm_vcpu;

/* virt/kvm/stats.c */
int nkvm_stats_init(void);
void nkvm_stats_exit(void);
int nkvm_vm_stats_fd(struct nkvm_vm *vm);
int nkvm_vcpu_stats_fd(struct nkvm_vcpu *vcpu);

#endif /* _NKVM_STATS_H */
