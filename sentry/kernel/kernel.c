/* The kernel object: see kernel.h. */
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "syscalls/syscalls.h"

/* The sandbox's task limit: a fork bomb gets EAGAIN here, and the sentry stays responsive. */
#define KERNEL_MAX_TASKS 2048

int kernel_new(const struct kernel_config *cfg, struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->cfg = *cfg;
	kernel_init_mm_files();
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cond, NULL);
	k->next_tid = 1;
	k->max_tasks = KERNEL_MAX_TASKS;
	list_init(&k->tasks);
	list_init(&k->tgs);
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	k->boot_time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	*out = k;
	return 0;
}

void kernel_destroy(struct kernel *k)
{
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

/* Linux's PID_MAX_LIMIT on 64-bit: ids wrap here. */
#define KERNEL_PID_MAX 4194304

static bool id_in_use_locked(struct kernel *k, int id)
{
	struct task *t;
	list_for_each_entry (t, &k->tasks, k_link) {
		if (t->tid == id)
			return true;
	}
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (tg->tgid == id || tg->pgid == id || tg->sid == id)
			return true;
	}
	return false;
}

int kernel_alloc_tid_locked(struct kernel *k)
{
	if (k->next_tid < KERNEL_PID_MAX)
		return k->next_tid++;
	/* Wrapped: the lowest free id above the reserved ones, as Linux's RESERVED_PIDS. */
	for (int id = 300; id < KERNEL_PID_MAX; id++) {
		if (!id_in_use_locked(k, id))
			return id;
	}
	BUG_ON(true); /* k->max_tasks is far below PID_MAX */
	return -1;
}

void kernel_link_task_locked(struct kernel *k, struct task *t, bool new_tg)
{
	struct thread_group *tg = t->tg;
	list_add_tail(&t->k_link, &k->tasks);
	list_add_tail(&t->tg_link, &tg->threads);
	k->ntasks++;
	tg->nr_threads++;
	if (new_tg) {
		list_add_tail(&tg->k_link, &k->tgs);
		if (tg->parent)
			list_add_tail(&tg->sibling, &tg->parent->children);
	}
}

struct thread_group *kernel_find_tg_locked(struct kernel *k, int tgid)
{
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (tg->tgid == tgid)
			return tg;
	}
	return NULL;
}

struct task *kernel_find_task_locked(struct kernel *k, int tid)
{
	struct task *t;
	list_for_each_entry (t, &k->tasks, k_link) {
		if (t->tid == tid)
			return t;
	}
	return NULL;
}

void kernel_log_unsupported(struct kernel *k, uint64_t nr)
{
	if (nr < LINUX_SYSCALL_MAX) {
		uint64_t bit = 1ULL << (nr % 64);
		if (atomic_fetch_or(&k->unsupported_logged[nr / 64], bit) & bit)
			return;
	}
	const char *name = syscall_name(nr);
	log_info("unsupported syscall %llu (%s)", (unsigned long long)nr, name ? name : "unknown");
}

int kernel_wait_init(struct kernel *k)
{
	pthread_mutex_lock(&k->mu);
	while (!k->init_exited || k->ntasks > 0)
		pthread_cond_wait(&k->cond, &k->mu);
	int status = k->init_status;
	pthread_mutex_unlock(&k->mu);
	return status;
}
