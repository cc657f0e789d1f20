// SPDX-License-Identifier: GPL-2.0
/*
 * s390 interruptions for a vCPU (Hercules, SIE): KVM_S390_IRQ and
 * KVM_S390_INTERRUPT on the vCPU (emergency signal, external call,
 * program, restart, the clock comparator), KVM_S390_INTERRUPT on the VM
 * (service signal, virtio, I/O), their delivery into the guest's lowcore,
 * the enabled wait (ended by an injection from another thread, or by the
 * clock comparator through the host's timer), an injection into a guest
 * that loops with interruptions enabled, KVM_S390_GET/SET_IRQ_STATE, and
 * every error code of these ioctls.
 *
 * The guest waits enabled for everything (a wait PSW loaded with LPSWE);
 * each class's new PSW leads to a DIAGNOSE 0x501 that reports to the host,
 * which reads the interruption code from the lowcore.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LC_EXT_PARAMS		0x80
#define LC_EXT_CPU_ADDR		0x84
#define LC_EXT_INT_CODE		0x86
#define LC_PGM_CODE		0x8e
#define LC_SUBCHANNEL_ID	0xb8
#define LC_IO_INT_PARM		0xbc
#define LC_IO_INT_WORD		0xc0
#define LC_EXT_PARAMS2		0x11b8
#define LC_RESTART_OLD		0x120
#define LC_EXT_OLD		0x130
#define LC_RESTART_NEW		0x1a0
#define LC_EXT_NEW		0x1b0
#define LC_PGM_NEW		0x1d0
#define LC_IO_NEW		0x1f0

/* CR0 subclass masks. */
#define CR0_EMERGENCY		(1ULL << (63 - 49))
#define CR0_EXT_CALL		(1ULL << (63 - 50))
#define CR0_CKC			(1ULL << (63 - 52))
#define CR0_SERVICE		(1ULL << (63 - 54))
#define CR6_ALL_ISCS		0xff000000ULL

#define WAIT_MASK		(PSW_MASK_EXT_ | PSW_MASK_IO_ | PSW_MASK_MCHK_ | \
				 PSW_MASK_WAIT_ | PSW_MASK_64)
#define LOOP_MASK		(PSW_MASK_EXT_ | PSW_MASK_IO_ | PSW_MASK_64)

static void *mem;
static void *bad_addr;

/* Wait enabled, report each interruption with a DIAGNOSE 0x501. */
GUEST_S390_CODE_BLOB(g_wait,
	"start:	larl	2,wpsw\n"
	"	lpswe	0(2)\n"
	"handler:\n"
	"	diag	0,0,0x501\n"
	"	j	start\n"
	"loop:	j	loop\n"
	"	.balign	8\n"
	"wpsw:	.quad	0x0306000180000000\n"
	"	.quad	0\n");

/* Offsets in the blob: start 0, handler 10, loop 18, wpsw 24. */
#define G_HANDLER	(GUEST_S390_CODE + 10)
#define G_LOOP		(GUEST_S390_CODE + 18)
#define G_WPSW		(GUEST_S390_CODE + 24)

static __u64 rd64(__u64 gpa)
{
	__u64 v;

	memcpy(&v, (char *)mem + gpa, 8);
	return v;
}

static __u32 rd32(__u64 gpa)
{
	__u32 v;

	memcpy(&v, (char *)mem + gpa, 4);
	return v;
}

static __u16 rd16(__u64 gpa)
{
	__u16 v;

	memcpy(&v, (char *)mem + gpa, 2);
	return v;
}

static void wr_psw(__u64 gpa, __u64 mask, __u64 addr)
{
	memcpy((char *)mem + gpa, &mask, 8);
	memcpy((char *)mem + gpa + 8, &addr, 8);
}

/* A guest waiting enabled, every class's new PSW to the handler. */
static void setup(struct guest *g, int kvm, unsigned long id, __u64 psw_mask,
		  __u64 psw_addr)
{
	struct kvm_s390_psw psw = { .mask = psw_mask, .addr = psw_addr };
	struct kvm_one_reg reg = { .id = KVM_REG_S390_CLOCK_COMP };
	__u64 ckc = ~0ULL;
	struct kvm_sregs sregs;

	memset(mem, 0, GUEST_S390_MEM);
	guest_s390_create(g, kvm, mem, id);
	guest_s390_load(g, mem, GUEST_S390_CODE, g_wait, g_wait_end, 0);
	/* The wait PSW's address: back to the start when it ends. */
	memcpy((char *)mem + G_WPSW + 8, &(__u64){ GUEST_S390_CODE }, 8);
	wr_psw(LC_EXT_NEW, PSW_MASK_64, G_HANDLER);
	wr_psw(LC_IO_NEW, PSW_MASK_64, G_HANDLER);
	wr_psw(LC_PGM_NEW, PSW_MASK_64, G_HANDLER);
	wr_psw(LC_RESTART_NEW, PSW_MASK_64, G_HANDLER);
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.crs[0] |= CR0_EMERGENCY | CR0_EXT_CALL | CR0_CKC | CR0_SERVICE;
	sregs.crs[6] = CR6_ALL_ISCS;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	/*
	 * A new vCPU's clock comparator is 0, always pending once enabled:
	 * the latest value instead (test_ckc sets its own).
	 */
	reg.addr = (__u64)(unsigned long)&ckc;
	if (ioctl(g->vcpu, KVM_SET_ONE_REG, &reg))
		tap_bail("KVM_SET_ONE_REG CLOCK_COMP: %m");
	if (ioctl(g->vcpu, KVM_S390_SET_INITIAL_PSW, &psw))
		tap_bail("KVM_S390_SET_INITIAL_PSW: %m");
}

static void clear_codes(void)
{
	memset((char *)mem + 0x80, 0, 0x48);
	memset((char *)mem + LC_EXT_PARAMS2, 0, 8);
}

static int irq(int vcpu, __u64 type, __u32 code)
{
	struct kvm_s390_irq i = { .type = type };

	i.u.emerg.code = code;		/* emerg, extcall: the same field */
	return ioctl(vcpu, KVM_S390_IRQ, &i);
}

/* ---- injection from another thread into a waiting or looping guest ---- */

struct injector {
	int fd;
	unsigned long req;
	void *arg;
	unsigned int delay_ms;
	int r, err;
};

static void *inject_later(void *p)
{
	struct injector *in = p;

	usleep(in->delay_ms * 1000);
	in->r = ioctl(in->fd, in->req, in->arg);
	in->err = errno;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_async(int kvm)
{
	struct kvm_s390_irq emerg = {
		.type = KVM_S390_INT_EMERGENCY,
		.u.emerg.code = 0,
	};
	struct injector in = {
		.req = KVM_S390_IRQ, .arg = &emerg, .delay_ms = 300,
	};
	struct guest g;
	pthread_t t;
	double t0;
	bool ok;

	setup(&g, kvm, 0, PSW_MASK_64, GUEST_S390_CODE);
	in.fd = g.vcpu;
	pthread_create(&t, NULL, inject_later, &in);
	t0 = now_s();
	ok = guest_s390_run_diag(&g);
	pthread_join(t, NULL);
	tap_ok(ok && !in.r && rd16(LC_EXT_INT_CODE) == 0x1201 &&
	       now_s() - t0 > 0.2,
	       "enabled wait, KVM_S390_IRQ from another thread 300 ms later: emergency signal taken (code %#x, %.2f s)",
	       rd16(LC_EXT_INT_CODE), now_s() - t0);
	tap_ok(rd64(LC_EXT_OLD) == WAIT_MASK &&
	       rd64(LC_EXT_OLD + 8) == GUEST_S390_CODE,
	       "the old PSW is the wait PSW (%#llx:%#llx)",
	       (unsigned long long)rd64(LC_EXT_OLD),
	       (unsigned long long)rd64(LC_EXT_OLD + 8));
	guest_destroy(&g);

	/* A guest looping enabled: the injection must get it out of SIE. */
	setup(&g, kvm, 0, LOOP_MASK, G_LOOP);
	clear_codes();
	in.fd = g.vcpu;
	in.r = -1;
	pthread_create(&t, NULL, inject_later, &in);
	ok = guest_s390_run_diag(&g);
	pthread_join(t, NULL);
	tap_ok(ok && !in.r && rd16(LC_EXT_INT_CODE) == 0x1201 &&
	       rd64(LC_EXT_OLD + 8) == G_LOOP,
	       "a guest looping enabled takes an injection from another thread (code %#x, old PSW %#llx)",
	       rd16(LC_EXT_INT_CODE),
	       (unsigned long long)rd64(LC_EXT_OLD + 8));
	guest_destroy(&g);
}

/* The clock comparator ends an enabled wait through the host's timer. */
static void test_ckc(int kvm)
{
	struct kvm_device_attr da = {
		.group = KVM_S390_VM_TOD, .attr = KVM_S390_VM_TOD_LOW,
	};
	struct kvm_one_reg reg = { .id = KVM_REG_S390_CLOCK_COMP };
	struct guest g;
	__u64 tod, ckc;
	double t0;
	bool ok;

	setup(&g, kvm, 0, PSW_MASK_64, GUEST_S390_CODE);
	da.addr = (__u64)(unsigned long)&tod;
	reg.addr = (__u64)(unsigned long)&ckc;
	ok = !ioctl(g.vm, KVM_GET_DEVICE_ATTR, &da);
	ckc = tod + (500000ULL << 12);		/* 0.5 s of TOD */
	ok &= !ioctl(g.vcpu, KVM_SET_ONE_REG, &reg);
	t0 = now_s();
	ok &= guest_s390_run_diag(&g);
	tap_ok(ok && rd16(LC_EXT_INT_CODE) == 0x1004 && now_s() - t0 > 0.3,
	       "clock comparator 0.5 s ahead ends the wait (code %#x, %.2f s)",
	       rd16(LC_EXT_INT_CODE), now_s() - t0);
	guest_destroy(&g);
}

/* ---- each type, injected before the guest runs ---- */

static void test_types(int kvm)
{
	struct kvm_s390_interrupt s390int = {};
	struct kvm_s390_irq i = {};
	struct guest g, g2;
	int vcpu1;

	setup(&g, kvm, 0, PSW_MASK_64, GUEST_S390_CODE);
	/* A second vCPU, as the source of the signals. */
	vcpu1 = create_vcpu(g.vm, 1);

	tap_ok(!irq(g.vcpu, KVM_S390_INT_EMERGENCY, 1) &&
	       guest_s390_run_diag(&g) && rd16(LC_EXT_INT_CODE) == 0x1201 &&
	       rd16(LC_EXT_CPU_ADDR) == 1,
	       "KVM_S390_IRQ emergency signal from CPU 1: code 0x1201, CPU address 1");
	clear_codes();
	tap_ok(!irq(g.vcpu, KVM_S390_INT_EXTERNAL_CALL, 1), "external call");
	expect_errno(irq(g.vcpu, KVM_S390_INT_EXTERNAL_CALL, 1), EBUSY,
		     "a second external call while one is pending -> EBUSY");
	tap_ok(guest_s390_run_diag(&g) && rd16(LC_EXT_INT_CODE) == 0x1202 &&
	       rd16(LC_EXT_CPU_ADDR) == 1,
	       "external call taken: code 0x1202, CPU address 1");
	clear_codes();
	s390int.type = KVM_S390_PROGRAM_INT;
	s390int.parm = 7;
	tap_ok(!ioctl(g.vcpu, KVM_S390_INTERRUPT, &s390int) &&
	       guest_s390_run_diag(&g) && rd16(LC_PGM_CODE) == 7,
	       "KVM_S390_INTERRUPT program interruption 7 (data)");
	clear_codes();
	memset((char *)mem + LC_RESTART_OLD, 0, 16);
	s390int.type = KVM_S390_RESTART;
	/* Not maskable: taken at once, after the handler's DIAGNOSE. */
	tap_ok(!ioctl(g.vcpu, KVM_S390_INTERRUPT, &s390int) &&
	       guest_s390_run_diag(&g) && rd64(LC_RESTART_OLD) == PSW_MASK_64 &&
	       rd64(LC_RESTART_OLD + 8) == G_HANDLER + 4,
	       "restart: old PSW in the restart slot (%#llx:%#llx)",
	       (unsigned long long)rd64(LC_RESTART_OLD),
	       (unsigned long long)rd64(LC_RESTART_OLD + 8));
	i.type = KVM_S390_SIGP_SET_PREFIX;
	i.u.prefix.address = 0x80000;
	expect_errno(ioctl(g.vcpu, KVM_S390_IRQ, &i), EBUSY,
		     "SIGP SET PREFIX into an operating vCPU -> EBUSY");

	/* Errors. */
	expect_errno(irq(g.vcpu, KVM_S390_INT_EMERGENCY, 9), EINVAL,
		     "emergency signal from a CPU that does not exist -> EINVAL");
	expect_errno(irq(g.vcpu, KVM_S390_INT_EXTERNAL_CALL, 63), EINVAL,
		     "external call from a CPU that does not exist -> EINVAL");
	expect_errno(irq(g.vcpu, KVM_S390_INT_VIRTIO, 0), EINVAL,
		     "a floating type (virtio) on the vCPU -> EINVAL");
	expect_errno(irq(g.vcpu, KVM_S390_INT_IO(0, 0, 0, 1), 0), EINVAL,
		     "an I/O interruption on the vCPU -> EINVAL");
	expect_errno(irq(g.vcpu, 0xfffe7777, 0), EINVAL,
		     "an unknown type -> EINVAL");
	i.type = KVM_S390_SIGP_STOP;
	i.u.stop.flags = 0x80;
	expect_errno(ioctl(g.vcpu, KVM_S390_IRQ, &i), EINVAL,
		     "SIGP STOP with an unknown flag -> EINVAL");
	expect_errno(ioctl(g.vcpu, KVM_S390_IRQ, bad_addr), EFAULT,
		     "KVM_S390_IRQ, bad pointer -> EFAULT");
	s390int.type = KVM_S390_PROGRAM_INT;
	s390int.parm = 0x10007;
	expect_errno(ioctl(g.vcpu, KVM_S390_INTERRUPT, &s390int), EINVAL,
		     "KVM_S390_INTERRUPT program code above 0xffff -> EINVAL");
	s390int.type = KVM_S390_INT_EMERGENCY;
	s390int.parm = 0x10001;
	expect_errno(ioctl(g.vcpu, KVM_S390_INTERRUPT, &s390int), EINVAL,
		     "KVM_S390_INTERRUPT emergency from CPU 0x10001 -> EINVAL");
	s390int.type = KVM_S390_INT_SERVICE;
	expect_errno(ioctl(g.vcpu, KVM_S390_INTERRUPT, &s390int), EINVAL,
		     "KVM_S390_INTERRUPT service signal on the vCPU -> EINVAL");
	expect_errno(ioctl(g.vcpu, KVM_S390_INTERRUPT, bad_addr), EFAULT,
		     "KVM_S390_INTERRUPT, bad pointer -> EFAULT");

	/* Set prefix goes into a stopped vCPU. */
	memset(&g2, 0, sizeof(g2));
	i.type = KVM_S390_SIGP_SET_PREFIX;
	i.u.prefix.address = 0x80000;
	expect_success(ioctl(vcpu1, KVM_S390_IRQ, &i),
		       "SIGP SET PREFIX into a stopped vCPU");
	close(vcpu1);
	guest_destroy(&g);
}

/* ---- floating interruptions on the VM fd ---- */

static void test_floating(int kvm)
{
	struct kvm_s390_interrupt s390int = {};
	struct guest g;

	setup(&g, kvm, 0, PSW_MASK_64, GUEST_S390_CODE);
	s390int.type = KVM_S390_INT_SERVICE;
	s390int.parm = 0x12340;
	tap_ok(!ioctl(g.vm, KVM_S390_INTERRUPT, &s390int) &&
	       guest_s390_run_diag(&g) && rd16(LC_EXT_INT_CODE) == 0x2401 &&
	       rd32(LC_EXT_PARAMS) == 0x12340,
	       "VM KVM_S390_INTERRUPT service signal: code 0x2401, parameter 0x12340 (%#x, %#x)",
	       rd16(LC_EXT_INT_CODE), rd32(LC_EXT_PARAMS));
	clear_codes();
	s390int.type = KVM_S390_INT_VIRTIO;
	s390int.parm = 0x55;
	s390int.parm64 = 0x1122334455667788ULL;
	tap_ok(!ioctl(g.vm, KVM_S390_INTERRUPT, &s390int) &&
	       guest_s390_run_diag(&g) && rd16(LC_EXT_INT_CODE) == 0x2603 &&
	       rd16(LC_EXT_CPU_ADDR) == 0x0d00 && rd32(LC_EXT_PARAMS) == 0x55 &&
	       rd64(LC_EXT_PARAMS2) == 0x1122334455667788ULL,
	       "virtio: code 0x2603, 0x0d00, both parameters");
	clear_codes();
	s390int.type = KVM_S390_INT_IO(0, 0, 0, 0x42);
	s390int.parm = 0x00010042;		/* subchannel id 1, nr 0x42 */
	s390int.parm64 = (0x5555ULL << 32) | 0x98000000;	/* ISC 3 */
	tap_ok(!ioctl(g.vm, KVM_S390_INTERRUPT, &s390int) &&
	       guest_s390_run_diag(&g) && rd32(LC_SUBCHANNEL_ID) == 0x00010042 &&
	       rd32(LC_IO_INT_PARM) == 0x5555 &&
	       rd32(LC_IO_INT_WORD) == 0x98000000,
	       "I/O interruption, ISC 3: subchannel, parameter, word (%#x %#x %#x)",
	       rd32(LC_SUBCHANNEL_ID), rd32(LC_IO_INT_PARM),
	       rd32(LC_IO_INT_WORD));
	s390int.type = KVM_S390_INT_EMERGENCY;
	expect_errno(ioctl(g.vm, KVM_S390_INTERRUPT, &s390int), EINVAL,
		     "VM KVM_S390_INTERRUPT with a vCPU's type -> EINVAL");
	s390int.type = 0xfffe7777;
	expect_errno(ioctl(g.vm, KVM_S390_INTERRUPT, &s390int), EINVAL,
		     "VM KVM_S390_INTERRUPT with an unknown type -> EINVAL");
	expect_errno(ioctl(g.vm, KVM_S390_INTERRUPT, bad_addr), EFAULT,
		     "VM KVM_S390_INTERRUPT, bad pointer -> EFAULT");
	guest_destroy(&g);
}

/* ---- KVM_S390_GET/SET_IRQ_STATE ---- */

static void test_irq_state(int kvm)
{
	struct kvm_s390_irq buf[8];
	struct kvm_s390_irq_state st = {
		.buf = (__u64)(unsigned long)buf,
	};
	struct guest g;
	int vcpu1, r;

	setup(&g, kvm, 0, PSW_MASK_64, GUEST_S390_CODE);
	vcpu1 = create_vcpu(g.vm, 1);
	st.len = sizeof(buf);
	tap_ok(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st) == 0,
	       "KVM_S390_GET_IRQ_STATE of a vCPU with nothing pending: 0");
	irq(g.vcpu, KVM_S390_INT_EMERGENCY, 1);
	irq(g.vcpu, KVM_S390_INT_EXTERNAL_CALL, 1);
	memset(buf, 0, sizeof(buf));
	r = ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st);
	tap_ok(r == 2 * (int)sizeof(buf[0]) &&
	       ((buf[0].type == KVM_S390_INT_EXTERNAL_CALL &&
		 buf[1].type == KVM_S390_INT_EMERGENCY) ||
		(buf[1].type == KVM_S390_INT_EXTERNAL_CALL &&
		 buf[0].type == KVM_S390_INT_EMERGENCY)),
	       "two pending: GET returns their bytes (%d) and types", r);
	st.len = sizeof(buf[0]);
	expect_errno(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st), ENOBUFS,
		     "GET with room for one of two -> ENOBUFS");
	st.len = 0;
	expect_errno(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st), EINVAL,
		     "GET with len 0 -> EINVAL");
	st.len = sizeof(buf[0]);
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), EBUSY,
		     "SET while interruptions are pending -> EBUSY");
	ioctl(g.vcpu, KVM_S390_NORMAL_RESET, 0);
	st.len = sizeof(buf);
	tap_ok(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st) == 0,
	       "KVM_S390_NORMAL_RESET clears them");
	buf[0].type = KVM_S390_INT_EMERGENCY;
	buf[0].u.emerg.code = 1;
	st.len = sizeof(buf[0]);
	tap_ok(!ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), "SET one back");
	st.len = sizeof(buf);
	tap_ok(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st) == sizeof(buf[0]) &&
	       buf[0].type == KVM_S390_INT_EMERGENCY && buf[0].u.emerg.code == 1,
	       "and GET shows it");
	ioctl(g.vcpu, KVM_S390_NORMAL_RESET, 0);
	st.len = sizeof(buf[0]) + 1;
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), EINVAL,
		     "SET of a partial struct -> EINVAL");
	st.len = 0;
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), EINVAL,
		     "SET with len 0 -> EINVAL");
	st.len = 1 << 20;
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), EINVAL,
		     "SET of 1 MiB -> EINVAL");
	st.len = sizeof(buf[0]);
	st.buf = (__u64)(unsigned long)bad_addr;
	expect_errno(ioctl(g.vcpu, KVM_S390_SET_IRQ_STATE, &st), EFAULT,
		     "SET from a bad buffer -> EFAULT");
	irq(g.vcpu, KVM_S390_INT_EMERGENCY, 1);
	expect_errno(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, &st), EFAULT,
		     "GET to a bad buffer -> EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_S390_GET_IRQ_STATE, bad_addr), EFAULT,
		     "GET, bad pointer -> EFAULT");
	close(vcpu1);
	guest_destroy(&g);
}

int main(void)
{
	int kvm;

	tap_plan(3 + 1 + 19 + 6 + 14);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return tap_skip_rest("no guests here (no SIE)");
	mem = alloc_aligned(GUEST_S390_MEM, MiB);
	bad_addr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(bad_addr, 4096);

	test_async(kvm);
	test_ckc(kvm);
	test_types(kvm);
	test_floating(kvm);
	test_irq_state(kvm);
	close(kvm);
	return tap_finish();
}
