/*
 * show version, show system processes: what runs on this node, asked of each
 * daemon over its ctl socket ("daemon.info").
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/cli/cli.h"
#include "lib/ctl.h"
#include "lib/daemon.h"
#include "lib/paths.h"
#include "lib/pbjson.h"

void cli_fmt_uptime(char *buf, size_t len, unsigned long long ms)
{
	unsigned long long s = ms / 1000, d = s / 86400, w = d / 7;

	s %= 86400;
	d %= 7;
	if (w)
		snprintf(buf, len, "%lluw%llud %02llu:%02llu:%02llu", w, d, s / 3600, s / 60 % 60,
		         s % 60);
	else if (d)
		snprintf(buf, len, "%llud %02llu:%02llu:%02llu", d, s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

struct cli_info_ctx {
	struct json_object *obj;
};

static int cli_info_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_info_ctx *ctx = arg;
	Keel__Ctl__DaemonInfo *info = keel__ctl__daemon_info__unpack(NULL, len, payload);

	if (!info)
		return -1;
	ctx->obj = pbjson_from_msg(&info->base);
	keel__ctl__daemon_info__free_unpacked(info, NULL);
	return 0;
}

static int cli_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pid in $KEEL_ROOT/run/keel/<name>.pid, if that process lives. */
static long cli_live_pid(const char *name)
{
	char file[128], path[4096];
	long pid = 0;
	FILE *f;

	snprintf(file, sizeof(file), "%s.pid", name);
	if (keel_path(path, sizeof(path), KEEL_DIR_RUN, file) < 0 || !(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		pid = 0;
	fclose(f);
	return pid;
}

struct json_object *cli_daemon_infos(struct cli *cli)
{
	struct json_object *arr = json_object_new_array();
	char dir[4096], *names[128];
	int n = 0;
	DIR *d;
	struct dirent *e;

	if (keel_path(dir, sizeof(dir), KEEL_DIR_RUN, NULL) < 0 || !(d = opendir(dir)))
		return arr;
	while ((e = readdir(d)) && n < 128) {
		size_t l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".ctl") == 0)
			names[n++] = strndup(e->d_name, l - 4);
		else if (strcmp(e->d_name, "mosquitto.pid") == 0)
			names[n++] = strdup("mosquitto");
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cli_name_cmp);

	for (int i = 0; i < n; i++) {
		struct cli_info_ctx ctx = {0};
		struct ctl_client *c = NULL;
		char err[256];

		if (strcmp(names[i], "mosquitto") == 0) {
			long pid = cli_live_pid(names[i]);

			ctx.obj = json_object_new_object();
			json_object_object_add(ctx.obj, "name",
			                       json_object_new_string("mosquitto"));
			json_object_object_add(ctx.obj, "pid", json_object_new_int64(pid));
			json_object_object_add(ctx.obj, "role", json_object_new_string("bus"));
			json_object_object_add(ctx.obj, "state",
			                       json_object_new_string(pid ? "running" : "down"));
		} else if ((c = ctl_client_connect(names[i])) &&
		           ctl_call(c, "daemon.info", NULL, cli_info_part, &ctx, cli->timeout_ms,
		                    err, sizeof(err)) == 0 &&
		           ctx.obj) {
			json_object_object_add(ctx.obj, "state", json_object_new_string("running"));
		} else {
			json_object_put(ctx.obj);
			ctx.obj = json_object_new_object();
			json_object_object_add(ctx.obj, "name", json_object_new_string(names[i]));
			json_object_object_add(ctx.obj, "pid",
			                       json_object_new_int64(cli_live_pid(names[i])));
			json_object_object_add(ctx.obj, "state",
			                       json_object_new_string("not responding"));
		}
		if (c)
			ctl_client_close(c);
		json_object_array_add(arr, ctx.obj);
		free(names[i]);
	}
	return arr;
}

static struct json_object *cli_fetch_processes(struct cli *cli, const struct cli_argv *av,
                                               char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "process-information", cli_daemon_infos(cli));
	return o;
}

static void cli_render_processes(struct cli *cli, const struct cli_argv *av,
                                 struct json_object *data, FILE *out)
{
	struct json_object *arr;

	json_object_object_get_ex(data, "process-information", &arr);
	fprintf(out, "%7s  %-12s %-15s %12s %9s %9s %8s\n", "PID", "Daemon", "State", "Uptime",
	        "RSS(KB)", "CPU(ms)", "Clients");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		char up[32] = "-";

		if (cli_ji(p, "uptime-ms"))
			cli_fmt_uptime(up, sizeof(up), (unsigned long long)cli_ji(p, "uptime-ms"));
		fprintf(out, "%7lld  %-12s %-15s %12s %9lld %9lld %8lld\n", cli_ji(p, "pid"),
		        cli_js(p, "name"), cli_js(p, "state"), up, cli_ji(p, "rss-kb"),
		        cli_ji(p, "cpu-ms"), cli_ji(p, "clients"));
	}
}

struct json_object *cli_fetch_version(struct cli *cli, const struct cli_argv *av, char *err,
                                      size_t errlen)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "host-name", json_object_new_string(cli->host));
	json_object_object_add(o, "product-model", json_object_new_string("keel"));
	json_object_object_add(o, "product-name", json_object_new_string("keel"));
	json_object_object_add(o, "keel-version", json_object_new_string(KEEL_VERSION));
	return o;
}

void cli_render_version(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                        FILE *out)
{
	fprintf(out, "Hostname: %s\nModel: %s\nkeel: %s\n", cli_js(data, "host-name"),
	        cli_js(data, "product-model"), cli_js(data, "keel-version"));
}

const struct cli_node cli_show_system[] = {
        {.name = "commit",
         .help = "Show pending commit and commit history",
         .fetch = cli_fetch_commits,
         .render = cli_render_commits},
        {.name = "processes",
         .help = "Show keel daemons and their state",
         .fetch = cli_fetch_processes,
         .render = cli_render_processes},
        {.name = "rollback",
         .help = "Show a rollback configuration",
         .children = cli_show_rollback},
        {0},
};
