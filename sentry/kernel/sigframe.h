/*
 * x86-64 signal frames: the application's view of a signal handler call
 * and of rt_sigreturn, laid out exactly as Linux's (arch/x86/kernel/
 * signal_64.c and fpu/signal.c). See sigframe.c.
 */
#ifndef SENTRY_KERNEL_SIGFRAME_H
#define SENTRY_KERNEL_SIGFRAME_H

#include "common/abi/linux/signal.h"

struct task;

/*
 * Builds the frame for act's handler of signal sig (info: its siginfo)
 * on t's stack (or alternate stack), saving the registers, the FP state
 * and saved_mask, and points t's registers at the handler with a fresh FP
 * state. Returns 0, or -EFAULT when the frame cannot be written (no
 * SA_RESTORER, an overflowing alternate stack, unmapped memory): the
 * caller then forces SIGSEGV, as Linux's signal_setup_done.
 */
int sigframe_setup(struct task *t, int sig, const struct linux_siginfo *info,
                   const struct linux_sigaction *act, linux_sigset_t saved_mask);

/*
 * rt_sigreturn(2): restores the registers, FP state, signal mask and
 * alternate stack from the frame the handler returns through (at rsp - 8).
 * Returns the restored rax; a bad frame forces SIGSEGV (and returns 0).
 */
long sigframe_return(struct task *t);

#endif /* SENTRY_KERNEL_SIGFRAME_H */
