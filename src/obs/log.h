/*
 * log — structured logs, one JSON object per line on stderr (SPEC §15).
 *
 * Every line carries timestamp, level, message, service, version, environment,
 * correlationId, pid and hostname, then the caller's context fields:
 *
 *     KW_LOG(KW_LOG_INFO, "cycle settled", KW_LI("cycle", id), KW_LS("outcome", "GOOD"));
 *
 * Never pass a secret, password, token or key as a field: nothing here can tell.
 *
 * Thread-safety: logging is thread-safe (one write(2) per line); the
 * correlation id is per thread; kw_log_setup must run before threads start.
 */
#ifndef KW_OBS_LOG_H
#define KW_OBS_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum kw_log_level {
    KW_LOG_DEBUG = 0,
    KW_LOG_INFO,
    KW_LOG_WARN,
    KW_LOG_ERROR,
} kw_log_level;

typedef struct kw_log_field {
    const char *key;
    enum { KW_LF_STR, KW_LF_INT, KW_LF_BOOL } type;
    const char *s;
    int64_t i;
} kw_log_field;

#define KW_LS(k, v) ((kw_log_field){.key = (k), .type = KW_LF_STR, .s = (v)})
#define KW_LI(k, v) ((kw_log_field){.key = (k), .type = KW_LF_INT, .i = (int64_t)(v)})
#define KW_LB(k, v) ((kw_log_field){.key = (k), .type = KW_LF_BOOL, .i = !!(v)})

#define KW_LOG(level, msg, ...)                                                          \
    kw_log_fields((level), (msg), (const kw_log_field[]){KW_LS(NULL, NULL), ##__VA_ARGS__}, \
                  sizeof((const kw_log_field[]){KW_LS(NULL, NULL), ##__VA_ARGS__}) /       \
                      sizeof(kw_log_field))

/* Sets the minimum level, environment name and output fd (2 = stderr). */
void kw_log_setup(kw_log_level min, const char *environment, int fd);
/* Parses "debug", "info", "warn", "error"; returns -1 otherwise. */
int kw_log_level_parse(const char *s);

/* Sets this thread's correlation id (copied; NULL clears it). */
void kw_log_set_correlation(const char *id);

/* Writes one line. fields[0] is a placeholder (key NULL) and is skipped. */
void kw_log_fields(kw_log_level level, const char *msg, const kw_log_field *fields, size_t n);

/* Formats one line into buf (cap ≥ 4096; used by kw_log_fields and tests);
 * returns its length including the newline. Strings are cut at 1000 bytes; a
 * context that still does not fit is replaced by "contextTruncated":true. */
size_t kw_log_format(char *buf, size_t cap, int64_t unix_ms, kw_log_level level, const char *msg,
                     const kw_log_field *fields, size_t n);

#endif
