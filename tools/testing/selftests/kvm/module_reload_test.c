// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading and loading nkvm.ko again and again (finit_module of
 * /payload/nkvm.ko with the parameters it was loaded with, and
 * delete_module(O_NONBLOCK)):
 *  1. N cycles with nothing open: each unload and load works, /dev/kvm
 *     goes and comes back, KVM_GET_API_VERSION answers;
 *  2. N cycles with a VM held (memslot, vCPU and its mapping; on x86 an
 *     irqchip and a guest that ran to an I/O exit): the unload is refused
 *     with EWOULDBLOCK (the kernel's answer for a module still in use),
 *     the VM still works, and once everything is closed the unload works;
 *  3. N/12 cycles (at least one) where a vCPU fd, a device fd or a
 *     kvm_run mapping outlives every other reference: refused until it
 *     goes (N/4 unloads);
 *  4. N/4 rounds (at least one) of children SIGKILLed at random moments: one creating
 *     and destroying VMs, and where guests run one inside KVM_RUN of a
 *     guest spinning in `jmp .` (every other round with the PIT
 *     interrupting it) and one whose vCPU thread sleeps in HLT with an
 *     in-kernel irqchip; once they are reaped the unload must work.
 * At the end nkvm is loaded again with its original parameters (the rest
 * of the run needs it) and the kernel log written meanwhile holds no
 * warning. N is $NKVM_RELOADS (default 20); $NKVM_RELOAD_SEED repeats the
 * random kill moments of an earlier run. nkvm only: reloading the stock
 * modules is not our business, so on stock (or without /payload/nkvm.ko)
 * the whole test is skipped.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "test.h"
#include "guest.h"

#define MODULE_NAME	"nkvm"
#define DEFAULT_KO	"/payload/nkvm.ko"
#define PARAM_DIR	"/sys/module/" MODULE_NAME "/parameters"
#define DEFAULT_RELOADS	20
#define WATCHDOG_S	60	/* one cycle, one kill round */
#define KSFT_SKIP	4
#define MEM_SIZE	(1 * MiB)
#define CODE_GPA	0x1000
#define STACK_TOP	0x8000
#define NR_CHECKS	19

static int ko_fd = -1;
static char params[512];
static int reloads;
static bool runs_guests, has_irqchip;

/* ---- timing ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct timing {
	int n;
	int64_t total, max;
};

static void timing_add(struct timing *t, int64_t ns)
{
	t->n++;
	t->total += ns;
	if (ns > t->max)
		t->max = ns;
}

static void timing_diag(const char *what, const struct timing *t)
{
	if (!t->n)
		return;
	tap_diag("  %s: %d, avg %.2f ms, max %.2f ms", what, t->n,
		 t->total / 1e6 / t->n, t->max / 1e6);
}

static struct timing t_unload, t_load;

/* ---- watchdog: no step may hang the run ---- */

static const char *volatile wd_step = "start";
static volatile int wd_cycle;
static pid_t wd_kids[4];

static void on_watchdog(int sig)
{
	char buf[256];
	int i, n;

	(void)sig;
	for (i = 0; i < (int)ARRAY_SIZE(wd_kids); i++)
		if (wd_kids[i] > 0)
			kill(wd_kids[i], SIGKILL);
	n = snprintf(buf, sizeof(buf),
		     "Bail out! watchdog: %s (cycle %d) took more than %d s\n",
		     wd_step, wd_cycle, WATCHDOG_S);
	if (write(STDOUT_FILENO, buf, n) < 0)
		_exit(2);
	_exit(1);
}

static void watchdog(const char *step, int cycle)
{
	wd_step = step;
	wd_cycle = cycle;
	alarm(WATCHDOG_S);
}

/* ---- a deterministic PRNG for the kill moments ---- */

static uint64_t rng_state;

static uint32_t rng(uint32_t bound)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return bound ? (uint32_t)(z % bound) : 0;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the kernel log (/dev/kmsg), read as it is written ---- */

static int kmsg_fd = -1;
static int kmsg_records, kmsg_lost, kmsg_trouble, kmsg_nkvm;

static const char *const trouble[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "general protection",
	"Call Trace", "Kernel panic", "UBSAN:", "soft lockup", "hung_task",
	"blocked for more than", "suspected memory leak",
};

static void kmsg_line(const char *rec)
{
	const char *text = strchr(rec, ';');
	char line[256];
	unsigned int i;
	size_t len;

	text = text ? text + 1 : rec;
	len = strcspn(text, "\n");
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, text, len);
	line[len] = 0;
	kmsg_records++;
	if (!strncmp(line, MODULE_NAME ":", strlen(MODULE_NAME) + 1))
		kmsg_nkvm++;
	for (i = 0; i < ARRAY_SIZE(trouble); i++) {
		if (strstr(line, trouble[i])) {
			if (++kmsg_trouble <= 10)
				tap_diag("kernel: %s", line);
			break;
		}
	}
}

/* Everything logged since the last call. */
static void kmsg_drain(void)
{
	char rec[2048];
	ssize_t n;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			/* Overwritten before we read it. */
			kmsg_lost++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		kmsg_line(rec);
	}
}

static void kmsg_start(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0) {
		tap_diag("cannot read /dev/kmsg: %m");
		return;
	}
	lseek(kmsg_fd, 0, SEEK_END);
}

/* ---- loading and unloading ---- */

static bool module_present(void)
{
	struct stat st;

	return stat("/sys/module/" MODULE_NAME, &st) == 0;
}

/* "name=value ..." from /sys/module/nkvm/parameters, sorted by name. */
static void read_params(char *buf, size_t size)
{
	struct dirent **ents;
	size_t used = 0;
	int i, n;

	buf[0] = 0;
	n = scandir(PARAM_DIR, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[512], val[128] = "";
		FILE *f;

		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), PARAM_DIR "/%s",
				 ents[i]->d_name);
			f = fopen(path, "r");
			if (f) {
				if (!fgets(val, sizeof(val), f))
					val[0] = 0;
				fclose(f);
			}
			val[strcspn(val, "\n")] = 0;
			used += snprintf(buf + used, size - used, "%s%s=%s",
					 used ? " " : "", ents[i]->d_name, val);
			if (used >= size)
				tap_bail("module parameters too long");
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static long do_unload(void)
{
	int64_t t = now_ns();
	long r = syscall(__NR_delete_module, MODULE_NAME, O_NONBLOCK);
	int err = errno;

	if (!r)
		timing_add(&t_unload, now_ns() - t);
	kmsg_drain();
	errno = err;
	return r;
}

static long do_load(void)
{
	int64_t t = now_ns();
	long r = syscall(__NR_finit_module, ko_fd, params, 0);
	int err = errno;

	if (!r)
		timing_add(&t_load, now_ns() - t);
	kmsg_drain();
	errno = err;
	return r;
}

/* After an unload: the module and /dev/kvm are gone. */
static bool module_gone(void)
{
	int fd;

	if (module_present())
		return false;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return true;
}

/* After a load: a fresh /dev/kvm answers KVM_GET_API_VERSION. */
static bool kvm_answers(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	long v;

	if (fd < 0)
		return false;
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return v == KVM_API_VERSION;
}

/* Unload (nothing may hold nkvm) and load again; false after a diag. */
static bool reload(const char *what, int cycle)
{
	watchdog(what, cycle);
	if (do_unload()) {
		tap_diag("%s, cycle %d: delete_module: %m (refcnt %ld)", what,
			 cycle, kvm_module_refcnt());
		return false;
	}
	if (!module_gone()) {
		tap_diag("%s, cycle %d: nkvm or /dev/kvm still there after the unload",
			 what, cycle);
		return false;
	}
	if (do_load()) {
		tap_diag("%s, cycle %d: finit_module(\"%s\"): %m", what, cycle,
			 params);
		return false;
	}
	if (!kvm_answers()) {
		tap_diag("%s, cycle %d: /dev/kvm does not answer after the load",
			 what, cycle);
		return false;
	}
	return true;
}

/* The unload must be refused now (something of ours still holds nkvm). */
static bool unload_refused(const char *what, int cycle)
{
	long r;

	watchdog(what, cycle);
	r = do_unload();
	if (r == -1 && errno == EWOULDBLOCK)
		return true;
	if (r)
		tap_diag("%s, cycle %d: delete_module: %m, want EWOULDBLOCK",
			 what, cycle);
	else
		tap_bail("%s, cycle %d: nkvm was unloaded while in use", what,
			 cycle);
	return false;
}

/* Bring nkvm back after a failure, so the later phases (and tests) run. */
static void ensure_loaded(void)
{
	if (module_present())
		return;
	if (do_load())
		tap_bail("finit_module(\"%s\") to recover", params);
}

static void phase_diag(const char *what, int n, int64_t t0)
{
	tap_diag("%s: %d reloads in %.2f s", what, n, (now_ns() - t0) / 1e9);
	timing_diag("unload", &t_unload);
	timing_diag("load", &t_load);
	memset(&t_unload, 0, sizeof(t_unload));
	memset(&t_load, 0, sizeof(t_load));
}

/* ---- 1. nothing open ---- */

static void phase_idle(void)
{
	int i, unloads = 0, gone = 0, loads = 0, answers = 0;
	int64_t t0 = now_ns();

	for (i = 0; i < reloads; i++) {
		watchdog("idle reload", i);
		if (do_unload()) {
			tap_diag("cycle %d: delete_module: %m", i);
			break;
		}
		unloads++;
		if (!module_gone()) {
			tap_diag("cycle %d: nkvm or /dev/kvm left after the unload", i);
			break;
		}
		gone++;
		if (do_load()) {
			tap_diag("cycle %d: finit_module(\"%s\"): %m", i, params);
			break;
		}
		loads++;
		if (!kvm_answers()) {
			tap_diag("cycle %d: no KVM_GET_API_VERSION after the load", i);
			break;
		}
		answers++;
	}
	ensure_loaded();
	tap_ok(unloads == reloads, "idle: %d of %d unloads with nothing open",
	       unloads, reloads);
	tap_ok(gone == reloads, "idle: module and /dev/kvm gone after %d of %d unloads",
	       gone, reloads);
	tap_ok(loads == reloads, "idle: %d of %d loads (\"%s\")", loads,
	       reloads, params);
	tap_ok(answers == reloads,
	       "idle: KVM_GET_API_VERSION %d after %d of %d loads",
	       KVM_API_VERSION, answers, reloads);
	phase_diag("idle", reloads, t0);
}

/* ---- guest code (x86 real mode at CODE_GPA) ---- */

#if defined(__x86_64__)
extern const uint8_t rl_io_guest[], rl_io_guest_end[];
extern const uint8_t rl_spin_guest[], rl_spin_guest_end[];
extern const uint8_t rl_hlt_guest[], rl_hlt_guest_end[];
extern const uint8_t rl_pit_guest[], rl_pit_guest_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    /* OUT 1, 2, 3... to port 0x10: one I/O exit per KVM_RUN. */
    "rl_io_guest:\n"
    "	xor %al, %al\n"
    "1:	inc %al\n"
    "	out %al, $0x10\n"
    "	jmp 1b\n"
    "rl_io_guest_end:\n"
    "rl_spin_guest:\n"
    "1:	jmp 1b\n"
    "rl_spin_guest_end:\n"
    "rl_hlt_guest:\n"
    "	cli\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "rl_hlt_guest_end:\n"
    /*
     * The 8259 with IRQ 0 at vector 0x20, the PIT's counter 0 at 1 kHz,
     * then spin with interrupts on; the handler only EOIs (no exit).
     */
    "rl_pit_guest:\n"
    "	cli\n"
    "	movw $(2f - rl_pit_guest + 0x1000), 0x80\n"
    "	movw $0, 0x82\n"
    GUEST_PIC_INIT_IRQ0
    "	mov $0x34, %al\n"
    "	out %al, $0x43\n"
    "	mov $0xa9, %al\n"
    "	out %al, $0x40\n"
    "	mov $0x04, %al\n"
    "	out %al, $0x40\n"
    "	sti\n"
    "1:	jmp 1b\n"
    "2:	push %ax\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %ax\n"
    "	iret\n"
    "rl_pit_guest_end:\n"
    ".code64\n"
    ".popsection\n");

/* A VM with memory, the code at CODE_GPA, and a real-mode vCPU 0. */
static void *guest_setup(struct guest *g, int kvm, const uint8_t *code,
			 const uint8_t *end, bool irqchip, bool pit)
{
	struct kvm_pit_config cfg;
	uint8_t *mem;

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap: %m");
	memcpy(mem + CODE_GPA, code, end - code);
	guest_create(g, kvm);
	guest_set_slot(g, 0, 0, mem, MEM_SIZE, 0);
	if (irqchip && ioctl(g->vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP");
	memset(&cfg, 0, sizeof(cfg));
	if (pit && ioctl(g->vm, KVM_CREATE_PIT2, &cfg))
		tap_bail("KVM_CREATE_PIT2");
	guest_add_vcpu(g);
	if (!guest_enter_real(g, CODE_GPA, STACK_TOP))
		tap_bail("entering real mode: %m");
	return mem;
}
#endif

/* ---- 2. a VM held open ---- */

struct held_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	long run_size;
	void *mem;
#if defined(__x86_64__)
	struct guest g;
	int next_byte;
#endif
};

static bool held_vm_open(struct held_vm *h)
{
	h->kvm = open_kvm();
#if defined(__x86_64__)
	if (runs_guests) {
		h->mem = guest_setup(&h->g, h->kvm, rl_io_guest, rl_io_guest_end,
				     has_irqchip, false);
		h->vm = h->g.vm;
		h->vcpu = h->g.vcpu;
		h->run = h->g.run;
		h->run_size = h->g.run_size;
		h->next_byte = 1;
		if (guest_out_byte(&h->g) != h->next_byte++) {
			tap_diag("the guest did not reach its first OUT (exit %s): %m",
				 guest_exit_name(h->run->exit_reason));
			return false;
		}
		return true;
	}
#endif
	{
		struct kvm_userspace_memory_region r = {
			.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		};

		h->mem = alloc_aligned(MEM_SIZE, MEM_SIZE);
		r.userspace_addr = (uintptr_t)h->mem;
		h->vm = create_vm(h->kvm);
		if (ioctl(h->vm, KVM_SET_USER_MEMORY_REGION, &r)) {
			tap_diag("KVM_SET_USER_MEMORY_REGION: %m");
			return false;
		}
		h->vcpu = create_vcpu(h->vm, 0);
		h->run_size = ioctl(h->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
		h->run = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, h->vcpu, 0);
		if (h->run == MAP_FAILED) {
			h->run = NULL;
			tap_diag("mmap of the vCPU: %m");
			return false;
		}
	}
	return true;
}

/* The VM still answers after a refused unload. */
static bool held_vm_works(struct held_vm *h)
{
	int fd;

#if defined(__x86_64__)
	if (runs_guests) {
		int b = guest_out_byte(&h->g);

		if (b != h->next_byte++) {
			tap_diag("the guest's next OUT: %d, want %d", b,
				 h->next_byte - 1);
			return false;
		}
	}
#endif
	if (check_cap(h->vm, KVM_CAP_USER_MEMORY) <= 0)
		return false;
	fd = ioctl(h->vm, KVM_CREATE_VCPU, 1UL);
	if (fd < 0) {
		tap_diag("KVM_CREATE_VCPU 1 after the refused unload: %m");
		return false;
	}
	close(fd);
	return true;
}

static void held_vm_close(struct held_vm *h)
{
	if (h->run)
		munmap(h->run, h->run_size);
	if (h->vcpu >= 0)
		close(h->vcpu);
	if (h->vm >= 0)
		close(h->vm);
	if (h->kvm >= 0)
		close(h->kvm);
	if (h->mem)
		munmap(h->mem, MEM_SIZE);
}

static void phase_held_vm(void)
{
	int i, set_up = 0, refused = 0, works = 0, reloaded = 0;
	int64_t t0 = now_ns();
	struct held_vm h;

	for (i = 0; i < reloads; i++) {
		watchdog("VM set-up", i);
		memset(&h, 0, sizeof(h));
		h.kvm = h.vm = h.vcpu = -1;
		if (!held_vm_open(&h)) {
			held_vm_close(&h);
			break;
		}
		set_up++;
		if (!unload_refused("unload with a VM held", i)) {
			held_vm_close(&h);
			break;
		}
		refused++;
		if (!held_vm_works(&h)) {
			held_vm_close(&h);
			break;
		}
		works++;
		held_vm_close(&h);
		if (!reload("reload after closing the VM", i))
			break;
		reloaded++;
	}
	ensure_loaded();
	tap_ok(set_up == reloads,
	       "held VM: %d of %d VMs with a memslot and a vCPU%s", set_up,
	       reloads, runs_guests ? " that ran to an I/O exit" : "");
	tap_ok(refused == reloads,
	       "held VM: %d of %d unloads refused with EWOULDBLOCK", refused,
	       reloads);
	tap_ok(works == reloads,
	       "held VM: the VM still works after %d of %d refusals", works,
	       reloads);
	tap_ok(reloaded == reloads,
	       "held VM: %d of %d unloads and loads once it is closed",
	       reloaded, reloads);
	phase_diag("held VM", reloaded, t0);
}

/* ---- 3. references outliving their VM ---- */

static bool outlive_vcpu(int cycle)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	bool ok;
	void *p;

	close(vm);
	close(kvm);
	ok = unload_refused("unload with only a vCPU fd", cycle);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, vcpu, 0);
	if (p == MAP_FAILED) {
		tap_diag("mmap of a vCPU fd outliving its VM: %m");
		ok = false;
	} else {
		munmap(p, size);
	}
	close(vcpu);
	return ok;
}

static bool outlive_device(int cycle)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
	};
	int kvm = open_kvm(), vm = create_vm(kvm), dev = create_vfio_device(vm);
	bool ok;

	close(vm);
	close(kvm);
	if (dev < 0) {
		tap_diag("KVM_CREATE_DEVICE VFIO: %m");
		return false;
	}
	ok = unload_refused("unload with only a device fd", cycle);
	if (ioctl(dev, KVM_HAS_DEVICE_ATTR, &a)) {
		tap_diag("KVM_HAS_DEVICE_ATTR on a device outliving its VM: %m");
		ok = false;
	}
	close(dev);
	return ok;
}

static bool outlive_mapping(int cycle)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	volatile struct kvm_run *run;
	bool ok;

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	close(vcpu);
	close(vm);
	close(kvm);
	if (run == MAP_FAILED) {
		tap_diag("mmap of the vCPU: %m");
		return false;
	}
	ok = unload_refused("unload with only a kvm_run mapping", cycle);
	run->immediate_exit = 1;
	if (run->immediate_exit != 1) {
		tap_diag("the kvm_run mapping outliving its fd lost a write");
		ok = false;
	}
	munmap((void *)run, size);
	return ok;
}

static void phase_outlive(void)
{
	static const struct {
		bool (*fn)(int cycle);
		const char *what;
	} cases[] = {
		{ outlive_vcpu,	   "a vCPU fd outliving its VM and /dev/kvm fds" },
		{ outlive_device,  "a device fd outliving its VM and /dev/kvm fds" },
		{ outlive_mapping, "a kvm_run mapping outliving every fd" },
	};
	int n = (reloads + 11) / 12;
	int pinned[ARRAY_SIZE(cases)] = { 0 }, reloaded = 0;
	int64_t t0 = now_ns();
	unsigned int c;
	int i;

	for (i = 0; i < n; i++) {
		for (c = 0; c < ARRAY_SIZE(cases); c++) {
			if (cases[c].fn(i))
				pinned[c]++;
			if (!reload(cases[c].what, i))
				goto out;
			reloaded++;
		}
	}
out:
	ensure_loaded();
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		tap_ok(pinned[c] == n,
		       "outliving: %s keeps nkvm in use and still works (%d of %d)",
		       cases[c].what, pinned[c], n);
	tap_ok(reloaded == 3 * n,
	       "outliving: %d of %d unloads and loads once the last one is gone",
	       reloaded, 3 * n);
	phase_diag("outliving", reloaded, t0);
}

/* ---- 4. children killed at random moments ---- */

static void child_setup(void)
{
	signal(SIGALRM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(WATCHDOG_S);
}

static void tell_ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(3);
}

/* Creates and destroys VMs (vCPU, memslot, device) until killed. */
static void child_churn(int ready)
{
	int kvm = open_kvm();
	void *mem = alloc_aligned(MEM_SIZE, MEM_SIZE);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};

	tell_ready(ready);
	for (;;) {
		int vm = create_vm(kvm), vcpu, dev;

		ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
		vcpu = create_vcpu(vm, 0);
		dev = create_vfio_device(vm);
		if (dev >= 0)
			close(dev);
		close(vm);
		close(vcpu);
	}
}

#if defined(__x86_64__)
/* KVM_RUN of a guest spinning in `jmp .` (with PIT interrupts). */
static void child_spin(int ready, bool pit)
{
	struct guest g;

	if (pit)
		guest_setup(&g, open_kvm(), rl_pit_guest, rl_pit_guest_end,
			    true, true);
	else
		guest_setup(&g, open_kvm(), rl_spin_guest, rl_spin_guest_end,
			    false, false);
	tell_ready(ready);
	for (;;)
		if (ioctl(g.vcpu, KVM_RUN, 0) && errno != EINTR)
			_exit(4);
}

struct hlt_arg {
	struct guest g;
	int ready;
};

static void *hlt_thread(void *arg)
{
	struct hlt_arg *h = arg;
	pid_t tid = (pid_t)syscall(__NR_gettid);

	/* Its id first: the parent watches it fall asleep. */
	if (write(h->ready, &tid, sizeof(tid)) != sizeof(tid))
		_exit(3);
	for (;;)
		if (ioctl(h->g.vcpu, KVM_RUN, 0) && errno != EINTR)
			_exit(4);
	return NULL;
}

/* A second thread sleeps in KVM_RUN: `cli; hlt` with an in-kernel irqchip. */
static void child_hlt(int ready)
{
	static struct hlt_arg h;
	pthread_t t;

	guest_setup(&h.g, open_kvm(), rl_hlt_guest, rl_hlt_guest_end, true,
		    false);
	h.ready = ready;
	if (pthread_create(&t, NULL, hlt_thread, &h))
		_exit(5);
	for (;;)
		pause();
}

/* The state letter of /proc/pid/task/tid/stat, or 0. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}
#endif

enum { KID_CHURN, KID_SPIN, KID_HLT, NR_KIDS };

static pid_t spawn(int kind, int round, int *ready_fd)
{
	int pfd[2];
	pid_t pid;

	(void)round;
	if (pipe2(pfd, O_CLOEXEC))
		tap_bail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tap_bail("fork");
	if (!pid) {
		close(pfd[0]);
		child_setup();
		switch (kind) {
		case KID_CHURN:
			child_churn(pfd[1]);
			break;
#if defined(__x86_64__)
		case KID_SPIN:
			child_spin(pfd[1], has_irqchip && (round & 1));
			break;
		case KID_HLT:
			child_hlt(pfd[1]);
			break;
#endif
		}
		_exit(6);
	}
	close(pfd[1]);
	*ready_fd = pfd[0];
	return pid;
}

/* SIGKILL and reap; true if SIGKILL is what ended it. */
static bool kill_reap(pid_t pid, const char *what, int round)
{
	int status = 0;

	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid) {
		tap_diag("round %d: waitpid for the %s child: %m", round, what);
		return false;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return true;
	tap_diag("round %d: the %s child ended on its own (status 0x%x)",
		 round, what, status);
	return false;
}

/* Kill moments: 1 in 4 before the child says it is ready, else up to 20 ms after. */
static bool kill_at_random(pid_t pid, int ready, const char *what, int round)
{
	bool ok;
	char c;

	if (!rng(4)) {
		sleep_us(rng(3000));
	} else {
		if (read(ready, &c, 1) != 1) {
			tap_diag("round %d: the %s child did not get ready", round,
				 what);
			close(ready);
			kill_reap(pid, what, round);
			return false;
		}
		sleep_us(rng(20000));
	}
	/* Kill first: a child told of a closed pipe would exit by itself. */
	ok = kill_reap(pid, what, round);
	close(ready);
	return ok;
}

#if defined(__x86_64__)
/* Kill the HLT child once its vCPU thread sleeps (in HLT). */
static bool kill_hlt(pid_t pid, int ready, int round, bool *asleep)
{
	char st = 0;
	pid_t tid;
	bool ok;
	int i;

	*asleep = false;
	if (read(ready, &tid, sizeof(tid)) != sizeof(tid)) {
		tap_diag("round %d: the HLT child did not get ready", round);
	} else {
		/* Up to 5 s: the first entry under TCG can be slow. */
		for (i = 0; i < 500; i++) {
			st = task_state(pid, tid);
			if (st == 'S' || st == 'D')
				break;
			sleep_us(10000);
		}
		*asleep = st == 'S' || st == 'D';
		if (!*asleep)
			tap_diag("round %d: the vCPU thread %d is in state '%c'",
				 round, tid, st ? st : '?');
	}
	ok = kill_reap(pid, "HLT", round);
	close(ready);
	return ok;
}
#endif

static void phase_kill(void)
{
	int n = reloads / 4 > 0 ? reloads / 4 : 1;
	int killed[NR_KIDS] = { 0 }, unloaded = 0, asleep = 0, r;
	int64_t t0 = now_ns();
	bool guests = runs_guests && has_irqchip;

	for (r = 0; r < n; r++) {
		int ready[NR_KIDS];
		pid_t pid[NR_KIDS] = { 0 };
		long ref;

		watchdog("kill round", r);
		pid[KID_CHURN] = spawn(KID_CHURN, r, &ready[KID_CHURN]);
		wd_kids[KID_CHURN] = pid[KID_CHURN];
		if (guests) {
			pid[KID_SPIN] = spawn(KID_SPIN, r, &ready[KID_SPIN]);
			pid[KID_HLT] = spawn(KID_HLT, r, &ready[KID_HLT]);
			wd_kids[KID_SPIN] = pid[KID_SPIN];
			wd_kids[KID_HLT] = pid[KID_HLT];
		}
		if (kill_at_random(pid[KID_CHURN], ready[KID_CHURN], "churn", r))
			killed[KID_CHURN]++;
#if defined(__x86_64__)
		if (guests) {
			bool slept;

			if (kill_at_random(pid[KID_SPIN], ready[KID_SPIN],
					   "spinning guest", r))
				killed[KID_SPIN]++;
			if (kill_hlt(pid[KID_HLT], ready[KID_HLT], r, &slept))
				killed[KID_HLT]++;
			asleep += slept;
		}
#endif
		memset(wd_kids, 0, sizeof(wd_kids));

		/* Every reference went with the reaped children. */
		watchdog("unload after the kills", r);
		if (do_unload()) {
			int err = errno;

			ref = kvm_module_refcnt_settle(0);
			errno = err;
			tap_diag("round %d: delete_module right after the kills: %m (refcnt %ld after 3 s)",
				 r, ref);
			if (ref || do_unload())
				break;
		} else {
			unloaded++;
		}
		if (!module_gone() || do_load() || !kvm_answers()) {
			tap_diag("round %d: reload after the kills failed: %m", r);
			break;
		}
	}
	ensure_loaded();
	tap_ok(killed[KID_CHURN] == n,
	       "kills: %d of %d children creating and destroying VMs ended by SIGKILL",
	       killed[KID_CHURN], n);
	if (guests) {
		tap_ok(killed[KID_SPIN] == n,
		       "kills: %d of %d children in KVM_RUN of `jmp .` (every other one with PIT interrupts) ended by SIGKILL",
		       killed[KID_SPIN], n);
		tap_ok(killed[KID_HLT] == n && asleep == n,
		       "kills: %d of %d children whose vCPU thread slept in HLT (%d seen asleep) ended by SIGKILL",
		       killed[KID_HLT], n, asleep);
	} else {
		tap_skip("no guests run here", "kills: children in KVM_RUN of `jmp .`");
		tap_skip("no guests run here", "kills: a vCPU thread asleep in HLT");
	}
	tap_ok(unloaded == n,
	       "kills: nkvm unloads right after the children are reaped (%d of %d)",
	       unloaded, n);
	phase_diag("kills", unloaded, t0);
}

int main(void)
{
	const char *ko = getenv("NKVM_KO"), *env;
	char params_end[sizeof(params)];
	int64_t t0 = now_ns();
	struct sigaction sa;
	long ref;
	int kvm;

	if (!ko || !*ko)
		ko = DEFAULT_KO;
	if (!kvm_is_ours() || strcmp(kvm_module(), MODULE_NAME) ||
	    access(ko, R_OK)) {
		printf("1..0 # SKIP reloading %s is not tested (nkvm only, needs %s)\n",
		       kvm_module(), ko);
		return KSFT_SKIP;
	}
	env = getenv("NKVM_RELOADS");
	reloads = env && *env ? atoi(env) : DEFAULT_RELOADS;
	if (reloads < 1)
		reloads = 1;
	env = getenv("NKVM_RELOAD_SEED");
	rng_state = env && *env ? strtoull(env, NULL, 0) :
		    (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);

	tap_plan(NR_CHECKS);
	tap_diag("%d reloads per phase (NKVM_RELOADS), seed NKVM_RELOAD_SEED=0x%llx",
		 reloads, (unsigned long long)rng_state);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watchdog;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ko_fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (ko_fd < 0)
		tap_bail("open %s", ko);
	read_params(params, sizeof(params));
	ref = kvm_module_refcnt();
	tap_ok(module_present() && ref == 0,
	       "nkvm loaded (\"%s\") and unused at the start (refcnt %ld)",
	       params, ref);
	if (!module_present() || ref)
		tap_bail("nkvm must be loaded and unused");

	kvm = open_kvm();
	runs_guests = check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) > 0;
#if defined(__x86_64__)
	has_irqchip = check_cap(kvm, KVM_CAP_IRQCHIP) > 0;
#endif
	close(kvm);
	tap_diag("guests run: %s, in-kernel irqchip: %s",
		 runs_guests ? "yes" : "no", has_irqchip ? "yes" : "no");

	kmsg_start();
	phase_idle();
	phase_held_vm();
	phase_outlive();
	phase_kill();
	alarm(0);

	read_params(params_end, sizeof(params_end));
	tap_ok(module_present() && !strcmp(params, params_end) && kvm_answers(),
	       "nkvm loaded at the end with its parameters (\"%s\", was \"%s\")",
	       params_end, params);
	kmsg_drain();
	tap_diag("kernel log: %d records while the test ran (%d nkvm:), %d lost",
		 kmsg_records, kmsg_nkvm, kmsg_lost);
	tap_ok(kmsg_fd >= 0 && !kmsg_trouble && !kmsg_lost,
	       "no kernel warning logged while the test ran (%d)", kmsg_trouble);
	tap_diag("total %.1f s", (now_ns() - t0) / 1e9);
	return tap_finish();
}
