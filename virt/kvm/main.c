// SPDX-License-Identifier: GPL-2.0
/*
 * nkvm: module entry, the /dev/kvm misc device and the system fd ioctls.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <linux/kvm.h>

#include "core.h"

static bool api_only;
module_param(api_only, bool, 0444);
MODULE_PARM_DESC(api_only,
		 "Load without hardware virtualization: the API works, KVM_RUN fails with ENOEXEC");

/* True when loaded with api_only=1 on a CPU that cannot run guests. */
static bool no_hardware;

bool nkvm_api_only(void)
{
	return no_hardware;
}

/* KVM_RUN can enter a guest here (hardware present and a backend for it). */
bool nkvm_runs_guests(void)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;

	if (no_hardware || !ops->vcpu_enter)
		return false;
	return !ops->runs_guests || ops->runs_guests();
}

static long nkvm_get_api_version(unsigned long arg)
{
	return arg ? -EINVAL : KVM_API_VERSION;
}

static long nkvm_get_vcpu_mmap_size(unsigned long arg)
{
	return arg ? -EINVAL : nkvm_vcpu_mmap_size();
}

static long nkvm_dev_check_extension(unsigned long arg)
{
	return nkvm_check_extension(NULL, arg);
}

static long nkvm_dev_create_vm(unsigned long arg)
{
	return nkvm_create_vm(arg);
}

/* The KVM_TRACE_* interface was removed long ago; stock KVM says so. */
static long nkvm_retired_trace(unsigned long arg)
{
	return -EOPNOTSUPP;
}

static const struct {
	unsigned int cmd;
	long (*fn)(unsigned long arg);
} nkvm_dev_ioctls[] = {
	{ KVM_GET_API_VERSION,		nkvm_get_api_version },
	{ KVM_CREATE_VM,		nkvm_dev_create_vm },
	{ KVM_CHECK_EXTENSION,		nkvm_dev_check_extension },
	{ KVM_GET_VCPU_MMAP_SIZE,	nkvm_get_vcpu_mmap_size },
	{ KVM_TRACE_ENABLE,		nkvm_retired_trace },
	{ KVM_TRACE_PAUSE,		nkvm_retired_trace },
	{ KVM_TRACE_DISABLE,		nkvm_retired_trace },
};

static long nkvm_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nkvm_dev_ioctls); i++)
		if (nkvm_dev_ioctls[i].cmd == cmd)
			return nkvm_dev_ioctls[i].fn(arg);
	if (NKVM_ARCH->dev_ioctl)
		return NKVM_ARCH->dev_ioctl(cmd, arg);
	return -ENOTTY;
}

static const struct file_operations nkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= nkvm_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice nkvm_dev = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &nkvm_dev_fops,
};

/*
 * While nkvm owns /dev/kvm, the stock KVM modules are refused at load. A
 * stock kvm_amd or kvm_intel that finds the misc minor taken fails in a
 * way that BUGs the 6.1 kernel (it leaves its syscore ops registered), so
 * the refusal must come before their init runs: a notifier's error at
 * MODULE_STATE_COMING stops the load there. The package's modprobe.d file
 * stops modprobe earlier; this also covers insmod.
 */
static const char * const nkvm_stock_modules[] = { "kvm", "kvm_amd", "kvm_intel" };

static int nkvm_module_notify(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;
	unsigned int i;

	if (state != MODULE_STATE_COMING)
		return NOTIFY_DONE;
	for (i = 0; i < ARRAY_SIZE(nkvm_stock_modules); i++) {
		if (strcmp(mod->name, nkvm_stock_modules[i]))
			continue;
		pr_err("refusing to load %s: nkvm owns /dev/kvm (unload nkvm first)\n",
		       mod->name);
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_DONE;
}

static struct notifier_block nkvm_module_nb = {
	.notifier_call = nkvm_module_notify,
};

static int nkvm_probe(void)
{
	int r = NKVM_ARCH->hardware_probe();

	if (r == -ENODEV && api_only) {
		pr_info("api_only: loading the API without hardware virtualization; KVM_RUN fails with ENOEXEC\n");
		no_hardware = true;
		return 0;
	}
	return r;
}

static int __init nkvm_init(void)
{
	int r;

	r = nkvm_probe();
	if (r)
		return r;

	if (!no_hardware && NKVM_ARCH->hardware_setup) {
		r = NKVM_ARCH->hardware_setup();
		if (r)
			return r;
	}

	r = nkvm_stats_init();
	if (r)
		goto out_unsetup;

	r = nkvm_devices_init();
	if (r)
		goto out_stats;

	/* Before /dev/kvm exists: no stock module may find it taken. */
	r = register_module_notifier(&nkvm_module_nb);
	if (r)
		goto out_devices;

	r = misc_register(&nkvm_dev);
	if (r) {
		if (r == -EBUSY)
			pr_err("/dev/kvm (misc minor %d) is already taken: unload the other KVM module first\n",
			       KVM_MINOR);
		else
			pr_err("cannot register /dev/kvm: %d\n", r);
		goto out_notifier;
	}

	if (no_hardware)
		pr_info("/dev/kvm API version %d ready, without hardware virtualization\n",
			KVM_API_VERSION);
	else
		pr_info("%s backend ready, /dev/kvm API version %d\n",
			NKVM_ARCH->name, KVM_API_VERSION);
	return 0;

out_notifier:
	unregister_module_notifier(&nkvm_module_nb);
out_devices:
	nkvm_devices_exit();
out_stats:
	nkvm_stats_exit();
out_unsetup:
	if (!no_hardware && NKVM_ARCH->hardware_unsetup)
		NKVM_ARCH->hardware_unsetup();
	return r;
}

static void __exit nkvm_exit(void)
{
	misc_deregister(&nkvm_dev);
	unregister_module_notifier(&nkvm_module_nb);
	nkvm_devices_exit();
	nkvm_stats_exit();
	if (!no_hardware && NKVM_ARCH->hardware_unsetup)
		NKVM_ARCH->hardware_unsetup();
	pr_info("unloaded\n");
}

module_init(nkvm_init);
module_exit(nkvm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("nkvm developers <dev@nkvm.invalid>");
MODULE_DESCRIPTION("nkvm: a KVM-compatible hypervisor (/dev/kvm, API 12)");
MODULE_VERSION(NKVM_VERSION);
