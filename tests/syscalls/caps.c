/*
 * caps: capabilities. capget and capset with the three header versions
 * (the version probe, pid 0, the own tid, another process, bits above
 * CAP_LAST_CAP); capset's rules (effective within permitted, permitted
 * only shrinking, inheritable within permitted unless CAP_SETPCAP and
 * within the bounding set); operations that fail once their capability
 * left the effective set (kill: CAP_KILL, open: CAP_DAC_OVERRIDE, chown:
 * CAP_CHOWN, mknod: CAP_MKNOD, setuid: CAP_SETUID); what setuid, setresuid and setfsuid do to the
 * sets, with and without PR_SET_KEEPCAPS; PR_CAPBSET_READ and PR_CAPBSET_DROP; the ambient set's
 * rules; and execve's sets (root regains the bounding set, SECBIT_NOROOT, an ambient capability of
 * a non-root program, AT_SECURE).
 *
 * Each case runs in a child of its own, which changes its own sets. The
 * test runs as root; natively the container may hold fewer capabilities
 * than all: it reads CapEff and CapBnd from /proc/self/status for its
 * expectations and is skipped when the few it uses are not there.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdbool.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "test.h"

#define BIT(cap) (1ULL << (cap))
#define FS_CAPS                                                                               \
	(BIT(CAP_CHOWN) | BIT(CAP_MKNOD) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | \
	 BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_MAC_OVERRIDE) | BIT(CAP_LINUX_IMMUTABLE))
#define NOBODY 65534

struct caps {
	uint64_t eff, prm, inh;
};

static char g_buf[1 << 16];
static char g_file[64]; /* a root-owned file of mode 0 */

/* A capability line of /proc/self/status ("CapEff"...). */
static uint64_t status_caps(const char *name)
{
	int fd = CHECK_SYS(open("/proc/self/status", O_RDONLY));
	ssize_t n = CHECK_SYS(read(fd, g_buf, sizeof(g_buf) - 1));
	CHECK_SYS(close(fd));
	g_buf[n] = '\0';
	char key[16];
	snprintf(key, sizeof(key), "\n%s:", name);
	char *p = strstr(g_buf, key);
	CHECK(p != NULL);
	return strtoull(p + strlen(key), NULL, 16);
}

static long capget_v(uint32_t version, int pid, struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = { .version = version, .pid = pid };
	return syscall(SYS_capget, &h, d);
}

static long cap_get(int pid, struct caps *c)
{
	struct __user_cap_data_struct d[2];
	long r = capget_v(_LINUX_CAPABILITY_VERSION_3, pid, d);
	if (r == 0) {
		c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
		c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
		c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	}
	return r;
}

static long cap_set_pid(int pid, uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = pid };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	return syscall(SYS_capset, &h, d);
}

static long cap_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	return cap_set_pid(0, eff, prm, inh);
}

static struct caps self(void)
{
	struct caps c;
	CHECK_SYS(cap_get(0, &c));
	return c;
}

/* Runs fn in a child and checks that it exits 0. */
static void in_child(const char *name, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status;
	CHECK_EQ(CHECK_SYS(waitpid(pid, &status, 0)), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		test_fail(__FILE__, __LINE__, "case %s: status %#x", name, status);
}

static void test_versions(void)
{
	/* The probe: an unknown version with no data is 0, with the preferred version written back.
	 */
	struct __user_cap_header_struct h = { .version = 0, .pid = 0 };
	CHECK_EQ(CHECK_SYS(syscall(SYS_capget, &h, NULL)), 0);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	struct __user_cap_data_struct d[2];
	h.version = 0x12345678;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	CHECK_ERR(syscall(SYS_capset, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	/* A valid version with no data: nothing to do. */
	h.version = _LINUX_CAPABILITY_VERSION_3;
	CHECK_EQ(CHECK_SYS(syscall(SYS_capget, &h, NULL)), 0);

	/* Version 3 is what /proc/self/status shows. */
	struct caps c = self();
	CHECK_EQ(c.eff, status_caps("CapEff"));
	CHECK_EQ(c.prm, status_caps("CapPrm"));
	CHECK_EQ(c.inh, status_caps("CapInh"));
	/* Version 2 is the same; version 1 fills the low 32 bits only. */
	memset(d, 0xaa, sizeof(d));
	CHECK_SYS(capget_v(_LINUX_CAPABILITY_VERSION_2, 0, d));
	CHECK_EQ(d[1].effective, (uint32_t)(c.eff >> 32));
	memset(d, 0xaa, sizeof(d));
	CHECK_SYS(capget_v(_LINUX_CAPABILITY_VERSION_1, 0, d));
	CHECK_EQ(d[0].effective, (uint32_t)c.eff);
	CHECK_EQ(d[0].permitted, (uint32_t)c.prm);
	CHECK_EQ(d[1].effective, 0xaaaaaaaa);
	CHECK_EQ(d[1].permitted, 0xaaaaaaaa);

	/* The own tid, another process (allowed), a negative pid, a gone one. */
	struct caps o;
	CHECK_SYS(cap_get((int)getpid(), &o));
	CHECK_EQ(o.eff, c.eff);
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_KILL), c.prm, c.inh));
	CHECK_SYS(cap_get((int)getppid(), &o));
	CHECK_EQ(o.eff, c.eff); /* the parent still has it */
	CHECK_ERR(cap_get(-1, &o), EINVAL);
	pid_t gone = CHECK_SYS(fork());
	if (gone == 0)
		_exit(0);
	CHECK_SYS(waitpid(gone, NULL, 0));
	CHECK_ERR(cap_get((int)gone, &o), ESRCH);
	/* capset of another process: EPERM; of the own tid: allowed. */
	CHECK_ERR(cap_set_pid((int)getppid(), c.eff, c.prm, c.inh), EPERM);
	CHECK_SYS(cap_set_pid((int)getpid(), c.eff, c.prm, c.inh));
	CHECK_EQ(self().eff, c.eff);

	/* Bits above CAP_LAST_CAP are dropped silently. */
	CHECK_SYS(cap_set(c.eff | BIT(63), c.prm | BIT(63), c.inh));
	CHECK_EQ(self().prm, c.prm);
	/* A version 1 capset clears the upper 32 capabilities. */
	h.version = _LINUX_CAPABILITY_VERSION_1;
	h.pid = 0;
	d[0] = (struct __user_cap_data_struct){ (uint32_t)c.eff, (uint32_t)c.prm, (uint32_t)c.inh };
	CHECK_SYS(syscall(SYS_capset, &h, d));
	c = self();
	CHECK_EQ(c.prm >> 32, 0);
	CHECK_EQ(c.eff >> 32, 0);
}

static void test_capset_rules(void)
{
	struct caps c = self();
	/* Effective within permitted; dropped effective capabilities come back from permitted. */
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_SYS_ADMIN), c.prm, c.inh));
	CHECK_EQ(status_caps("CapEff"), c.eff & ~BIT(CAP_SYS_ADMIN));
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	CHECK_EQ(status_caps("CapEff"), c.eff);
	/* Permitted only shrinks; then effective cannot hold what left it. */
	uint64_t prm = c.prm & ~(BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW));
	uint64_t eff = c.eff & prm;
	CHECK_ERR(cap_set(c.eff, prm, c.inh), EPERM);
	CHECK_SYS(cap_set(eff, prm, c.inh));
	CHECK_ERR(cap_set(eff, c.prm, c.inh), EPERM);
	CHECK_ERR(cap_set(eff | BIT(CAP_SYS_ADMIN), prm, c.inh), EPERM);
	CHECK_EQ(status_caps("CapPrm"), prm);
	/* With CAP_SETPCAP, inheritable may hold what is not permitted (within bounding). */
	CHECK_SYS(cap_set(eff, prm, BIT(CAP_SYS_ADMIN)));
	CHECK_EQ(status_caps("CapInh"), BIT(CAP_SYS_ADMIN));
	/* Without it, only what is permitted or already inheritable. */
	uint64_t nopcap = eff & ~BIT(CAP_SETPCAP);
	CHECK_SYS(cap_set(nopcap, prm, BIT(CAP_SYS_ADMIN)));
	CHECK_ERR(cap_set(nopcap, prm, BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW)), EPERM);
	CHECK_SYS(cap_set(nopcap, prm, BIT(CAP_SYS_ADMIN) | BIT(CAP_KILL)));
	CHECK_SYS(cap_set(nopcap, prm, 0));
	CHECK_ERR(cap_set(nopcap, prm, BIT(CAP_SYS_ADMIN)), EPERM);
	CHECK_SYS(cap_set(eff, prm, 0));
	/* Not even CAP_SETPCAP adds to inheritable what the bounding set lacks. */
	CHECK_SYS(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
	CHECK_ERR(cap_set(eff, prm, BIT(CAP_NET_RAW)), EPERM);
	CHECK_SYS(cap_set(eff, prm, BIT(CAP_SYS_ADMIN)));
}

/* Blocks in a read until killed, as nobody; returns its pid once it is nobody. */
static pid_t nobody_child(void)
{
	int ready[2], never[2];
	CHECK_SYS(pipe(ready));
	CHECK_SYS(pipe(never));
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		CHECK_SYS(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
		CHECK_SYS(write(ready[1], "x", 1));
		char b;
		read(never[0], &b, 1);
		_exit(1);
	}
	char b;
	CHECK_EQ(CHECK_SYS(read(ready[0], &b, 1)), 1);
	return pid;
}

/* Opens g_file with flags, which must succeed, and closes it. */
static void open_close(const char *path, int flags)
{
	int fd = CHECK_SYS(open(path, flags));
	CHECK_SYS(close(fd));
}

static void test_operations(void)
{
	struct caps c = self();
	/* CAP_KILL: signalling another user's process. */
	pid_t target = nobody_child();
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_KILL), c.prm, c.inh));
	CHECK_ERR(kill(target, 0), EPERM);
	CHECK_ERR(kill(target, SIGKILL), EPERM);
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	CHECK_SYS(kill(target, SIGKILL));
	int status;
	CHECK_SYS(waitpid(target, &status, 0));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: a file of mode 0. */
	uint64_t nodac = c.eff & ~(BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH));
	CHECK_SYS(cap_set(nodac, c.prm, c.inh));
	CHECK_ERR(open(g_file, O_RDONLY), EACCES);
	CHECK_ERR(open(g_file, O_WRONLY), EACCES);
	/* CAP_DAC_READ_SEARCH alone reads but does not write. */
	CHECK_SYS(cap_set(nodac | BIT(CAP_DAC_READ_SEARCH), c.prm, c.inh));
	open_close(g_file, O_RDONLY);
	CHECK_ERR(open(g_file, O_WRONLY), EACCES);
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	open_close(g_file, O_RDWR);

	/* CAP_CHOWN: giving the file away. */
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_CHOWN), c.prm, c.inh));
	CHECK_ERR(chown(g_file, NOBODY, -1), EPERM);
	CHECK_SYS(chown(g_file, 0, -1)); /* to its own owner: no capability needed */
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	CHECK_SYS(chown(g_file, NOBODY, -1));
	CHECK_SYS(chown(g_file, 0, -1));

	/* CAP_MKNOD: device nodes (not FIFOs). */
	char node[sizeof(g_file) + 8];
	snprintf(node, sizeof(node), "%s-node", g_file);
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_MKNOD), c.prm, c.inh));
	CHECK_ERR(mknod(node, S_IFCHR | 0600, makedev(1, 3)), EPERM);
	CHECK_SYS(mknod(node, S_IFIFO | 0600, 0));
	CHECK_SYS(unlink(node));
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	CHECK_SYS(mknod(node, S_IFCHR | 0600, makedev(1, 3)));
	CHECK_SYS(unlink(node));

	/* CAP_SETUID: setuid to another user. */
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_SETUID), c.prm, c.inh));
	CHECK_ERR(syscall(SYS_setuid, NOBODY), EPERM);
}

static void test_setuid_drops(void)
{
	struct caps c = self();
	uint64_t bnd = status_caps("CapBnd");
	CHECK_SYS(syscall(SYS_setuid, NOBODY));
	struct caps n = self();
	CHECK_EQ(n.eff, 0);
	CHECK_EQ(n.prm, 0);
	CHECK_EQ(n.inh, c.inh);
	CHECK_EQ(status_caps("CapBnd"), bnd);
	/* Without capabilities, back to root is refused. */
	CHECK_ERR(syscall(SYS_setuid, 0), EPERM);
	CHECK_ERR(cap_set(BIT(CAP_KILL), BIT(CAP_KILL), 0), EPERM);
}

static void test_keepcaps(void)
{
	struct caps c = self();
	CHECK_EQ(CHECK_SYS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)), 0);
	CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
	CHECK_SYS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_EQ(CHECK_SYS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)), 1);
	CHECK_EQ(CHECK_SYS(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)), SECBIT_KEEP_CAPS);
	CHECK_SYS(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	/* Permitted stays; effective goes with euid 0 and comes back by capset. */
	struct caps n = self();
	CHECK_EQ(n.prm, c.prm);
	CHECK_EQ(n.eff, 0);
	CHECK_SYS(cap_set(BIT(CAP_SETUID), c.prm, c.inh));
	/* With CAP_SETUID effective, root again: effective fills from permitted. */
	CHECK_SYS(syscall(SYS_setresuid, -1, 0, -1));
	CHECK_EQ(self().eff, c.prm);
}

static void test_euid_fsuid(void)
{
	struct caps c = self();
	/* Only the effective uid leaves 0 (the saved one stays): effective goes, permitted stays.
	 */
	CHECK_SYS(syscall(SYS_setresuid, -1, NOBODY, -1));
	CHECK_EQ(self().eff, 0);
	CHECK_EQ(self().prm, c.prm);
	CHECK_SYS(syscall(SYS_setresuid, -1, 0, -1));
	CHECK_EQ(self().eff, c.prm);
	CHECK_SYS(cap_set(c.eff, c.prm, c.inh));
	/* fsuid leaving 0 takes the file-system capabilities only, and gives them back. */
	CHECK_EQ(syscall(SYS_setfsuid, NOBODY), 0);
	CHECK_EQ(self().eff, c.eff & ~FS_CAPS);
	CHECK_ERR(open(g_file, O_RDONLY), EACCES);
	CHECK_EQ(syscall(SYS_setfsuid, 0), NOBODY);
	CHECK_EQ(self().eff, c.eff);
	open_close(g_file, O_RDONLY);
}

static void test_bounding(void)
{
	struct caps c = self();
	uint64_t bnd = status_caps("CapBnd");
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		CHECK_EQ(CHECK_SYS(prctl(PR_CAPBSET_READ, cap, 0, 0, 0)), (bnd >> cap) & 1);
	CHECK_ERR(prctl(PR_CAPBSET_READ, CAP_LAST_CAP + 1, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_LAST_CAP + 1, 0, 0, 0), EINVAL);
	CHECK_SYS(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0));
	CHECK_EQ(CHECK_SYS(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0)), 0);
	CHECK_EQ(status_caps("CapBnd"), bnd & ~BIT(CAP_SYS_ADMIN));
	/* Dropping from the bounding set leaves the other sets alone. */
	CHECK_EQ(self().prm, c.prm);
	/* Dropping needs CAP_SETPCAP (checked before the capability's range). */
	CHECK_SYS(cap_set(c.eff & ~BIT(CAP_SETPCAP), c.prm, c.inh));
	CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
	CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_LAST_CAP + 1, 0, 0, 0), EPERM);
	CHECK_EQ(CHECK_SYS(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0)), 1);
	/* Secure bits need it too. */
	CHECK_ERR(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0), EPERM);
}

static long ambient(int op, unsigned long cap)
{
	return prctl(PR_CAP_AMBIENT, op, cap, 0, 0);
}

static void test_ambient(void)
{
	struct caps c = self();
	CHECK_EQ(CHECK_SYS(ambient(PR_CAP_AMBIENT_IS_SET, CAP_KILL)), 0);
	/* Raising needs the capability permitted and inheritable. */
	CHECK_ERR(ambient(PR_CAP_AMBIENT_RAISE, CAP_KILL), EPERM);
	CHECK_SYS(cap_set(c.eff, c.prm, BIT(CAP_KILL) | BIT(CAP_NET_RAW)));
	CHECK_SYS(ambient(PR_CAP_AMBIENT_RAISE, CAP_KILL));
	CHECK_SYS(ambient(PR_CAP_AMBIENT_RAISE, CAP_NET_RAW));
	CHECK_EQ(CHECK_SYS(ambient(PR_CAP_AMBIENT_IS_SET, CAP_KILL)), 1);
	CHECK_EQ(status_caps("CapAmb"), BIT(CAP_KILL) | BIT(CAP_NET_RAW));
	/* Bad arguments. */
	CHECK_ERR(ambient(PR_CAP_AMBIENT_IS_SET, CAP_LAST_CAP + 1), EINVAL);
	CHECK_ERR(ambient(PR_CAP_AMBIENT_RAISE, CAP_LAST_CAP + 1), EINVAL);
	CHECK_ERR(ambient(99, CAP_KILL), EINVAL);
	CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0), EINVAL);
	/* Lowering. */
	CHECK_SYS(ambient(PR_CAP_AMBIENT_LOWER, CAP_NET_RAW));
	CHECK_EQ(status_caps("CapAmb"), BIT(CAP_KILL));
	/* Leaving the inheritable (or permitted) set leaves the ambient set. */
	CHECK_SYS(cap_set(c.eff, c.prm, BIT(CAP_NET_RAW)));
	CHECK_EQ(CHECK_SYS(ambient(PR_CAP_AMBIENT_IS_SET, CAP_KILL)), 0);
	CHECK_SYS(ambient(PR_CAP_AMBIENT_RAISE, CAP_NET_RAW));
	CHECK_SYS(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	CHECK_EQ(status_caps("CapAmb"), 0);
	/* SECBIT_NO_CAP_AMBIENT_RAISE forbids raising. */
	CHECK_SYS(prctl(PR_SET_SECUREBITS, SECBIT_NO_CAP_AMBIENT_RAISE, 0, 0, 0));
	CHECK_ERR(ambient(PR_CAP_AMBIENT_RAISE, CAP_NET_RAW), EPERM);
	CHECK_SYS(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0));
	/* Leaving uid 0 clears the ambient set, keepcaps or not. */
	CHECK_SYS(ambient(PR_CAP_AMBIENT_RAISE, CAP_NET_RAW));
	CHECK_SYS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_SYS(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	CHECK_EQ(status_caps("CapAmb"), 0);
	CHECK_EQ(self().prm, c.prm);
}

/* execve of this program, which then checks its sets (main's "expect"). */
static void exec_expect(uint64_t inh, uint64_t prm, uint64_t eff, uint64_t amb, int secure)
{
	char a[4][24], s[4];
	snprintf(a[0], sizeof(a[0]), "%llx", (unsigned long long)inh);
	snprintf(a[1], sizeof(a[1]), "%llx", (unsigned long long)prm);
	snprintf(a[2], sizeof(a[2]), "%llx", (unsigned long long)eff);
	snprintf(a[3], sizeof(a[3]), "%llx", (unsigned long long)amb);
	snprintf(s, sizeof(s), "%d", secure);
	char *argv[] = { "caps", "expect", a[0], a[1], a[2], a[3], s, NULL };
	execv("/proc/self/exe", argv);
	test_fail(__FILE__, __LINE__, "execv: errno %s", test_errname(errno));
}

static int check_expectations(char **argv)
{
	CHECK_EQ(status_caps("CapInh"), strtoull(argv[2], NULL, 16));
	CHECK_EQ(status_caps("CapPrm"), strtoull(argv[3], NULL, 16));
	CHECK_EQ(status_caps("CapEff"), strtoull(argv[4], NULL, 16));
	CHECK_EQ(status_caps("CapAmb"), strtoull(argv[5], NULL, 16));
	CHECK_EQ(getauxval(AT_SECURE), strtoul(argv[6], NULL, 10));
	/* execve clears keepcaps. */
	CHECK_EQ(CHECK_SYS(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)), 0);
	return 0;
}

/* Root regains everything the bounding set has, whatever its effective set was. */
static void exec_root(void)
{
	struct caps c = self();
	CHECK_SYS(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0));
	CHECK_SYS(cap_set(0, c.prm & ~BIT(CAP_KILL), 0));
	uint64_t bnd = status_caps("CapBnd");
	exec_expect(0, bnd, bnd, 0, 0);
}

/* SECBIT_NOROOT: uid 0 is not special; nothing comes from the bounding set. */
static void exec_noroot(void)
{
	CHECK_SYS(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0));
	exec_expect(0, 0, 0, 0, 0);
}

/* A non-root program keeps its ambient capabilities and nothing else. */
static void exec_ambient(void)
{
	struct caps c = self();
	CHECK_SYS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_SYS(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	uint64_t inh = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	CHECK_SYS(cap_set(0, c.prm, inh));
	CHECK_SYS(ambient(PR_CAP_AMBIENT_RAISE, CAP_KILL));
	exec_expect(inh, BIT(CAP_KILL), BIT(CAP_KILL), BIT(CAP_KILL), 0);
}

/* A non-root program without ambient capabilities has none, keepcaps or not. */
static void exec_nobody(void)
{
	CHECK_SYS(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_SYS(syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY));
	CHECK(self().prm != 0);
	exec_expect(0, 0, 0, 0, 0);
}

/* An effective uid 0 with a real one of nobody: privileged, and in secure mode. */
static void exec_euid_root(void)
{
	CHECK_SYS(syscall(SYS_setresuid, NOBODY, 0, 0));
	uint64_t bnd = status_caps("CapBnd");
	exec_expect(0, bnd, bnd, 0, 1);
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "expect") == 0)
		return check_expectations(argv);
	uint64_t need = BIT(CAP_KILL) | BIT(CAP_SETPCAP) | BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW) |
	                BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) |
	                BIT(CAP_SETUID) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_MKNOD);
	if (getuid() != 0 || (status_caps("CapEff") & need) != need ||
	    (status_caps("CapBnd") & need) != need || status_caps("CapInh") != 0) {
		printf("caps: skipped (needs root with CapEff %#llx)\n", (unsigned long long)need);
		return 0;
	}
	strcpy(g_file, "/tmp/runsc-caps-XXXXXX");
	int fd = CHECK_SYS(mkstemp(g_file));
	CHECK_SYS(fchmod(fd, 0));
	CHECK_SYS(close(fd));

	in_child("versions", test_versions);
	in_child("capset_rules", test_capset_rules);
	in_child("operations", test_operations);
	in_child("setuid_drops", test_setuid_drops);
	in_child("keepcaps", test_keepcaps);
	in_child("euid_fsuid", test_euid_fsuid);
	in_child("bounding", test_bounding);
	in_child("ambient", test_ambient);
	in_child("exec_root", exec_root);
	in_child("exec_noroot", exec_noroot);
	in_child("exec_ambient", exec_ambient);
	in_child("exec_nobody", exec_nobody);
	in_child("exec_euid_root", exec_euid_root);

	CHECK_SYS(unlink(g_file));
	printf("caps: ok\n");
	return 0;
}
