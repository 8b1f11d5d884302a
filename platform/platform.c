/* The table of platforms: see platform.h. */
#include "platform/platform.h"

#include <string.h>

static const struct platform_ops *const g_platforms[] = {
	&g_platform_ptrace,
	&g_platform_systrap,
};

const struct platform_ops *platform_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_platforms); i++) {
		if (strcmp(g_platforms[i]->name, name) == 0)
			return g_platforms[i];
	}
	return NULL;
}
