/* Sleeps for argv[1] seconds (default 30): a program to kill in the middle of its run. */
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts = { argc > 1 ? atoi(argv[1]) : 30, 0 };
	nanosleep(&ts, NULL);
	return 0;
}
