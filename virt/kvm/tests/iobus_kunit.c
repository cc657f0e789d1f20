// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the in-kernel I/O bus of iobus.c (sorted registration, coverage of
 * an access, zero-length ranges, the pass-on rule, unregistration and the
 * range limit), on a VM and vCPU that exist only for the test.
 */
#include <kunit/test.h>

struct iob_dev {
	struct nkvm_io_device dev;
	int writes;
	bool decline;		/* answer -EOPNOTSUPP: not mine */
};

static int iob_write(struct nkvm_io_device *d, struct nkvm_vcpu *vcpu,
		     u64 addr, unsigned int len, const void *val)
{
	struct iob_dev *t = container_of(d, struct iob_dev, dev);

	if (t->decline)
		return -EOPNOTSUPP;
	t->writes++;
	return 0;
}

static const struct nkvm_io_device_ops iob_ops = { .write = iob_write };

struct iob_ctx {
	struct nkvm_vm *vm;
	struct nkvm_vcpu *vcpu;
};

static int iob_init(struct kunit *test)
{
	struct iob_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	c->vm = kunit_kzalloc(test, sizeof(*c->vm), GFP_KERNEL);
	c->vcpu = kunit_kzalloc(test, sizeof(*c->vcpu), GFP_KERNEL);
	if (!c->vm || !c->vcpu)
		return -ENOMEM;
	mutex_init(&c->vm->slots_lock);
	if (init_srcu_struct(&c->vm->srcu))
		return -ENOMEM;
	c->vcpu->vm = c->vm;
	test->priv = c;
	return 0;
}

static void iob_exit(struct kunit *test)
{
	struct iob_ctx *c = test->priv;

	nkvm_io_buses_free(c->vm);
	cleanup_srcu_struct(&c->vm->srcu);
}

static int iob_reg(struct iob_ctx *c, u64 addr, u64 len, struct iob_dev *d)
{
	int r;

	d->dev.ops = &iob_ops;
	mutex_lock(&c->vm->slots_lock);
	r = nkvm_io_bus_register(c->vm, NKVM_PIO_BUS, addr, len, &d->dev);
	mutex_unlock(&c->vm->slots_lock);
	return r;
}

static int iob_w(struct iob_ctx *c, u64 addr, unsigned int len)
{
	u32 v = 0;

	return nkvm_io_bus_write(c->vcpu, NKVM_PIO_BUS, addr, len, &v);
}

static void iob_sorted(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev d[3] = {};
	struct nkvm_io_bus *b;

	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x300, 4, &d[0]), 0);
	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x100, 4, &d[1]), 0);
	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x200, 4, &d[2]), 0);
	b = rcu_dereference_protected(c->vm->buses[NKVM_PIO_BUS], 1);
	KUNIT_ASSERT_EQ(test, b->nr, 3U);
	KUNIT_EXPECT_EQ(test, b->range[0].addr, 0x100ULL);
	KUNIT_EXPECT_EQ(test, b->range[1].addr, 0x200ULL);
	KUNIT_EXPECT_EQ(test, b->range[2].addr, 0x300ULL);
}

static void iob_cover(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev d = {};

	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x100, 4, &d), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x100, 4), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x102, 2), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x103, 1), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x102, 4), -EOPNOTSUPP);	/* runs past */
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x0ff, 1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x104, 1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, d.writes, 3);
}

static void iob_zero_len(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev d = {};

	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x80, 0, &d), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x80, 1), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x80, 4), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x81, 1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, d.writes, 2);
}

static void iob_pass_on(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev a = { .decline = true }, b = {};

	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x100, 4, &a), 0);
	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x100, 4, &b), 0);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x100, 4), 0);
	KUNIT_EXPECT_EQ(test, b.writes, 1);
	b.decline = true;
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x100, 4), -EOPNOTSUPP);
}

static void iob_unregister(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev a = {}, b = {};

	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x100, 4, &a), 0);
	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x200, 4, &a), 0);
	KUNIT_ASSERT_EQ(test, iob_reg(c, 0x300, 4, &b), 0);
	mutex_lock(&c->vm->slots_lock);
	KUNIT_EXPECT_EQ(test, nkvm_io_bus_unregister(c->vm, NKVM_PIO_BUS, &a.dev), 0);
	/* Unregistering from an empty bus is not an error. */
	KUNIT_EXPECT_EQ(test, nkvm_io_bus_unregister(c->vm, NKVM_MMIO_BUS, &a.dev), 0);
	mutex_unlock(&c->vm->slots_lock);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x100, 4), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x200, 4), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iob_w(c, 0x300, 4), 0);
	KUNIT_EXPECT_EQ(test, a.writes, 0);
}

static void iob_limit(struct kunit *test)
{
	struct iob_ctx *c = test->priv;
	struct iob_dev d = {};
	unsigned int i;
	int r = 0;

	for (i = 0; i < NKVM_IO_BUS_MAX && !r; i++)
		r = iob_reg(c, i * 4, 4, &d);
	KUNIT_EXPECT_EQ(test, r, 0);
	KUNIT_EXPECT_EQ(test, iob_reg(c, 0x10000, 4, &d), -ENOSPC);
}

static struct kunit_case nkvm_iobus_cases[] = {
	KUNIT_CASE(iob_sorted),
	KUNIT_CASE(iob_cover),
	KUNIT_CASE(iob_zero_len),
	KUNIT_CASE(iob_pass_on),
	KUNIT_CASE(iob_unregister),
	KUNIT_CASE(iob_limit),
	{}
};

static struct kunit_suite nkvm_iobus_suite = {
	.name = "nkvm-iobus",
	.init = iob_init,
	.exit = iob_exit,
	.test_cases = nkvm_iobus_cases,
};

kunit_test_suite(nkvm_iobus_suite);
