/* uname: Linux on x86_64, with a release and version, and gethostname's nodename. */
#include <sys/utsname.h>

#include "test.h"

/* check_field checks that a utsname field is NUL-terminated within its 65 bytes. */
static void check_field(const char *name, const char *field)
{
	if (memchr(field, '\0', _UTSNAME_LENGTH) == NULL)
		test_fail(__FILE__, __LINE__, "%s is not NUL-terminated", name);
}

int main(void)
{
	struct utsname u;

	memset(&u, 0x7f, sizeof(u));
	CHECK_EQ(syscall(SYS_uname, &u), 0);
	check_field("sysname", u.sysname);
	check_field("nodename", u.nodename);
	check_field("release", u.release);
	check_field("version", u.version);
	check_field("machine", u.machine);
	check_field("domainname", u.domainname);

	CHECK_STREQ(u.sysname, "Linux");
	CHECK_STREQ(u.machine, "x86_64");
	/* The release looks like "MAJOR.MINOR...", and the version is not empty. */
	int major = -1, minor = -1;
	CHECK_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2);
	CHECK(major >= 3);
	CHECK(minor >= 0);
	CHECK(u.version[0] != '\0');
	CHECK(u.nodename[0] != '\0');

	/* gethostname (glibc reads uname for it) gives the nodename. */
	char host[_UTSNAME_LENGTH + 1];
	CHECK_EQ(gethostname(host, sizeof(host)), 0);
	CHECK_STREQ(host, u.nodename);
	/* A second call gives the same answer. */
	struct utsname u2;
	CHECK_EQ(syscall(SYS_uname, &u2), 0);
	CHECK(memcmp(u.sysname, u2.sysname, sizeof(u.sysname)) == 0);
	CHECK_STREQ(u2.release, u.release);
	CHECK_STREQ(u2.nodename, u.nodename);
	return 0;
}
