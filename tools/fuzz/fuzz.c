// SPDX-License-Identifier: GPL-2.0
/*
 * Shared pieces of the nkvm fuzzers: see fuzz.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "fuzz.h"

/* ---------------------------------------------------------------- PRNG */

uint64_t rng_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
	r->s = rng_mix(seed ^ rng_mix(stream * 0x100000001b3ULL ^ rng_mix(index)));
}

uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return rng_mix(r->s);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

void rng_fill(struct rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len >= 8) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, len);
	}
}

uint64_t rng_edge(struct rng *r, unsigned int bytes)
{
	static const uint64_t edges[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256,
		511, 512, 1023, 1024, 4095, 4096, 4097, 0x7fff, 0x8000, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 1,
	};
	uint64_t v, mask = bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;

	switch (rng_below(r, 4)) {
	case 0:
		v = rng_next(r);
		break;
	case 1:
		v = rng_below(r, 16);
		break;
	default:
		v = RNG_PICK(r, edges);
		if (rng_pct(r, 20))
			v = -v;
		break;
	}
	return v & mask;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void out(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w <= 0 && errno != EINTR)
			return;
		if (w > 0)
			n -= w;
	}
}

/* ------------------------------------------------------------- signals */

static __thread sigjmp_buf probe_jb;
static __thread volatile sig_atomic_t probe_on;

static void kick_handler(int sig)
{
	(void)sig;
}

static void fault_handler(int sig)
{
	if (probe_on) {
		probe_on = 0;
		siglongjmp(probe_jb, 1);
	}
	/* A fault of the fuzzer itself: die of it, as without a handler. */
	signal(sig, SIG_DFL);
}

void fuzz_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = kick_handler;		/* no SA_RESTART: EINTR */
	sigaction(KICK_SIGNAL, &sa, NULL);
	sa.sa_handler = fault_handler;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool kick_init(struct kick *k)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KICK_SIGNAL;
	sev._sigev_un._tid = syscall(SYS_gettid);
	k->ok = !timer_create(CLOCK_MONOTONIC, &sev, &k->timer);
	return k->ok;
}

void kick_arm(struct kick *k, unsigned int first_ms, unsigned int every_ms)
{
	struct itimerspec it = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000000L },
		.it_interval = { every_ms / 1000, (every_ms % 1000) * 1000000L },
	};

	if (k->ok)
		timer_settime(k->timer, 0, &it, NULL);
}

void kick_disarm(struct kick *k)
{
	struct itimerspec it;

	memset(&it, 0, sizeof(it));
	if (k->ok)
		timer_settime(k->timer, 0, &it, NULL);
}

bool probe_read(const volatile uint8_t *p, size_t len, uint64_t *sum)
{
	volatile uint64_t s = 0;
	volatile size_t n = len;

	if (sigsetjmp(probe_jb, 1))
		return false;
	probe_on = 1;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	probe_on = 0;
	*sum += s;
	return true;
}

bool probe_write(volatile uint8_t *p, size_t len, struct rng *r)
{
	/* Draw first: a fault must not change the random sequence. */
	volatile uint64_t v = rng_next(r);
	volatile size_t n = len;

	if (sigsetjmp(probe_jb, 1))
		return false;
	probe_on = 1;
	for (size_t i = 0; i < n; i++)
		p[i] = v >> (8 * (i & 7));
	probe_on = 0;
	return true;
}

/* ------------------------------------------------------------- monitor */

void worker_init(struct worker *w)
{
	atomic_store(&w->tid, (int)syscall(SYS_gettid));
}

/* Where a blocked thread sits in the kernel (/proc/.../stack), for the report. */
static void dump_stack_of(const char *prog, int tid)
{
	static char buf[4096];
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		out(1, "%s:   %s\n", prog, l);
}

static const char *alarm_prog = "fuzz";

static void alarm_handler(int sig)
{
	(void)sig;
	out(1, "%s: watchdog: the run did not end; giving up\n", alarm_prog);
	out(1, "fuzz: 0 ops, 1 reports\n");
	_exit(3);
}

unsigned int monitor_workers(struct worker **w, unsigned int n,
			     uint64_t hard_deadline_ns, unsigned int hang_ms,
			     const char *prog, uint64_t seed)
{
	unsigned int hangs = 0;
	uint64_t left;

	alarm_prog = prog;
	signal(SIGALRM, alarm_handler);
	left = hard_deadline_ns > now_ns() ? hard_deadline_ns - now_ns() : 0;
	alarm(left / 1000000000ULL + 60);
	for (;;) {
		unsigned int alive = 0;
		uint64_t t = now_ns();

		for (unsigned int i = 0; i < n; i++) {
			uint64_t s = atomic_load(&w[i]->op_start);
			uint64_t idx = atomic_load(&w[i]->op_index);
			/*
			 * The clock is read after op_start: an op that began
			 * after t would otherwise look 2^64 ns old (the false
			 * "hangs" of earlier runs).
			 */
			uint64_t now = now_ns();
			uint64_t ms = s && now > s ? (now - s) / 1000000ULL : 0;

			if (atomic_load(&w[i]->done))
				continue;
			alive++;
			/* Slow (RCU grace periods under TCG): said, not counted. */
			if (ms > SLOW_MS && ms <= hang_ms &&
			    atomic_load(&w[i]->slow_reported) != (int)(idx + 1)) {
				atomic_store(&w[i]->slow_reported, (int)(idx + 1));
				out(1, "%s: slow: thread %d op %llu (%s, ioctl %#lx) blocked for %llu ms; its kernel stack:\n",
				    prog, w[i]->id, (unsigned long long)idx,
				    atomic_load(&w[i]->op_name),
				    atomic_load(&w[i]->nr), (unsigned long long)ms);
				dump_stack_of(prog, atomic_load(&w[i]->tid));
			}
			if (ms > hang_ms &&
			    atomic_load(&w[i]->hang_reported) != (int)(idx + 1)) {
				atomic_store(&w[i]->hang_reported, (int)(idx + 1));
				hangs++;
				out(1, "%s: FINDING hang: thread %d op %llu (%s, ioctl %#lx) blocked for %llu ms (seed %#llx); its kernel stack:\n",
				    prog, w[i]->id, (unsigned long long)idx,
				    atomic_load(&w[i]->op_name),
				    atomic_load(&w[i]->nr), (unsigned long long)ms,
				    (unsigned long long)seed);
				dump_stack_of(prog, atomic_load(&w[i]->tid));
			}
		}
		if (!alive)
			break;
		if (t > hard_deadline_ns) {
			out(1, "%s: %u thread(s) still blocked at the hard deadline\n",
			    prog, alive);
			if (!hangs)
				hangs = 1;
			break;
		}
		usleep(100 * 1000);
	}
	alarm(0);
	return hangs;
}

/* ------------------------------------------------------------- reports */

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

void report_begin(struct kreport *k)
{
	int fd;

	k->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->kmsg >= 0)
		lseek(k->kmsg, 0, SEEK_END);
	k->kmemleak = !access(KMEMLEAK, F_OK);
	if (k->kmemleak) {
		/* Forget the suspects found before the run. */
		fd = open(KMEMLEAK, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "clear", 5) < 0)
				k->kmemleak = false;
			close(fd);
		}
	}
}

static bool has(const char *s, const char *what)
{
	return strstr(s, what);
}

/* The first line of a report (each counts once; see Documentation/fuzzing.md). */
static bool report_header(const char *m, bool kmemleak)
{
	return has(m, "WARNING:") || has(m, "BUG:") || has(m, "Oops") ||
	       has(m, "KASAN") || has(m, "UBSAN") ||
	       has(m, "general protection fault") ||
	       (has(m, "possible ") && has(m, "locking")) ||
	       (!kmemleak && has(m, "unreferenced object")) ||
	       has(m, "kernel BUG") ||
	       has(m, "Kernel panic") || has(m, "INFO: task") ||
	       has(m, "detected stall");
}

static unsigned int count_kmsg(int fd, bool kmemleak, const char *prog)
{
	static char rec[8192];
	unsigned int n = 0;
	bool header_pending = false;

	for (;;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (len <= 0)
			break;
		rec[len] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (report_header(msg, kmemleak)) {
			n++;
			header_pending = true;
			out(1, "%s: kernel report: %s\n", prog, msg);
		} else if (has(msg, "Call Trace")) {
			/* A trace with no header of its own is a report too. */
			if (!header_pending) {
				n++;
				out(1, "%s: kernel report: (Call Trace)\n", prog);
			}
			header_pending = false;
		}
	}
	return n;
}

static unsigned int count_kmemleak(const char *prog)
{
	static char buf[65536];
	unsigned int n = 0;
	ssize_t len, total = 0;
	char *p;
	int fd;

	fd = open(KMEMLEAK, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, "scan", 4) < 0)
		out(1, "%s: kmemleak scan: %s\n", prog, strerror(errno));
	close(fd);
	fd = open(KMEMLEAK, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((len = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += len;
	close(fd);
	buf[total] = 0;
	for (p = buf; (p = strstr(p, "unreferenced object"));) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		out(1, "%s: kmemleak: %s\n", prog, p);
		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

unsigned int report_end(struct kreport *k, const char *prog)
{
	unsigned int n = 0;

	if (k->kmemleak)
		n += count_kmemleak(prog);
	if (k->kmsg >= 0) {
		n += count_kmsg(k->kmsg, k->kmemleak, prog);
		close(k->kmsg);
		k->kmsg = -1;
	} else {
		out(1, "%s: cannot read /dev/kmsg: kernel reports not counted\n",
		    prog);
	}
	return n;
}
