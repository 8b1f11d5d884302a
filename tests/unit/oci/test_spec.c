/*
 * Unit tests for common/oci/spec: a full config.json as `runc spec` writes
 * it (plus mounts, hooks, a namespace path, rlimits and capabilities) read
 * back field by field; one case per class of error, each checking the exact
 * message; and bundles on disk: a real one, one without config.json, one
 * that does not exist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "common/oci/spec.h"

/* What `runc spec` writes (runc 1.1), with mounts, hooks, a namespace to
 * join, rlimits, capabilities and extensions added. */
static const char g_full[] =
        "{\n"
        "  \"ociVersion\": \"1.0.2-dev\",\n"
        "  \"process\": {\n"
        "    \"terminal\": true,\n"
        "    \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18,\n"
        "             \"additionalGids\": [5, 20]},\n"
        "    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
        "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "            \"TERM=xterm\"],\n"
        "    \"cwd\": \"/\",\n"
        "    \"capabilities\": {\n"
        "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\"],\n"
        "      \"inheritable\": [],\n"
        "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_CHECKPOINT_RESTORE\"],\n"
        "      \"ambient\": [\"CAP_CHOWN\"]\n"
        "    },\n"
        "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024},\n"
        "                {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615,\n"
        "                 \"soft\": 0}],\n"
        "    \"noNewPrivileges\": true,\n"
        "    \"oomScoreAdj\": -500,\n"
        "    \"apparmorProfile\": \"ignored-extension\"\n"
        "  },\n"
        "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
        "  \"hostname\": \"runc\",\n"
        "  \"mounts\": [\n"
        "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
        "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
        "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
        "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\",\n"
        "                 \"mode=0620\", \"gid=5\"]},\n"
        "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
        "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\",\n"
        "     \"options\": [\"rbind\", \"ro\", \"rw\", \"rslave\", \"x-custom\"]}\n"
        "  ],\n"
        "  \"annotations\": {\"org.example.key\": \"value\", \"b\": \"\"},\n"
        "  \"hooks\": {\n"
        "    \"prestart\": [{\"path\": \"/usr/bin/setup\", \"args\": [\"setup\", \"-x\"],\n"
        "                   \"env\": [\"A=1\"], \"timeout\": 5}],\n"
        "    \"createRuntime\": [{\"path\": \"/bin/a\"}, {\"path\": \"/bin/b\"}],\n"
        "    \"poststop\": [{\"path\": \"/bin/cleanup\"}]\n"
        "  },\n"
        "  \"linux\": {\n"
        "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
        "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1000}],\n"
        "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],\n"
        "                  \"memory\": {\"limit\": 536870912}},\n"
        "    \"cgroupsPath\": \"/runsc/test\",\n"
        "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
        "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\",\n"
        "                    \"path\": \"/var/run/netns/test\"}, {\"type\": \"ipc\"},\n"
        "                   {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
        "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\"},\n"
        "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\", \"/sys/firmware\"],\n"
        "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/sys\"]\n"
        "  },\n"
        "  \"vm\": {\"unknown\": \"extension\"}\n"
        "}\n";

static struct oci_spec *parse_ok(const char *json, const char *bundle)
{
	struct oci_spec *spec = NULL;
	char err[512];
	int rc = oci_spec_parse(json, bundle, &spec, err, sizeof(err));

	if (rc != 0)
		fail_msg("unexpected error %d: %s", rc, err);
	assert_non_null(spec);
	return spec;
}

static void test_full_config(void **state)
{
	struct oci_spec *spec = parse_ok(g_full, "/bundles/b1");
	const struct oci_process *p = &spec->process;
	const struct oci_linux *lx = &spec->linux_;
	const struct oci_mount *m;

	assert_string_equal(spec->oci_version, "1.0.2-dev");
	assert_string_equal(spec->bundle, "/bundles/b1");

	assert_true(spec->has_process);
	assert_true(p->terminal);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 100);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.additional_gids_count, 2);
	assert_int_equal(p->user.additional_gids[0], 5);
	assert_int_equal(p->user.additional_gids[1], 20);
	assert_int_equal(p->args_count, 3);
	assert_string_equal(p->args[0], "sh");
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_int_equal(p->env_count, 2);
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/");

	assert_true(p->has_capabilities);
	/* CAP_AUDIT_WRITE 29, CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_CHOWN 0. */
	assert_true(p->capabilities.bounding == ((1ull << 29) | (1ull << 5) | (1ull << 10)));
	assert_true(p->capabilities.effective == ((1ull << 29) | (1ull << 5)));
	assert_true(p->capabilities.inheritable == 0);
	assert_true(p->capabilities.permitted == ((1ull << 29) | (1ull << 5) | (1ull << 40)));
	assert_true(p->capabilities.ambient == 1);

	assert_int_equal(p->rlimits_count, 2);
	assert_int_equal(p->rlimits[0].resource, 7); /* RLIMIT_NOFILE */
	assert_true(p->rlimits[0].hard == 1024 && p->rlimits[0].soft == 1024);
	assert_int_equal(p->rlimits[1].resource, 4); /* RLIMIT_CORE */
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->rlimits[1].soft == 0);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);

	assert_string_equal(spec->root.path, "rootfs");
	assert_string_equal(spec->root.resolved_path, "/bundles/b1/rootfs");
	assert_true(spec->root.readonly);
	assert_string_equal(spec->hostname, "runc");

	assert_int_equal(spec->mounts_count, 5);
	m = &spec->mounts[0];
	assert_string_equal(m->destination, "/proc");
	assert_string_equal(m->type, "proc");
	assert_string_equal(m->source, "proc");
	assert_int_equal(m->options_count, 0);
	assert_int_equal(m->flags, 0);
	assert_null(m->data);
	m = &spec->mounts[1];
	assert_int_equal(m->flags, OCI_MOUNT_NOSUID | OCI_MOUNT_STRICTATIME);
	assert_string_equal(m->data, "mode=755,size=65536k");
	assert_int_equal(m->unknown_options_count, 0);
	assert_int_equal(m->options_count, 4);
	m = &spec->mounts[2];
	assert_int_equal(m->flags, OCI_MOUNT_NOSUID | OCI_MOUNT_NOEXEC);
	assert_string_equal(m->data, "ptmxmode=0666,mode=0620,gid=5");
	assert_int_equal(m->unknown_options_count, 1);
	assert_string_equal(m->unknown_options[0], "newinstance");
	m = &spec->mounts[3];
	assert_int_equal(m->flags,
	                 OCI_MOUNT_NOSUID | OCI_MOUNT_NOEXEC | OCI_MOUNT_NODEV | OCI_MOUNT_RDONLY);
	m = &spec->mounts[4];
	/* "rw" after "ro" clears it, as mount(8). */
	assert_int_equal(m->flags, OCI_MOUNT_BIND | OCI_MOUNT_REC);
	assert_int_equal(m->propagation, OCI_PROPAGATION_RSLAVE);
	assert_string_equal(m->source, "/srv/data");
	assert_int_equal(m->unknown_options_count, 1);
	assert_string_equal(m->unknown_options[0], "x-custom");
	assert_null(m->data);

	assert_int_equal(spec->annotations_count, 2);
	assert_string_equal(spec->annotations[0].key, "org.example.key");
	assert_string_equal(spec->annotations[0].value, "value");
	assert_string_equal(spec->annotations[1].key, "b");
	assert_string_equal(spec->annotations[1].value, "");

	assert_int_equal(spec->hooks[OCI_HOOK_PRESTART].count, 1);
	assert_string_equal(spec->hooks[OCI_HOOK_PRESTART].hooks[0].path, "/usr/bin/setup");
	assert_int_equal(spec->hooks[OCI_HOOK_PRESTART].hooks[0].args_count, 2);
	assert_string_equal(spec->hooks[OCI_HOOK_PRESTART].hooks[0].args[1], "-x");
	assert_string_equal(spec->hooks[OCI_HOOK_PRESTART].hooks[0].env[0], "A=1");
	assert_int_equal(spec->hooks[OCI_HOOK_PRESTART].hooks[0].timeout, 5);
	assert_int_equal(spec->hooks[OCI_HOOK_CREATE_RUNTIME].count, 2);
	assert_string_equal(spec->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[1].path, "/bin/b");
	assert_int_equal(spec->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[1].args_count, 0);
	assert_null(spec->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[1].args[0]);
	assert_int_equal(spec->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[1].timeout, 0);
	assert_int_equal(spec->hooks[OCI_HOOK_CREATE_CONTAINER].count, 0);
	assert_int_equal(spec->hooks[OCI_HOOK_START_CONTAINER].count, 0);
	assert_int_equal(spec->hooks[OCI_HOOK_POSTSTART].count, 0);
	assert_int_equal(spec->hooks[OCI_HOOK_POSTSTOP].count, 1);

	assert_true(spec->has_linux);
	assert_int_equal(lx->namespaces_count, 6);
	assert_int_equal(lx->namespaces[0].type, OCI_NS_PID);
	assert_null(lx->namespaces[0].path);
	assert_int_equal(lx->namespaces[1].type, OCI_NS_NETWORK);
	assert_string_equal(lx->namespaces[1].path, "/var/run/netns/test");
	assert_int_equal(lx->namespaces[5].type, OCI_NS_CGROUP);
	assert_int_equal(lx->uid_mappings_count, 1);
	assert_int_equal(lx->uid_mappings[0].host_id, 100000);
	assert_int_equal(lx->uid_mappings[0].size, 65536);
	assert_int_equal(lx->gid_mappings_count, 1);
	assert_int_equal(lx->gid_mappings[0].host_id, 200000);
	assert_non_null(lx->resources);
	assert_true(json_is_object(lx->resources));
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(lx->resources, "memory"), "limit")),
	                 536870912);
	assert_string_equal(lx->cgroups_path, "/runsc/test");
	assert_int_equal(lx->sysctl_count, 1);
	assert_string_equal(lx->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(lx->sysctl[0].value, "1");
	assert_true(lx->has_seccomp);
	assert_int_equal(lx->masked_paths_count, 3);
	assert_string_equal(lx->masked_paths[2], "/sys/firmware");
	assert_null(lx->masked_paths[3]);
	assert_int_equal(lx->readonly_paths_count, 2);
	assert_string_equal(lx->readonly_paths[1], "/proc/sys");

	oci_spec_free(spec);
}

/* The least a config can be: a version and a root; everything else defaults. */
static void test_minimal_config(void **state)
{
	struct oci_spec *spec =
	        parse_ok("{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"/abs/root\"}}", NULL);

	assert_false(spec->has_process);
	assert_false(spec->has_linux);
	assert_null(spec->bundle);
	assert_string_equal(spec->root.resolved_path, "/abs/root");
	assert_false(spec->root.readonly);
	assert_null(spec->hostname);
	assert_int_equal(spec->mounts_count, 0);
	assert_int_equal(spec->annotations_count, 0);
	for (int k = 0; k < OCI_HOOK_KIND_COUNT; k++)
		assert_int_equal(spec->hooks[k].count, 0);
	oci_spec_free(spec);

	/* A relative root without a bundle stays relative. */
	spec = parse_ok("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}", NULL);
	assert_string_equal(spec->root.resolved_path, "rootfs");
	oci_spec_free(spec);
}

/* null is an absent field, as Go writes omitted ones; no user is uid 0. */
static void test_null_fields(void **state)
{
	struct oci_spec *spec = parse_ok(
	        "{\"ociVersion\": \"1.0.1\", \"root\": {\"path\": \"r\"}, \"mounts\": null,"
	        " \"hostname\": null, \"process\": {\"args\": [\"a\"], \"cwd\": \"/\","
	        " \"env\": null, \"capabilities\": null}, \"linux\": {\"resources\": null}}",
	        NULL);

	assert_int_equal(spec->mounts_count, 0);
	assert_null(spec->hostname);
	assert_int_equal(spec->process.user.uid, 0);
	assert_int_equal(spec->process.env_count, 0);
	assert_non_null(spec->process.env);
	assert_null(spec->process.env[0]);
	assert_false(spec->process.has_capabilities);
	assert_null(spec->linux_.resources);
	oci_spec_free(spec);
}

static void test_versions(void **state)
{
	static const char *const ok[] = { "1.0.0", "1.0.2-dev", "1.1.0", "1.1.0-rc.1", "1.0.12" };
	char json[256], err[512];
	struct oci_spec *spec;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(json, sizeof(json),
		         "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"r\"}}", ok[i]);
		spec = parse_ok(json, NULL);
		oci_spec_free(spec);
	}
	assert_int_equal(oci_spec_parse("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}}",
	                                NULL, &spec, err, sizeof(err)),
	                 -EINVAL);
	assert_null(spec);
	assert_string_equal(err,
	                    "config.json: ociVersion: unsupported version \"1.2.0\" (1.0.x and "
	                    "1.1.x are accepted)");
}

/* A head of a valid document that error cases complete. */
#define HEAD       "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
#define PROC(rest) HEAD "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", " rest "}}"

static const struct {
	const char *json;
	const char *message;
} g_errors[] = {
	/* The document and its required fields. */
	{ "[1, 2]", "config.json: must be a JSON object" },
	{ "{\"root\": {\"path\": \"r\"}}", "config.json: ociVersion: is required" },
	{ "{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}",
	  "config.json: ociVersion: must be a string" },
	{ "{\"ociVersion\": \"1.0.0\"}", "config.json: root: is required" },
	{ "{\"ociVersion\": \"1.0.0\", \"root\": \"rootfs\"}",
	  "config.json: root: must be an object" },
	{ "{\"ociVersion\": \"1.0.0\", \"root\": {\"readonly\": true}}",
	  "config.json: root.path: is required" },
	{ "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}}",
	  "config.json: root.readonly: must be a boolean" },
	{ HEAD "\"hostname\": 7}", "config.json: hostname: must be a string" },
	/* process */
	{ HEAD "\"process\": []}", "config.json: process: must be an object" },
	{ HEAD "\"process\": {\"cwd\": \"/\"}}",
	  "config.json: process.args: must be a non-empty array of strings" },
	{ HEAD "\"process\": {\"args\": [], \"cwd\": \"/\"}}",
	  "config.json: process.args: must be a non-empty array of strings" },
	{ HEAD "\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\"}}",
	  "config.json: process.args: must be a non-empty array of strings" },
	{ HEAD "\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}}",
	  "config.json: process.args: must be a non-empty array of strings" },
	{ HEAD "\"process\": {\"args\": [\"sh\"]}}",
	  "config.json: process.cwd: must be an absolute path" },
	{ HEAD "\"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}}",
	  "config.json: process.cwd: must be an absolute path" },
	{ PROC("\"env\": {}"), "config.json: process.env: must be an array of strings" },
	{ PROC("\"terminal\": 1"), "config.json: process.terminal: must be a boolean" },
	{ PROC("\"user\": {\"gid\": 0}"), "config.json: process.user.uid: is required" },
	{ PROC("\"user\": {\"uid\": -1, \"gid\": 0}"),
	  "config.json: process.user.uid: must be an integer from 0 to 4294967295" },
	{ PROC("\"user\": {\"uid\": 0, \"gid\": \"0\"}"),
	  "config.json: process.user.gid: must be an integer from 0 to 4294967295" },
	{ PROC("\"user\": {\"uid\": 0, \"gid\": 0, \"umask\": 1.5}"),
	  "config.json: process.user.umask: must be an integer from 0 to 4294967295" },
	{ PROC("\"user\": {\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, 4294967296]}"),
	  "config.json: process.user.additionalGids[1]: must be an integer from 0 to 4294967295" },
	{ PROC("\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\", \"CAP_SETUID\","
	       " \"CAP_FOO\"]}"),
	  "config.json: process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"" },
	{ PROC("\"capabilities\": {\"ambient\": [\"kill\"]}"),
	  "config.json: process.capabilities.ambient[0]: unknown capability \"kill\"" },
	{ PROC("\"capabilities\": {\"effective\": [5]}"),
	  "config.json: process.capabilities.effective[0]: must be a string" },
	{ PROC("\"capabilities\": {\"permitted\": \"CAP_KILL\"}"),
	  "config.json: process.capabilities.permitted: must be an array of strings" },
	{ PROC("\"rlimits\": {}"), "config.json: process.rlimits: must be an array" },
	{ PROC("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"hard\": 1, \"soft\": 1}]"),
	  "config.json: process.rlimits[0].type: unknown resource \"RLIMIT_FOO\"" },
	{ PROC("\"rlimits\": [{\"hard\": 1, \"soft\": 1}]"),
	  "config.json: process.rlimits[0].type: must be a string naming an RLIMIT_*" },
	{ PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]"),
	  "config.json: process.rlimits[0].hard: must be an integer from 0 to "
	  "18446744073709551615" },
	{ PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": -1}]"),
	  "config.json: process.rlimits[0].soft: must be an integer from 0 to "
	  "18446744073709551615" },
	{ PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 2}]"),
	  "config.json: process.rlimits[0]: soft limit is above the hard limit" },
	{ PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1},"
	       " {\"type\": \"RLIMIT_NOFILE\", \"hard\": 2, \"soft\": 2}]"),
	  "config.json: process.rlimits[1].type: duplicate resource \"RLIMIT_NOFILE\"" },
	{ PROC("\"noNewPrivileges\": \"true\""),
	  "config.json: process.noNewPrivileges: must be a boolean" },
	{ PROC("\"oomScoreAdj\": 1001"),
	  "config.json: process.oomScoreAdj: must be an integer from -1000 to 1000" },
	/* mounts */
	{ HEAD "\"mounts\": {}}", "config.json: mounts: must be an array" },
	{ HEAD "\"mounts\": [\"/proc\"]}", "config.json: mounts[0]: must be an object" },
	{ HEAD "\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\"},"
	       " {\"destination\": \"c\"}]}",
	  "config.json: mounts[2].destination: must be an absolute path" },
	{ HEAD "\"mounts\": [{\"type\": \"tmpfs\"}]}",
	  "config.json: mounts[0].destination: must be an absolute path" },
	{ HEAD "\"mounts\": [{\"destination\": \"/a\", \"type\": 1}]}",
	  "config.json: mounts[0].type: must be a string" },
	{ HEAD "\"mounts\": [{\"destination\": \"/a\", \"source\": []}]}",
	  "config.json: mounts[0].source: must be a string" },
	{ HEAD "\"mounts\": [{\"destination\": \"/a\", \"options\": \"ro\"}]}",
	  "config.json: mounts[0].options: must be an array of strings" },
	/* annotations */
	{ HEAD "\"annotations\": []}", "config.json: annotations: must be an object" },
	{ HEAD "\"annotations\": {\"a\": \"b\", \"n\": 1}}",
	  "config.json: annotations.n: must be a string" },
	/* linux */
	{ HEAD "\"linux\": []}", "config.json: linux: must be an object" },
	{ HEAD "\"linux\": {\"namespaces\": {}}}",
	  "config.json: linux.namespaces: must be an array" },
	{ HEAD "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"net\"}]}}",
	  "config.json: linux.namespaces[1].type: unknown namespace type \"net\"" },
	{ HEAD "\"linux\": {\"namespaces\": [{\"path\": \"/x\"}]}}",
	  "config.json: linux.namespaces[0].type: must be a string naming a namespace type" },
	{ HEAD "\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"netns\"}]}}",
	  "config.json: linux.namespaces[0].path: must be an absolute path" },
	{ HEAD "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}}",
	  "config.json: linux.namespaces[1].type: duplicate namespace type \"pid\"" },
	{ HEAD "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1}]}}",
	  "config.json: linux.uidMappings[0].size: is required" },
	{ HEAD "\"linux\": {\"gidMappings\": [7]}}",
	  "config.json: linux.gidMappings[0]: must be an object" },
	{ HEAD "\"linux\": {\"resources\": []}}",
	  "config.json: linux.resources: must be an object" },
	{ HEAD "\"linux\": {\"maskedPaths\": [1]}}",
	  "config.json: linux.maskedPaths: must be an array of strings" },
	{ HEAD "\"linux\": {\"readonlyPaths\": \"/proc\"}}",
	  "config.json: linux.readonlyPaths: must be an array of strings" },
	{ HEAD "\"linux\": {\"sysctl\": {\"kernel.shmmax\": 1}}}",
	  "config.json: linux.sysctl.kernel.shmmax: must be a string" },
	{ HEAD "\"linux\": {\"cgroupsPath\": false}}",
	  "config.json: linux.cgroupsPath: must be a string" },
	{ HEAD "\"linux\": {\"seccomp\": \"default\"}}",
	  "config.json: linux.seccomp: must be an object" },
	/* hooks */
	{ HEAD "\"hooks\": []}", "config.json: hooks: must be an object" },
	{ HEAD "\"hooks\": {\"prestart\": {}}}", "config.json: hooks.prestart: must be an array" },
	{ HEAD "\"hooks\": {\"poststart\": [{\"path\": \"/a\"}, {\"args\": []}]}}",
	  "config.json: hooks.poststart[1].path: must be an absolute path" },
	{ HEAD "\"hooks\": {\"createContainer\": [{\"path\": \"hook\"}]}}",
	  "config.json: hooks.createContainer[0].path: must be an absolute path" },
	{ HEAD "\"hooks\": {\"startContainer\": [{\"path\": \"/h\", \"args\": [1]}]}}",
	  "config.json: hooks.startContainer[0].args: must be an array of strings" },
	{ HEAD "\"hooks\": {\"poststop\": [{\"path\": \"/h\", \"env\": \"A=1\"}]}}",
	  "config.json: hooks.poststop[0].env: must be an array of strings" },
	{ HEAD "\"hooks\": {\"createRuntime\": [{\"path\": \"/h\", \"timeout\": 0}]}}",
	  "config.json: hooks.createRuntime[0].timeout: must be a positive integer" },
	{ HEAD "\"hooks\": {\"prestart\": [\"/bin/true\"]}}",
	  "config.json: hooks.prestart[0]: must be an object" },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(g_errors) / sizeof(g_errors[0]); i++) {
		struct oci_spec *spec = (struct oci_spec *)1;
		char err[512];
		int rc = oci_spec_parse(g_errors[i].json, "/b", &spec, err, sizeof(err));

		if (rc != -EINVAL || strcmp(err, g_errors[i].message) != 0)
			fail_msg("case %zu (%s): rc %d, message\n  %s\nexpected\n  %s", i,
			         g_errors[i].json, rc, err, g_errors[i].message);
		assert_null(spec);
	}
}

static void test_malformed_json(void **state)
{
	struct oci_spec *spec;
	char err[512];

	assert_int_equal(oci_spec_parse("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {,\n}", NULL,
	                                &spec, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "config.json: line 3, column 12: string or '}' expected near ','");
	assert_int_equal(oci_spec_parse("", NULL, &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config.json: line 1, column 0: '[' or '{' expected near end of "
	                         "file");
	/* A short buffer still gets a terminated (cut) message. */
	assert_int_equal(oci_spec_parse("{", NULL, &spec, err, 7), -EINVAL);
	assert_string_equal(err, "config");
}

/* A temporary bundle directory; config is written to config.json unless NULL. */
static char *make_bundle(const char *config)
{
	char *dir = strdup("/tmp/runsc-oci-test.XXXXXX");
	char path[256];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	if (config) {
		snprintf(path, sizeof(path), "%s/config.json", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fputs(config, f) >= 0, 1);
		assert_int_equal(fclose(f), 0);
	}
	return dir;
}

static void remove_bundle(char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	rmdir(path);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void test_load_bundle(void **state)
{
	char *dir = make_bundle(g_full);
	char err[512], expected[512], cwd[4096];
	struct oci_spec *spec;

	assert_int_equal(oci_spec_load(dir, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec->bundle, dir);
	snprintf(expected, sizeof(expected), "%s/rootfs", dir);
	assert_string_equal(spec->root.resolved_path, expected);
	assert_string_equal(spec->process.args[0], "sh");
	oci_spec_free(spec);

	/* A relative bundle directory is made absolute. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/tmp"), 0);
	assert_int_equal(oci_spec_load(dir + strlen("/tmp/"), &spec, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(spec->bundle, dir);
	assert_string_equal(spec->root.resolved_path, expected);
	oci_spec_free(spec);
	remove_bundle(dir);
}

static void test_load_invalid_bundle_config(void **state)
{
	char *dir = make_bundle("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"},\n"
	                        " \"mounts\": [{\"destination\": \"x\"}]}");
	char err[512];
	struct oci_spec *spec;

	assert_int_equal(oci_spec_load(dir, &spec, err, sizeof(err)), -EINVAL);
	assert_null(spec);
	assert_string_equal(err, "config.json: mounts[0].destination: must be an absolute path");
	remove_bundle(dir);
}

static void test_missing_config(void **state)
{
	char *dir = make_bundle(NULL);
	char err[512], expected[512];
	struct oci_spec *spec;

	assert_int_equal(oci_spec_load(dir, &spec, err, sizeof(err)), -ENOENT);
	assert_null(spec);
	snprintf(expected, sizeof(expected),
	         "config.json: %s/config.json: No such file or directory", dir);
	assert_string_equal(err, expected);
	remove_bundle(dir);
}

static void test_missing_bundle(void **state)
{
	char err[512];
	struct oci_spec *spec;

	assert_int_equal(oci_spec_load("/nonexistent/runsc-bundle", &spec, err, sizeof(err)),
	                 -ENOENT);
	assert_null(spec);
	assert_string_equal(err, "bundle /nonexistent/runsc-bundle: No such file or directory");

	assert_int_equal(oci_spec_load("/dev/null", &spec, err, sizeof(err)), -ENOTDIR);
	assert_string_equal(err, "bundle /dev/null: Not a directory");
}

static void test_names(void **state)
{
	assert_string_equal(oci_capability_name(0), "CAP_CHOWN");
	assert_string_equal(oci_capability_name(21), "CAP_SYS_ADMIN");
	assert_string_equal(oci_capability_name(OCI_CAP_LAST), "CAP_CHECKPOINT_RESTORE");
	assert_null(oci_capability_name(OCI_CAP_LAST + 1));
	assert_string_equal(oci_rlimit_name(7), "RLIMIT_NOFILE");
	assert_string_equal(oci_rlimit_name(15), "RLIMIT_RTTIME");
	assert_null(oci_rlimit_name(16));
	assert_string_equal(oci_namespace_name(OCI_NS_NETWORK), "network");
	assert_string_equal(oci_hook_kind_name(OCI_HOOK_START_CONTAINER), "startContainer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_config),
		cmocka_unit_test(test_null_fields),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_load_bundle),
		cmocka_unit_test(test_load_invalid_bundle_config),
		cmocka_unit_test(test_missing_config),
		cmocka_unit_test(test_missing_bundle),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
