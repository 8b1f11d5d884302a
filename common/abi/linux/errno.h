/*
 * Linux errno values as the guest sees them.
 *
 * The sentry returns -errno from every handler. The values are Linux's
 * x86-64 ones; the host's <errno.h> is included for the names, and the
 * asserts below pin the values the guest ABI depends on, so that a build
 * against a different libc fails instead of returning wrong numbers.
 */
#ifndef COMMON_ABI_LINUX_ERRNO_H
#define COMMON_ABI_LINUX_ERRNO_H

#include <errno.h>

_Static_assert(EPERM == 1 && ENOENT == 2 && ESRCH == 3 && EINTR == 4 && EIO == 5, "errno ABI");
_Static_assert(E2BIG == 7 && ENOEXEC == 8 && EBADF == 9 && ECHILD == 10 && EAGAIN == 11, "errno");
_Static_assert(ENOMEM == 12 && EACCES == 13 && EFAULT == 14 && EEXIST == 17, "errno ABI");
_Static_assert(EINVAL == 22 && EMFILE == 24 && ENOTTY == 25 && ESPIPE == 29, "errno ABI");
_Static_assert(ERANGE == 34 && ENAMETOOLONG == 36 && ENOSYS == 38 && ELOOP == 40, "errno ABI");
_Static_assert(EOVERFLOW == 75 && EOPNOTSUPP == 95 && ETIMEDOUT == 110, "errno ABI");

/*
 * Kernel-internal restart codes (include/linux/errno.h). A handler returns
 * one of these when a signal interrupts it; the task loop turns it into
 * EINTR or a restart in one place. They never reach the guest.
 */
#define LINUX_ERESTARTSYS    512
#define LINUX_ERESTARTNOINTR 513
#define LINUX_ERESTARTNOHAND 514
/* Not a restart code: "this ioctl is not mine", passed between layers (ENOTTY to the guest). */
#define LINUX_ENOIOCTLCMD           515
#define LINUX_ERESTART_RESTARTBLOCK 516

/* Largest errno a syscall may return: Linux treats -4095..-1 as errors. */
#define LINUX_MAX_ERRNO 4095

/* Returns "ENOENT" and the like, or NULL for an unknown value. */
const char *linux_errno_name(int err);
/* Returns "No such file or directory" and the like, or NULL. */
const char *linux_errno_msg(int err);

#endif /* COMMON_ABI_LINUX_ERRNO_H */
