/*
 * mgd's files: the running config $KEEL_ROOT/etc/keel/keel.conf, rollbacks
 * $KEEL_ROOT/var/lib/keel/rollback/keel.conf.1..49, and the pending
 * commit-confirmed deadline $KEEL_ROOT/var/lib/keel/commit-confirmed.
 *
 * Every config file mgd writes starts with "## " header lines (Junos prints
 * "## Last commit: ... by user" the same way); one of them,
 * "## keel-commit {json}", records time, user, client, comment, generation.
 * The commit history is read from these headers rather than from an index
 * file: a rename moves a config and its history entry together, so a crash
 * can never make them disagree.
 *
 * Crash safety (DESIGN.md §3): every write is temp file + fsync + rename +
 * fsync of the directory, and a commit changes the running file last, with
 * one rename. A crash leaves the old or the new running config; at worst the
 * rollback numbering has a gap or a duplicate, which mgd_store_repair()
 * removes at the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemons/mgd/mgd.h"
#include "lib/log.h"
#include "lib/paths.h"

#define MGD_HDR_TAG "## keel-commit "

int mgd_store_init(struct mgd_store *st)
{
	if (keel_mkdirs(KEEL_DIR_ETC) < 0 || keel_mkdirs(KEEL_DIR_STATE "/rollback") < 0)
		return -1;
	if (keel_path(st->running, sizeof(st->running), KEEL_DIR_ETC, "keel.conf") < 0 ||
	    keel_path(st->rbdir, sizeof(st->rbdir), KEEL_DIR_STATE, "rollback") < 0 ||
	    keel_path(st->confirm, sizeof(st->confirm), KEEL_DIR_STATE, "commit-confirmed") < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int mgd_store_path(const struct mgd_store *st, unsigned n, char *buf, size_t len)
{
	int r;

	if (n > MGD_MAX_ROLLBACK + 1)
		return -1;
	if (n == 0)
		r = snprintf(buf, len, "%s", st->running);
	else
		r = snprintf(buf, len, "%s/keel.conf.%u", st->rbdir, n);
	return r < 0 || (size_t)r >= len ? -1 : 0;
}

char *mgd_file_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MGD_MAX_FILE) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == (size_t)st.st_size)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int mgd_fsync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int mgd_file_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[4096 + 16];
	size_t off = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return mgd_fsync_dir(path);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static void mgd_copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

const char *mgd_header_parse(const char *text, struct mgd_commit_info *info)
{
	const char *p = text;

	memset(info, 0, sizeof(*info));
	while (strncmp(p, "## ", 3) == 0) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (strncmp(p, MGD_HDR_TAG, strlen(MGD_HDR_TAG)) == 0) {
			size_t jl = n - strlen(MGD_HDR_TAG);
			char *js = strndup(p + strlen(MGD_HDR_TAG), jl);
			struct json_object *o = js ? json_tokener_parse(js) : NULL;
			struct json_object *v;

			if (o && json_object_is_type(o, json_type_object)) {
				if (json_object_object_get_ex(o, "time", &v))
					info->time = (uint64_t)json_object_get_int64(v);
				if (json_object_object_get_ex(o, "generation", &v))
					info->generation = (uint64_t)json_object_get_int64(v);
				if (json_object_object_get_ex(o, "user", &v))
					mgd_copy_str(info->user, sizeof(info->user),
					             json_object_get_string(v));
				if (json_object_object_get_ex(o, "client", &v))
					mgd_copy_str(info->client, sizeof(info->client),
					             json_object_get_string(v));
				if (json_object_object_get_ex(o, "comment", &v))
					mgd_copy_str(info->comment, sizeof(info->comment),
					             json_object_get_string(v));
				if (json_object_object_get_ex(o, "confirmed", &v))
					info->confirmed = json_object_get_boolean(v);
			}
			json_object_put(o);
			free(js);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return p;
}

char *mgd_header_make(const struct mgd_commit_info *info, const char *body, size_t *len)
{
	struct json_object *o = json_object_new_object();
	char when[64] = "";
	const char *js;
	char *out = NULL;
	time_t t = (time_t)info->time;
	struct tm tm;
	int n;

	if (!o)
		return NULL;
	json_object_object_add(o, "time", json_object_new_int64((int64_t)info->time));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)info->generation));
	json_object_object_add(o, "user", json_object_new_string(info->user));
	json_object_object_add(o, "client", json_object_new_string(info->client));
	json_object_object_add(o, "comment", json_object_new_string(info->comment));
	json_object_object_add(o, "confirmed", json_object_new_boolean(info->confirmed));
	/* json-c escapes control characters, so the header stays one line */
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	n = asprintf(&out, "## Last commit: %s by %s\n" MGD_HDR_TAG "%s\n%s", when, info->user, js,
	             body);
	json_object_put(o);
	if (n < 0)
		return NULL;
	if (len)
		*len = (size_t)n;
	return out;
}

static bool mgd_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int mgd_store_repair(const struct mgd_store *st)
{
	char a[4096], b[4096];
	char *run, *one;
	size_t rl = 0, ol = 0;
	unsigned next = 1;

	/* A crash between writing rollback 1 and the new running file leaves
	 * rollback 1 equal to the running config: it is not history. */
	if (mgd_store_path(st, 1, b, sizeof(b)) < 0)
		return -1;
	run = mgd_file_read(st->running, &rl);
	one = mgd_file_read(b, &ol);
	if (run && one && rl == ol && memcmp(run, one, rl) == 0) {
		log_info("rollback 1 equals the running config (crash during a commit): dropped");
		unlink(b);
	}
	free(run);
	free(one);
	/* Close gaps left by a crash during the shift, keeping the order. */
	for (unsigned n = 1; n <= MGD_MAX_ROLLBACK + 1; n++) {
		if (mgd_store_path(st, n, a, sizeof(a)) < 0)
			return -1;
		if (!mgd_exists(a))
			continue;
		if (n > MGD_MAX_ROLLBACK) {
			unlink(a);
			continue;
		}
		if (n != next) {
			if (mgd_store_path(st, next, b, sizeof(b)) < 0 || rename(a, b) < 0)
				return -1;
		}
		next++;
	}
	return mgd_fsync_dir(a);
}

int mgd_store_commit(const struct mgd_store *st, const char *old_text, size_t old_len,
                     const char *new_text, size_t new_len)
{
	char a[4096], b[4096];

	/* Rollback n -> n+1 from the top, so each rename moves a file onto a
	 * name that is free (or onto 49, which is dropped). */
	for (unsigned n = MGD_MAX_ROLLBACK - 1; n >= 1; n--) {
		if (mgd_store_path(st, n, a, sizeof(a)) < 0 ||
		    mgd_store_path(st, n + 1, b, sizeof(b)) < 0)
			return -1;
		if (rename(a, b) < 0 && errno != ENOENT)
			return -1;
	}
	if (old_text && old_len > 0) {
		if (mgd_store_path(st, 1, a, sizeof(a)) < 0 ||
		    mgd_file_write_atomic(a, old_text, old_len) < 0)
			return -1;
	} else if (mgd_fsync_dir(a) < 0) {
		return -1;
	}
	return mgd_file_write_atomic(st->running, new_text, new_len);
}

int mgd_store_confirm_set(const struct mgd_store *st, uint64_t deadline, unsigned minutes)
{
	char buf[64];
	int n;

	if (!deadline) {
		if (unlink(st->confirm) < 0 && errno != ENOENT)
			return -1;
		return mgd_fsync_dir(st->confirm);
	}
	n = snprintf(buf, sizeof(buf), "%llu %u\n", (unsigned long long)deadline, minutes);
	return mgd_file_write_atomic(st->confirm, buf, (size_t)n);
}

uint64_t mgd_store_confirm_get(const struct mgd_store *st, unsigned *minutes)
{
	unsigned long long deadline = 0;
	unsigned mins = 0;
	char *text = mgd_file_read(st->confirm, NULL);

	if (text && sscanf(text, "%llu %u", &deadline, &mins) < 1)
		deadline = 0;
	free(text);
	if (minutes)
		*minutes = mins;
	return deadline;
}
