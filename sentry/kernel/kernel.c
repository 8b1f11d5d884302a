/* The kernel object: see kernel.h. */
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "syscalls/syscalls.h"

int kernel_new(const struct kernel_config *cfg, struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->cfg = *cfg;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cond, NULL);
	k->next_tid = 1;
	*out = k;
	return 0;
}

void kernel_destroy(struct kernel *k)
{
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

int kernel_alloc_tid(struct kernel *k)
{
	pthread_mutex_lock(&k->mu);
	int tid = k->next_tid++;
	k->ntasks++;
	pthread_mutex_unlock(&k->mu);
	return tid;
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

void kernel_release_tid(struct kernel *k, int tid)
{
	pthread_mutex_lock(&k->mu);
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
