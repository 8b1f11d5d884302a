/*
 * Credentials as the sandbox sees them: the ids of a task, which the VFS
 * checks permissions against (fsuid, fsgid and the groups), and its
 * capability sets (include/linux/cred.h).
 *
 * Privilege is a capability in the effective set, as on Linux: ask with
 * creds_capable(c, LINUX_CAP_...). The sets follow the uid changes and
 * execve as security/commoncap.c has them (creds.c): root holds the full
 * permitted and effective sets, a change away from uid 0 drops them, an
 * fsuid change away from 0 drops the file-system capabilities from the
 * effective set. There is no user namespace: every check is against the
 * sandbox's one namespace, and no file carries capabilities.
 *
 * A task's creds are its own (each thread has them, as on Linux); only
 * the task itself changes them.
 */
#ifndef SENTRY_KERNEL_CREDS_H
#define SENTRY_KERNEL_CREDS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/abi/linux/capability.h"

#define CREDS_NGROUPS_MAX 32

struct creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[CREDS_NGROUPS_MAX];
	/* Capability sets: bit n is capability n, up to LINUX_CAP_LAST_CAP. */
	uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
	uint32_t securebits; /* LINUX_SECBIT(LINUX_SECURE_...) */
};

/* Root with every capability: the sandbox's first process, and the sentry's own lookups. */
#define CREDS_ROOT_INIT                                                                   \
	{                                                                                 \
		.cap_permitted = LINUX_CAP_FULL_SET, .cap_effective = LINUX_CAP_FULL_SET, \
		.cap_bset = LINUX_CAP_FULL_SET                                            \
	}

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

/* Linux's capable(cap): cap is in the effective set. */
static inline bool creds_capable(const struct creds *c, int cap)
{
	return (c->cap_effective >> cap) & 1;
}

static inline bool creds_secure(const struct creds *c, int bit)
{
	return c->securebits & LINUX_SECBIT(bit);
}

/*
 * The capability sets that go with ids set from scratch (the sandbox's
 * first process): root's are full, another user's are empty, as execve
 * would leave them. The bounding set is full.
 */
void creds_init_caps(struct creds *c);

/*
 * After a setuid, setreuid or setresuid changed c's uids from old's
 * (cap_emulate_setxuid): leaving uid 0 in all three ids clears the
 * permitted and effective sets (unless SECURE_KEEP_CAPS) and the ambient
 * set; euid leaving 0 clears the effective set, euid becoming 0 fills it
 * from the permitted set. Nothing under SECURE_NO_SETUID_FIXUP.
 */
void creds_fix_setuid(struct creds *c, const struct creds *old);

/* After setfsuid changed c->fsuid from old_fsuid: the fs capabilities follow fsuid 0. */
void creds_fix_setfsuid(struct creds *c, uint32_t old_fsuid);

/*
 * The capabilities a task has after execve of a file with no set-user-ID
 * bit and no file capabilities (cap_bprm_creds_from_file): root (real or
 * effective, unless SECURE_NOROOT) gets bset | inheritable as permitted,
 * and all of it effective when its euid is 0; everyone keeps the ambient
 * set, which joins permitted and effective. SECURE_KEEP_CAPS is cleared.
 * An effective uid or gid other than the real one counts as set-user-ID
 * (it clears the ambient set, and no_new_privs takes it back). Returns
 * whether the program runs in secure mode (AT_SECURE).
 */
bool creds_exec(struct creds *c, bool no_new_privs);

#endif /* SENTRY_KERNEL_CREDS_H */
