/*
 * Unit tests for common/oci/hooks: real hooks run on this machine.
 *
 * Hooks are shell scripts the tests write to a temporary directory (exit 1
 * with output, sleep past a 1 s timeout, die by a signal, ignore stdin,
 * leave a child holding stdout), a path that does not exist, and this test
 * binary itself run as `--hook-helper DIR`, which records what a hook sees
 * (its stdin, argv, environment and open fds) in DIR for the test to read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/oci/hooks.h"

extern char **environ;

static char g_dir[] = "/tmp/runsc-hooks-XXXXXX";
static char g_self[PATH_MAX];

/* ---- The helper hook: records what it sees in DIR ---- */

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		exit(100);
	fwrite(data, 1, len, f);
	fclose(f);
}

static int hook_helper(int argc, char **argv)
{
	const char *dir = argv[2];
	char buf[1 << 16], list[4096] = "";
	size_t len = 0, n;
	struct dirent *de;
	DIR *d;

	/* Every fd but the one opendir uses. */
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		strncat(list, de->d_name, sizeof(list) - strlen(list) - 2);
		strcat(list, "\n");
	}
	if (d)
		closedir(d);
	while ((n = fread(buf + len, 1, sizeof(buf) - len, stdin)) > 0)
		len += n;
	write_file(dir, "stdin", buf, len);
	write_file(dir, "fds", list, strlen(list));
	len = 0;
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", argv[i]);
	write_file(dir, "argv", buf, len);
	len = 0;
	for (char **e = environ; *e; e++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", *e);
	write_file(dir, "env", buf, len);
	return 0;
}

/* ---- Helpers ---- */

static char *read_text(const char *name)
{
	static char buf[1 << 16];
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static bool exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	return access(path, F_OK) == 0;
}

/* Writes DIR/name as an executable /bin/sh script; returns its path. */
static char *script(const char *name, const char *body)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, PATH_MAX, "%s/%s", g_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static void remove_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int setup(void **state)
{
	if (!mkdtemp(g_dir))
		return -1;
	return readlink("/proc/self/exe", g_self, sizeof(g_self) - 1) > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	remove_dir(g_dir);
	return 0;
}

static const char g_state[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","
                              "\"pid\":42,\"bundle\":\"/b\"}";

/* ---- Tests ---- */

static void test_hook_sees_state_args_env_and_no_fds(void **state)
{
	char *args[] = { "my-hook", "--hook-helper", g_dir, NULL };
	char *env[] = { "A=1", "B=two words", NULL };
	struct oci_hook h = { .path = g_self,
		              .args = args,
		              .args_count = 3,
		              .env = env,
		              .env_count = 2,
		              .timeout = 10 };
	struct oci_hook_list list = { &h, 1 };
	char err[512];
	int leak = open("/dev/null", O_RDONLY); /* not close-on-exec: must not reach the hook */

	assert_true(leak > 2);
	assert_int_equal(oci_hooks_run(&list, OCI_HOOK_PRESTART, g_state, err, sizeof(err)), 0);
	close(leak);
	assert_string_equal(err, "");
	assert_string_equal(read_text("stdin"), g_state);
	char expect[PATH_MAX + 64];
	snprintf(expect, sizeof(expect), "my-hook\n--hook-helper\n%s\n", g_dir);
	assert_string_equal(read_text("argv"), expect);
	assert_string_equal(read_text("env"), "A=1\nB=two words\n");
	assert_string_equal(read_text("fds"), "0\n1\n2\n");
}

static void test_hook_without_env_or_args(void **state)
{
	/* No args: argv is {path}. No env: ours, as runc (Go's exec with nil Env). */
	char *body;
	char cmd[PATH_MAX * 2];
	struct oci_hook h = { 0 };
	char err[512];

	snprintf(cmd, sizeof(cmd),
	         "echo \"$0 $#\" > %s/noargs; echo \"$RUNSC_HOOK_TEST\" >> %s/noargs", g_dir,
	         g_dir);
	body = script("noargs.sh", cmd);
	h.path = body;
	setenv("RUNSC_HOOK_TEST", "inherited", 1);
	assert_int_equal(oci_hook_run(&h, OCI_HOOK_POSTSTOP, 0, g_state, err, sizeof(err)), 0);
	unsetenv("RUNSC_HOOK_TEST");
	snprintf(cmd, sizeof(cmd), "%s 0\ninherited\n", body);
	assert_string_equal(read_text("noargs"), cmd);
}

static void test_hook_exit_status(void **state)
{
	struct oci_hook h = { .path = script("fail.sh", "echo out; echo err >&2; exit 1") };
	struct oci_hook_list list = { &h, 1 };
	char err[512], expect[1024];

	assert_int_equal(oci_hooks_run(&list, OCI_HOOK_CREATE_RUNTIME, g_state, err, sizeof(err)),
	                 -ECHILD);
	snprintf(
	        expect, sizeof(expect),
	        "error running createRuntime hook #0 (%s): exit status 1, stdout: out, stderr: err",
	        h.path);
	assert_string_equal(err, expect);
}

static void test_hook_killed_by_signal(void **state)
{
	struct oci_hook h = { .path = script("sig.sh", "kill -TERM $$") };
	char err[512], expect[1024];

	assert_int_equal(oci_hook_run(&h, OCI_HOOK_POSTSTART, 3, g_state, err, sizeof(err)),
	                 -ECHILD);
	snprintf(expect, sizeof(expect),
	         "error running poststart hook #3 (%s): signal: terminated, stdout: , stderr: ",
	         h.path);
	assert_string_equal(err, expect);
}

static void test_hook_timeout(void **state)
{
	char body[PATH_MAX + 64];
	struct oci_hook h = { .timeout = 1 };
	char err[512], expect[1024];

	/* exec: the shell itself becomes the sleep, which the timeout kills. */
	snprintf(body, sizeof(body), "echo started; exec sleep 30");
	h.path = script("slow.sh", body);
	assert_int_equal(oci_hook_run(&h, OCI_HOOK_PRESTART, 0, g_state, err, sizeof(err)),
	                 -ETIMEDOUT);
	snprintf(expect, sizeof(expect),
	         "error running prestart hook #0 (%s): timed out after 1 s (killed), stdout: "
	         "started, stderr: ",
	         h.path);
	assert_string_equal(err, expect);
}

static void test_hook_missing_path(void **state)
{
	char path[PATH_MAX], expect[PATH_MAX * 3];
	struct oci_hook h = { .path = path };
	struct oci_hook_list list = { &h, 1 };
	char err[PATH_MAX * 3];

	snprintf(path, sizeof(path), "%s/does-not-exist", g_dir);
	assert_int_equal(oci_hooks_run(&list, OCI_HOOK_PRESTART, g_state, err, sizeof(err)),
	                 -ENOENT);
	snprintf(expect, sizeof(expect),
	         "error running prestart hook #0 (%s): exec %s: No such file or directory", path,
	         path);
	assert_string_equal(err, expect);
}

static void test_hook_not_reading_stdin(void **state)
{
	/* Far more than a pipe holds: our writes hit EPIPE once it has exited. */
	size_t size = 4 << 20;
	char *big = malloc(size + 1);
	struct oci_hook h = { .path = script("noread.sh", "exit 0") };
	sigset_t pending;
	char err[512];

	assert_non_null(big);
	memset(big, 'x', size);
	big[size] = '\0';
	assert_int_equal(oci_hook_run(&h, OCI_HOOK_PRESTART, 0, big, err, sizeof(err)), 0);
	free(big);
	/* We are alive (SIGPIPE was blocked) and nothing is left pending. */
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
}

static void test_hooks_stop_at_first_failure(void **state)
{
	char one[PATH_MAX], three[PATH_MAX];
	struct oci_hook hooks[3] = { 0 };
	struct oci_hook_list list = { hooks, 3 };
	char err[512], expect[1024];

	snprintf(one, sizeof(one), "touch %s/ran-1", g_dir);
	snprintf(three, sizeof(three), "touch %s/ran-3", g_dir);
	hooks[0].path = script("one.sh", one);
	hooks[1].path = script("two.sh", "exit 7");
	hooks[2].path = script("three.sh", three);
	assert_int_equal(oci_hooks_run(&list, OCI_HOOK_CREATE_CONTAINER, g_state, err, sizeof(err)),
	                 -ECHILD);
	snprintf(expect, sizeof(expect),
	         "error running createContainer hook #1 (%s): exit status 7, stdout: , stderr: ",
	         hooks[1].path);
	assert_string_equal(err, expect);
	assert_true(exists("ran-1"));
	assert_false(exists("ran-3"));

	list.count = 0;
	assert_int_equal(oci_hooks_run(&list, OCI_HOOK_POSTSTOP, g_state, err, sizeof(err)), 0);
}

static void test_hook_child_keeps_stdout(void **state)
{
	/* The hook exits at once but leaves a child with its stdout open:
	 * we must not wait for that child. */
	char body[PATH_MAX + 128];
	struct oci_hook h = { 0 };
	char err[512], *pid_text;

	snprintf(body, sizeof(body), "sleep 60 & echo $! > %s/bg.pid; echo done", g_dir);
	h.path = script("bg.sh", body);
	assert_int_equal(oci_hook_run(&h, OCI_HOOK_POSTSTART, 0, g_state, err, sizeof(err)), 0);
	pid_text = read_text("bg.pid");
	assert_non_null(pid_text);
	assert_int_equal(kill(atoi(pid_text), SIGKILL), 0); /* the test's own leftover */
}

static void test_hook_output_is_bounded(void **state)
{
	struct oci_hook h = {
		.path = script("loud.sh", "i=0; while [ $i -lt 2000 ]; do echo 0123456789; "
		                          "i=$((i+1)); done; exit 2"),
	};
	char err[3 * OCI_HOOK_OUTPUT_MAX];
	const char *out;

	assert_int_equal(oci_hook_run(&h, OCI_HOOK_PRESTART, 0, g_state, err, sizeof(err)),
	                 -ECHILD);
	out = strstr(err, "stdout: ");
	assert_non_null(out);
	out += strlen("stdout: ");
	/* 22000 bytes written, OCI_HOOK_OUTPUT_MAX kept. */
	assert_int_equal(strstr(out, ", stderr: ") - out, OCI_HOOK_OUTPUT_MAX);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_sees_state_args_env_and_no_fds),
		cmocka_unit_test(test_hook_without_env_or_args),
		cmocka_unit_test(test_hook_exit_status),
		cmocka_unit_test(test_hook_killed_by_signal),
		cmocka_unit_test(test_hook_timeout),
		cmocka_unit_test(test_hook_missing_path),
		cmocka_unit_test(test_hook_not_reading_stdin),
		cmocka_unit_test(test_hooks_stop_at_first_failure),
		cmocka_unit_test(test_hook_child_keeps_stdout),
		cmocka_unit_test(test_hook_output_is_bounded),
	};

	if (argc == 3 && strcmp(argv[1], "--hook-helper") == 0)
		return hook_helper(argc, argv);
	return cmocka_run_group_tests(tests, setup, teardown);
}
