#include "lib/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

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

int keel_yang_dir(char *buf, size_t len)
{
	static const char *const rel[] = {"../../yang", "../../../yang", "../share/keel/yang"};
	const char *env = getenv("KEEL_YANG_DIR");
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	ssize_t n;

	if (env && *env)
		return snprintf(buf, len, "%s", env) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(probe, sizeof(probe), "%s/%s/keel-types.yang", exe, rel[i]);
			if (access(probe, R_OK) == 0)
				return snprintf(buf, len, "%s/%s", exe, rel[i]) < (int)len ? 0 : -1;
		}
	}
	return snprintf(buf, len, "/usr/local/share/keel/yang") < (int)len ? 0 : -1;
}
