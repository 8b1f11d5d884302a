/*
 * exec: execve and execveat of this program (through /proc/self/exe, by
 * path, and by fd with AT_EMPTY_PATH): argv and envp arrive; the pid stays;
 * close-on-exec fds close and the others stay; handlers reset to the
 * default while ignored signals stay ignored; the blocked mask stays; exec
 * from a thread of a multithreaded process leaves one thread with the
 * process's id; execve's errors; and /proc/self/maps names the program
 * where its segments are mapped from its file.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "test.h"

static char self[4096];
static int g_data = 42; /* in .data: mapped from the file, written privately */

static void handler(int sig)
{
	(void)sig;
}

/* The program run by exec: checks what the parent arranged, exits 0 when all holds. */
static int child_main(int argc, char **argv)
{
	if (strcmp(argv[1], "child-basic") == 0) {
		/* argv[2]: expected pid, argv[3]: a cloexec fd, argv[4]: a kept fd. */
		if (argc != 5 || getpid() != atoi(argv[2]))
			return 2;
		if (fcntl(atoi(argv[3]), F_GETFD) != -1 || errno != EBADF)
			return 3;
		if (fcntl(atoi(argv[4]), F_GETFD) != 0)
			return 4;
		const char *e = getenv("EXEC_TEST");
		if (!e || strcmp(e, "yes") != 0)
			return 5;
		struct sigaction sa;
		sigaction(SIGUSR1, NULL, &sa);
		if (sa.sa_handler != SIG_DFL)
			return 6;
		sigaction(SIGUSR2, NULL, &sa);
		if (sa.sa_handler != SIG_IGN)
			return 7;
		sigset_t mask;
		sigprocmask(SIG_BLOCK, NULL, &mask);
		if (!sigismember(&mask, SIGHUP))
			return 8;
		return 0;
	}
	if (strcmp(argv[1], "child-thread") == 0) {
		/* Only one thread left, with the process's id. */
		if (syscall(SYS_gettid) != getpid() || getpid() != atoi(argv[2]))
			return 9;
		char buf[256];
		int fd = open("/proc/self/status", O_RDONLY);
		if (fd < 0)
			return 10;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		(void)n;
		return 0;
	}
	return 100;
}

static void *exec_from_thread(void *arg)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)(long)arg);
	char *args[] = { self, "child-thread", pid, NULL };
	execv(self, args);
	_exit(50);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1);
	return NULL;
}

static int run_child(void (*fn)(void))
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(60);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void basic(void)
{
	int cloexec = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int kept = open("/proc/self/exe", O_RDONLY);
	char pid[16], a[16], b[16];
	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(a, sizeof(a), "%d", cloexec);
	snprintf(b, sizeof(b), "%d", kept);
	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	char *args[] = { self, "child-basic", pid, a, b, NULL };
	char *env[] = { "EXEC_TEST=yes", NULL };
	execve(self, args, env);
}

static void by_fd(void)
{
	int fd = open(self, O_PATH | O_CLOEXEC);
	char pid[16], a[16], b[16];
	snprintf(pid, sizeof(pid), "%d", getpid());
	int kept = open("/proc/self/exe", O_RDONLY);
	snprintf(a, sizeof(a), "%d", 1000); /* not open: EBADF in the child too */
	snprintf(b, sizeof(b), "%d", kept);
	signal(SIGUSR2, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	char *args[] = { "x", "child-basic", pid, a, b, NULL };
	char *env[] = { "EXEC_TEST=yes", NULL };
	syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
}

static void threaded(void)
{
	pthread_t s, e;
	pthread_create(&s, NULL, sleeper, NULL);
	pthread_create(&e, NULL, exec_from_thread, (void *)(long)getpid());
	for (;;)
		sleep(1);
}

/*
 * Checks the /proc/self/maps line of the mapping holding addr: from the
 * program's file (its path, device and inode), at the page's file offset,
 * with perms.
 */
static void check_maps_line(const char *maps, const void *addr, const char *perms)
{
	struct stat st;
	CHECK_EQ(stat(self, &st), 0);
	unsigned long a = (unsigned long)addr;
	for (const char *line = maps; *line;) {
		unsigned long start, end, off, ino;
		unsigned major, minor;
		char p[5], path[4096] = "";
		int n = sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %4095s", &start, &end, p, &off,
		               &major, &minor, &ino, path);
		CHECK(n >= 7);
		if (a >= start && a < end) {
			CHECK(strcmp(p, perms) == 0);
			CHECK(strcmp(path, self) == 0);
			CHECK_EQ(ino, st.st_ino);
			CHECK_EQ(major, major(st.st_dev));
			CHECK_EQ(minor, minor(st.st_dev));
			CHECK(off % 4096 == 0);
			return;
		}
		const char *nl = strchr(line, '\n');
		CHECK(nl != NULL);
		line = nl + 1;
	}
	CHECK(!"no mapping holds the address");
}

/* The program's text and data are mappings of its file, which maps names. */
static void maps_name_program(void)
{
	static char maps[1 << 16];
	int fd = open("/proc/self/maps", O_RDONLY);
	CHECK(fd >= 0);
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += (size_t)n;
	CHECK_EQ(n, 0);
	maps[len] = '\0';
	close(fd);
	g_data++;
	check_maps_line(maps, (const void *)maps_name_program, "r-xp");
	check_maps_line(maps, &g_data, "rw-p");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child_main(argc, argv);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = '\0';
	maps_name_program();

	CHECK_EQ(run_child(basic), 0);
	CHECK_EQ(run_child(by_fd), 0);
	CHECK_EQ(run_child(threaded), 0);

	/* Errors: nothing there, a directory, not executable, not a program, bad pointers. */
	char *args[] = { "x", NULL };
	CHECK_ERR(execve("/nonexistent/prog", args, NULL), ENOENT);
	CHECK_ERR(execve("/", args, NULL), EACCES);
	char tmpl[] = "/tmp/exec-test-XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "hello\n", 6), 6);
	close(fd);
	CHECK_ERR(execve(tmpl, args, NULL), EACCES); /* mode 0600 */
	CHECK_EQ(chmod(tmpl, 0700), 0);
	CHECK_ERR(execve(tmpl, args, NULL), ENOEXEC);
	unlink(tmpl);
	CHECK_ERR(syscall(SYS_execve, (char *)1, args, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_execve, self, (char **)1, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_execveat, AT_FDCWD, self, args, NULL, 0x8000), EINVAL);
	puts("exec: ok");
	return 0;
}
