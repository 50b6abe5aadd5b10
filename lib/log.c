#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "keel";
static bool log_stderr = true;
static uint32_t log_flag_mask;
static const char *const *log_names;

void log_init(const char *ident, bool foreground, bool debug)
{
	log_ident = ident;
	log_stderr = foreground;
	log_flag_mask = debug ? UINT32_MAX : 0;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void log_to_stderr(bool on)
{
	log_stderr = on;
}

void log_set_flag_names(const char *const *names)
{
	log_names = names;
}

const char *const *log_flag_names(void)
{
	return log_names;
}

uint32_t log_flag_bit(const char *name)
{
	if (strcmp(name, "all") == 0)
		return UINT32_MAX;
	for (int i = 0; log_names && log_names[i] && i < LOG_MAX_FLAGS; i++)
		if (strcmp(log_names[i], name) == 0)
			return 1u << i;
	return 0;
}

void log_set_flags(uint32_t flags)
{
	log_flag_mask = flags;
}

uint32_t log_flags(void)
{
	return log_flag_mask;
}

bool log_debug_on(uint32_t bit)
{
	return (log_flag_mask & bit) != 0;
}

void log_vlog(int pri, const char *fmt, va_list ap)
{
	if (!log_stderr) {
		vsyslog(pri, fmt, ap);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s.%03ld %s: ", stamp, ts.tv_nsec / 1000000, log_ident);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void log_str(int pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_str(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(pri, fmt, ap);
	va_end(ap);
}

static void log_msg(int pri, int saved, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (saved) {
		char err[128];
		const char *msg = strerror_r(saved, err, sizeof(err));
		log_str(pri, "%s: %s", buf, msg);
	} else {
		log_str(pri, "%s", buf);
	}
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_msg(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_flag_mask)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void log_debugf(uint32_t bit, const char *fmt, ...)
{
	va_list ap;

	if (!(log_flag_mask & bit))
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_msg(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
