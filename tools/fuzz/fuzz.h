/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the nkvm fuzzers (ioctl_fuzz, guest_fuzz): a seeded
 * PRNG, per-thread kick timers that interrupt blocked ioctls, a hang
 * monitor, guarded memory probes and the count of kernel reports (from
 * /dev/kmsg and kmemleak) logged during a run.
 */
#ifndef NKVM_FUZZ_H
#define NKVM_FUZZ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096UL

/* ---- PRNG: splitmix64; one independent stream per (seed, stream, index). */
struct rng {
	uint64_t s;
};

uint64_t rng_mix(uint64_t x);
void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* True with probability pct / 100. */
bool rng_pct(struct rng *r, unsigned int pct);
void rng_fill(struct rng *r, void *buf, size_t len);
/* A value from the usual edge cases, or random, of the given width. */
uint64_t rng_edge(struct rng *r, unsigned int bytes);
/* One element of a uint64_t array. */
#define RNG_PICK(r, arr) ((arr)[rng_below((r), ARRAY_SIZE(arr))])

uint64_t now_ns(void);

/* ---- output: async-signal-safe formatted write to stdout/stderr. */
void out(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- signals: SIGUSR1 kicks a thread out of a blocking ioctl. */
#define KICK_SIGNAL SIGUSR1
/* Install the kick (no-op, no SA_RESTART) and SEGV/BUS probe handlers. */
void fuzz_signals_init(void);

struct kick {
	timer_t timer;
	bool ok;
};

/* A per-thread timer that sends KICK_SIGNAL to the calling thread. */
bool kick_init(struct kick *k);
/* First kick after first_ms, then every every_ms until disarmed. */
void kick_arm(struct kick *k, unsigned int first_ms, unsigned int every_ms);
void kick_disarm(struct kick *k);

/*
 * Probes: read or write memory that another thread may unmap at any time.
 * False when the access faulted (SIGSEGV/SIGBUS caught in this thread).
 */
bool probe_read(const volatile uint8_t *p, size_t len, uint64_t *sum);
bool probe_write(volatile uint8_t *p, size_t len, struct rng *r);

/* ---- hang monitor: each worker publishes the op it is in. */
struct worker {
	_Atomic uint64_t op_start;	/* now_ns() when the op began, 0 idle */
	_Atomic uint64_t op_index;
	const char *_Atomic op_name;
	_Atomic uint64_t ops;		/* ops done */
	_Atomic int done;
	_Atomic int hang_reported;
	_Atomic int slow_reported;
	_Atomic int tid;		/* kernel thread id, for its stack */
	_Atomic unsigned long nr;	/* the ioctl under way, if any */
	int id;
};

static inline void worker_begin(struct worker *w, uint64_t index,
				const char *name)
{
	atomic_store(&w->op_index, index);
	atomic_store(&w->op_name, name);
	atomic_store(&w->op_start, now_ns());
}

static inline void worker_end(struct worker *w)
{
	atomic_store(&w->op_start, 0);
}

/* In the worker thread itself, once. */
void worker_init(struct worker *w);

/*
 * Wait until every worker is done or hard_deadline_ns passes. A worker in
 * one op for longer than SLOW_MS gets its kernel stack printed; longer
 * than hang_ms, it is reported (once per op) as a hang. Returns the number
 * of hangs. An alarm() of last resort ends the
 * process if this itself cannot return.
 */
#define SLOW_MS		10000
#define HANG_MS		60000
unsigned int monitor_workers(struct worker **w, unsigned int n,
			     uint64_t hard_deadline_ns, unsigned int hang_ms,
			     const char *prog, uint64_t seed);

/* ---- kernel reports logged between report_begin() and report_end(). */
struct kreport {
	int kmsg;
	bool kmemleak;
};

void report_begin(struct kreport *k);
/* Prints each report's first line; returns how many there were. */
unsigned int report_end(struct kreport *k, const char *prog);

#endif
