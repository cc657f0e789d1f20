// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the registry of device types in device.c. KUnit runs a module's
 * suites before the module's init function, so the built-in types (VFIO)
 * are not registered yet: the tests use a free type number.
 */
#include <kunit/test.h>

/* A type number nobody has registered, or KVM_DEV_TYPE_MAX. */
static u32 dev_free_type(void)
{
	u32 t;

	for (t = 1; t < KVM_DEV_TYPE_MAX; t++)
		if (!nkvm_device_type(t))
			return t;
	return KVM_DEV_TYPE_MAX;
}

static void dev_register(struct kunit *test)
{
	u32 t = dev_free_type();
	struct nkvm_device_ops a = { .name = "kunit-a", .type = t };
	struct nkvm_device_ops b = { .name = "kunit-b", .type = t };

	KUNIT_ASSERT_LT(test, t, (u32)KVM_DEV_TYPE_MAX);
	KUNIT_EXPECT_EQ(test, nkvm_register_device_ops(&a), 0);
	KUNIT_EXPECT_PTR_EQ(test, nkvm_device_type(t), &a);
	KUNIT_EXPECT_EQ(test, nkvm_register_device_ops(&b), -EEXIST);
	/* Unregistering someone else's ops leaves the type alone. */
	nkvm_unregister_device_ops(&b);
	KUNIT_EXPECT_PTR_EQ(test, nkvm_device_type(t), &a);
	nkvm_unregister_device_ops(&a);
	KUNIT_EXPECT_NULL(test, nkvm_device_type(t));
}

static void dev_bad_type(struct kunit *test)
{
	struct nkvm_device_ops o = { .name = "kunit", .type = KVM_DEV_TYPE_MAX };

	KUNIT_EXPECT_EQ(test, nkvm_register_device_ops(&o), -EINVAL);
	o.type = U32_MAX;
	KUNIT_EXPECT_EQ(test, nkvm_register_device_ops(&o), -EINVAL);
	nkvm_unregister_device_ops(&o);		/* must not touch the table */
	KUNIT_EXPECT_NULL(test, nkvm_device_type(KVM_DEV_TYPE_MAX));
	KUNIT_EXPECT_NULL(test, nkvm_device_type(U32_MAX));
}

static struct kunit_case nkvm_device_cases[] = {
	KUNIT_CASE(dev_register),
	KUNIT_CASE(dev_bad_type),
	{}
};

static struct kunit_suite nkvm_device_suite = {
	.name = "nkvm-device",
	.test_cases = nkvm_device_cases,
};

kunit_test_suite(nkvm_device_suite);
