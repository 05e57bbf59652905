/* LIBSVM text reader: "label idx:val idx:val ...", one example per line, 1-based
 * ascending indices. Every problem is reported with the file, the line and what
 * was wrong; nothing is half-loaded. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/mem.h"
#include "engine/data/dataset_impl.h"

typedef struct csr_builder {
    uint64_t rows, nnz, cap_rows, cap_nnz;
    uint64_t *row_ptr;
    uint32_t *idx;
    float *val, *label;
    uint32_t max_idx;
} csr_builder;

static int csr_reserve(csr_builder *b)
{
    if (b->rows + 2 > b->cap_rows) {
        uint64_t cap = b->cap_rows ? b->cap_rows * 2 : 1024;
        if (ps_resize(&b->row_ptr, cap, sizeof *b->row_ptr) ||
            ps_resize(&b->label, cap, sizeof *b->label))
            return PS_ERR;
        b->cap_rows = cap;
    }
    if (b->nnz + 1 > b->cap_nnz) {
        uint64_t cap = b->cap_nnz ? b->cap_nnz * 2 : 8192;
        if (ps_resize(&b->idx, cap, sizeof *b->idx) || ps_resize(&b->val, cap, sizeof *b->val))
            return PS_ERR;
        b->cap_nnz = cap;
    }
    return PS_OK;
}

static int parse_label(const char *tok, float *label)
{
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    if (end == tok || *end || errno)
        return PS_ERR;
    if (v == 1.0)
        *label = 1.0f;
    else if (v == -1.0 || v == 0.0)
        *label = 0.0f;
    else
        return PS_ERR;
    return PS_OK;
}

/* One "idx:val" token; prev is the previous index of the row (0 = none). */
static int parse_feature(csr_builder *b, char *tok, uint32_t prev, uint32_t n_features,
                         uint32_t *index, ps_err *err)
{
    char *colon = strchr(tok, ':'), *end;
    if (!colon)
        return ps_err_set(err, "'%s' is not index:value (missing ':')", tok);
    *colon = '\0';
    errno = 0;
    unsigned long long ix = strtoull(tok, &end, 10);
    if (end == tok || *end || errno || tok[0] == '-')
        return ps_err_set(err, "index '%s' is not a positive integer", tok);
    if (ix == 0)
        return ps_err_set(err, "index 0 (LIBSVM indices start at 1)");
    if (ix > 0xFFFFFFFEull || (n_features && ix > n_features))
        return ps_err_set(err, "index %llu out of range (%u features)", ix, n_features);
    if (ix <= prev)
        return ps_err_set(err, "index %llu after %u: indices must ascend", ix, prev);
    double v = strtod(colon + 1, &end);
    if (end == colon + 1 || *end || !isfinite(v))
        return ps_err_set(err, "value '%s' of index %llu is not a finite number", colon + 1, ix);
    if (fabs(v) > FLT_MAX) /* finite as a double, infinite once stored as a float */
        return ps_err_set(err, "value '%s' of index %llu overflows a float (at most %g)",
                          colon + 1, ix, (double)FLT_MAX);
    if (csr_reserve(b))
        return ps_err_set(err, "out of memory");
    b->idx[b->nnz] = (uint32_t)(ix - 1);
    b->val[b->nnz++] = (float)v;
    *index = (uint32_t)ix;
    if (ix > b->max_idx)
        b->max_idx = (uint32_t)ix;
    return PS_OK;
}

static int parse_line(csr_builder *b, char *line, uint32_t n_features, ps_err *err)
{
    char *save, *tok = strtok_r(line, " \t\r\n", &save);
    if (!tok || tok[0] == '#')
        return 1; /* blank or comment */
    if (csr_reserve(b))
        return ps_err_set(err, "out of memory");
    if (parse_label(tok, &b->label[b->rows]))
        return ps_err_set(err, "bad label '%s' (expected -1, +1, 0 or 1)", tok);
    uint32_t prev = 0;
    while ((tok = strtok_r(NULL, " \t\r\n", &save)) && tok[0] != '#')
        if (parse_feature(b, tok, prev, n_features, &prev, err))
            return PS_ERR;
    b->rows++;
    b->row_ptr[b->rows] = b->nnz;
    return PS_OK;
}

static void csr_free(csr_builder *b)
{
    free(b->row_ptr);
    free(b->idx);
    free(b->val);
    free(b->label);
}

int ps_dataset_load_libsvm(ps_dataset **out, const char *path, uint32_t n_features, ps_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ps_err_set(err, "%s: %s", path, strerror(errno));
    csr_builder b = {0};
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    int rc = csr_reserve(&b) ? ps_err_set(err, "out of memory") : PS_OK;
    if (rc == PS_OK)
        b.row_ptr[0] = 0;
    while (rc == PS_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (parse_line(&b, line, n_features, err) == PS_ERR)
            rc = ps_err_prefix(err, "%s:%lu: ", path, lineno);
    }
    if (rc == PS_OK && ferror(f))
        rc = ps_err_set(err, "%s: read error: %s", path, strerror(errno));
    if (rc == PS_OK && b.rows == 0)
        rc = ps_err_set(err, "%s: no examples in the file", path);
    free(line);
    fclose(f);
    ps_dataset *d = rc == PS_OK ? calloc(1, sizeof *d) : NULL;
    if (rc == PS_OK && !d)
        rc = ps_err_set(err, "out of memory");
    if (rc) {
        csr_free(&b);
        return PS_ERR;
    }
    *d = (ps_dataset){.kind = PS_DATA_STORED, .rows = b.rows,
                      .n_features = n_features ? n_features : b.max_idx,
                      .row_ptr = b.row_ptr, .idx = b.idx, .val = b.val, .label = b.label};
    *out = d;
    return PS_OK;
}
