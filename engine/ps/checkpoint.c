/* Server checkpoints; see checkpoint.h. A file is a header, then per table its
 * shape and the values the store holds (a dense shard as its key range, a sparse
 * one as the keys written so far with their values), then an end mark, so that a
 * file cut short is told from a whole one. Native byte order: a checkpoint is
 * resumed by the machine, or the cluster of one kind, that wrote it. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "engine/ps/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/ps/outputs.h"

#define CKPT_MAGIC "PSLBCKP1"
#define CKPT_DELTA_MAGIC "PSLBDLT1" /* then ckpt_header's fields, then ckpt_chain */
#define CKPT_END "PSLBEND1"
#define CKPT_CHUNK (1u << 20) /* keys read or set at a time */

typedef struct ckpt_header {
    char magic[8];
    int32_t server, n_servers, clock, n_tables;
    double time_s;
    uint64_t seed;
} ckpt_header;

typedef struct ckpt_chain {
    int32_t base, full; /* a delta's: the checkpoint it is on, its chain's full one */
} ckpt_chain;

#define CKPT_DENSE_DELTA 2u /* ckpt_table.dense: a bitmap of keys, then their values */

typedef struct ckpt_table {
    uint32_t vpk, dense;
    uint64_t n, lo; /* keys; a dense shard's first */
} ckpt_table;

static void ckpt_path(char *out, size_t n, const char *dir, int s, const char *which)
{
    snprintf(out, n, "%s/checkpoint/server%d%s.ckpt", dir, s, which);
}

static void delta_path(char *out, size_t n, const char *dir, int s, int32_t clock)
{
    snprintf(out, n, "%s/checkpoint/server%d.d%d.ckpt", dir, s, clock);
}

/* m values of a delta: in buf already (copied from view), or read by key. */
static int flush_values(FILE *f, ps_server_table *T, const uint64_t *keys, float *buf,
                        const float *view, uint32_t *m, ps_err *err)
{
    if (!view && ps_server_table_get(T, keys, NULL, 0, *m, buf, err))
        return PS_ERR;
    fwrite(buf, sizeof *buf, (size_t)*m * T->vpk, f);
    *m = 0;
    return PS_OK;
}

/* A dense shard's keys written since the last checkpoint: its bitmap, then their
 * values in key order, copied from the store's own memory when it keeps them so
 * (the mem store), else read by key; the bitmap's empty bytes are skipped whole. */
static int write_dense_delta(FILE *f, ps_server_table *T, ps_err *err)
{
    uint64_t n = T->hi - T->lo;
    ckpt_table h = {.vpk = T->vpk, .dense = CKPT_DENSE_DELTA, .lo = T->lo, .n = n};
    size_t bytes = (size_t)((n + 7) / 8);
    if (n % 8) /* the bits past the shard's end (a zeroed shard sets them) are not keys */
        T->dirty[bytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
    fwrite(&h, sizeof h, 1, f);
    fwrite(T->dirty, 1, bytes, f);
    const float *view = n <= UINT32_MAX ? ps_server_table_view(T, T->lo, (uint32_t)n) : NULL;
    uint64_t *keys = malloc((size_t)CKPT_CHUNK * sizeof *keys);
    float *buf = malloc((size_t)CKPT_CHUNK * T->vpk * sizeof *buf);
    int rc = keys && buf ? PS_OK : ps_err_set(err, "out of memory writing a checkpoint");
    uint32_t m = 0, v = T->vpk;
    for (size_t b = 0; rc == PS_OK && b < bytes; b++)
        for (unsigned bit = 0; rc == PS_OK && T->dirty[b] >> bit; bit++) {
            if (!(T->dirty[b] >> bit & 1))
                continue;
            uint64_t k = (uint64_t)b * 8 + bit;
            if (view)
                memcpy(buf + (size_t)m * v, view + k * v, v * sizeof *buf);
            keys[m++] = T->lo + k;
            if (m == CKPT_CHUNK)
                rc = flush_values(f, T, keys, buf, view, &m, err);
        }
    if (rc == PS_OK && m)
        rc = flush_values(f, T, keys, buf, view, &m, err);
    free(keys);
    free(buf);
    return rc;
}

/* A dense shard, CKPT_CHUNK keys at a time through buf. */
static int write_dense(FILE *f, ps_server_table *T, float *buf, ps_err *err)
{
    for (uint64_t at = T->lo; at < T->hi; at += CKPT_CHUNK) {
        uint32_t n = (uint32_t)(T->hi - at < CKPT_CHUNK ? T->hi - at : CKPT_CHUNK);
        if (ps_server_table_get(T, NULL, NULL, at, n, buf, err))
            return PS_ERR;
        fwrite(buf, sizeof *buf, (size_t)n * T->vpk, f);
    }
    return PS_OK;
}

static int write_table(FILE *f, ps_server_table *T, int delta, ps_err *err)
{
    if (delta && T->dense && T->dirty)
        return write_dense_delta(f, T, err);
    ckpt_table h = {.vpk = T->vpk, .dense = (uint32_t)T->dense, .lo = T->lo};
    if (T->dense) {
        float *buf = malloc((size_t)CKPT_CHUNK * T->vpk * sizeof *buf);
        if (!buf)
            return ps_err_set(err, "out of memory writing a checkpoint");
        h.n = T->hi - T->lo;
        fwrite(&h, sizeof h, 1, f);
        int rc = write_dense(f, T, buf, err);
        free(buf);
        return rc;
    }
    uint64_t *keys = NULL;
    float *vals = NULL;
    if (ps_server_table_dump(T, &keys, &vals, &h.n, err))
        return PS_ERR;
    fwrite(&h, sizeof h, 1, f);
    fwrite(keys, sizeof *keys, h.n, f);
    fwrite(vals, sizeof *vals, h.n * T->vpk, f);
    free(keys);
    free(vals);
    return PS_OK;
}

/* The whole file into f: header (a delta's chain after it), tables, end mark;
 * the shards' written keys are cleared for the next delta. */
static int ckpt_encode(FILE *f, const ps_run *r, int s, int32_t clock, double time_s,
                       const ps_checkpoint_delta *delta, ps_server_table *tables, int n_tables,
                       ps_err *err)
{
    ckpt_header h = {.server = s, .n_servers = r->n_servers, .clock = clock,
                     .n_tables = n_tables, .time_s = time_s, .seed = r->cfg->seed};
    memcpy(h.magic, delta ? CKPT_DELTA_MAGIC : CKPT_MAGIC, sizeof h.magic);
    fwrite(&h, sizeof h, 1, f);
    if (delta) {
        ckpt_chain c = {delta->base, delta->full};
        fwrite(&c, sizeof c, 1, f);
    }
    int rc = PS_OK;
    for (int t = 0; rc == PS_OK && t < n_tables; t++)
        rc = write_table(f, &tables[t], delta != NULL, err);
    for (int t = 0; t < n_tables; t++)
        ps_server_table_dirty_clear(&tables[t]);
    fwrite(CKPT_END, 1, 8, f);
    return rc;
}

/* The clock of a directory entry that is server s's delta (serverS.dCLOCK.ckpt), or -1. */
static int32_t delta_clock(const char *name, int s)
{
    char prefix[64];
    int32_t c;
    int used = 0;
    size_t pl = (size_t)snprintf(prefix, sizeof prefix, "server%d.d", s);
    if (strncmp(name, prefix, pl) || sscanf(name + pl, "%d.ckpt%n", &c, &used) != 1 ||
        name[pl + (size_t)used] || c < 0)
        return -1;
    return c;
}

/* Removes server s's deltas of clocks in (after, upto]: a chain whose full one is
 * gone, or (a restarted run) a history its resumed clock left behind. */
static void remove_deltas(const char *dir, int s, int32_t after, int32_t upto)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/checkpoint", dir);
    DIR *d = opendir(sub);
    for (struct dirent *e; d && (e = readdir(d));) {
        int32_t c = delta_clock(e->d_name, s);
        if (c < 0 || c <= after || c > upto)
            continue;
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", sub, e->d_name);
        remove(path);
    }
    if (d)
        closedir(d);
}

/* The clock of server s's current full checkpoint, or -1. */
static int32_t full_clock(const char *dir, int s)
{
    char path[4300];
    ckpt_header h;
    ckpt_path(path, sizeof path, dir, s, "");
    FILE *f = fopen(path, "rb");
    int ok = f && fread(&h, sizeof h, 1, f) == 1 && !memcmp(h.magic, CKPT_MAGIC, 8);
    if (f)
        fclose(f);
    return ok ? h.clock : -1;
}

void ps_checkpoint_prune(const char *dir, int s, int32_t after)
{
    remove_deltas(dir, s, after, INT32_MAX);
}

/* Makes the file whole: tmp is renamed to the current one, which becomes the one
 * before. The newest whole one stays until the next is whole, so a set of servers'
 * checkpoints always has a clock in common. */
static int ckpt_rotate(const char *dir, int s, ps_err *err)
{
    char cur[4300], prev[4300], tmp[4300];
    int32_t old = full_clock(dir, s); /* becomes .prev: the deltas up to it go */
    ckpt_path(cur, sizeof cur, dir, s, "");
    ckpt_path(prev, sizeof prev, dir, s, ".prev");
    ckpt_path(tmp, sizeof tmp, dir, s, ".tmp");
    if (rename(cur, prev) && errno != ENOENT)
        return ps_err_set(err, "cannot keep %s as %s: %s", cur, prev, strerror(errno));
    if (rename(tmp, cur))
        return ps_err_set(err, "cannot rename %s to %s: %s", tmp, cur, strerror(errno));
    if (old >= 0)
        remove_deltas(dir, s, -1, old);
    return PS_OK;
}

/* A delta is whole once renamed from its temporary file into place. */
static int ckpt_place(const char *dir, int s, int32_t clock, int delta, ps_err *err)
{
    if (!delta)
        return ckpt_rotate(dir, s, err);
    char tmp[4300], path[4300];
    ckpt_path(tmp, sizeof tmp, dir, s, ".tmp");
    delta_path(path, sizeof path, dir, s, clock);
    if (rename(tmp, path))
        return ps_err_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    return PS_OK;
}

/* Opens RUN_DIR/checkpoint/serverS.tmp.ckpt to write. */
static FILE *ckpt_open_tmp(const char *dir, int s, char *tmp, size_t n, ps_err *err)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/checkpoint", dir);
    if (ps_outputs_mkdir(sub, err))
        return NULL;
    ckpt_path(tmp, n, dir, s, ".tmp");
    FILE *f = fopen(tmp, "wb");
    if (!f)
        ps_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    return f;
}

int ps_checkpoint_write(const ps_run *r, int s, int32_t clock, double time_s,
                        const ps_checkpoint_delta *delta, ps_server_table *tables, int n_tables,
                        uint64_t *bytes, ps_err *err)
{
    char tmp[4300];
    FILE *f = ckpt_open_tmp(r->out_dir, s, tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    int rc = ckpt_encode(f, r, s, clock, time_s, delta, tables, n_tables, err);
    long size = ftell(f);
    int bad = ferror(f);
    if (fclose(f) || bad)
        rc = rc ? rc : ps_err_set(err, "error writing %s (is the disk full?)", tmp);
    if (rc == PS_OK)
        rc = ckpt_place(r->out_dir, s, clock, delta != NULL, err);
    if (rc)
        remove(tmp);
    *bytes = size > 0 ? (uint64_t)size : 0;
    return rc;
}

int ps_checkpoint_take(const ps_run *r, int s, int32_t clock, double time_s,
                       const ps_checkpoint_delta *delta, ps_server_table *tables, int n_tables,
                       ps_checkpoint_image *im, ps_err *err)
{
    memset(im, 0, sizeof *im);
    snprintf(im->dir, sizeof im->dir, "%s", r->out_dir);
    im->server = s;
    im->clock = clock;
    im->delta = delta != NULL;
    FILE *f = open_memstream(&im->buf, &im->len);
    if (!f)
        return ps_err_set(err, "out of memory copying a checkpoint");
    int rc = ckpt_encode(f, r, s, clock, time_s, delta, tables, n_tables, err);
    if (fclose(f) && rc == PS_OK)
        rc = ps_err_set(err, "out of memory copying a checkpoint");
    if (rc) {
        free(im->buf);
        im->buf = NULL;
    }
    return rc;
}

int ps_checkpoint_commit(ps_checkpoint_image *im, ps_err *err)
{
    char tmp[4300];
    FILE *f = ckpt_open_tmp(im->dir, im->server, tmp, sizeof tmp, err);
    int rc = f ? PS_OK : PS_ERR;
    if (f) {
        size_t put = fwrite(im->buf, 1, im->len, f);
        if (fclose(f) || put != im->len)
            rc = ps_err_set(err, "error writing %s (is the disk full?)", tmp);
    }
    if (rc == PS_OK)
        rc = ckpt_place(im->dir, im->server, im->clock, im->delta, err);
    else if (f)
        remove(tmp);
    free(im->buf);
    im->buf = NULL;
    return rc;
}

/* Opens path and checks its header against r and server s (a delta's: its magic
 * and chain, read into *chain); NULL (no error) when it does not exist. */
static FILE *ckpt_open(const char *path, const ps_run *r, int s, ckpt_header *h,
                       ckpt_chain *chain, ps_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT)
            ps_err_set(err, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *bad = NULL;
    if (fread(h, sizeof *h, 1, f) != 1 ||
        memcmp(h->magic, chain ? CKPT_DELTA_MAGIC : CKPT_MAGIC, sizeof h->magic) ||
        (chain && fread(chain, sizeof *chain, 1, f) != 1))
        bad = "is not a pslab checkpoint";
    else if (h->server != s || h->n_servers != r->n_servers || h->n_tables != r->n_tables)
        bad = "is of another cluster or model (server, servers or tables differ)";
    else if (h->seed != r->cfg->seed)
        bad = "was written with another run.seed";
    else if (h->clock < 0 || h->clock > r->total_clocks ||
             (chain && (chain->full < 0 || chain->base < chain->full || chain->base >= h->clock)))
        bad = "has a clock outside the run";
    if (bad) {
        fclose(f);
        ps_err_set(err, "%s %s", path, bad);
        return NULL;
    }
    return f;
}

/* Whether the file ends with the end mark where it should (its size says). */
static int ckpt_whole(FILE *f)
{
    char end[8];
    return fseek(f, -8, SEEK_END) == 0 && fread(end, 1, 8, f) == 8 && !memcmp(end, CKPT_END, 8);
}

/* A clock a server can be restored to: a full checkpoint's (full == clock), or a
 * delta's whose chain back to its full one is whole. */
typedef struct ckpt_point {
    int32_t clock, full, base;
    double time_s;
} ckpt_point;

static int point_cmp(const void *a, const void *b)
{
    const ckpt_point *x = a, *y = b;
    return (x->clock > y->clock) - (x->clock < y->clock);
}

static int have_point(const ckpt_point *p, int n, int32_t clock, int32_t full)
{
    for (int i = 0; i < n; i++)
        if (p[i].clock == clock && (full < 0 || p[i].full == full))
            return i;
    return -1;
}

/* Server s's deltas in dir (a cut or foreign one is an error), by clock. */
static int scan_deltas(const char *dir, const ps_run *r, int s, ckpt_point **out, int *n,
                       ps_err *err)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/checkpoint", dir);
    int cap = 0, rc = PS_OK;
    *out = NULL;
    *n = 0;
    DIR *d = opendir(sub);
    for (struct dirent *e; rc == PS_OK && d && (e = readdir(d));) {
        int32_t c = delta_clock(e->d_name, s);
        if (c < 0)
            continue;
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", sub, e->d_name);
        ckpt_header h;
        ckpt_chain ch;
        FILE *f = ckpt_open(path, r, s, &h, &ch, err);
        if (!f) {
            rc = PS_ERR;
            break;
        }
        if (!ckpt_whole(f) || h.clock != c)
            rc = ps_err_set(err, "%s is cut short (no end mark) or misnamed", path);
        fclose(f);
        if (rc == PS_OK && *n == cap) {
            cap = cap ? 2 * cap : 16;
            ckpt_point *p = realloc(*out, (size_t)cap * sizeof *p);
            rc = p ? PS_OK : ps_err_set(err, "out of memory resuming");
            if (p)
                *out = p;
        }
        if (rc == PS_OK)
            (*out)[(*n)++] = (ckpt_point){h.clock, ch.full, ch.base, h.time_s};
    }
    if (d)
        closedir(d);
    if (rc == PS_OK && *n)
        qsort(*out, (size_t)*n, sizeof **out, point_cmp);
    return rc;
}

/* Every clock server s can be restored to: its two full checkpoints, then each
 * delta on one of them or on a delta of the same chain already found. */
static int server_points(const char *dir, const ps_run *r, int s, ckpt_point **out, int *n,
                         ps_err *err)
{
    ckpt_point *d = NULL, *p = malloc(2 * sizeof *p);
    int nd = 0;
    if (!p)
        return ps_err_set(err, "out of memory resuming");
    *n = 0;
    for (int k = 0; k < 2; k++) {
        char path[4300];
        ckpt_header h;
        ckpt_path(path, sizeof path, dir, s, k ? ".prev" : "");
        err->msg[0] = 0;
        FILE *f = ckpt_open(path, r, s, &h, NULL, err);
        int bad = !f && err->msg[0], cut = f && !ckpt_whole(f);
        if (f)
            fclose(f);
        if (cut)
            ps_err_set(err, "%s is cut short (no end mark)", path);
        if (bad || cut) {
            free(d);
            free(p);
            return PS_ERR;
        }
        if (f)
            p[(*n)++] = (ckpt_point){h.clock, h.clock, h.clock, h.time_s};
    }
    int rc = scan_deltas(dir, r, s, &d, &nd, err);
    ckpt_point *grown = rc == PS_OK ? realloc(p, (size_t)(nd + 2) * sizeof *p) : NULL;
    if (!grown) {
        free(d);
        free(p);
        return rc ? PS_ERR : ps_err_set(err, "out of memory resuming");
    }
    p = grown;
    for (int i = 0; i < nd; i++)
        if (have_point(p, *n, d[i].full, d[i].full) >= 0 &&
            have_point(p, *n, d[i].base, d[i].full) >= 0 && have_point(p, *n, d[i].clock, -1) < 0)
            p[(*n)++] = d[i];
    free(d);
    *out = p;
    return PS_OK;
}

int ps_checkpoint_find(const char *dir, const ps_run *r, int32_t *clock, double *time_s,
                       ps_err *err)
{
    ckpt_point **pts = calloc((size_t)r->n_servers, sizeof *pts);
    int *np = calloc((size_t)r->n_servers, sizeof *np), rc = PS_OK;
    if (!pts || !np)
        rc = ps_err_set(err, "out of memory resuming");
    for (int s = 0; rc == PS_OK && s < r->n_servers; s++)
        rc = server_points(dir, r, s, &pts[s], &np[s], err);
    /* the newest clock every server can be restored to */
    int32_t best = -1;
    double best_t = 0;
    for (int i = 0; rc == PS_OK && i < np[0]; i++) {
        int32_t c = pts[0][i].clock;
        double t = pts[0][i].time_s;
        int all = c > best;
        for (int s = 1; all && s < r->n_servers; s++) {
            int j = have_point(pts[s], np[s], c, -1);
            all = j >= 0;
            if (all && pts[s][j].time_s > t)
                t = pts[s][j].time_s;
        }
        if (all) {
            best = c;
            best_t = t;
        }
    }
    for (int s = 0; pts && s < r->n_servers; s++)
        free(pts[s]);
    free(pts);
    free(np);
    if (rc)
        return PS_ERR;
    if (best >= 0) {
        *clock = best;
        *time_s = best_t;
        return PS_OK;
    }
    ps_err_set(err, "%s/checkpoint has no clock that every one of the %d servers "
               "checkpointed (was fault.checkpoint_every set?)", dir, r->n_servers);
    return PS_CHECKPOINT_NONE;
}

/* Reads n values (and keys) of a table into the shard, CKPT_CHUNK keys at a time. */
static int load_table(FILE *f, const char *path, int t, ps_server_table *T, const ckpt_table *h,
                      ps_err *err)
{
    uint64_t *keys = h->dense ? NULL : malloc((h->n ? h->n : 1) * sizeof *keys);
    float *vals = malloc((size_t)CKPT_CHUNK * T->vpk * sizeof *vals);
    int rc = vals && (h->dense || keys) ? PS_OK : ps_err_set(err, "out of memory resuming");
    if (rc == PS_OK && keys && fread(keys, sizeof *keys, h->n, f) != h->n)
        rc = ps_err_set(err, "%s: table %d's keys are cut short", path, t);
    for (uint64_t i = 0; keys && rc == PS_OK && i < h->n; i++)
        if (keys[i] >= T->rt->spec.n_keys)
            rc = ps_err_set(err, "%s: table %d has key %llu, out of its range", path,
                            t, (unsigned long long)keys[i]);
    for (uint64_t at = 0; rc == PS_OK && at < h->n; at += CKPT_CHUNK) {
        uint32_t n = (uint32_t)(h->n - at < CKPT_CHUNK ? h->n - at : CKPT_CHUNK);
        if (fread(vals, sizeof *vals, (size_t)n * T->vpk, f) != (size_t)n * T->vpk)
            rc = ps_err_set(err, "%s: table %d's values are cut short", path, t);
        else
            rc = ps_server_table_set(T, keys ? keys + at : NULL, h->lo + at, n, vals, err);
    }
    free(keys);
    free(vals);
    return rc;
}

/* A dense shard's delta: its bitmap, then the values of the keys it sets. */
static int load_dense_delta(FILE *f, const char *path, int t, ps_server_table *T, ps_err *err)
{
    uint64_t n = T->hi - T->lo;
    size_t bytes = (size_t)((n + 7) / 8);
    uint8_t *bits = malloc(bytes ? bytes : 1);
    uint64_t *keys = malloc((size_t)CKPT_CHUNK * sizeof *keys);
    float *vals = malloc((size_t)CKPT_CHUNK * T->vpk * sizeof *vals);
    int rc = bits && keys && vals ? PS_OK : ps_err_set(err, "out of memory resuming");
    if (rc == PS_OK && fread(bits, 1, bytes, f) != bytes)
        rc = ps_err_set(err, "%s: table %d's written keys are cut short", path, t);
    uint32_t m = 0;
    for (uint64_t k = 0; rc == PS_OK && k <= n; k++) {
        if (k < n && (bits[k >> 3] >> (k & 7) & 1))
            keys[m++] = T->lo + k;
        if (m && (m == CKPT_CHUNK || k == n)) {
            if (fread(vals, sizeof *vals, (size_t)m * T->vpk, f) != (size_t)m * T->vpk)
                rc = ps_err_set(err, "%s: table %d's values are cut short", path, t);
            else
                rc = ps_server_table_set(T, keys, 0, m, vals, err);
            m = 0;
        }
    }
    free(bits);
    free(keys);
    free(vals);
    return rc;
}

/* Sets the shards from the file at path (a delta's after its chain). */
static int load_file(const char *path, const ps_run *r, int s, int delta, ps_server_table *tables,
                     int n_tables, ps_err *err)
{
    ckpt_header h;
    ckpt_chain ch;
    err->msg[0] = 0;
    FILE *f = ckpt_open(path, r, s, &h, delta ? &ch : NULL, err);
    if (!f)
        return err->msg[0] ? PS_ERR : ps_err_set(err, "%s is gone", path);
    int rc = PS_OK;
    for (int t = 0; rc == PS_OK && t < n_tables; t++) {
        ps_server_table *T = &tables[t];
        ckpt_table th;
        int dd = delta && T->dense;
        if (fread(&th, sizeof th, 1, f) != 1)
            rc = ps_err_set(err, "%s: cut short at table %d", path, t);
        else if (th.vpk != T->vpk ||
                 th.dense != (dd ? CKPT_DENSE_DELTA : (uint32_t)T->dense) ||
                 (T->dense && (th.lo != T->lo || th.n != T->hi - T->lo)) ||
                 (!T->dense && th.n > T->rt->spec.n_keys))
            rc = ps_err_set(err, "%s: table %d's shape (%llu keys from %llu, %u values each) is "
                            "not this server's shard", path, t, (unsigned long long)th.n,
                            (unsigned long long)th.lo, th.vpk);
        else
            rc = dd ? load_dense_delta(f, path, t, T, err) : load_table(f, path, t, T, &th, err);
    }
    fclose(f);
    return rc;
}

int ps_checkpoint_load(const ps_run *r, int s, int32_t clock, ps_server_table *tables,
                       int n_tables, ps_err *err)
{
    ckpt_point *p = NULL;
    int n = 0;
    if (server_points(r->out_dir, r, s, &p, &n, err))
        return PS_ERR;
    int at = have_point(p, n, clock, -1), rc = PS_OK;
    char path[4300];
    if (at < 0) {
        free(p);
        return ps_err_set(err, "server %d has no checkpoint at clock %d", s, clock);
    }
    int32_t full = p[at].full;
    ckpt_header h;
    ckpt_path(path, sizeof path, r->out_dir, s, "");
    FILE *f = fopen(path, "rb");
    int cur = f && fread(&h, sizeof h, 1, f) == 1 && h.clock == full;
    if (f)
        fclose(f);
    ckpt_path(path, sizeof path, r->out_dir, s, cur ? "" : ".prev");
    rc = load_file(path, r, s, 0, tables, n_tables, err);
    /* the chain's deltas in clock order (server_points sorted them so) up to clock */
    for (int i = 0; rc == PS_OK && i < n; i++)
        if (p[i].full == full && p[i].clock != full && p[i].clock <= clock) {
            delta_path(path, sizeof path, r->out_dir, s, p[i].clock);
            rc = load_file(path, r, s, 1, tables, n_tables, err);
        }
    free(p);
    return rc;
}
