/*
 * Filesystem roots (DESIGN.md §3): everything lives under $KEEL_ROOT
 * (empty = the real paths): config in etc/keel, state in var/lib/keel,
 * ctl sockets and pid files in run/keel.
 */
#ifndef KEEL_PATHS_H
#define KEEL_PATHS_H

#include <stddef.h>

const char *keel_root(void);
/* Writes "$KEEL_ROOT/<dir>/<name>" (dir one of the KEEL_DIR_*) into buf. -1 if it does not fit. */
int keel_path(char *buf, size_t len, const char *dir, const char *name);
/* Creates $KEEL_ROOT/<dir> and its parents (mode 0755). */
int keel_mkdirs(const char *dir);

/* The YANG modules: $KEEL_YANG_DIR, else the source tree's yang/ next to the
 * running binary (build/bin/../../yang, also one level deeper for variant
 * builds such as build/asan/bin), else the installed share/keel/yang. */
int keel_yang_dir(char *buf, size_t len);

#define KEEL_DIR_ETC   "etc/keel"
#define KEEL_DIR_STATE "var/lib/keel"
#define KEEL_DIR_RUN   "run/keel"

#endif
