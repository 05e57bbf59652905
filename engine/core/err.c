/* Error messages with context; see err.h. */
#include "engine/core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ps_err_set(ps_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return PS_ERR;
}

int ps_err_prefix(ps_err *err, const char *fmt, ...)
{
    if (err) {
        char prefix[512], old[sizeof err->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        size_t n = strlen(prefix);
        if (n >= sizeof err->msg)
            n = sizeof err->msg - 1;
        memcpy(err->msg, prefix, n);
        size_t room = sizeof err->msg - 1 - n, rest = strnlen(old, sizeof old);
        if (rest > room)
            rest = room;
        memcpy(err->msg + n, old, rest);
        err->msg[n + rest] = '\0';
    }
    return PS_ERR;
}
