/*
 * proc: /proc/PID/maps and smaps, and the memory figures of status, stat
 * and statm, from the mm's VMA tree (Linux's fs/proc/task_mmu.c).
 *
 * The sentry decides the address space but the host keeps the pages, and
 * does not say which are resident: the residency figures of smaps (Rss,
 * Pss, Shared_*, Private_*, Referenced, Anonymous, Swap, ...) are left
 * out rather than shown as 0, until the platform can report residency
 * (mincore(2) in the stub).
 */
#include "sentry/fsimpl/kernfs/proc_internal.h"

#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/mman.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

static bool vma_is_stack(const struct vma *v)
{
	return v->kind == VMA_KIND_STACK || (v->flags & VMA_GROWSDOWN);
}

/*
 * What file a vma maps, for telling the main program's segments apart:
 * the inode of a file mapping (vma.file is a struct file of the VFS, see
 * vma.h; the loader maps programs from their files), else NULL.
 */
static const void *vma_image(const struct vma *v)
{
	if (v->file) {
		const struct file *f = v->file;
		return f->inode ? (const void *)f->inode : (const void *)f;
	}
	return NULL;
}

void proc_vm_stats(struct mm *mm, struct proc_vm_stats *out)
{
	memset(out, 0, sizeof(*out));
	const void *main_image = NULL;
	pthread_mutex_lock(&mm->mu);
	for (struct vma *v = vma_first(&mm->vmas); v; v = vma_next(v)) {
		uint64_t size = v->end - v->start;
		bool write = v->prot & LINUX_PROT_WRITE, exec = v->prot & LINUX_PROT_EXEC;
		out->total += size;
		if (v->flags & VMA_LOCKED)
			out->locked += size;
		/* Linux's vm_stat_account: stack, else data (private writable), else exec. */
		if (vma_is_stack(v))
			out->stack += size;
		else if (write && !(v->flags & VMA_SHARED))
			out->data += size;
		else if (exec && !write)
			out->exec += size;
		/*
		 * The mm does not record start_code and friends: the main
		 * program is taken to be the lowest mapped file (below the
		 * interpreter, the libraries and mmap's area in every layout
		 * the loader makes).
		 */
		const void *image = vma_image(v);
		if (!image)
			continue;
		if (!main_image)
			main_image = image;
		if (image != main_image)
			continue;
		if (exec) {
			if (!out->start_code)
				out->start_code = v->start;
			out->end_code = v->end;
		} else if (write) {
			if (!out->start_data)
				out->start_data = v->start;
			out->end_data = v->end;
		}
	}
	out->start_brk = mm->brk_start;
	out->brk = mm->brk;
	out->stack_top = mm->stack_top;
	out->arg_start = mm->arg_start;
	out->arg_end = mm->arg_end;
	out->env_start = mm->env_start;
	out->env_end = mm->env_end;
	pthread_mutex_unlock(&mm->mu);
}

uint64_t proc_vm_exe(const struct proc_vm_stats *s)
{
	if (s->end_code <= s->start_code)
		return 0;
	bool ok;
	return page_round_up(s->end_code, &ok) - page_round_down(s->start_code);
}

uint64_t proc_vm_lib(const struct proc_vm_stats *s)
{
	uint64_t exe = proc_vm_exe(s);
	return s->exec > exe ? s->exec - exe : 0;
}

/*
 * What maps names an anonymous mapping (mm_format_maps's names, and the
 * vDSO). Preconditions: mm.mu held.
 */
static const char *vma_name(const struct mm *mm, const struct vma *v)
{
	if (v->kind == VMA_KIND_HEAP)
		return "[heap]";
	if (v->kind == VMA_KIND_STACK)
		return "[stack]";
	if (mm->vdso_base && v->start == mm->vdso_base)
		return "[vdso]";
	return "";
}

/*
 * One maps line as Linux's show_map_vma: the fields, then for a named
 * mapping spaces up to column 73 and the name (a newline in it escaped).
 * A file mapping shows the file's device, inode and path (the kernel's
 * vma file hooks). Preconditions: mm.mu held.
 */
static void put_maps_line(struct kernfs_buf *b, const struct mm *mm, const struct vma *v)
{
	char path[LINUX_PATH_MAX];
	const char *name = vma_name(mm, v);
	uint32_t dev = 0;
	uint64_t ino = 0;
	if (v->file && g_vma_file_hooks) {
		g_vma_file_hooks->describe(v->file, path, sizeof(path), &dev, &ino);
		name = path;
	}
	size_t start = b->len;
	kernfs_printf(b, "%08llx-%08llx %c%c%c%c %08llx 00:%02x %llu ",
	              (unsigned long long)v->start, (unsigned long long)v->end,
	              (v->prot & LINUX_PROT_READ) ? 'r' : '-',
	              (v->prot & LINUX_PROT_WRITE) ? 'w' : '-',
	              (v->prot & LINUX_PROT_EXEC) ? 'x' : '-', (v->flags & VMA_SHARED) ? 's' : 'p',
	              (unsigned long long)v->offset, (unsigned)dev, (unsigned long long)ino);
	if (*name) {
		size_t width = b->len - start;
		/* seq_setwidth(25 + 6 * sizeof(void *) - 1) and seq_pad(m, ' '). */
		if (width < 72)
			kernfs_printf(b, "%*s", (int)(72 - width), "");
		kernfs_puts(b, " ");
		for (const char *p = name; *p; p++) {
			if (*p == '\n')
				kernfs_puts(b, "\\012");
			else
				kernfs_write(b, p, 1);
		}
	}
	kernfs_puts(b, "\n");
}

static void smaps_line(struct kernfs_buf *b, const char *label, uint64_t bytes)
{
	kernfs_printf(b, "%-16s%8llu kB\n", label, (unsigned long long)(bytes / 1024));
}

/*
 * The VmFlags of a vma, in Linux's order. mr/mw/me (may read, write,
 * execute): the sentry keeps no separate may-flags, and a private mapping
 * may always become any of them; a shared one is shown the same (the open
 * mode of its file is not recorded).
 */
static void put_vmflags(struct kernfs_buf *b, const struct vma *v)
{
	kernfs_puts(b, "VmFlags: ");
	if (v->prot & LINUX_PROT_READ)
		kernfs_puts(b, "rd ");
	if (v->prot & LINUX_PROT_WRITE)
		kernfs_puts(b, "wr ");
	if (v->prot & LINUX_PROT_EXEC)
		kernfs_puts(b, "ex ");
	if (v->flags & VMA_SHARED)
		kernfs_puts(b, "sh ");
	kernfs_puts(b, "mr mw me ");
	if (v->flags & VMA_SHARED)
		kernfs_puts(b, "ms ");
	if (v->flags & VMA_GROWSDOWN)
		kernfs_puts(b, "gd ");
	if (v->flags & VMA_LOCKED)
		kernfs_puts(b, "lo ");
	/* VM_ACCOUNT: Linux charges private writable mappings unless MAP_NORESERVE. */
	if ((v->prot & LINUX_PROT_WRITE) && !(v->flags & (VMA_SHARED | VMA_NORESERVE)))
		kernfs_puts(b, "ac ");
	if (v->flags & VMA_NORESERVE)
		kernfs_puts(b, "nr ");
	kernfs_puts(b, "\n");
}

static int maps_show(struct kernfs_inode *ki, struct kernfs_buf *b, bool smaps)
{
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ESRCH;
	/* Linux's mm_access: the layout is for those who may trace the task. */
	int err = proc_may_access(t);
	struct mm *mm = t->mm;
	if (err == 0 && mm) {
		pthread_mutex_lock(&mm->mu);
		for (struct vma *v = vma_first(&mm->vmas); v && b->err == 0; v = vma_next(v)) {
			put_maps_line(b, mm, v);
			if (!smaps)
				continue;
			uint64_t size = v->end - v->start;
			smaps_line(b, "Size:", size);
			smaps_line(b, "KernelPageSize:", PAGE_SIZE);
			smaps_line(b, "MMUPageSize:", PAGE_SIZE);
			/* Residency lines: see the top of this file. mlock(2) makes all of it
			 * resident. */
			smaps_line(b, "Locked:", (v->flags & VMA_LOCKED) ? size : 0);
			put_vmflags(b, v);
		}
		pthread_mutex_unlock(&mm->mu);
	}
	proc_unlock();
	return err;
}

int proc_maps_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return maps_show(ki, b, false);
}

int proc_smaps_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	return maps_show(ki, b, true);
}
