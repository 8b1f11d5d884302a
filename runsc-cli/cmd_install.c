/*
 * runsc install / runsc uninstall: add runsc to, or remove it from, the
 * "runtimes" of Docker's daemon configuration (/etc/docker/daemon.json), so
 * that `docker run --runtime=runsc` finds it, as gVisor's verbs of the same
 * names do:
 *
 *   { "runtimes": { "runsc": { "path": "/usr/local/bin/runsc",
 *                              "runtimeArgs": ["--debug"] } } }
 *
 *   runsc install [--config FILE] [--runtime NAME] [--path PATH] [-- ARG...]
 *   runsc uninstall [--config FILE] [--runtime NAME]
 *
 * FILE defaults to /etc/docker/daemon.json, NAME to runsc and PATH to this
 * binary's absolute path; ARGs become runtimeArgs. Every other key of the
 * file and every other runtime stay as they were, in their order (jansson
 * keeps the insertion order of an object's keys). The file is replaced
 * atomically: written to a temporary file in its directory, with its mode and
 * owner, then renamed over it. install creates a missing file (and its
 * directory) and takes an empty one as {}; a file that is not a JSON object,
 * or whose "runtimes" is not an object, is an error and stays untouched.
 * uninstall fails when NAME is not there, and refuses while "default-runtime"
 * names NAME (dockerd would no longer start). It leaves "runtimes" in the file
 * even when empty: dockerd reads the file when it starts and on SIGHUP, and a
 * reload changes only the keys the file has, so without the key a reload
 * would keep the removed runtime. Neither verb signals dockerd.
 *
 * The prototypes are here and in main.c, next to the command table, rather
 * than in runsc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc-cli/runsc.h"

int cmd_install(struct runsc_globals *g, int argc, char **argv);
int cmd_uninstall(struct runsc_globals *g, int argc, char **argv);

#define DEFAULT_CONFIG  "/etc/docker/daemon.json"
#define DEFAULT_RUNTIME "runsc"

/* The largest daemon.json we read: Docker's are a few hundred bytes. */
#define MAX_CONFIG_SIZE (16 << 20)

struct config_file {
	const char *path; /* as given */
	char *real;       /* the file to replace: path with its symlinks resolved */
	bool exists;
	struct stat st; /* when it exists */
	json_t *root;   /* the document: a new reference */
};

/* Reads the whole of fd into a new NUL-terminated buffer. Returns it, or NULL with errno set. */
static char *read_all(int fd, size_t *out_size)
{
	size_t cap = 4096, size = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (size + 1 >= cap) {
			if (cap >= MAX_CONFIG_SIZE) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + size, cap - size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	buf[size] = '\0';
	*out_size = size;
	return buf;
}

static bool all_space(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	}
	return true;
}

/*
 * Loads cf->path into cf->root. A missing file is an error unless
 * missing_ok, and then, like an empty one, reads as {}. Returns 0, or -1
 * after printing why.
 */
static int config_load(const char *verb, struct config_file *cf, bool missing_ok)
{
	int fd = open(cf->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || !missing_ok) {
			fprintf(stderr, "runsc %s: %s: %s\n", verb, cf->path, strerror(errno));
			return -1;
		}
		cf->exists = false;
		cf->real = strdup(cf->path);
		cf->root = json_object();
		if (!cf->real || !cf->root) {
			fprintf(stderr, "runsc %s: out of memory\n", verb);
			return -1;
		}
		return 0;
	}
	if (fstat(fd, &cf->st) < 0 || !S_ISREG(cf->st.st_mode)) {
		fprintf(stderr, "runsc %s: %s: %s\n", verb, cf->path,
		        S_ISREG(cf->st.st_mode) ? strerror(errno) : "not a regular file");
		close(fd);
		return -1;
	}
	size_t size = 0;
	char *text = read_all(fd, &size);
	int saved = errno;
	close(fd);
	if (!text) {
		fprintf(stderr, "runsc %s: %s: %s\n", verb, cf->path, strerror(saved));
		return -1;
	}
	cf->exists = true;
	cf->real = realpath(cf->path, NULL);
	if (!cf->real) {
		fprintf(stderr, "runsc %s: %s: %s\n", verb, cf->path, strerror(errno));
		free(text);
		return -1;
	}
	if (all_space(text, size)) {
		cf->root = json_object();
	} else {
		json_error_t error;
		cf->root = json_loadb(text, size, JSON_REJECT_DUPLICATES, &error);
		if (!cf->root) {
			fprintf(stderr, "runsc %s: %s: line %d, column %d: %s\n", verb, cf->path,
			        error.line, error.column, error.text);
			free(text);
			return -1;
		}
	}
	free(text);
	if (!json_is_object(cf->root)) {
		fprintf(stderr, "runsc %s: %s: not a JSON object\n", verb, cf->path);
		return -1;
	}
	return 0;
}

/* mkdir -p of the directory that holds path (0755). Returns 0 or -errno. */
static int make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Writes cf->root to cf->real atomically: a temporary file next to it with
 * the old file's mode and owner (a new file: 0644), 4-space indented JSON and
 * a final newline, synced, then renamed over it. Returns 0, or -1 after
 * printing why; the old file is untouched then.
 */
static int config_save(const char *verb, const struct config_file *cf)
{
	if (!cf->exists) {
		int err = make_parent_dirs(cf->real);
		if (err < 0) {
			fprintf(stderr, "runsc %s: cannot create the directory of %s: %s\n", verb,
			        cf->real, strerror(-err));
			return -1;
		}
	}
	size_t len = strlen(cf->real) + sizeof(".runsc-XXXXXX");
	char *tmp = malloc(len);
	if (!tmp) {
		fprintf(stderr, "runsc %s: out of memory\n", verb);
		return -1;
	}
	snprintf(tmp, len, "%s.runsc-XXXXXX", cf->real);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "runsc %s: cannot create a file next to %s: %s\n", verb, cf->real,
		        strerror(errno));
		free(tmp);
		return -1;
	}
	const char *what = "write";
	mode_t mode = cf->exists ? (cf->st.st_mode & 07777) : 0644;
	if (fchmod(fd, mode) < 0) {
		what = "chmod";
		goto out_unlink;
	}
	/* Only root may give a file away; anyone else keeps the file theirs. */
	if (cf->exists && (cf->st.st_uid != geteuid() || cf->st.st_gid != getegid()) &&
	    fchown(fd, cf->st.st_uid, cf->st.st_gid) < 0) {
		what = "chown";
		goto out_unlink;
	}
	if (json_dumpfd(cf->root, fd, JSON_INDENT(4)) < 0 || write(fd, "\n", 1) != 1)
		goto out_unlink;
	if (fsync(fd) < 0) {
		what = "sync";
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, cf->real) < 0) {
		what = "rename";
		goto out_unlink;
	}
	free(tmp);
	return 0;

out_unlink:
	fprintf(stderr, "runsc %s: cannot %s %s: %s\n", verb, what, tmp,
	        errno ? strerror(errno) : "failed");
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

static void config_free(struct config_file *cf)
{
	json_decref(cf->root);
	free(cf->real);
}

static void install_usage(FILE *out)
{
	fprintf(out,
	        "usage: runsc install [--config FILE] [--runtime NAME] [--path PATH] [-- ARG...]\n"
	        "  adds runtimes.NAME = {\"path\": PATH, \"runtimeArgs\": [ARG...]} to Docker's\n"
	        "  daemon configuration FILE (default " DEFAULT_CONFIG "); NAME defaults to\n"
	        "  " DEFAULT_RUNTIME ", PATH to this binary. Restart dockerd or send it SIGHUP.\n");
}

static void uninstall_usage(FILE *out)
{
	fprintf(out, "usage: runsc uninstall [--config FILE] [--runtime NAME]\n"
	             "  removes runtimes.NAME from Docker's daemon configuration FILE\n"
	             "  (default " DEFAULT_CONFIG "); NAME defaults to " DEFAULT_RUNTIME ".\n");
}

/*
 * Parses the flags common to both verbs (plus --path for install). Returns
 * -1 to go on, or the exit status (0 after --help, 2 on a bad flag).
 */
static int parse_flags(struct runsc_globals *g, int argc, char **argv, bool install,
                       const char **config, const char **runtime, const char **path)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "config", required_argument, NULL, 'c' },
		{ "config-file", required_argument, NULL, 'c' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "path", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	void (*usage)(FILE *) = install ? install_usage : uninstall_usage;
	int opt;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case 'r':
			*runtime = optarg;
			break;
		case 'p':
			if (!install) {
				usage(stderr);
				return 2;
			}
			*path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!install && optind < argc) {
		usage(stderr);
		return 2;
	}
	if (**config == '\0' || **runtime == '\0') {
		fprintf(stderr,
		        "runsc %s: the config file and the runtime name must not be empty\n",
		        install ? "install" : "uninstall");
		return 2;
	}
	return -1;
}

int cmd_install(struct runsc_globals *g, int argc, char **argv)
{
	const char *config = DEFAULT_CONFIG, *name = DEFAULT_RUNTIME, *path_arg = "/proc/self/exe";
	int status = parse_flags(g, argc, argv, true, &config, &name, &path_arg);
	if (status >= 0)
		return status;

	/* Docker runs the runtime by this path, from any directory: make it absolute. */
	char *path = realpath(path_arg, NULL);
	if (!path) {
		fprintf(stderr, "runsc install: %s: %s\n", path_arg, strerror(errno));
		return 1;
	}
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "runsc install: %s: not an executable: %s\n", path,
		        strerror(errno));
		free(path);
		return 1;
	}

	struct config_file cf = { .path = config };
	json_t *entry = NULL;
	status = 1;
	if (config_load("install", &cf, /*missing_ok=*/true) < 0)
		goto out;
	json_t *runtimes = json_object_get(cf.root, "runtimes");
	if (runtimes && !json_is_object(runtimes)) {
		fprintf(stderr, "runsc install: %s: \"runtimes\" is not an object\n", config);
		goto out;
	}
	entry = json_pack("{s:s}", "path", path);
	if (!entry)
		goto out_nomem;
	if (optind < argc) {
		json_t *args = json_array();
		if (!args || json_object_set_new(entry, "runtimeArgs", args) < 0)
			goto out_nomem;
		for (int i = optind; i < argc; i++) {
			if (json_array_append_new(args, json_string(argv[i])) < 0)
				goto out_nomem;
		}
	}
	json_t *old = runtimes ? json_object_get(runtimes, name) : NULL;
	if (old && json_equal(old, entry)) {
		printf("runsc install: runtime \"%s\" (%s) is already in %s\n", name, path, config);
		status = 0;
		goto out;
	}
	if (!runtimes) {
		runtimes = json_object();
		if (!runtimes || json_object_set_new(cf.root, "runtimes", runtimes) < 0)
			goto out_nomem;
	}
	if (json_object_set(runtimes, name, entry) < 0)
		goto out_nomem;
	if (config_save("install", &cf) < 0)
		goto out;
	printf("runsc install: runtime \"%s\" (%s) %s %s; restart dockerd or send it SIGHUP\n",
	       name, path, old ? "replaced in" : "added to", config);
	status = 0;
	goto out;

out_nomem:
	fprintf(stderr, "runsc install: out of memory\n");
out:
	json_decref(entry);
	config_free(&cf);
	free(path);
	return status;
}

int cmd_uninstall(struct runsc_globals *g, int argc, char **argv)
{
	const char *config = DEFAULT_CONFIG, *name = DEFAULT_RUNTIME, *unused = NULL;
	int status = parse_flags(g, argc, argv, false, &config, &name, &unused);
	if (status >= 0)
		return status;

	struct config_file cf = { .path = config };
	status = 1;
	if (config_load("uninstall", &cf, /*missing_ok=*/false) < 0)
		goto out;
	json_t *runtimes = json_object_get(cf.root, "runtimes");
	if (runtimes && !json_is_object(runtimes)) {
		fprintf(stderr, "runsc uninstall: %s: \"runtimes\" is not an object\n", config);
		goto out;
	}
	if (!runtimes || !json_object_get(runtimes, name)) {
		fprintf(stderr, "runsc uninstall: runtime \"%s\" is not in %s\n", name, config);
		goto out;
	}
	const char *def = json_string_value(json_object_get(cf.root, "default-runtime"));
	if (def && strcmp(def, name) == 0) {
		fprintf(stderr,
		        "runsc uninstall: %s: \"default-runtime\" is \"%s\": change it first, or "
		        "dockerd will not start\n",
		        config, name);
		goto out;
	}
	json_object_del(runtimes, name);
	if (config_save("uninstall", &cf) < 0)
		goto out;
	printf("runsc uninstall: runtime \"%s\" removed from %s; restart dockerd or send it "
	       "SIGHUP\n",
	       name, config);
	status = 0;
out:
	config_free(&cf);
	return status;
}
