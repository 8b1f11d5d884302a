/* Per-thread scratch buffers: see thread_buf.h. */
#include "common/thread_buf.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"

/* The slots of one thread that hold a buffer, freed by the key's destructor. */
#define THREAD_BUF_SLOTS 16
struct thread_bufs {
	void **slots[THREAD_BUF_SLOTS];
	int n;
};

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* Runs as the thread exits, while its _Thread_local slots are still there. */
static void free_bufs(void *arg)
{
	struct thread_bufs *b = arg;
	for (int i = 0; i < b->n; i++) {
		free(*b->slots[i]);
		*b->slots[i] = NULL;
	}
	free(b);
}

static void make_key(void)
{
	if (pthread_key_create(&g_key, free_bufs) != 0)
		log_fatal("thread_buf: no pthread key left");
}

void *thread_buf(void **slot, size_t size)
{
	if (*slot)
		return *slot;
	pthread_once(&g_once, make_key);
	struct thread_bufs *b = pthread_getspecific(g_key);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || pthread_setspecific(g_key, b) != 0) {
			free(b);
			return NULL;
		}
	}
	BUG_ON(b->n == THREAD_BUF_SLOTS);
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);
	if (!p)
		return NULL;
	b->slots[b->n++] = slot;
	*slot = p;
	return p;
}
