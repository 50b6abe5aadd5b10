/*
 * The shared daemon start-up sequence (see lib/daemon.h).
 *
 * Order matters: the pid file is taken before anything else so that a second
 * copy stops early; the ctl socket is opened while we still hold every
 * capability (chgrp of the socket to "keel" needs CAP_CHOWN); capabilities
 * are dropped before the daemon's own init runs, so protocol code never holds
 * more than it declared.
 */
#include "lib/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sys/capability.h>

#include "lib/cfg.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/paths.h"

static int daemon_pidfd = -1;
static int daemon_exit_code;

static void daemon_usage(const struct daemon_desc *desc)
{
	fprintf(stderr,
	        "usage: %s [-fdnh] [-D flag[,flag...]]\n"
	        "  -f  stay in the foreground, log to stderr\n"
	        "  -d  debug: every debug flag on\n"
	        "  -D  switch on the named debug flags:",
	        desc->name);
	for (int i = 0; desc->debug_flags && desc->debug_flags[i]; i++)
		fprintf(stderr, " %s", desc->debug_flags[i]);
	fprintf(stderr, "\n  -n  check the configuration and exit\n"
	                "Environment: KEEL_ROOT (state, config and socket root; default /)\n");
}

static int daemon_parse_flags(const char *list, uint32_t *flags)
{
	char buf[256];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -1;
	memcpy(buf, list, strlen(list) + 1);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t bit = log_flag_bit(tok);

		if (!bit) {
			fprintf(stderr, "unknown debug flag '%s'\n", tok);
			return -1;
		}
		*flags |= bit;
	}
	return 0;
}

static int daemon_pidfile_path(const char *name, char *buf, size_t len)
{
	char file[128];

	if ((size_t)snprintf(file, sizeof(file), "%s.pid", name) >= sizeof(file))
		return -1;
	return keel_path(buf, len, KEEL_DIR_RUN, file);
}

int daemon_pidfile_write(const char *name)
{
	char path[4096], buf[32];
	int fd, n;

	if (keel_mkdirs(KEEL_DIR_RUN) < 0 || daemon_pidfile_path(name, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* The lock, not the file's existence, says a live process owns it: a
	 * pid file left by a crash is taken over silently. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		close(fd);
		return -1;
	}
	if (daemon_pidfd >= 0)
		close(daemon_pidfd);
	daemon_pidfd = fd;
	return 0;
}

void daemon_pidfile_remove(const char *name)
{
	char path[4096];

	if (daemon_pidfile_path(name, path, sizeof(path)) == 0)
		unlink(path);
	if (daemon_pidfd >= 0) {
		close(daemon_pidfd);
		daemon_pidfd = -1;
	}
}

int daemon_drop_caps(const int *keep)
{
	cap_value_t vals[CAP_LAST_CAP + 1];
	int n = 0;
	cap_t caps;

	for (int i = 0; keep && keep[i] >= 0 && n <= CAP_LAST_CAP; i++)
		vals[n++] = keep[i];

	/* Shrink the bounding set first: it needs CAP_SETPCAP, which we are
	 * about to give up. */
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		bool kept = false;

		for (int i = 0; i < n; i++)
			kept |= vals[i] == c;
		if (!kept && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EPERM)
			return -1;
	}
	caps = cap_init();
	if (!caps)
		return -1;
	if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, vals, CAP_SET) < 0 ||
	              cap_set_flag(caps, CAP_EFFECTIVE, n, vals, CAP_SET) < 0)) {
		cap_free(caps);
		return -1;
	}
	if (cap_set_proc(caps) < 0) {
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return 0;
}

static void daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if (chdir("/") < 0)
		fatal("chdir /");
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

void daemon_stop(struct daemon *d, int code)
{
	daemon_exit_code = code;
	event_base_loopbreak(d->base);
}

static void daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading configuration");
		cfg_reload(d->cfg);
		if (d->desc->reload)
			d->desc->reload(d);
		break;
	case SIGWINCH:
		log_debug("SIGWINCH: cluster state changed");
		if (d->desc->cluster_change)
			d->desc->cluster_change(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", strsignal((int)sig));
		daemon_stop(d, 0);
		break;
	}
}

static uint64_t daemon_rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, rss;
	uint64_t kb = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) == 2)
		kb = (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	fclose(f);
	return kb;
}

static void daemon_info(Keel__Ctl__DaemonInfo *info, void *arg)
{
	struct daemon *d = arg;
	struct rusage ru;

	info->version = KEEL_VERSION;
	info->start_time = d->start_wall;
	info->uptime_ms = mono_ms() - d->start_mono_ms;
	info->rss_kb = daemon_rss_kb();
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		info->cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		               (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	if (d->desc->info)
		d->desc->info(d, info);
}

int daemon_main(const struct daemon_desc *desc, int argc, char **argv)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGWINCH};
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	struct daemon d = {.desc = desc};
	uint32_t flags = 0;
	int ch;

	log_set_flag_names(desc->debug_flags);
	while ((ch = getopt(argc, argv, "fdnD:h")) != -1) {
		switch (ch) {
		case 'f':
			d.foreground = true;
			break;
		case 'd':
			d.debug = true;
			break;
		case 'n':
			d.check_only = true;
			break;
		case 'D':
			if (daemon_parse_flags(optarg, &flags) < 0)
				return 2;
			break;
		case 'h':
			daemon_usage(desc);
			return 0;
		default:
			daemon_usage(desc);
			return 2;
		}
	}
	d.argc = argc - optind;
	d.argv = argv + optind;

	log_init(desc->name, d.foreground || d.check_only, d.debug);
	if (flags)
		log_set_flags(flags);

	if (d.check_only) {
		int rc = desc->config_check ? desc->config_check(&d) : 0;

		if (rc == 0)
			log_info("configuration check succeeds");
		return rc == 0 ? 0 : 1;
	}

	if (!d.foreground)
		daemonize();

	if (daemon_pidfile_write(desc->name) < 0) {
		if (errno == EEXIST)
			fatalx("another %s is running in %s", desc->name,
			       *keel_root() ? keel_root() : "/");
		fatal("pid file");
	}
	signal(SIGPIPE, SIG_IGN);

	d.base = ev_base_new();
	d.start_mono_ms = mono_ms();
	d.start_wall = (uint64_t)time(NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(d.base, sigs[i], daemon_signal, &d);
		if (!sigev[i] || evsignal_add(sigev[i], NULL) < 0)
			fatalx("cannot route signal %d through the event loop", sigs[i]);
	}

	d.ctl = ctl_server_open(d.base, desc->name, desc->methods, desc->n_methods, &d);
	if (!d.ctl)
		fatalx("cannot open the control socket");
	ctl_server_set_info(d.ctl, daemon_info, &d);
	if (desc->cfg && ctl_server_add_methods(d.ctl, cfg_ctl_methods, cfg_ctl_n_methods) < 0)
		fatalx("cannot add the config methods to the control socket");

	if (daemon_drop_caps(desc->caps) < 0)
		fatal("dropping capabilities");

	if (desc->init && desc->init(&d) != 0) {
		log_warnx("start-up failed");
		daemon_exit_code = 1;
	} else {
		log_info("started (pid %ld, root %s)", (long)getpid(),
		         *keel_root() ? keel_root() : "/");
		/* The config callbacks get the daemon's own state (d.priv, set by
		 * init); the first config arrives once mgd answers. */
		if (desc->cfg && !(d.cfg = cfg_open(&d, desc->cfg, d.priv)))
			fatalx("cannot start the configuration client");
		event_base_dispatch(d.base);
	}

	cfg_close(d.cfg);
	d.cfg = NULL;
	if (desc->shutdown)
		desc->shutdown(&d);
	ctl_server_close(d.ctl);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	event_base_free(d.base);
	daemon_pidfile_remove(desc->name);
	log_info("stopped");
	return daemon_exit_code;
}
