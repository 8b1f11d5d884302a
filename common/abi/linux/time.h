/* Time structures and clock ids of the guest ABI. */
#ifndef COMMON_ABI_LINUX_TIME_H
#define COMMON_ABI_LINUX_TIME_H

#include <stdint.h>

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct linux_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct linux_timezone {
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
};

#define LINUX_CLOCK_REALTIME           0
#define LINUX_CLOCK_MONOTONIC          1
#define LINUX_CLOCK_PROCESS_CPUTIME_ID 2
#define LINUX_CLOCK_THREAD_CPUTIME_ID  3
#define LINUX_CLOCK_MONOTONIC_RAW      4
#define LINUX_CLOCK_REALTIME_COARSE    5
#define LINUX_CLOCK_MONOTONIC_COARSE   6
#define LINUX_CLOCK_BOOTTIME           7
#define LINUX_CLOCK_REALTIME_ALARM     8
#define LINUX_CLOCK_BOOTTIME_ALARM     9
#define LINUX_CLOCK_TAI                11

#define LINUX_TIMER_ABSTIME 1

#define LINUX_NSEC_PER_SEC 1000000000LL

#endif /* COMMON_ABI_LINUX_TIME_H */
