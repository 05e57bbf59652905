/* The simulator's timed faults on SimGrid (see fault_sim.h). A slowed link is
 * SimGrid's own model: its bandwidth changes at the window's ends and every flow
 * on it is shared out again. A slowed CPU or disk is a factor on what the node asks
 * of it (the C API of SimGrid 3.32 cannot change a host's speed without pstates in
 * the platform, nor a disk's bandwidth). A link down holds what would cross it:
 * turning it off would fail the comms on it with an exception that SimGrid's C
 * wait-any lets through, aborting the process. */
#include "sim/fault_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <xbt/dynar.h>

/* The route's links into *d (emptied first). */
static void route_links(sg_host_t a, sg_host_t b, xbt_dynar_t d)
{
    xbt_dynar_reset(d);
    sg_host_get_route(a, b, d);
}

/* link:NAME: that link, or a SPLITDUPLEX link's two halves NAME_UP and NAME_DOWN. */
static int named_links(const char *name, sg_link_t out[2], int *n, const char *what, ps_err *err)
{
    size_t count = sg_link_count(), len = strlen(name);
    sg_link_t *all = sg_link_list();
    *n = 0;
    for (size_t i = 0; i < count && *n < 2; i++) {
        const char *ln = sg_link_get_name(all[i]);
        if (!strcmp(ln, name)) {
            out[0] = all[i];
            *n = 1;
            break;
        }
        if (!strncmp(ln, name, len) && (!strcmp(ln + len, "_UP") || !strcmp(ln + len, "_DOWN")))
            out[(*n)++] = all[i];
    }
    free(all);
    return *n ? PS_OK : ps_err_set(err, "%s: the platform has no link '%s'", what, name);
}

/* A node's own links, by the names of pslab's platforms (sim/platform.c): host I's
 * link is linkI (SPLITDUPLEX: linkI_UP, linkI_DOWN). Found by name rather than by
 * routes, which SimGrid 3.32 cannot give before the simulation starts for a host
 * without links. */
static int own_links(sg_host_t h, sg_link_t out[2], int *n, const char *what, ps_err *err)
{
    const char *name = sg_host_get_name(h);
    unsigned idx;
    int used = 0;
    char link[32];
    if (sscanf(name, "host%u%n", &idx, &used) != 1 || name[used])
        return ps_err_set(err, "%s: host %s is not one of pslab's platform hosts (hostI, whose "
                          "link is linkI); name its link with link:NAME", what, name);
    snprintf(link, sizeof link, "link%u", idx);
    if (named_links(link, out, n, what, err))
        return ps_err_set(err, "%s: host %s has no link of its own (platform.worker_links = 0 "
                          "gives workers none); name one with link:NAME", what, name);
    return PS_OK;
}

int ps_simf_init(ps_simf *f, const ps_fault_window *w, int n, double offset,
                 sg_host_t *hosts, size_t n_hosts, int nodes, ps_err *err)
{
    memset(f, 0, sizeof *f);
    if (n == 0)
        return PS_OK;
    if (!(f->win = calloc((size_t)n, sizeof *f->win)))
        return ps_err_set(err, "sim: out of memory for %d fault windows", n);
    for (int i = 0; i < n; i++) {
        ps_simf_win *v = &f->win[f->n++];
        v->w = w[i];
        v->w.start -= offset;
        v->w.end -= offset;
        ps_fault_kind k = v->w.kind;
        f->any_cpu |= k == PS_FAULT_SLOW_CPU;
        f->any_disk |= k == PS_FAULT_SLOW_DISK;
        f->n_down += k == PS_FAULT_LINK_DOWN;
        f->n_slow_link += k == PS_FAULT_SLOW_LINK;
        if (k != PS_FAULT_SLOW_LINK && k != PS_FAULT_LINK_DOWN)
            continue;
        char what[200];
        snprintf(what, sizeof what, "fault.%s %s", k == PS_FAULT_LINK_DOWN ? "link_down" : "slow",
                 v->w.what);
        if (v->w.node >= 0)
            v->host = hosts[(size_t)v->w.node % n_hosts];
        int rc = v->w.node >= nodes ? ps_err_set(err, "%s: no node %d", what, v->w.node)
                 : v->w.node < 0    ? named_links(v->w.link, v->links, &v->n_links, what, err)
                 : k == PS_FAULT_LINK_DOWN ? PS_OK /* held by host: no link needed */
                                    : own_links(v->host, v->links, &v->n_links, what, err);
        if (rc) {
            ps_simf_free(f);
            return PS_ERR;
        }
        for (int j = 0; j < v->n_links; j++)
            v->base_bw[j] = sg_link_get_bandwidth(v->links[j]);
    }
    return PS_OK;
}

double ps_simf_factor(const ps_simf *f, ps_fault_kind kind, int node, double now, double *next)
{
    double x = 1, change = INFINITY;
    for (int i = 0; i < f->n; i++) {
        const ps_fault_window *w = &f->win[i].w;
        if (w->kind != kind || w->node != node)
            continue;
        if (w->start <= now && now < w->end) {
            x *= w->factor;
            change = w->end < change ? w->end : change;
        } else if (w->start > now && w->start < change) {
            change = w->start;
        }
    }
    if (next)
        *next = change;
    return x;
}

double ps_simf_down_until(const ps_simf *f, sg_host_t from, sg_host_t to, double now)
{
    double until = 0;
    xbt_dynar_t d = NULL;
    if (from == to)
        return 0; /* no link between a host's own actors */
    for (int i = 0; i < f->n; i++) {
        const ps_simf_win *v = &f->win[i];
        if (v->w.kind != PS_FAULT_LINK_DOWN || now < v->w.start || now >= v->w.end ||
            v->w.end <= until)
            continue;
        if (v->host) { /* a node's own links: what leaves or reaches its host */
            if (from == v->host || to == v->host)
                until = v->w.end;
            continue;
        }
        if (!d) { /* during the simulation, when SimGrid has every route */
            d = xbt_dynar_new(sizeof(sg_link_t), NULL);
            route_links(from, to, d);
        }
        unsigned long m = xbt_dynar_length(d);
        for (unsigned long j = 0; j < m; j++) {
            sg_link_t l = xbt_dynar_get_as(d, j, sg_link_t);
            if (l == v->links[0] || (v->n_links > 1 && l == v->links[1])) {
                until = v->w.end;
                break;
            }
        }
    }
    if (d)
        xbt_dynar_free(&d);
    return until;
}

/* Every slowed link's bandwidth as the windows in force at `now` make it. */
static void set_bandwidths(ps_simf *f, double now)
{
    for (int i = 0; i < f->n; i++) {
        ps_simf_win *v = &f->win[i];
        for (int j = 0; v->w.kind == PS_FAULT_SLOW_LINK && j < v->n_links; j++) {
            double x = 1;
            for (int k = 0; k < f->n; k++) {
                const ps_simf_win *u = &f->win[k];
                if (u->w.kind == PS_FAULT_SLOW_LINK && u->w.start <= now && now < u->w.end &&
                    (u->links[0] == v->links[j] || (u->n_links > 1 && u->links[1] == v->links[j])))
                    x *= u->w.factor;
            }
            sg_link_set_bandwidth(v->links[j], v->base_bw[j] / x);
        }
    }
}

static void driver_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    ps_simf *f = sg_actor_self_get_data();
    sg_actor_daemonize(sg_actor_self()); /* the run ends when the engine's actors do */
    for (;;) {
        double now = simgrid_get_clock(), next = INFINITY;
        set_bandwidths(f, now);
        for (int i = 0; i < f->n; i++) {
            const ps_fault_window *w = &f->win[i].w;
            if (w->kind != PS_FAULT_SLOW_LINK)
                continue;
            if (w->start > now && w->start < next)
                next = w->start;
            if (w->end > now && w->end < next)
                next = w->end;
        }
        if (!isfinite(next))
            return;
        sg_actor_sleep_for(next - now);
    }
}

void ps_simf_start(ps_simf *f, sg_host_t host)
{
    if (!f->n_slow_link)
        return;
    sg_actor_t act = sg_actor_init("ps.faults", host);
    sg_actor_set_data(act, f);
    sg_actor_start_(act, driver_main, 0, NULL);
}

void ps_simf_free(ps_simf *f)
{
    free(f->win);
    memset(f, 0, sizeof *f);
}
