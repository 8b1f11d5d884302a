/* From an OCI bundle to a sandbox: see oci.h. */
#include "sentry/boot/oci.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"

static unsigned mount_flags(unsigned oci)
{
	return ((oci & OCI_MOUNT_RDONLY) ? SANDBOX_MOUNT_RDONLY : 0) |
	       ((oci & OCI_MOUNT_NOSUID) ? SANDBOX_MOUNT_NOSUID : 0) |
	       ((oci & OCI_MOUNT_NODEV) ? SANDBOX_MOUNT_NODEV : 0) |
	       ((oci & OCI_MOUNT_NOEXEC) ? SANDBOX_MOUNT_NOEXEC : 0);
}

/* The source of a bind mount: relative to the bundle, made canonical. */
static int bind_source(const struct oci_spec *spec, const struct oci_mount *m, size_t i, char **out,
                       char *err, size_t errlen)
{
	if (!m->source) {
		snprintf(err, errlen,
		         "config.json: mounts[%zu].source: a bind mount needs a source", i);
		return -EINVAL;
	}
	char *joined = NULL;
	if (m->source[0] != '/' && spec->bundle) {
		if (asprintf(&joined, "%s/%s", spec->bundle, m->source) < 0)
			return -ENOMEM;
	}
	char *real = realpath(joined ? joined : m->source, NULL);
	int e = errno;
	free(joined);
	if (!real) {
		snprintf(err, errlen, "config.json: mounts[%zu].source: %s: %s", i, m->source,
		         strerror(e));
		return -e;
	}
	*out = real;
	return 0;
}

/*
 * oci_sandbox_config, and with on_host false oci_container_config: then
 * bind sources are taken as they are (the runtime made them canonical)
 * and nothing is asked of the host.
 */
static int make_config(const struct oci_spec *spec, const char *platform, bool strace, bool on_host,
                       struct oci_sandbox *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->mounts = calloc(spec->mounts_count + 1, sizeof(*out->mounts));
	out->sources = calloc(spec->mounts_count + 1, sizeof(*out->sources));
	if (!out->mounts || !out->sources) {
		oci_sandbox_release(out);
		return -ENOMEM;
	}
	int n = 0;
	for (size_t i = 0; i < spec->mounts_count; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		const char *type = m->type ? m->type : "";
		struct sandbox_mount *sm = &out->mounts[n];
		sm->dest = m->destination;
		sm->flags = mount_flags(m->flags);
		if (strcmp(type, "bind") == 0 || (m->flags & (OCI_MOUNT_BIND | OCI_MOUNT_REC))) {
			char *src = NULL;
			int e;
			if (!on_host && m->source) {
				src = strdup(m->source);
				e = src ? 0 : -ENOMEM;
			} else {
				e = bind_source(spec, m, i, &src, err, errlen);
			}
			if (e < 0) {
				oci_sandbox_release(out);
				return e;
			}
			out->sources[out->nsources++] = src;
			sm->kind = SANDBOX_MOUNT_BIND;
			sm->source = src;
		} else if (strcmp(type, "tmpfs") == 0) {
			sm->kind = strcmp(m->destination, "/dev") == 0 ? SANDBOX_MOUNT_DEV
			                                               : SANDBOX_MOUNT_TMPFS;
			sm->data = m->data;
		} else if (strcmp(type, "proc") == 0) {
			sm->kind = SANDBOX_MOUNT_PROC;
		} else if (strcmp(type, "sysfs") == 0) {
			sm->kind = SANDBOX_MOUNT_SYSFS;
		} else if (strcmp(type, "devpts") == 0 || strcmp(type, "mqueue") == 0 ||
		           strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
			log_warn("config.json: mounts[%zu]: %s on %s is not implemented by the "
			         "sandbox: skipped",
			         i, type, m->destination);
			continue;
		} else {
			snprintf(err, errlen,
			         "config.json: mounts[%zu].type: unsupported type \"%s\"", i, type);
			oci_sandbox_release(out);
			return -EINVAL;
		}
		n++;
	}
	/* The sentry's /proc/sys is read-only: its values are the sandbox's own. */
	for (size_t i = 0; spec->has_linux && i < spec->linux_.sysctl_count; i++)
		log_warn("config.json: linux.sysctl: %s=%s is not implemented by the sandbox: "
		         "not applied",
		         spec->linux_.sysctl[i].key, spec->linux_.sysctl[i].value);
	if (spec->hostname)
		snprintf(out->hostname, sizeof(out->hostname), "%s", spec->hostname);
	else if (!on_host || gethostname(out->hostname, sizeof(out->hostname) - 1) < 0)
		snprintf(out->hostname, sizeof(out->hostname), "runsc");
	out->cfg = (struct sandbox_config){
		.platform = platform,
		.hostname = out->hostname,
		.release = "6.1.0",
		.strace = strace,
		.root = spec->root.resolved_path,
		.root_readonly = spec->root.readonly,
		.mounts = out->mounts,
		.nmounts = n,
		.masked_paths = spec->has_linux ? spec->linux_.masked_paths : NULL,
		.readonly_paths = spec->has_linux ? spec->linux_.readonly_paths : NULL,
	};
	return 0;
}

int oci_sandbox_config(const struct oci_spec *spec, const char *platform, bool strace,
                       struct oci_sandbox *out, char *err, size_t errlen)
{
	return make_config(spec, platform, strace, true, out, err, errlen);
}

int oci_container_config(const struct oci_spec *spec, struct oci_sandbox *out, char *err,
                         size_t errlen)
{
	return make_config(spec, "", false, false, out, err, errlen);
}

void oci_sandbox_release(struct oci_sandbox *s)
{
	for (size_t i = 0; s->sources && i < s->nsources; i++)
		free(s->sources[i]);
	free(s->sources);
	free(s->mounts);
	memset(s, 0, sizeof(*s));
}

int oci_sandbox_process(const struct oci_process *op, struct sandbox_process *p, char *err,
                        size_t errlen)
{
	*p = (struct sandbox_process){
		.argv = op->args,
		.envp = op->env,
		.cwd = op->cwd,
		.uid = op->user.uid,
		.gid = op->user.gid,
		.groups = op->user.additional_gids,
		.ngroups = (int)op->user.additional_gids_count,
		/* No capabilities in the process means none, as in runc. */
		.has_caps = true,
		.cap_bounding = op->capabilities.bounding,
		.cap_effective = op->capabilities.effective,
		.cap_inheritable = op->capabilities.inheritable,
		.cap_permitted = op->capabilities.permitted,
		.cap_ambient = op->capabilities.ambient,
		.no_new_privs = op->no_new_privileges,
		.umask = op->user.has_umask ? (mode_t)op->user.umask : 022,
		.stdio = { -1, -1, -1 },
	};
	if (op->user.additional_gids_count > 65536) {
		snprintf(err, errlen, "process.user.additionalGids: too many groups");
		return -EINVAL;
	}
	/* What the process does not set, it inherits from the runtime, as under runc. */
	sandbox_process_inherit_rlimits(p);
	for (size_t i = 0; i < op->rlimits_count; i++) {
		const struct oci_rlimit *rl = &op->rlimits[i];
		if (rl->resource < 0 || rl->resource >= LINUX_RLIM_NLIMITS)
			continue;
		if (rl->soft > rl->hard) {
			snprintf(err, errlen,
			         "process.rlimits[%zu]: soft limit above the hard limit", i);
			return -EINVAL;
		}
		p->rlimits[rl->resource] = (struct linux_rlimit){ rl->soft, rl->hard };
	}
	return 0;
}
