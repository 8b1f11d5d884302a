/* The kernel object: see kernel.h. */
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "syscalls/syscalls.h"

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
	list_init(&k->tasks);
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

void kernel_add_task(struct kernel *k, struct task *t)
{
	pthread_mutex_lock(&k->mu);
	t->tid = k->next_tid++;
	k->ntasks++;
	list_add_tail(&t->k_link, &k->tasks);
	pthread_mutex_unlock(&k->mu);
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
	while (!k->init_exited)
		pthread_cond_wait(&k->cond, &k->mu);
	int status = k->init_status;
	pthread_mutex_unlock(&k->mu);
	return status;
}

void kernel_remove_task(struct kernel *k, struct task *t)
{
	pthread_mutex_lock(&k->mu);
	list_del(&t->k_link);
	k->ntasks--;
	pthread_mutex_unlock(&k->mu);
}

void kernel_task_exited(struct kernel *k, int tgid, int wait_status)
{
	pthread_mutex_lock(&k->mu);
	if (tgid == 1) {
		k->init_exited = true;
		k->init_status = wait_status;
	}
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
}
