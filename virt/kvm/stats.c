// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD: a read-only fd that shows a VM's or a vCPU's
 * statistics (include/nkvm/stats.h) in the binary format of the KVM API.
 *
 * The file, every block aligned to 8 bytes and the blocks back to back:
 *
 *   0			struct kvm_stats_header
 *   id_offset		the id string, NKVM_STATS_NAME_SIZE bytes
 *   desc_offset	num_desc x (struct kvm_stats_desc + a name of
 *			NKVM_STATS_NAME_SIZE bytes)
 *   data_offset	the values, u64 each, in descriptor order
 *
 * Everything but the values is the same for every fd of a kind (VM or
 * vCPU) and is built once at load from the generic and the arch tables,
 * which are checked then. A read takes the values it needs straight from
 * the object, without a lock (see stats.h), then copies to userspace.
 *
 * The fd holds a reference on the VM; a vCPU lives as long as its VM.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <nkvm/stats.h>
#include "core.h"

#define NKVM_STATS_DESC_SIZE	(sizeof(struct kvm_stats_desc) + \
				 NKVM_STATS_NAME_SIZE)

/* What every stats fd of one kind shows, except the id and the values. */
struct nkvm_stats_layout {
	struct kvm_stats_header header;
	const struct nkvm_stat_desc *tables[2];	/* generic, arch */
	unsigned int nr[2];
	void *descs;			/* the descriptor block */
	size_t desc_bytes;
	size_t data_bytes;
	loff_t size;			/* of the whole file */
};

static struct nkvm_stats_layout nkvm_vm_layout, nkvm_vcpu_layout;

/* One open stats fd. */
struct nkvm_stats_file {
	const struct nkvm_stats_layout *layout;	/* (c) */
	struct nkvm_vm *vm;		/* (c) the reference the fd holds */
	const void *obj;		/* (c) the VM or the vCPU */
	char id[NKVM_STATS_NAME_SIZE];	/* (c) */
};

#define VM_COUNTER(name) \
	NKVM_STAT_COUNTER(struct nkvm_vm, #name, stat.name)

static const struct nkvm_stat_desc nkvm_generic_vm_stats[] = {
	VM_COUNTER(remote_tlb_flush),
	VM_COUNTER(remote_tlb_flush_requests),
};

#define VCPU_STAT(kind, name) \
	NKVM_STAT_##kind(struct nkvm_vcpu, #name, stat.name)
#define VCPU_HIST(name) \
	NKVM_STAT_LOGHIST_NS(struct nkvm_vcpu, #name, stat.name, \
			     NKVM_HALT_HIST_COUNT)

/* The generic vCPU statistics of stock KVM, in its order. */
static const struct nkvm_stat_desc nkvm_generic_vcpu_stats[] = {
	VCPU_STAT(COUNTER, halt_successful_poll),
	VCPU_STAT(COUNTER, halt_attempted_poll),
	VCPU_STAT(COUNTER, halt_poll_invalid),
	VCPU_STAT(COUNTER, halt_wakeup),
	VCPU_STAT(TIME_NS, halt_poll_success_ns),
	VCPU_STAT(TIME_NS, halt_poll_fail_ns),
	VCPU_STAT(TIME_NS, halt_wait_ns),
	VCPU_HIST(halt_poll_success_hist),
	VCPU_HIST(halt_poll_fail_hist),
	VCPU_HIST(halt_wait_hist),
	VCPU_STAT(IBOOLEAN, blocking),
};

/* A descriptor the format can express, inside an object of obj_size. */
static bool nkvm_stat_desc_ok(const struct nkvm_stat_desc *d, size_t obj_size)
{
	u32 type = d->flags & KVM_STATS_TYPE_MASK;
	u32 unit = d->flags & KVM_STATS_UNIT_MASK;
	u32 base = d->flags & KVM_STATS_BASE_MASK;
	bool hist = type == KVM_STATS_TYPE_LINEAR_HIST ||
		    type == KVM_STATS_TYPE_LOG_HIST;

	if (!d->name || !d->name[0] ||
	    strnlen(d->name, NKVM_STATS_NAME_SIZE) >= NKVM_STATS_NAME_SIZE)
		return false;
	if (d->flags & ~(KVM_STATS_TYPE_MASK | KVM_STATS_UNIT_MASK |
			 KVM_STATS_BASE_MASK))
		return false;
	if (type > KVM_STATS_TYPE_MAX || unit > KVM_STATS_UNIT_MAX ||
	    base > KVM_STATS_BASE_MAX)
		return false;
	if (!d->size || (!hist && d->size != 1))
		return false;
	/* A bucket size for linear histograms, and for them only. */
	if (type == KVM_STATS_TYPE_LINEAR_HIST ? !d->bucket_size :
						 d->bucket_size)
		return false;
	return IS_ALIGNED(d->offset, sizeof(u64)) && d->offset < obj_size &&
	       d->size <= (obj_size - d->offset) / sizeof(u64);
}

static const struct nkvm_stat_desc *
nkvm_stats_desc(const struct nkvm_stats_layout *l, unsigned int i)
{
	return i < l->nr[0] ? &l->tables[0][i] : &l->tables[1][i - l->nr[0]];
}

static int nkvm_stats_layout_init(struct nkvm_stats_layout *l,
				  const char *kind, size_t obj_size)
{
	struct kvm_stats_header *h = &l->header;
	unsigned int n = l->nr[0] + l->nr[1], i, j;
	size_t values = 0;

	for (i = 0; i < n; i++) {
		const struct nkvm_stat_desc *d = nkvm_stats_desc(l, i);

		if (!nkvm_stat_desc_ok(d, obj_size)) {
			pr_err("%s statistic %u (%s): bad descriptor\n", kind,
			       i, d->name ? d->name : "?");
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(d->name, nkvm_stats_desc(l, j)->name)) {
				pr_err("%s statistic %s: listed twice\n", kind,
				       d->name);
				return -EINVAL;
			}
		}
	}

	l->desc_bytes = n * NKVM_STATS_DESC_SIZE;
	l->descs = kvzalloc(l->desc_bytes, GFP_KERNEL);
	if (!l->descs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct nkvm_stat_desc *d = nkvm_stats_desc(l, i);
		struct kvm_stats_desc *u = l->descs + i * NKVM_STATS_DESC_SIZE;

		u->flags = d->flags;
		u->exponent = d->exponent;
		u->size = d->size;
		u->offset = values * sizeof(u64);
		u->bucket_size = d->bucket_size;
		memcpy(u->name, d->name, strlen(d->name) + 1);
		values += d->size;
	}
	l->data_bytes = values * sizeof(u64);

	h->flags = 0;
	h->name_size = NKVM_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + NKVM_STATS_NAME_SIZE;
	h->data_offset = h->desc_offset + l->desc_bytes;
	l->size = h->data_offset + l->data_bytes;
	return 0;
}

/* At load: build the fixed part of both kinds of fd. */
int nkvm_stats_init(void)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	int r;

	nkvm_vm_layout.tables[0] = nkvm_generic_vm_stats;
	nkvm_vm_layout.nr[0] = ARRAY_SIZE(nkvm_generic_vm_stats);
	nkvm_vm_layout.tables[1] = ops->vm_stats;
	nkvm_vm_layout.nr[1] = ops->vm_stats ? ops->nr_vm_stats : 0;
	nkvm_vcpu_layout.tables[0] = nkvm_generic_vcpu_stats;
	nkvm_vcpu_layout.nr[0] = ARRAY_SIZE(nkvm_generic_vcpu_stats);
	nkvm_vcpu_layout.tables[1] = ops->vcpu_stats;
	nkvm_vcpu_layout.nr[1] = ops->vcpu_stats ? ops->nr_vcpu_stats : 0;

	r = nkvm_stats_layout_init(&nkvm_vm_layout, "VM", ops->vm_size);
	if (r)
		return r;
	r = nkvm_stats_layout_init(&nkvm_vcpu_layout, "vCPU", ops->vcpu_size);
	if (r)
		nkvm_stats_exit();
	return r;
}

void nkvm_stats_exit(void)
{
	kvfree(nkvm_vm_layout.descs);
	nkvm_vm_layout.descs = NULL;
	kvfree(nkvm_vcpu_layout.descs);
	nkvm_vcpu_layout.descs = NULL;
}

/* The current values, in descriptor order; out holds data_bytes. */
static void nkvm_stats_snapshot(const struct nkvm_stats_file *sf, u64 *out)
{
	const struct nkvm_stats_layout *l = sf->layout;
	unsigned int i, k;

	for (i = 0; i < l->nr[0] + l->nr[1]; i++) {
		const struct nkvm_stat_desc *d = nkvm_stats_desc(l, i);
		const u64 *v = sf->obj + d->offset;

		for (k = 0; k < d->size; k++)
			*out++ = READ_ONCE(v[k]);
	}
}

/*
 * ubuf receives the file's bytes [pos, end): copy there what of the block
 * [start, start + len), held at src, falls in that range.
 */
static int nkvm_stats_copy(char __user *ubuf, loff_t pos, loff_t end,
			   loff_t start, const void *src, size_t len)
{
	loff_t lo = max(pos, start);
	loff_t hi = min(end, start + (loff_t)len);

	if (lo >= hi)
		return 0;
	if (copy_to_user(ubuf + (lo - pos), src + (lo - start), hi - lo))
		return -EFAULT;
	return 0;
}

static ssize_t nkvm_stats_read(struct file *file, char __user *ubuf,
			       size_t size, loff_t *ppos)
{
	struct nkvm_stats_file *sf = file->private_data;
	const struct nkvm_stats_layout *l = sf->layout;
	const struct kvm_stats_header *h = &l->header;
	loff_t pos = *ppos, end;
	u64 *values = NULL;
	int r;

	if (pos < 0)
		return -EINVAL;
	if (pos >= l->size || !size)
		return 0;
	end = pos + min_t(u64, size, l->size - pos);

	if (end > h->data_offset) {
		values = kvmalloc(l->data_bytes, GFP_KERNEL_ACCOUNT);
		if (!values)
			return -ENOMEM;
		nkvm_stats_snapshot(sf, values);
	}
	r = nkvm_stats_copy(ubuf, pos, end, 0, h, sizeof(*h));
	if (!r)
		r = nkvm_stats_copy(ubuf, pos, end, h->id_offset, sf->id,
				    sizeof(sf->id));
	if (!r)
		r = nkvm_stats_copy(ubuf, pos, end, h->desc_offset, l->descs,
				    l->desc_bytes);
	if (!r && values)
		r = nkvm_stats_copy(ubuf, pos, end, h->data_offset, values,
				    l->data_bytes);
	kvfree(values);
	if (r)
		return r;
	*ppos = end;
	return end - pos;
}

/* Unlike stock 6.1 (whose lseek leaves the position), lseek works. */
static loff_t nkvm_stats_llseek(struct file *file, loff_t offset, int whence)
{
	struct nkvm_stats_file *sf = file->private_data;

	return fixed_size_llseek(file, offset, whence, sf->layout->size);
}

static int nkvm_stats_release(struct inode *inode, struct file *file)
{
	struct nkvm_stats_file *sf = file->private_data;

	nkvm_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

static const struct file_operations nkvm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= nkvm_stats_read,
	.llseek		= nkvm_stats_llseek,
	.release	= nkvm_stats_release,
};

/* Takes the VM reference the fd keeps; the caller holds one already. */
static int nkvm_stats_open(struct nkvm_vm *vm, const void *obj,
			   const struct nkvm_stats_layout *l, const char *name,
			   struct nkvm_stats_file *sf)
{
	struct file *file;
	int fd;

	sf->layout = l;
	sf->vm = vm;
	sf->obj = obj;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto out_free;
	nkvm_vm_get(vm);
	file = anon_inode_getfile(name, &nkvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		nkvm_vm_put(vm);
		goto out_free;
	}
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;

out_free:
	kfree(sf);
	return fd;
}

/* KVM_GET_STATS_FD on a VM fd. */
int nkvm_vm_stats_fd(struct nkvm_vm *vm)
{
	struct nkvm_stats_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);

	if (!sf)
		return -ENOMEM;
	snprintf(sf->id, sizeof(sf->id), "kvm-%d", task_tgid_nr(current));
	return nkvm_stats_open(vm, vm, &nkvm_vm_layout, "kvm-vm-stats", sf);
}

/* KVM_GET_STATS_FD on a vCPU fd. */
int nkvm_vcpu_stats_fd(struct nkvm_vcpu *vcpu)
{
	struct nkvm_stats_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);

	if (!sf)
		return -ENOMEM;
	snprintf(sf->id, sizeof(sf->id), "kvm-%d/vcpu-%u",
		 task_tgid_nr(current), vcpu->vcpu_id);
	return nkvm_stats_open(vcpu->vm, vcpu, &nkvm_vcpu_layout,
			       "kvm-vcpu-stats", sf);
}
