/* fault.slow and fault.link_down: their text into ps_fault_window (fault_plan.h). */
#include "engine/core/fault_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* TARGET of one entry: a node and what of it, or link:NAME. */
static int parse_target(const char *t, const char *key, int is_down, int servers, int workers,
                        ps_fault_window *w, ps_err *err)
{
    if (strncmp(t, "link:", 5) == 0) {
        if (!t[5] || strlen(t + 5) >= sizeof w->link)
            return ps_err_set(err, "%s: '%s' names no link (or one too long)", key, t);
        w->node = -1;
        snprintf(w->link, sizeof w->link, "%s", t + 5);
        w->kind = is_down ? PS_FAULT_LINK_DOWN : PS_FAULT_SLOW_LINK;
        return PS_OK;
    }
    char kind[8], part[8] = "";
    int index, used = 0;
    if (sscanf(t, "%7[a-z]%d%n", kind, &index, &used) != 2 ||
        (strcmp(kind, "server") && strcmp(kind, "worker")) ||
        (t[used] && (t[used] != '.' || sscanf(t + used + 1, "%7[a-z]", part) != 1 ||
                     strlen(t + used + 1) != strlen(part))))
        return ps_err_set(err, "%s: '%s' is not serverN.WHAT, workerN.WHAT or link:NAME", key, t);
    int server = kind[0] == 's', n = server ? servers : workers;
    if (index < 0 || index >= n)
        return ps_err_set(err, "%s: %s%d is not a node of the cluster (%s 0..%d)", key, kind,
                          index, server ? "servers" : "workers", n - 1);
    w->node = server ? index : servers + index;
    if (is_down && (!*part || !strcmp(part, "net"))) {
        w->kind = PS_FAULT_LINK_DOWN;
    } else if (!is_down && !strcmp(part, "cpu")) {
        w->kind = PS_FAULT_SLOW_CPU;
    } else if (!is_down && !strcmp(part, "disk")) {
        w->kind = PS_FAULT_SLOW_DISK;
    } else if (!is_down && !strcmp(part, "net")) {
        w->kind = PS_FAULT_SLOW_LINK;
    } else {
        return ps_err_set(err, "%s: '%s': %s", key, t,
                          is_down ? "a node's links go down as serverN or serverN.net"
                                  : "slow a node's .cpu, .disk or .net");
    }
    return PS_OK;
}

static int parse_entry(const char *p, size_t len, const char *key, int is_down, int servers,
                       int workers, ps_fault_window *w, ps_err *err)
{
    char e[160], *at;
    if (len >= sizeof e)
        return ps_err_set(err, "%s: an entry of %zu characters is too long", key, len);
    memcpy(e, p, len);
    e[len] = 0;
    memset(w, 0, sizeof *w);
    snprintf(w->what, sizeof w->what, "%s", e);
    const char *form = is_down ? "TARGET@START+DURATION (server1@5+2, link:link3@8+1)"
                               : "TARGET@START+DURATIONxFACTOR (worker3.cpu@10+20x4)";
    if (!(at = strchr(e, '@')))
        return ps_err_set(err, "%s: '%s' is not %s", key, e, form);
    *at = 0;
    double start, dur, factor = 1;
    int used = 0;
    const char *when = at + 1;
    int got = is_down ? sscanf(when, "%lf+%lf%n", &start, &dur, &used)
                      : sscanf(when, "%lf+%lfx%lf%n", &start, &dur, &factor, &used);
    if (got != (is_down ? 2 : 3) || when[used])
        return ps_err_set(err, "%s: '%s' is not %s", key, w->what, form);
    if (!isfinite(start) || !isfinite(dur) || start < 0 || dur <= 0 || start + dur > 1e9)
        return ps_err_set(err, "%s: '%s': a window starts at 0 or later and lasts more than 0 s",
                          key, w->what);
    if (!is_down && (!isfinite(factor) || factor < 1 || factor > 1e6))
        return ps_err_set(err, "%s: '%s': the factor must be in 1..1000000 (times slower)", key,
                          w->what);
    w->start = start;
    w->end = start + dur;
    w->factor = factor;
    return parse_target(e, key, is_down, servers, workers, w, err);
}

int ps_fault_windows_parse(const char *text, const char *key, int is_down, int servers,
                           int workers, ps_fault_window *w, int *n, ps_err *err)
{
    for (const char *p = text; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (!len)
            break;
        if (*n == PS_FAULT_MAX_WINDOWS)
            return ps_err_set(err, "%s: more than %d fault windows", key, PS_FAULT_MAX_WINDOWS);
        if (parse_entry(p, len, key, is_down, servers, workers, &w[*n], err))
            return PS_ERR;
        (*n)++;
        p += len;
    }
    return PS_OK;
}
