/* bad_jump: calling a function pointer to an unmapped address kills with SIGSEGV (139). */
#include "test.h"

int main(void)
{
	void (*volatile fn)(void) = (void (*)(void))test_unmapped_page();

	fn();
	test_unreachable("a call to an unmapped address");
}
