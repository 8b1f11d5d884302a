/*
 * The container state as JSON (see state.h for the two shapes). Objects are
 * built with jansson, which keeps keys in insertion order, so the field
 * order is the one written below.
 */
#include "common/oci/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const g_status_names[] = {
	[OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created",
	[OCI_STATUS_RUNNING] = "running",   [OCI_STATUS_STOPPED] = "stopped",
	[OCI_STATUS_PAUSED] = "paused",
};

const char *oci_status_name(enum oci_status status)
{
	if ((unsigned)status >= sizeof(g_status_names) / sizeof(g_status_names[0]))
		return NULL;
	return g_status_names[status];
}

char *oci_format_rfc3339nano(struct timespec t, char *buf, size_t size)
{
	struct tm tm;
	char frac[16] = "";
	time_t sec = t.tv_sec;

	gmtime_r(&sec, &tm);
	if (t.tv_nsec > 0 && t.tv_nsec < 1000000000) {
		/* Go prints up to nine digits and drops the trailing zeros. */
		int len = snprintf(frac, sizeof(frac), ".%09ld", t.tv_nsec);
		while (len > 1 && frac[len - 1] == '0')
			frac[--len] = '\0';
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

static int kv_cmp(const void *a, const void *b)
{
	const struct oci_kv *x = *(const struct oci_kv *const *)a;
	const struct oci_kv *y = *(const struct oci_kv *const *)b;

	return strcmp(x->key, y->key);
}

/* Adds "annotations" sorted by key (Go marshals maps that way), if any. */
static int add_annotations(json_t *obj, const struct oci_state *st)
{
	const struct oci_kv **sorted;
	json_t *map;
	int ret = -1;

	if (!st->annotations_count)
		return 0;
	sorted = calloc(st->annotations_count, sizeof(*sorted));
	map = json_object();
	if (!sorted || !map)
		goto out;
	for (size_t i = 0; i < st->annotations_count; i++)
		sorted[i] = &st->annotations[i];
	qsort(sorted, st->annotations_count, sizeof(*sorted), kv_cmp);
	for (size_t i = 0; i < st->annotations_count; i++)
		if (json_object_set_new(map, sorted[i]->key, json_string(sorted[i]->value)))
			goto out;
	ret = json_object_set(obj, "annotations", map);
out:
	json_decref(map);
	free(sorted);
	return ret;
}

static int set_string(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, json_string(value ? value : ""));
}

char *oci_state_json(const struct oci_state *st, enum oci_state_format format)
{
	const char *status = oci_status_name(st->status);
	const char *version = st->oci_version ? st->oci_version : OCI_STATE_VERSION;
	int pid = st->status == OCI_STATUS_STOPPED ? 0 : st->pid;
	char created[64];
	json_t *obj;
	char *out = NULL;
	int err = 0;

	if (!st->id || !st->bundle || !status)
		return NULL;
	obj = json_object();
	if (!obj)
		return NULL;
	err |= set_string(obj, "ociVersion", version);
	err |= set_string(obj, "id", st->id);
	if (format == OCI_STATE_HOOK) {
		err |= set_string(obj, "status", status);
		if (pid)
			err |= json_object_set_new(obj, "pid", json_integer(pid));
		err |= set_string(obj, "bundle", st->bundle);
		err |= add_annotations(obj, st);
		if (!err)
			out = json_dumps(obj, JSON_COMPACT);
	} else {
		err |= json_object_set_new(obj, "pid", json_integer(pid));
		err |= set_string(obj, "status", status);
		err |= set_string(obj, "bundle", st->bundle);
		err |= set_string(obj, "rootfs", st->rootfs);
		err |= set_string(obj, "created",
		                  oci_format_rfc3339nano(st->created, created, sizeof(created)));
		err |= add_annotations(obj, st);
		err |= set_string(obj, "owner", st->owner);
		if (!err)
			out = json_dumps(obj, JSON_INDENT(2));
	}
	json_decref(obj);
	return out;
}
