/*
 * Changing credentials: setuid, setgid, setreuid, setregid, setresuid,
 * setresgid, getresuid, getresgid, setfsuid, setfsgid and setgroups, with
 * Linux's rules (kernel/sys.c); capget and capset (kernel/capability.c). The ids are the sandbox's
 * own: nothing here changes a host credential.
 *
 * Privilege is CAP_SETUID for the uids, CAP_SETGID for the gids and
 * groups. As on Linux, fsuid follows euid on every change, and the
 * capability sets follow the uids (creds_fix_setuid, creds_fix_setfsuid:
 * commoncap.c's cap_task_fix_setuid).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

#define ID_KEEP 0xffffffffU

static bool capable_setid(const struct creds *c, bool gid)
{
	return creds_capable(c, gid ? LINUX_CAP_SETGID : LINUX_CAP_SETUID);
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
	const struct creds old = *c;
	if (!capable_setid(c, gid)) {
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
	if (!gid)
		creds_fix_setuid(c, &old);
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
	const struct creds old = *c;
	if (!capable_setid(c, gid)) {
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
	if (!gid)
		creds_fix_setuid(c, &old);
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
	const struct creds old = *c;
	if (id == ID_KEEP)
		return -EINVAL;
	if (capable_setid(c, gid)) {
		*pr = *ps = id;
	} else if (id != *pr && id != *ps) {
		return -EPERM;
	}
	*pe = *pf = id;
	if (!gid)
		creds_fix_setuid(c, &old);
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
	if (id != ID_KEEP && id != old && (ok || capable_setid(c, gid))) {
		*pf = id;
		if (!gid)
			creds_fix_setfsuid(c, old);
	}
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
	if (!capable_setid(&t->creds, true))
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

/*
 * The header's version: the number of 32-bit words of each set (1 for
 * version 1, 2 for versions 2 and 3). An unknown version is EINVAL, with
 * the preferred version written back (libcap's probe).
 */
static long cap_validate_version(struct task *t, uaddr_t header, int *out_words)
{
	uint32_t version;
	int err = mm_copy_in(t->mm, &version, header, sizeof(version));
	if (err < 0)
		return err;
	switch (version) {
	case LINUX_CAPABILITY_VERSION_1:
		*out_words = LINUX_CAPABILITY_U32S_1;
		return 0;
	case LINUX_CAPABILITY_VERSION_2:
	case LINUX_CAPABILITY_VERSION_3:
		*out_words = LINUX_CAPABILITY_U32S_3;
		return 0;
	default:
		version = LINUX_CAPABILITY_VERSION_3;
		err = mm_copy_out(t->mm, header, &version, sizeof(version));
		return err < 0 ? err : -EINVAL;
	}
}

/* sys_capget implements capget(2): of the caller (pid 0 or its tid) or any thread. */
long sys_capget(struct task *t, const struct sys_args *a)
{
	uaddr_t header = a->a[0], data = a->a[1];
	int words;
	long ret = cap_validate_version(t, header, &words);
	if (!data || ret < 0)
		return (!data && ret == -EINVAL) ? 0 : ret;
	int32_t pid;
	ret = mm_copy_in(t->mm, &pid, header + offsetof(struct linux_cap_header, pid), sizeof(pid));
	if (ret < 0)
		return ret;
	if (pid < 0)
		return -EINVAL;
	uint64_t eff, prm, inh;
	if (pid == 0 || pid == t->tid) {
		eff = t->creds.cap_effective;
		prm = t->creds.cap_permitted;
		inh = t->creds.cap_inheritable;
	} else {
		pthread_mutex_lock(&t->k->mu);
		struct task *target = kernel_find_task_locked(t->k, pid);
		if (target) {
			eff = target->creds.cap_effective;
			prm = target->creds.cap_permitted;
			inh = target->creds.cap_inheritable;
		}
		pthread_mutex_unlock(&t->k->mu);
		if (!target)
			return -ESRCH;
	}
	/* Version 1 has the low 32 capabilities only: the others are silently left out. */
	struct linux_cap_data d[2];
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(eff >> (32 * i));
		d[i].permitted = (uint32_t)(prm >> (32 * i));
		d[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	return mm_copy_out(t->mm, data, d, (size_t)words * sizeof(d[0]));
}

/*
 * sys_capset implements capset(2) for the caller only (Linux has not
 * let a task set another's since 2.6.25), with cap_capset's rules.
 */
long sys_capset(struct task *t, const struct sys_args *a)
{
	uaddr_t header = a->a[0], data = a->a[1];
	int words;
	long ret = cap_validate_version(t, header, &words);
	if (ret < 0)
		return ret;
	int32_t pid;
	ret = mm_copy_in(t->mm, &pid, header + offsetof(struct linux_cap_header, pid), sizeof(pid));
	if (ret < 0)
		return ret;
	if (pid != 0 && pid != t->tid)
		return -EPERM;
	struct linux_cap_data d[2] = { 0 };
	ret = mm_copy_in(t->mm, d, data, (size_t)words * sizeof(d[0]));
	if (ret < 0)
		return ret;
	/* Bits above CAP_LAST_CAP are dropped, as Linux's mk_kernel_cap does. */
	uint64_t eff = (d[0].effective | (uint64_t)d[1].effective << 32) & LINUX_CAP_FULL_SET;
	uint64_t prm = (d[0].permitted | (uint64_t)d[1].permitted << 32) & LINUX_CAP_FULL_SET;
	uint64_t inh = (d[0].inheritable | (uint64_t)d[1].inheritable << 32) & LINUX_CAP_FULL_SET;
	struct creds *c = &t->creds;
	/* A new inheritable capability must be permitted, unless CAP_SETPCAP ... */
	if (!creds_capable(c, LINUX_CAP_SETPCAP) &&
	    (inh & ~(c->cap_inheritable | c->cap_permitted)))
		return -EPERM;
	/* ... and within the bounding set in any case. */
	if (inh & ~(c->cap_inheritable | c->cap_bset))
		return -EPERM;
	if (prm & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~prm)
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = prm;
	c->cap_inheritable = inh;
	/* Ambient capabilities stay only while both permitted and inheritable. */
	c->cap_ambient &= prm & inh;
	return 0;
}
