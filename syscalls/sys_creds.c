/*
 * Changing credentials: setuid, setgid, setreuid, setregid, setresuid,
 * setresgid, getresuid, getresgid, setfsuid, setfsgid and setgroups, with
 * Linux's rules (kernel/sys.c). The ids are the sandbox's own: nothing
 * here changes a host credential.
 *
 * Privilege is CAP_SETUID / CAP_SETGID, which a task holds while its
 * effective uid is 0 (capabilities as such are not modelled yet). As on
 * Linux, fsuid follows euid on every change.
 */
#include <errno.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

#define ID_KEEP 0xffffffffU

static bool capable_setid(const struct creds *c)
{
	return c->euid == 0;
}

/* One of the task's current ids of that kind (what an unprivileged change may pick). */
static bool is_current(uint32_t id, uint32_t r, uint32_t e, uint32_t s)
{
	return id == r || id == e || id == s;
}

static long set_res(struct task *t, uint32_t r, uint32_t e, uint32_t s, bool gid)
{
	struct creds *c = &t->creds;
	uint32_t *pr = gid ? &c->rgid : &c->ruid, *pe = gid ? &c->egid : &c->euid;
	uint32_t *ps = gid ? &c->sgid : &c->suid, *pf = gid ? &c->fsgid : &c->fsuid;
	if (!capable_setid(c)) {
		if ((r != ID_KEEP && !is_current(r, *pr, *pe, *ps)) ||
		    (e != ID_KEEP && !is_current(e, *pr, *pe, *ps)) ||
		    (s != ID_KEEP && !is_current(s, *pr, *pe, *ps)))
			return -EPERM;
	}
	if (r != ID_KEEP)
		*pr = r;
	if (e != ID_KEEP)
		*pe = e;
	if (s != ID_KEEP)
		*ps = s;
	*pf = *pe;
	return 0;
}

/* sys_setresuid implements setresuid(2). */
long sys_setresuid(struct task *t, const struct sys_args *a)
{
	return set_res(t, (uint32_t)a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2], false);
}

/* sys_setresgid implements setresgid(2). */
long sys_setresgid(struct task *t, const struct sys_args *a)
{
	return set_res(t, (uint32_t)a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2], true);
}

/* setreuid and setregid: the saved id becomes the new effective one when it must. */
static long set_re(struct task *t, uint32_t r, uint32_t e, bool gid)
{
	struct creds *c = &t->creds;
	uint32_t *pr = gid ? &c->rgid : &c->ruid, *pe = gid ? &c->egid : &c->euid;
	uint32_t *ps = gid ? &c->sgid : &c->suid, *pf = gid ? &c->fsgid : &c->fsuid;
	uint32_t old_r = *pr;
	if (!capable_setid(c)) {
		if (r != ID_KEEP && r != *pr && r != *pe)
			return -EPERM;
		if (e != ID_KEEP && !is_current(e, *pr, *pe, *ps))
			return -EPERM;
	}
	if (r != ID_KEEP)
		*pr = r;
	if (e != ID_KEEP)
		*pe = e;
	if (r != ID_KEEP || (e != ID_KEEP && e != old_r))
		*ps = *pe;
	*pf = *pe;
	return 0;
}

/* sys_setreuid implements setreuid(2). */
long sys_setreuid(struct task *t, const struct sys_args *a)
{
	return set_re(t, (uint32_t)a->a[0], (uint32_t)a->a[1], false);
}

/* sys_setregid implements setregid(2). */
long sys_setregid(struct task *t, const struct sys_args *a)
{
	return set_re(t, (uint32_t)a->a[0], (uint32_t)a->a[1], true);
}

/* setuid and setgid: all ids when privileged, else only the effective one, to r or s. */
static long set_one(struct task *t, uint32_t id, bool gid)
{
	struct creds *c = &t->creds;
	uint32_t *pr = gid ? &c->rgid : &c->ruid, *pe = gid ? &c->egid : &c->euid;
	uint32_t *ps = gid ? &c->sgid : &c->suid, *pf = gid ? &c->fsgid : &c->fsuid;
	if (id == ID_KEEP)
		return -EINVAL;
	if (capable_setid(c)) {
		*pr = *ps = id;
	} else if (id != *pr && id != *ps) {
		return -EPERM;
	}
	*pe = *pf = id;
	return 0;
}

/* sys_setuid implements setuid(2). */
long sys_setuid(struct task *t, const struct sys_args *a)
{
	return set_one(t, (uint32_t)a->a[0], false);
}

/* sys_setgid implements setgid(2). */
long sys_setgid(struct task *t, const struct sys_args *a)
{
	return set_one(t, (uint32_t)a->a[0], true);
}

static long get_res(struct task *t, const struct sys_args *a, bool gid)
{
	const struct creds *c = &t->creds;
	uint32_t ids[3] = { gid ? c->rgid : c->ruid, gid ? c->egid : c->euid,
		            gid ? c->sgid : c->suid };
	for (int i = 0; i < 3; i++) {
		int err = mm_copy_out(t->mm, a->a[i], &ids[i], sizeof(ids[i]));
		if (err < 0)
			return err;
	}
	return 0;
}

/* sys_getresuid implements getresuid(2). */
long sys_getresuid(struct task *t, const struct sys_args *a)
{
	return get_res(t, a, false);
}

/* sys_getresgid implements getresgid(2). */
long sys_getresgid(struct task *t, const struct sys_args *a)
{
	return get_res(t, a, true);
}

/* setfsuid and setfsgid return the old id whether or not they change it. */
static long set_fs(struct task *t, uint32_t id, bool gid)
{
	struct creds *c = &t->creds;
	uint32_t *pf = gid ? &c->fsgid : &c->fsuid;
	uint32_t old = *pf;
	bool ok = gid ? (id == c->rgid || id == c->egid || id == c->sgid || id == c->fsgid)
	              : (id == c->ruid || id == c->euid || id == c->suid || id == c->fsuid);
	if (id != ID_KEEP && (ok || capable_setid(c)))
		*pf = id;
	return old;
}

/* sys_setfsuid implements setfsuid(2). */
long sys_setfsuid(struct task *t, const struct sys_args *a)
{
	return set_fs(t, (uint32_t)a->a[0], false);
}

/* sys_setfsgid implements setfsgid(2). */
long sys_setfsgid(struct task *t, const struct sys_args *a)
{
	return set_fs(t, (uint32_t)a->a[0], true);
}

/* sys_setgroups implements setgroups(2). */
long sys_setgroups(struct task *t, const struct sys_args *a)
{
	int64_t n = (int64_t)a->a[0];
	if (n < 0 || n > 65536)
		return -EINVAL;
	if (!capable_setid(&t->creds))
		return -EPERM;
	if (n > CREDS_NGROUPS_MAX)
		return -EINVAL; /* the sandbox keeps at most CREDS_NGROUPS_MAX */
	uint32_t groups[CREDS_NGROUPS_MAX];
	if (n > 0) {
		int err = mm_copy_in(t->mm, groups, a->a[1], (size_t)n * sizeof(uint32_t));
		if (err < 0)
			return err;
	}
	t->creds.ngroups = (int)n;
	for (int i = 0; i < n; i++)
		t->creds.groups[i] = groups[i];
	return 0;
}
