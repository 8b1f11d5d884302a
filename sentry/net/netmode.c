/*
 * The sandbox's network mode: see netmode.h. A file of its own so that
 * the sentry's confinement (sentry/boot/confine.c), which reads it, links
 * without the rest of the sentry (tests/security/confine_filters).
 */
#include "sentry/net/netmode.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

static _Atomic enum net_mode g_net_mode = NET_MODE_SANDBOX;

void net_mode_set(enum net_mode mode)
{
	atomic_store(&g_net_mode, mode);
}

enum net_mode net_mode_get(void)
{
	return atomic_load(&g_net_mode);
}

int net_mode_parse(const char *name, enum net_mode *out)
{
	if (!name || strcmp(name, "sandbox") == 0)
		*out = NET_MODE_SANDBOX;
	else if (strcmp(name, "host") == 0)
		*out = NET_MODE_HOST;
	else if (strcmp(name, "none") == 0)
		*out = NET_MODE_NONE;
	else
		return -EINVAL;
	return 0;
}
