/*
 * Logging: stderr in the foreground, syslog otherwise.
 *
 * log_warn() appends strerror(errno); log_warnx() does not. log_debug() is
 * printed when any debug flag is on; log_debugf(flag, ...) only when that
 * flag is on. A daemon names its flags (e.g. {"fsm", "packet", "ctl"}) and
 * the ctl method "debug.set" switches them at run time.
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define LOG_MAX_FLAGS 32

void log_init(const char *ident, bool foreground, bool debug);
/* Names of this program's debug flags; index i is bit (1 << i). NULL-terminated. */
void log_set_flag_names(const char *const *names);
const char *const *log_flag_names(void);
/* Returns the bit for a flag name, 0 when unknown. "all" returns every bit. */
uint32_t log_flag_bit(const char *name);
void log_set_flags(uint32_t flags);
uint32_t log_flags(void);
bool log_debug_on(uint32_t bit);
/* Send output to stderr (true) or syslog (false). */
void log_to_stderr(bool on);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debugf(uint32_t bit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vlog(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Start-up failures and broken invariants only. fatal() appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
