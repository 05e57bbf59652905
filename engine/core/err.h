/* Error reporting: functions return 0 or PS_ERR and write the reason, with its
 * context (file, line, peer, key), into a caller's ps_err. Errors go up the stack
 * to whoever can name the context; nothing below main() prints and exits. */
#ifndef PS_ERR_H
#define PS_ERR_H

#include <stddef.h>

#define PS_OK 0
#define PS_ERR (-1)

typedef struct ps_err {
    char msg[1024];
} ps_err;

/* Writes a printf-style message into err (if err is not NULL); returns PS_ERR
 * so that callers can write `return ps_err_set(err, ...)`. */
int ps_err_set(ps_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends context ("file.ini: ") to an existing message; returns PS_ERR. */
int ps_err_prefix(ps_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
