/*
 * Per-thread scratch buffers: allocated on a thread's first use, freed
 * when the thread exits.
 *
 * Not static TLS (a _Thread_local array): glibc zeroes a new thread's
 * static TLS block, and the sentry makes a thread per task, so every fork
 * and clone of the application paid the page faults of every such buffer
 * (164 KiB of them: some 40 faults) whether it used them or not. Not a
 * _Thread_local pointer to a malloc'd buffer alone either: nothing would
 * free it, and a sandbox running many short processes would leak one per
 * thread.
 */
#ifndef COMMON_THREAD_BUF_H
#define COMMON_THREAD_BUF_H

#include <stddef.h>

/*
 * The calling thread's buffer of size bytes (64-byte aligned) kept in
 * *slot, a _Thread_local pointer of the caller's, allocated on first use;
 * NULL when memory is short. Each slot always asks for the same size.
 */
void *thread_buf(void **slot, size_t size);

#endif /* COMMON_THREAD_BUF_H */
