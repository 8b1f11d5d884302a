/*
 * The OCI runtime-spec bundle configuration (config.json), parsed with
 * jansson into plain C structs for `runsc create`.
 *
 * The parser validates every field it knows: a missing required field, a
 * value of the wrong JSON type or an invalid value is an error whose message
 * names the field's path ("config.json: mounts[2].destination: must be an
 * absolute path"). Fields it does not know are ignored, as the spec allows
 * extensions. A JSON null counts as an absent field (Go runtimes write them).
 *
 * Names are mapped to numbers where later code needs numbers: capabilities
 * to CAP_* bit numbers (0..40), rlimits to RLIMIT_* resources, mount options
 * to OCI_MOUNT_* flags and a propagation type, namespaces to an enum. What
 * only later code can interpret is kept as it came: linux.resources as a
 * jansson object (for the cgroup code), the mount options runsc does not know
 * as strings.
 *
 * This is no part of the sentry: it depends on jansson and libc only.
 */
#ifndef RUNSC_COMMON_OCI_SPEC_H
#define RUNSC_COMMON_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The highest capability number the parser knows (CAP_CHECKPOINT_RESTORE). */
#define OCI_CAP_LAST 40

/* A string-to-string map entry (annotations, linux.sysctl), in file order. */
struct oci_kv {
	char *key;
	char *value;
};

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t additional_gids_count;
};

/* Capability sets as bit masks: bit n is capability number n. */
struct oci_capabilities {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct oci_rlimit {
	int resource; /* RLIMIT_* number (Linux's, e.g. 7 for RLIMIT_NOFILE) */
	uint64_t hard;
	uint64_t soft;
};

struct oci_process {
	bool terminal;
	/* consoleSize: the terminal's size in characters, when given (both nonzero). */
	bool has_console_size;
	uint32_t console_height, console_width;
	struct oci_user user;
	char **args; /* NULL-terminated, args_count >= 1 */
	size_t args_count;
	char **env; /* NULL-terminated (possibly empty) */
	size_t env_count;
	char *cwd; /* absolute */
	bool has_capabilities;
	struct oci_capabilities capabilities;
	struct oci_rlimit *rlimits;
	size_t rlimits_count;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct oci_root {
	char *path; /* as written in config.json */
	/* path if absolute, else BUNDLE/path (BUNDLE absolute); path with no bundle */
	char *resolved_path;
	bool readonly;
};

/* Mount flags from the options ("rw", "suid", ... clear them). */
enum {
	OCI_MOUNT_RDONLY = 1u << 0,
	OCI_MOUNT_NOSUID = 1u << 1,
	OCI_MOUNT_NODEV = 1u << 2,
	OCI_MOUNT_NOEXEC = 1u << 3,
	OCI_MOUNT_BIND = 1u << 4,
	OCI_MOUNT_REC = 1u << 5, /* rbind */
	OCI_MOUNT_SYNC = 1u << 6,
	OCI_MOUNT_NOATIME = 1u << 7,
	OCI_MOUNT_NODIRATIME = 1u << 8,
	OCI_MOUNT_RELATIME = 1u << 9,
	OCI_MOUNT_STRICTATIME = 1u << 10,
};

enum oci_propagation {
	OCI_PROPAGATION_NONE = 0, /* not given */
	OCI_PROPAGATION_PRIVATE,
	OCI_PROPAGATION_RPRIVATE,
	OCI_PROPAGATION_SHARED,
	OCI_PROPAGATION_RSHARED,
	OCI_PROPAGATION_SLAVE,
	OCI_PROPAGATION_RSLAVE,
	OCI_PROPAGATION_UNBINDABLE,
	OCI_PROPAGATION_RUNBINDABLE,
};

struct oci_mount {
	char *destination; /* absolute */
	char *type;        /* NULL if not given */
	char *source;      /* NULL if not given */
	char **options;    /* all options as written, NULL-terminated */
	size_t options_count;
	unsigned flags; /* OCI_MOUNT_* */
	enum oci_propagation propagation;
	/* "key=value" options (size=, mode=, ...), comma-joined; NULL if none */
	char *data;
	/* other options runsc does not know, NULL-terminated */
	char **unknown_options;
	size_t unknown_options_count;
};

enum oci_namespace_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT,
};

struct oci_namespace {
	enum oci_namespace_type type;
	char *path; /* a namespace file to join (absolute), or NULL for a new one */
};

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t namespaces_count;
	struct oci_id_mapping *uid_mappings;
	size_t uid_mappings_count;
	struct oci_id_mapping *gid_mappings;
	size_t gid_mappings_count;
	json_t *resources;   /* the object as written (owned), or NULL */
	char **masked_paths; /* NULL-terminated */
	size_t masked_paths_count;
	char **readonly_paths; /* NULL-terminated */
	size_t readonly_paths_count;
	struct oci_kv *sysctl;
	size_t sysctl_count;
	char *cgroups_path; /* NULL if not given */
	bool has_seccomp;   /* recorded only; not interpreted yet */
};

struct oci_hook {
	char *path;  /* absolute */
	char **args; /* NULL-terminated (possibly empty) */
	size_t args_count;
	char **env; /* NULL-terminated (possibly empty) */
	size_t env_count;
	int timeout; /* seconds; 0 if not given */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KIND_COUNT,
};

struct oci_hook_list {
	struct oci_hook *hooks;
	size_t count;
};

struct oci_spec {
	char *oci_version;
	char *bundle; /* absolute bundle directory, or NULL (oci_spec_parse without one) */
	bool has_process;
	struct oci_process process;
	struct oci_root root;
	char *hostname; /* NULL if not given */
	struct oci_mount *mounts;
	size_t mounts_count;
	struct oci_kv *annotations;
	size_t annotations_count;
	bool has_linux;
	struct oci_linux linux_; /* "linux" is a predefined macro in GNU C */
	struct oci_hook_list hooks[OCI_HOOK_KIND_COUNT];
};

/*
 * Reads and parses BUNDLE_DIR/config.json. Returns 0 and a new spec in *out,
 * or -errno (-ENOENT for a missing bundle or config.json, -EINVAL for an
 * invalid one) with a message in err (always NUL-terminated if errlen > 0).
 */
int oci_spec_load(const char *bundle_dir, struct oci_spec **out, char *err, size_t errlen);

/*
 * Parses the text of a config.json. bundle_dir (may be NULL) is only used to
 * resolve a relative root.path. Returns as oci_spec_load.
 */
int oci_spec_parse(const char *json, const char *bundle_dir, struct oci_spec **out, char *err,
                   size_t errlen);

void oci_spec_free(struct oci_spec *spec);

/*
 * Parses a process object alone (`runsc exec --process FILE`, the exec
 * request): as config.json's "process", with messages naming file.
 * Returns 0 or -errno with a message in err; oci_process_free frees the
 * fields (not p itself).
 */
int oci_process_parse(json_t *obj, const char *file, struct oci_process *p, char *err,
                      size_t errlen);
void oci_process_free(struct oci_process *p);

/* The names of things, for messages and tests: "CAP_CHOWN", "RLIMIT_NOFILE",
 * "network", "prestart"; NULL if out of range. */
const char *oci_capability_name(int cap);
const char *oci_rlimit_name(int resource);
const char *oci_namespace_name(enum oci_namespace_type type);
const char *oci_hook_kind_name(enum oci_hook_kind kind);

#endif
