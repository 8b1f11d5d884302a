/*
 * signalfd(2) files: a file that reads the calling task's pending signals.
 * See signalfd.c.
 */
#ifndef SENTRY_KERNEL_SIGNALFD_H
#define SENTRY_KERNEL_SIGNALFD_H

#include "common/abi/linux/signal.h"

struct file;

/*
 * Creates a signalfd file for the signals in mask (SIGKILL and SIGSTOP are
 * dropped); flags: LINUX_SFD_NONBLOCK. Returns 0 with a new reference in
 * *out, or -errno.
 */
int signalfd_new(linux_sigset_t mask, unsigned flags, struct file **out);
/* Replaces the mask of an existing signalfd file. Returns 0, or -EINVAL for another file. */
int signalfd_set_mask(struct file *f, linux_sigset_t mask);

#endif /* SENTRY_KERNEL_SIGNALFD_H */
