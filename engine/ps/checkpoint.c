/* Server checkpoints; see checkpoint.h. A file is a header, then per table its
 * shape and the values the store holds (a dense shard as its key range, a sparse
 * one as the keys written so far with their values), then an end mark, so that a
 * file cut short is told from a whole one. Native byte order: a checkpoint is
 * resumed by the machine, or the cluster of one kind, that wrote it. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "engine/ps/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/ps/outputs.h"

#define CKPT_MAGIC "PSLBCKP1"
#define CKPT_END "PSLBEND1"
#define CKPT_CHUNK (1u << 20) /* keys read or set at a time */

typedef struct ckpt_header {
    char magic[8];
    int32_t server, n_servers, clock, n_tables;
    double time_s;
    uint64_t seed;
} ckpt_header;

typedef struct ckpt_table {
    uint32_t vpk, dense;
    uint64_t n, lo; /* keys; a dense shard's first */
} ckpt_table;

static void ckpt_path(char *out, size_t n, const char *dir, int s, const char *which)
{
    snprintf(out, n, "%s/checkpoint/server%d%s.ckpt", dir, s, which);
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

static int write_table(FILE *f, ps_server_table *T, ps_err *err)
{
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

/* The whole file into f: header, tables, end mark. */
static int ckpt_encode(FILE *f, const ps_run *r, int s, int32_t clock, double time_s,
                       ps_server_table *tables, int n_tables, ps_err *err)
{
    ckpt_header h = {.server = s, .n_servers = r->n_servers, .clock = clock,
                     .n_tables = n_tables, .time_s = time_s, .seed = r->cfg->seed};
    memcpy(h.magic, CKPT_MAGIC, sizeof h.magic);
    fwrite(&h, sizeof h, 1, f);
    int rc = PS_OK;
    for (int t = 0; rc == PS_OK && t < n_tables; t++)
        rc = write_table(f, &tables[t], err);
    fwrite(CKPT_END, 1, 8, f);
    return rc;
}

/* Makes the file whole: tmp is renamed to the current one, which becomes the one
 * before. The newest whole one stays until the next is whole, so a set of servers'
 * checkpoints always has a clock in common. */
static int ckpt_rotate(const char *dir, int s, ps_err *err)
{
    char cur[4300], prev[4300], tmp[4300];
    ckpt_path(cur, sizeof cur, dir, s, "");
    ckpt_path(prev, sizeof prev, dir, s, ".prev");
    ckpt_path(tmp, sizeof tmp, dir, s, ".tmp");
    if (rename(cur, prev) && errno != ENOENT)
        return ps_err_set(err, "cannot keep %s as %s: %s", cur, prev, strerror(errno));
    if (rename(tmp, cur))
        return ps_err_set(err, "cannot rename %s to %s: %s", tmp, cur, strerror(errno));
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
                        ps_server_table *tables, int n_tables, uint64_t *bytes, ps_err *err)
{
    char tmp[4300];
    FILE *f = ckpt_open_tmp(r->out_dir, s, tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    int rc = ckpt_encode(f, r, s, clock, time_s, tables, n_tables, err);
    long size = ftell(f);
    int bad = ferror(f);
    if (fclose(f) || bad)
        rc = rc ? rc : ps_err_set(err, "error writing %s (is the disk full?)", tmp);
    if (rc == PS_OK)
        rc = ckpt_rotate(r->out_dir, s, err);
    if (rc)
        remove(tmp);
    *bytes = size > 0 ? (uint64_t)size : 0;
    return rc;
}

int ps_checkpoint_take(const ps_run *r, int s, int32_t clock, double time_s,
                       ps_server_table *tables, int n_tables, ps_checkpoint_image *im,
                       ps_err *err)
{
    memset(im, 0, sizeof *im);
    snprintf(im->dir, sizeof im->dir, "%s", r->out_dir);
    im->server = s;
    FILE *f = open_memstream(&im->buf, &im->len);
    if (!f)
        return ps_err_set(err, "out of memory copying a checkpoint");
    int rc = ckpt_encode(f, r, s, clock, time_s, tables, n_tables, err);
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
        rc = ckpt_rotate(im->dir, im->server, err);
    else if (f)
        remove(tmp);
    free(im->buf);
    im->buf = NULL;
    return rc;
}

/* Opens path and checks its header against r and server s; NULL (no error) when
 * it does not exist. */
static FILE *ckpt_open(const char *path, const ps_run *r, int s, ckpt_header *h, ps_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT)
            ps_err_set(err, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *bad = NULL;
    if (fread(h, sizeof *h, 1, f) != 1 || memcmp(h->magic, CKPT_MAGIC, sizeof h->magic))
        bad = "is not a pslab checkpoint";
    else if (h->server != s || h->n_servers != r->n_servers || h->n_tables != r->n_tables)
        bad = "is of another cluster or model (server, servers or tables differ)";
    else if (h->seed != r->cfg->seed)
        bad = "was written with another run.seed";
    else if (h->clock < 0 || h->clock > r->total_clocks)
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

int ps_checkpoint_find(const char *dir, const ps_run *r, int32_t *clock, double *time_s,
                       ps_err *err)
{
    int32_t have[2][256];
    double when[2][256];
    if (r->n_servers > 256)
        return ps_err_set(err, "resume: at most 256 servers");
    err->msg[0] = 0;
    for (int s = 0; s < r->n_servers; s++)
        for (int k = 0; k < 2; k++) {
            char path[4300];
            ckpt_header h;
            ckpt_path(path, sizeof path, dir, s, k ? ".prev" : "");
            have[k][s] = -1;
            FILE *f = ckpt_open(path, r, s, &h, err);
            if (!f && err->msg[0])
                return PS_ERR;
            if (f && !ckpt_whole(f)) {
                fclose(f);
                return ps_err_set(err, "%s is cut short (no end mark)", path);
            }
            if (f) {
                have[k][s] = h.clock;
                when[k][s] = h.time_s;
                fclose(f);
            }
        }
    /* the newest clock every server has, in one of its two files */
    for (int k = 0; k < 2; k++) {
        int32_t c = have[k][0];
        double t = 0;
        int all = c >= 0;
        for (int s = 0; all && s < r->n_servers; s++) {
            int j = have[0][s] == c ? 0 : have[1][s] == c ? 1 : -1;
            all = j >= 0;
            if (all && when[j][s] > t)
                t = when[j][s];
        }
        if (all) {
            *clock = c;
            *time_s = t;
            return PS_OK;
        }
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

int ps_checkpoint_load(const ps_run *r, int s, int32_t clock, ps_server_table *tables,
                       int n_tables, ps_err *err)
{
    ckpt_header h;
    FILE *f = NULL;
    char path[4300];
    err->msg[0] = 0;
    for (int k = 0; k < 2 && !f; k++) {
        ckpt_path(path, sizeof path, r->out_dir, s, k ? ".prev" : "");
        if ((f = ckpt_open(path, r, s, &h, err)) && h.clock != clock) {
            fclose(f);
            f = NULL;
        }
        if (!f && err->msg[0])
            return PS_ERR;
    }
    if (!f)
        return ps_err_set(err, "server %d has no checkpoint at clock %d", s, clock);
    int rc = PS_OK;
    for (int t = 0; rc == PS_OK && t < n_tables; t++) {
        ps_server_table *T = &tables[t];
        ckpt_table th;
        if (fread(&th, sizeof th, 1, f) != 1)
            rc = ps_err_set(err, "%s: cut short at table %d", path, t);
        else if (th.vpk != T->vpk || th.dense != (uint32_t)T->dense ||
                 (T->dense && (th.lo != T->lo || th.n != T->hi - T->lo)) ||
                 (!T->dense && th.n > T->rt->spec.n_keys))
            rc = ps_err_set(err, "%s: table %d's shape (%llu keys from %llu, %u values each) is "
                            "not this server's shard", path, t, (unsigned long long)th.n,
                            (unsigned long long)th.lo, th.vpk);
        else
            rc = load_table(f, path, t, T, &th, err);
    }
    fclose(f);
    return rc;
}
