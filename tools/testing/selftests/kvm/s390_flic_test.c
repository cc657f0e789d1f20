// SPDX-License-Identifier: GPL-2.0
/*
 * The s390 FLIC (KVM_DEV_TYPE_FLIC) and the adapter routes (Hercules,
 * SIE): KVM_CREATE_DEVICE, floating interruptions queued with
 * KVM_DEV_FLIC_ENQUEUE and read back with KVM_DEV_FLIC_GET_ALL_IRQS,
 * KVM_DEV_FLIC_CLEAR_IRQS and _CLEAR_IO_IRQ, an enqueued I/O interruption
 * taken by a waiting guest, adapters (REGISTER, MODIFY, AIRQ_INJECT),
 * KVM_SET_GSI_ROUTING with adapter routes and KVM_IRQFD on them: a signal
 * sets the indicator bits in guest memory and makes the adapter
 * interruption pending; KVM_CREATE_IRQCHIP with KVM_CAP_S390_IRQCHIP.
 * Every error code of these, on nkvm and the stock kvm.ko.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LC_SUBCHANNEL_ID	0xb8
#define LC_IO_INT_PARM		0xbc
#define LC_IO_INT_WORD		0xc0
#define LC_IO_NEW		0x1f0
#define CR6_ALL_ISCS		0xff000000ULL
#define IO_WORD_ISC3		0x98000000u	/* valid bit, ISC 3 */
#define IND_GPA			(GUEST_S390_DATA)
#define SUMMARY_GPA		(GUEST_S390_DATA + 0x100)

static void *mem;
static void *bad_addr;

GUEST_S390_CODE_BLOB(g_wait,
	"start:	larl	2,wpsw\n"
	"	lpswe	0(2)\n"
	"handler:\n"
	"	diag	0,0,0x501\n"
	"	j	start\n"
	"	.balign	8\n"
	"wpsw:	.quad	0x0306000180000000\n"
	"	.quad	0x10000\n");

#define G_HANDLER	(GUEST_S390_CODE + 10)

static __u32 rd32(__u64 gpa)
{
	__u32 v;

	memcpy(&v, (char *)mem + gpa, 4);
	return v;
}

static __u64 rd64(__u64 gpa)
{
	__u64 v;

	memcpy(&v, (char *)mem + gpa, 8);
	return v;
}

static void setup(struct guest *g, int kvm)
{
	__u64 psw[2] = { PSW_MASK_64, G_HANDLER };
	struct kvm_sregs sregs;

	memset(mem, 0, GUEST_S390_MEM);
	guest_s390_create(g, kvm, mem, 0);
	guest_s390_load(g, mem, GUEST_S390_CODE, g_wait, g_wait_end, 0);
	memcpy((char *)mem + LC_IO_NEW, psw, 16);
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.crs[6] = CR6_ALL_ISCS;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

static int flic_attr(int fd, unsigned long req, __u32 group, __u64 attr,
		     void *addr)
{
	struct kvm_device_attr da = {
		.group = group, .attr = attr,
		.addr = (__u64)(unsigned long)addr,
	};

	return ioctl(fd, req, &da);
}

static int flic_set(int fd, __u32 group, __u64 attr, void *addr)
{
	return flic_attr(fd, KVM_SET_DEVICE_ATTR, group, attr, addr);
}

static int flic_get(int fd, __u32 group, __u64 attr, void *addr)
{
	return flic_attr(fd, KVM_GET_DEVICE_ATTR, group, attr, addr);
}

static struct kvm_s390_irq io_irq(__u16 id, __u16 nr, __u32 parm)
{
	struct kvm_s390_irq i = {
		.type = KVM_S390_INT_IO(0, 0, 0, nr),
	};

	i.u.io.subchannel_id = id;
	i.u.io.subchannel_nr = nr;
	i.u.io.io_int_parm = parm;
	i.u.io.io_int_word = IO_WORD_ISC3;
	return i;
}

static int create_flic(int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_FLIC };

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		return -1;
	return cd.fd;
}

/* ---- the device and its queue ---- */

static void test_queue(int kvm)
{
	struct kvm_create_device cd = {
		.type = KVM_DEV_TYPE_FLIC, .flags = KVM_CREATE_DEVICE_TEST,
	};
	struct kvm_s390_irq in[2], out[4];
	struct guest g;
	__u32 schid;
	int flic;

	setup(&g, kvm);
	expect_success(ioctl(g.vm, KVM_CREATE_DEVICE, &cd),
		       "KVM_CREATE_DEVICE FLIC, test only");
	flic = create_flic(g.vm);
	expect_success(flic, "KVM_CREATE_DEVICE FLIC");
	expect_errno(create_flic(g.vm), EINVAL, "a second FLIC -> EINVAL");

	in[0] = io_irq(1, 0x10, 0xaa);
	in[1] = io_irq(1, 0x11, 0xbb);
	expect_success(flic_set(flic, KVM_DEV_FLIC_ENQUEUE, sizeof(in), in),
		       "ENQUEUE two I/O interruptions");
	memset(out, 0, sizeof(out));
	tap_ok(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, sizeof(out), out) == 2 &&
	       out[0].type == in[0].type && out[0].u.io.io_int_parm == 0xaa &&
	       out[1].u.io.subchannel_nr == 0x11,
	       "GET_ALL_IRQS: both, in order");
	expect_errno(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, sizeof(out[0]),
			      out), ENOMEM,
		     "GET_ALL_IRQS with room for one of two -> ENOMEM");
	expect_errno(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, 0, out), EINVAL,
		     "GET_ALL_IRQS with length 0 -> EINVAL");
	expect_errno(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS,
			      KVM_S390_FLIC_MAX_BUFFER + 1, out), EINVAL,
		     "GET_ALL_IRQS above KVM_S390_FLIC_MAX_BUFFER -> EINVAL");
	expect_errno(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, sizeof(out),
			      bad_addr), EFAULT,
		     "GET_ALL_IRQS to a bad buffer -> EFAULT");
	schid = 0x00010011;
	expect_success(flic_set(flic, KVM_DEV_FLIC_CLEAR_IO_IRQ, 4, &schid),
		       "CLEAR_IO_IRQ of subchannel 0x11");
	tap_ok(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, sizeof(out), out) == 1 &&
	       out[0].u.io.subchannel_nr == 0x10, "the other one stays");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_CLEAR_IO_IRQ, 3, &schid),
		     EINVAL, "CLEAR_IO_IRQ with attr 3 -> EINVAL");
	schid = 0;
	expect_errno(flic_set(flic, KVM_DEV_FLIC_CLEAR_IO_IRQ, 4, &schid),
		     EINVAL, "CLEAR_IO_IRQ of subchannel id 0 -> EINVAL");
	expect_success(flic_set(flic, KVM_DEV_FLIC_CLEAR_IRQS, 0, NULL),
		       "CLEAR_IRQS");
	tap_ok(flic_get(flic, KVM_DEV_FLIC_GET_ALL_IRQS, sizeof(out), out) == 0,
	       "nothing queued after CLEAR_IRQS");

	expect_errno(flic_set(flic, KVM_DEV_FLIC_ENQUEUE, sizeof(in[0]) - 1, in),
		     EINVAL, "ENQUEUE of a partial struct -> EINVAL");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ENQUEUE,
			      KVM_S390_FLIC_MAX_BUFFER + sizeof(in[0]), in),
		     EINVAL, "ENQUEUE above KVM_S390_FLIC_MAX_BUFFER -> EINVAL");
	in[1].type = KVM_S390_INT_EMERGENCY;
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ENQUEUE, sizeof(in[1]), &in[1]),
		     EINVAL, "ENQUEUE of a vCPU's type -> EINVAL");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ENQUEUE, sizeof(in), bad_addr),
		     EFAULT, "ENQUEUE from a bad buffer -> EFAULT");
	expect_errno(flic_set(flic, 0x77, 0, NULL), EINVAL,
		     "SET of an unknown group -> EINVAL");
	expect_errno(flic_get(flic, 0x77, 0, NULL), EINVAL,
		     "GET of an unknown group -> EINVAL");
	expect_errno(flic_attr(flic, KVM_HAS_DEVICE_ATTR, 0x77, 0, NULL), ENXIO,
		     "HAS of an unknown group -> ENXIO");
	expect_success(flic_attr(flic, KVM_HAS_DEVICE_ATTR,
				 KVM_DEV_FLIC_ENQUEUE, 0, NULL),
		       "HAS ENQUEUE");
	expect_success(flic_set(flic, KVM_DEV_FLIC_APF_ENABLE, 0, NULL),
		       "APF_ENABLE");
	expect_success(flic_set(flic, KVM_DEV_FLIC_APF_DISABLE_WAIT, 0, NULL),
		       "APF_DISABLE_WAIT");

	/* An enqueued interruption reaches the waiting guest. */
	in[0] = io_irq(2, 0x33, 0xcafe);
	tap_ok(!flic_set(flic, KVM_DEV_FLIC_ENQUEUE, sizeof(in[0]), in) &&
	       guest_s390_run_diag(&g) && rd32(LC_SUBCHANNEL_ID) == 0x00020033 &&
	       rd32(LC_IO_INT_PARM) == 0xcafe &&
	       rd32(LC_IO_INT_WORD) == IO_WORD_ISC3,
	       "the guest takes an enqueued I/O interruption (%#x %#x %#x)",
	       rd32(LC_SUBCHANNEL_ID), rd32(LC_IO_INT_PARM),
	       rd32(LC_IO_INT_WORD));
	close(flic);
	guest_destroy(&g);
}

/* ---- adapters ---- */

static int modify(int flic, __u32 id, __u8 type, __u64 mask)
{
	struct kvm_s390_io_adapter_req req = {
		.id = id, .type = type, .mask = mask,
	};

	return flic_set(flic, KVM_DEV_FLIC_ADAPTER_MODIFY, 0, &req);
}

static void test_adapters(int kvm, int *flicp, struct guest *g)
{
	struct kvm_s390_io_adapter a = { .id = 1, .isc = 3 };
	struct kvm_s390_ais_req ais = { .isc = 3 };
	int flic;

	setup(g, kvm);
	flic = create_flic(g->vm);
	expect_success(flic_set(flic, KVM_DEV_FLIC_ADAPTER_REGISTER, 0, &a),
		       "ADAPTER_REGISTER id 1, ISC 3");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ADAPTER_REGISTER, 0, &a),
		     EINVAL, "ADAPTER_REGISTER id 1 again -> EINVAL");
	a.id = 64;
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ADAPTER_REGISTER, 0, &a),
		     EINVAL, "ADAPTER_REGISTER id 64 -> EINVAL");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_ADAPTER_REGISTER, 0, bad_addr),
		     EFAULT, "ADAPTER_REGISTER, bad pointer -> EFAULT");
	a.id = 2;
	a.maskable = 1;
	expect_success(flic_set(flic, KVM_DEV_FLIC_ADAPTER_REGISTER, 0, &a),
		       "ADAPTER_REGISTER id 2, maskable");
	expect_errno(modify(flic, 1, KVM_S390_IO_ADAPTER_MASK, 1), EINVAL,
		     "ADAPTER_MODIFY mask of an unmaskable adapter -> EINVAL");
	expect_success(modify(flic, 2, KVM_S390_IO_ADAPTER_MASK, 1),
		       "ADAPTER_MODIFY mask adapter 2");
	expect_success(modify(flic, 2, KVM_S390_IO_ADAPTER_MASK, 0),
		       "ADAPTER_MODIFY unmask adapter 2");
	expect_success(modify(flic, 1, KVM_S390_IO_ADAPTER_MAP, 0),
		       "ADAPTER_MODIFY MAP: a no-op");
	expect_errno(modify(flic, 5, KVM_S390_IO_ADAPTER_MASK, 1), EINVAL,
		     "ADAPTER_MODIFY of an unknown adapter -> EINVAL");
	expect_errno(modify(flic, 1, 9, 0), EINVAL,
		     "ADAPTER_MODIFY of an unknown type -> EINVAL");
	expect_errno(flic_set(flic, KVM_DEV_FLIC_AIRQ_INJECT, 7, NULL), EINVAL,
		     "AIRQ_INJECT of an unknown adapter -> EINVAL");
	/* Hercules' z10 has no facility 72: no suppression modes. */
	expect_errno(flic_set(flic, KVM_DEV_FLIC_AISM, 0, &ais), EOPNOTSUPP,
		     "AISM without facility 72 -> EOPNOTSUPP");

	tap_ok(!flic_set(flic, KVM_DEV_FLIC_AIRQ_INJECT, 1, NULL) &&
	       guest_s390_run_diag(g) && rd32(LC_IO_INT_WORD) == IO_WORD_ISC3 &&
	       rd32(LC_SUBCHANNEL_ID) == 0,
	       "AIRQ_INJECT: an adapter interruption of ISC 3 (word %#x)",
	       rd32(LC_IO_INT_WORD));
	*flicp = flic;
}

/* ---- routes and irqfds ---- */

struct routing {
	struct kvm_irq_routing r;
	struct kvm_irq_routing_entry e[2];
};

static int set_routing(int vm, struct routing *rt, unsigned int nr)
{
	rt->r.nr = nr;
	return ioctl(vm, KVM_SET_GSI_ROUTING, rt);
}

static void adapter_route(struct kvm_irq_routing_entry *e, __u32 gsi,
			  __u64 ind, __u64 summary)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_S390_ADAPTER;
	e->u.adapter.ind_addr = ind;
	e->u.adapter.summary_addr = summary;
	e->u.adapter.ind_offset = 3;
	e->u.adapter.summary_offset = 0;
	e->u.adapter.adapter_id = 1;
}

static void test_routes(struct guest *g)
{
	struct routing rt;
	struct kvm_irq_routing big = { .nr = 4097 };
	struct kvm_irqfd irqfd = { .gsi = 5 };
	__u64 one = 1;
	int efd;

	memset(&rt, 0, sizeof(rt));
	expect_errno(ioctl(g->vm, KVM_SET_GSI_ROUTING, &big), EINVAL,
		     "KVM_SET_GSI_ROUTING with 4097 entries -> EINVAL");
	rt.r.flags = 1;
	expect_errno(set_routing(g->vm, &rt, 0), EINVAL,
		     "KVM_SET_GSI_ROUTING with flags -> EINVAL");
	rt.r.flags = 0;
	adapter_route(&rt.e[0], 4096, IND_GPA, SUMMARY_GPA);
	expect_errno(set_routing(g->vm, &rt, 1), EINVAL,
		     "a route for GSI 4096 -> EINVAL");
	adapter_route(&rt.e[0], 5, IND_GPA, SUMMARY_GPA);
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	expect_errno(set_routing(g->vm, &rt, 1), EINVAL,
		     "an irqchip route -> EINVAL");
	adapter_route(&rt.e[0], 5, IND_GPA, SUMMARY_GPA);
	rt.e[0].flags = 1;
	expect_errno(set_routing(g->vm, &rt, 1), EINVAL,
		     "a route with flags -> EINVAL");
	adapter_route(&rt.e[0], 5, IND_GPA, SUMMARY_GPA);
	adapter_route(&rt.e[1], 5, IND_GPA, SUMMARY_GPA);
	expect_errno(set_routing(g->vm, &rt, 2), EINVAL,
		     "two routes for one GSI -> EINVAL");
	adapter_route(&rt.e[0], 5, 64 * MiB, SUMMARY_GPA);
	expect_errno(set_routing(g->vm, &rt, 1), EFAULT,
		     "indicators outside the guest's memory -> EFAULT");
	expect_errno(ioctl(g->vm, KVM_SET_GSI_ROUTING, bad_addr), EFAULT,
		     "KVM_SET_GSI_ROUTING, bad pointer -> EFAULT");
	adapter_route(&rt.e[0], 5, IND_GPA, SUMMARY_GPA);
	expect_success(set_routing(g->vm, &rt, 1),
		       "KVM_SET_GSI_ROUTING: GSI 5 to adapter 1");

	efd = eventfd(0, EFD_CLOEXEC);
	irqfd.fd = efd;
	expect_success(ioctl(g->vm, KVM_IRQFD, &irqfd), "KVM_IRQFD on GSI 5");
	expect_errno(ioctl(g->vm, KVM_IRQFD, &irqfd), EBUSY,
		     "the same eventfd again -> EBUSY");
	memset((char *)mem + 0x80, 0, 0x48);
	tap_ok(write(efd, &one, 8) == 8 && guest_s390_run_diag(g) &&
	       rd32(LC_IO_INT_WORD) == IO_WORD_ISC3,
	       "a signal: the waiting guest takes the adapter interruption");
	tap_ok(rd64(IND_GPA) == 1ULL << 3 && rd64(SUMMARY_GPA) == 1,
	       "the indicator and summary bits are set (%#llx, %#llx)",
	       (unsigned long long)rd64(IND_GPA),
	       (unsigned long long)rd64(SUMMARY_GPA));
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	expect_success(ioctl(g->vm, KVM_IRQFD, &irqfd), "deassign it");
	expect_success(ioctl(g->vm, KVM_IRQFD, &irqfd),
		       "deassign it again: not an error");
	irqfd.flags = 1 << 2;
	expect_errno(ioctl(g->vm, KVM_IRQFD, &irqfd), EINVAL,
		     "KVM_IRQFD with an unknown flag -> EINVAL");
	irqfd.flags = 0;
	irqfd.fd = -1;
	expect_errno(ioctl(g->vm, KVM_IRQFD, &irqfd), EBADF,
		     "KVM_IRQFD of fd -1 -> EBADF");
	irqfd.fd = g->kvm;
	expect_errno(ioctl(g->vm, KVM_IRQFD, &irqfd), EINVAL,
		     "KVM_IRQFD of a file that is no eventfd -> EINVAL");
	expect_errno(ioctl(g->vm, KVM_IRQFD, bad_addr), EFAULT,
		     "KVM_IRQFD, bad pointer -> EFAULT");
	close(efd);
}

static void test_irqchip(int kvm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_IRQCHIP };
	int vm = create_vm(kvm);

	tap_ok(check_cap(kvm, KVM_CAP_S390_IRQCHIP) == 1 &&
	       check_cap(kvm, KVM_CAP_IRQ_ROUTING) > 0 &&
	       check_cap(kvm, KVM_CAP_IRQFD) == 1,
	       "KVM_CAP_S390_IRQCHIP, KVM_CAP_IRQ_ROUTING, KVM_CAP_IRQFD");
	expect_errno(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EINVAL,
		     "KVM_CREATE_IRQCHIP without KVM_CAP_S390_IRQCHIP -> EINVAL");
	expect_success(ioctl(vm, KVM_ENABLE_CAP, &cap),
		       "KVM_ENABLE_CAP KVM_CAP_S390_IRQCHIP");
	expect_success(ioctl(vm, KVM_CREATE_IRQCHIP, 0),
		       "KVM_CREATE_IRQCHIP after it");
	close(vm);
}

int main(void)
{
	struct guest g;
	int kvm, flic;

	tap_plan(26 + 14 + 19 + 4);
	kvm = open_kvm();
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return tap_skip_rest("no guests here (no SIE)");
	mem = alloc_aligned(GUEST_S390_MEM, MiB);
	bad_addr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(bad_addr, 4096);

	test_queue(kvm);
	test_adapters(kvm, &flic, &g);
	test_routes(&g);
	close(flic);
	guest_destroy(&g);
	test_irqchip(kvm);
	close(kvm);
	return tap_finish();
}
