#include "lib/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *keel_root(void)
{
	const char *r = getenv("KEEL_ROOT");

	return r ? r : "";
}

int keel_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n;

	if (name && *name)
		n = snprintf(buf, len, "%s/%s/%s", keel_root(), dir, name);
	else
		n = snprintf(buf, len, "%s/%s", keel_root(), dir);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int keel_mkdirs(const char *dir)
{
	char path[4096];

	if (keel_path(path, sizeof(path), dir, NULL) < 0)
		return -1;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}
