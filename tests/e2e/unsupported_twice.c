/* Makes an unimplemented system call twice: the sandbox must log it once, and fail it with ENOSYS.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 2; i++) {
		if (syscall(SYS_kexec_load, 0, 0, 0, 0) != -1 || errno != ENOSYS) {
			printf("kexec_load did not fail with ENOSYS\n");
			return 1;
		}
	}
	return 0;
}
