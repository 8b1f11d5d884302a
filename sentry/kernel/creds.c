/*
 * How the capability sets follow the uids and execve: Linux's
 * security/commoncap.c (cap_emulate_setxuid, cap_task_fix_setuid,
 * cap_bprm_creds_from_file) for a sandbox with one user namespace and no
 * file capabilities. See creds.h.
 */
#include "sentry/kernel/creds.h"

void creds_init_caps(struct creds *c)
{
	bool root = c->ruid == 0 || c->euid == 0;
	c->cap_bset = LINUX_CAP_FULL_SET;
	c->cap_inheritable = 0;
	c->cap_ambient = 0;
	c->cap_permitted = root ? LINUX_CAP_FULL_SET : 0;
	c->cap_effective = c->euid == 0 ? LINUX_CAP_FULL_SET : 0;
	c->securebits = 0;
}

void creds_fix_setuid(struct creds *c, const struct creds *old)
{
	if (creds_secure(old, LINUX_SECURE_NO_SETUID_FIXUP))
		return;
	bool was_root = old->ruid == 0 || old->euid == 0 || old->suid == 0;
	bool is_root = c->ruid == 0 || c->euid == 0 || c->suid == 0;
	if (was_root && !is_root) {
		if (!creds_secure(old, LINUX_SECURE_KEEP_CAPS)) {
			c->cap_permitted = 0;
			c->cap_effective = 0;
		}
		/* Pre-ambient programs expect setresuid to nonroot, then exec, to drop them. */
		c->cap_ambient = 0;
	}
	if (old->euid == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (old->euid != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
}

void creds_fix_setfsuid(struct creds *c, uint32_t old_fsuid)
{
	if (creds_secure(c, LINUX_SECURE_NO_SETUID_FIXUP))
		return;
	if (old_fsuid == 0 && c->fsuid != 0)
		c->cap_effective &= ~LINUX_CAP_FS_SET;
	if (old_fsuid != 0 && c->fsuid == 0)
		c->cap_effective |= c->cap_permitted & LINUX_CAP_FS_SET;
}

bool creds_exec(struct creds *c, bool no_new_privs)
{
	const struct creds old = *c;
	/* No file capabilities: the file's permitted set is empty. */
	c->cap_permitted = 0;
	bool effective = false;
	if (!creds_secure(&old, LINUX_SECURE_NOROOT)) {
		if (c->euid == 0 || c->ruid == 0)
			c->cap_permitted = old.cap_bset | old.cap_inheritable;
		if (c->euid == 0)
			effective = true;
	}
	/*
	 * Not a set-user-ID file, but an effective id other than the real one
	 * still counts as one (__is_setuid compares the new euid with the old
	 * uid). Under no_new_privs it falls back to the real one.
	 */
	bool is_setid = c->euid != old.ruid || c->egid != old.rgid;
	bool gained = (c->cap_permitted & ~old.cap_permitted) != 0;
	if ((is_setid || gained) && no_new_privs) {
		c->euid = c->ruid;
		c->egid = c->rgid;
		c->cap_permitted &= old.cap_permitted;
	}
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	if (is_setid)
		c->cap_ambient = 0;
	c->cap_permitted |= c->cap_ambient;
	c->cap_effective = effective ? c->cap_permitted : c->cap_ambient;
	c->securebits &= ~LINUX_SECBIT(LINUX_SECURE_KEEP_CAPS);
	return is_setid ||
	       (c->ruid != 0 && (effective || (c->cap_permitted & ~c->cap_ambient) != 0));
}
