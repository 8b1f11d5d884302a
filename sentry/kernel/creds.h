/*
 * Credentials as the sandbox sees them: the ids of a task, which the VFS
 * checks permissions against (fsuid, fsgid and the groups). setuid(2) and
 * friends arrive with the processes issue.
 */
#ifndef SENTRY_KERNEL_CREDS_H
#define SENTRY_KERNEL_CREDS_H

#include <stdbool.h>
#include <stdint.h>

#define CREDS_NGROUPS_MAX 32

struct creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[CREDS_NGROUPS_MAX];
};

/* True when the task's fsgid or one of its supplementary groups is gid. */
static inline bool creds_in_group(const struct creds *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == gid)
			return true;
	}
	return false;
}

/*
 * The capabilities the VFS asks about (CAP_DAC_OVERRIDE, CAP_FOWNER,
 * CAP_CHOWN, ...): held by fsuid 0, as Linux grants them to root until
 * capabilities are modelled.
 */
static inline bool creds_privileged(const struct creds *c)
{
	return c->fsuid == 0;
}

#endif /* SENTRY_KERNEL_CREDS_H */
