/* The RocksDB store through its ops table: round trips (sparse, dense ranges, keys
 * across block boundaries, unsorted keys, never-written keys), a random sequence
 * checked against a plain array, dump, reopen by another process (clean exit and
 * SIGKILL), and errors that must name the server and the path. */
#include <dirent.h>
#include <rocksdb/c.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/core/rng.h"
#include "engine/index/block_index.h"
#include "real/store_rocksdb.h"
#include "tests/unit/cu_main.h"

extern char **environ;

static const ps_store_ops *OPS = &ps_store_rocksdb_ops;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- scratch directories ---- */

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb))
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static char tmp_root[256];

static int suite_init(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/pslab-rdb-XXXXXX");
    return mkdtemp(tmp_root) ? 0 : 1;
}

static int suite_clean(void)
{
    rm_rf(tmp_root);
    return 0;
}

/* A fresh directory name under the suite's root (not created: the store does it). */
static const char *fresh_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s/db", tmp_root, name);
    return path;
}

static ps_store_spec sparse_spec(const char *dir, uint32_t bk, uint64_t n_keys)
{
    ps_store_spec s = {.dir = dir, .server = 3, .n_keys = n_keys, .block_keys = bk,
                       .cache_bytes = 1 << 20};
    return s;
}

/* ---- round trips ---- */

static void test_sparse_round_trip(void)
{
    ps_store_spec spec = sparse_spec(fresh_dir("sparse"), 4, 1000);
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    /* Unsorted, spanning blocks 0, 1, 4 and 249 (the last one). */
    uint64_t k1[] = {17, 3, 999, 4, 0, 5};
    float d1[] = {1.5f, -2.0f, 7.0f, 0.25f, 3.0f, 100.0f};
    CU_ASSERT_FATAL(OPS->add(st, k1, 0, 6, d1, &err) == PS_OK);
    uint64_t k2[] = {3, 4, 998}; /* sorted this time; 998 is new in block 249 */
    float d2[] = {0.5f, 0.25f, -1.0f};
    CU_ASSERT_FATAL(OPS->add(st, k2, 0, 3, d2, &err) == PS_OK);

    /* Ascending (the one-pass path: block boundaries at 4 and 16, a whole missing
     * block at 500), then the same with a repeat at the end, which is unsorted. */
    uint64_t q[] = {0, 1, 2, 3, 4, 5, 6, 16, 17, 18, 500, 998, 999, 3};
    float want[] = {3.0f, 0, 0, -1.5f, 0.5f, 100.0f, 0, 0, 1.5f, 0, 0, -1.0f, 7.0f, -1.5f};
    float got[14];
    memset(got, 0xff, sizeof got); /* NaNs: every entry must be written */
    CU_ASSERT_FATAL(OPS->get(st, q, 0, 13, got, &err) == PS_OK);
    for (int i = 0; i < 13; i++)
        CU_ASSERT_EQUAL(got[i], want[i]);
    memset(got, 0xff, sizeof got);
    CU_ASSERT_FATAL(OPS->get(st, q, 0, 14, got, &err) == PS_OK);
    for (int i = 0; i < 14; i++)
        CU_ASSERT_EQUAL(got[i], want[i]);

    /* Reversed order reads the same values. */
    uint64_t r[14];
    float rgot[14];
    for (int i = 0; i < 14; i++)
        r[i] = q[13 - i];
    CU_ASSERT_FATAL(OPS->get(st, r, 0, 14, rgot, &err) == PS_OK);
    for (int i = 0; i < 14; i++)
        CU_ASSERT_EQUAL(rgot[i], want[13 - i]);

    /* Blocks ascending but keys unordered inside a block (0..3 then 16..19): the
     * one-pass path, which must not take "ascending" to mean strictly. */
    uint64_t w[] = {3, 0, 2, 1, 18, 17, 16};
    float wwant[] = {-1.5f, 3.0f, 0, 0, 0, 1.5f, 0};
    CU_ASSERT_FATAL(OPS->get(st, w, 0, 7, got, &err) == PS_OK);
    for (int i = 0; i < 7; i++)
        CU_ASSERT_EQUAL(got[i], wwant[i]);
    float wd[] = {1, 1, 1, 1, 1, 1, 1};
    CU_ASSERT_FATAL(OPS->add(st, w, 0, 7, wd, &err) == PS_OK);
    CU_ASSERT_FATAL(OPS->get(st, w, 0, 7, got, &err) == PS_OK);
    for (int i = 0; i < 7; i++)
        CU_ASSERT_EQUAL(got[i], wwant[i] + 1);

    uint64_t rd, wr;
    OPS->io_bytes(st, &rd, &wr);
    CU_ASSERT(wr >= 5 * (4 * 4 + 1)); /* 4 blocks, then 2, of 17 bytes */
    CU_ASSERT(rd > 0);
    OPS->close(st);
}

static void test_dense_ranges(void)
{
    ps_store_spec spec = {.dir = fresh_dir("dense"), .server = 1, .n_keys = 200, .dense = 1,
                          .lo = 10, .hi = 110, .block_keys = 8, .cache_bytes = 1 << 20};
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    float d[100], got[101];
    for (int i = 0; i < 100; i++)
        d[i] = 0.5f * (float)i - 7.0f;
    /* Keys 10..109: the shard starts and ends inside a block. */
    CU_ASSERT_FATAL(OPS->add(st, NULL, 10, 100, d, &err) == PS_OK);
    CU_ASSERT_FATAL(OPS->add(st, NULL, 30, 3, d, &err) == PS_OK); /* 30,31,32 again */
    got[50] = 12345.0f; /* must not be written past n */
    CU_ASSERT_FATAL(OPS->get(st, NULL, 13, 50, got, &err) == PS_OK);
    CU_ASSERT_EQUAL(got[50], 12345.0f);
    for (int i = 0; i < 50; i++) {
        uint64_t k = 13 + (uint64_t)i;
        float w = d[k - 10] + (k >= 30 && k < 33 ? d[k - 30] : 0.0f);
        CU_ASSERT_EQUAL(got[i], w);
    }
    CU_ASSERT_FATAL(OPS->get(st, NULL, 10, 100, got, &err) == PS_OK);
    CU_ASSERT_EQUAL(got[0], d[0]);
    CU_ASSERT_EQUAL(got[99], d[99]);
    /* set replaces what add summed (the assign rule), across a block boundary */
    float v[3] = {9.0f, -9.0f, 0.125f};
    CU_ASSERT_FATAL(OPS->set(st, NULL, 30, 3, v, &err) == PS_OK);
    CU_ASSERT_FATAL(OPS->get(st, NULL, 29, 5, got, &err) == PS_OK);
    CU_ASSERT(got[0] == d[19] && got[1] == 9.0f && got[2] == -9.0f && got[3] == 0.125f &&
              got[4] == d[23]);
    CU_ASSERT_FATAL(OPS->set(st, NULL, 30, 3, d + 20, &err) == PS_OK); /* put back */
    CU_ASSERT_FATAL(OPS->add(st, NULL, 30, 3, d, &err) == PS_OK);
    /* Key lists: consecutive across blocks (copied as runs), then with one gap
     * (key 25), so only some blocks are whole runs. */
    uint64_t list[60];
    for (int i = 0; i < 60; i++)
        list[i] = 13 + (uint64_t)i + (i >= 12);
    got[60] = 12345.0f;
    for (int gap = 0; gap < 2; gap++) {
        uint64_t *l = gap ? list : list + 12; /* list+12: 26..73, no gap */
        uint32_t m = gap ? 60 : 48;
        CU_ASSERT_FATAL(OPS->get(st, l, 0, m, got, &err) == PS_OK);
        for (uint32_t i = 0; i < m; i++) {
            uint64_t k = l[i];
            CU_ASSERT_EQUAL(got[i], d[k - 10] + (k >= 30 && k < 33 ? d[k - 30] : 0.0f));
        }
        CU_ASSERT_EQUAL(got[60], 12345.0f);
    }
    /* A single key, by list, in the middle of a block. */
    uint64_t one = 45;
    CU_ASSERT_FATAL(OPS->get(st, &one, 0, 1, got, &err) == PS_OK);
    CU_ASSERT_EQUAL(got[0], d[35]);
    /* Outside [lo, hi): an error naming the key and the store, not a silent zero. */
    uint64_t out = 110;
    CU_ASSERT(OPS->get(st, &out, 0, 1, got, &err) == PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "key 110"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "server 1"));
    CU_ASSERT(OPS->get(st, NULL, 100, 11, got, &err) == PS_ERR);
    CU_ASSERT(OPS->add(st, NULL, 5, 10, d, &err) == PS_ERR);
    /* n == 0 is a no-op. */
    CU_ASSERT(OPS->get(st, NULL, 10, 0, got, &err) == PS_OK);
    OPS->close(st);
}

/* Random pushes and pulls, sorted and shuffled, against a plain array. The sums
 * are made in the same order, so equality is exact. */
static void test_against_reference(void)
{
    enum { NK = 5000, ROUNDS = 300, MAXB = 400 };
    ps_store_spec spec = sparse_spec(fresh_dir("reference"), 7, NK); /* odd block size */
    spec.cache_bytes = 4096; /* tiny: evictions on every pass */
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    float *ref = calloc(NK, sizeof *ref);
    char *written = calloc(NK, 1);
    char *used = calloc(NK, 1);
    uint64_t keys[MAXB];
    float vals[MAXB], got[MAXB];
    ps_rng r;
    ps_rng_init(&r, 11, 0);
    int bad = 0;
    for (int round = 0; round < ROUNDS && !bad; round++) {
        uint32_t n = 1 + (uint32_t)(ps_rng_u64(&r) % MAXB);
        int sorted = ps_rng_u64(&r) % 2;
        memset(used, 0, NK);
        uint32_t m = 0;
        uint64_t base = ps_rng_u64(&r) % NK;
        while (m < n) { /* distinct keys, clustered so blocks are shared */
            uint64_t k = (base + ps_rng_u64(&r) % 600) % NK;
            if (!used[k]) {
                used[k] = 1;
                keys[m++] = k;
            }
        }
        if (sorted) {
            m = 0;
            for (uint64_t k = 0; k < NK; k++)
                if (used[k])
                    keys[m++] = k;
        }
        for (uint32_t i = 0; i < n; i++) {
            vals[i] = (float)(int)(ps_rng_u64(&r) % 2001 - 1000) / 64.0f;
            ref[keys[i]] += vals[i];
            written[keys[i]] = 1;
        }
        CU_ASSERT_FATAL(OPS->add(st, keys, 0, n, vals, &err) == PS_OK);
        /* Pull a different random set, repeats allowed, ascending in every other
         * round. */
        for (uint32_t i = 0; i < n; i++)
            keys[i] = (base + ps_rng_u64(&r) % 900) % NK;
        if (round % 2)
            qsort(keys, n, sizeof *keys, cmp_u64);
        CU_ASSERT_FATAL(OPS->get(st, keys, 0, n, got, &err) == PS_OK);
        for (uint32_t i = 0; i < n; i++)
            bad += got[i] != ref[keys[i]];
        uint64_t lo = ps_rng_u64(&r) % (NK - MAXB);
        CU_ASSERT_FATAL(OPS->get(st, NULL, lo, n, got, &err) == PS_OK);
        for (uint32_t i = 0; i < n; i++)
            bad += got[i] != ref[lo + i];
    }
    CU_ASSERT_EQUAL(bad, 0);

    uint64_t *dk = NULL, dn = 0;
    float *dv = NULL;
    CU_ASSERT_FATAL(OPS->dump(st, &dk, &dv, &dn, &err) == PS_OK);
    uint64_t n_written = 0;
    for (uint64_t k = 0; k < NK; k++)
        n_written += written[k];
    CU_ASSERT_EQUAL(dn, n_written);
    for (uint64_t i = 0; i < dn; i++) {
        CU_ASSERT_FATAL(dk[i] < NK);
        CU_ASSERT(written[dk[i]]);
        CU_ASSERT_EQUAL(dv[i], ref[dk[i]]);
    }
    free(dk);
    free(dv);
    free(ref);
    free(written);
    free(used);
    OPS->close(st);
}

static void test_dump_exact_keys(void)
{
    ps_store_spec spec = sparse_spec(fresh_dir("dump"), 4, 100);
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    uint64_t *dk = NULL, dn = 99;
    float *dv = NULL;
    CU_ASSERT_FATAL(OPS->dump(st, &dk, &dv, &dn, &err) == PS_OK);
    CU_ASSERT_EQUAL(dn, 0); /* the meta key is not a parameter */
    free(dk);
    free(dv);
    /* Key 6's deltas cancel: it was written, so it is listed (with 0), while keys
     * 0, 2..5 sharing its blocks were never written and are not. */
    uint64_t keys[] = {7, 1, 6, 99};
    float d[] = {2.0f, -1.0f, 4.0f, 9.0f};
    CU_ASSERT_FATAL(OPS->add(st, keys, 0, 4, d, &err) == PS_OK);
    float back = -4.0f;
    uint64_t six = 6;
    CU_ASSERT_FATAL(OPS->add(st, &six, 0, 1, &back, &err) == PS_OK);
    CU_ASSERT_FATAL(OPS->dump(st, &dk, &dv, &dn, &err) == PS_OK);
    CU_ASSERT_EQUAL_FATAL(dn, 4);
    uint64_t wk[] = {1, 6, 7, 99}; /* dump is in key order */
    float wv[] = {-1.0f, 0.0f, 2.0f, 9.0f};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(dk[i], wk[i]);
        CU_ASSERT_EQUAL(dv[i], wv[i]);
    }
    free(dk);
    free(dv);
    OPS->close(st);
}

/* ---- reopen by another process ---- */

#define CHILD_ENV "PSLAB_TEST_STORE_ROCKSDB_CHILD"
enum { RK = 100000, RN = 3000, RBK = 16 };

static uint64_t reopen_key(uint32_t i) { return (uint64_t)i * 33 % RK; }
static float reopen_val(uint32_t i) { return (float)i * 0.25f - 100.0f; }

/* The child: started by exec, so a fresh process with nothing inherited from the
 * parent's RocksDB. Runs before main() when CHILD_ENV is set ("close:DIR" or
 * "kill:DIR"), writes RN keys in batches of 100, then closes and exits 0, or kills
 * itself without closing: what the WAL must survive. */
__attribute__((constructor)) static void reopen_child(void)
{
    const char *arg = getenv(CHILD_ENV);
    if (!arg)
        return;
    int kill_self = strncmp(arg, "kill:", 5) == 0;
    ps_store_spec spec = sparse_spec(strchr(arg, ':') + 1, RBK, RK);
    ps_store *st;
    ps_err err;
    if (OPS->open(&spec, &st, &err)) {
        fprintf(stderr, "child: %s\n", err.msg);
        _exit(3);
    }
    for (uint32_t b = 0; b < RN; b += 100) {
        uint64_t keys[100];
        float d[100];
        for (uint32_t i = 0; i < 100; i++) {
            keys[i] = reopen_key(b + i);
            d[i] = reopen_val(b + i);
        }
        if (OPS->add(st, keys, 0, 100, d, &err)) {
            fprintf(stderr, "child: %s\n", err.msg);
            _exit(4);
        }
    }
    if (kill_self)
        raise(SIGKILL);
    OPS->close(st);
    exit(0);
}

/* Runs the child on dir; returns its wait status. */
static int run_child(const char *mode, const char *dir)
{
    /* Everything exec needs is built before fork: after fork in a process with
     * RocksDB's threads only async-signal-safe calls are allowed. */
    char var[1024];
    snprintf(var, sizeof var, "%s=%s:%s", CHILD_ENV, mode, dir);
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof *env);
    memcpy(env, environ, n * sizeof *env);
    env[n] = var;
    env[n + 1] = NULL;
    char *argv[] = {"test_store_rocksdb", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    free(env);
    int status = -1;
    if (pid > 0)
        waitpid(pid, &status, 0);
    return status;
}

static void check_reopened(const char *dir, int times)
{
    ps_store_spec spec = sparse_spec(dir, RBK, RK);
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    uint64_t *keys = malloc(RN * sizeof *keys);
    float *got = malloc(RN * sizeof *got);
    for (uint32_t i = 0; i < RN; i++)
        keys[i] = reopen_key(i);
    CU_ASSERT_FATAL(OPS->get(st, keys, 0, RN, got, &err) == PS_OK);
    int bad = 0;
    for (uint32_t i = 0; i < RN; i++)
        bad += got[i] != (float)times * reopen_val(i);
    CU_ASSERT_EQUAL(bad, 0);
    uint64_t *dk = NULL, dn = 0;
    float *dv = NULL;
    CU_ASSERT_FATAL(OPS->dump(st, &dk, &dv, &dn, &err) == PS_OK);
    CU_ASSERT_EQUAL(dn, RN);
    free(dk);
    free(dv);
    free(keys);
    free(got);
    OPS->close(st);
}

static void test_reopen_after_exit(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", fresh_dir("reopen-exit"));
    int status = run_child("close", dir);
    CU_ASSERT_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_reopened(dir, 1);
    /* A second writer process adds on top of what the first left. */
    status = run_child("close", dir);
    CU_ASSERT_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_reopened(dir, 2);
}

static void test_reopen_after_kill(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", fresh_dir("reopen-kill"));
    int status = run_child("kill", dir);
    CU_ASSERT_FATAL(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    check_reopened(dir, 1);
}

/* ---- errors ---- */

static void test_errors(void)
{
    ps_store *st = (ps_store *)&st; /* must be reset to NULL on failure */
    ps_err err = {{0}};

    /* A regular file where a directory should be: fails even for root. */
    char file[512], dir[600];
    snprintf(file, sizeof file, "%s/plainfile", tmp_root);
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/sub/db", file);
    ps_store_spec spec = sparse_spec(dir, 4, 100);
    CU_ASSERT(OPS->open(&spec, &st, &err) == PS_ERR);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, dir));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "server 3"));

    /* A directory without write permission (root ignores permissions: not checked). */
    if (geteuid() != 0) {
        char ro[512];
        snprintf(ro, sizeof ro, "%s/readonly", tmp_root);
        mkdir(ro, 0500);
        snprintf(dir, sizeof dir, "%s/db", ro);
        spec.dir = dir;
        CU_ASSERT(OPS->open(&spec, &st, &err) == PS_ERR);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, dir));
        chmod(ro, 0700);
    }

    /* block_keys 0, and a block size other than the one the database was written with. */
    snprintf(dir, sizeof dir, "%s", fresh_dir("errors"));
    spec = sparse_spec(dir, 0, 100);
    CU_ASSERT(OPS->open(&spec, &st, &err) == PS_ERR);
    spec.block_keys = 8;
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    uint64_t k = 5;
    float v = 1.0f;
    CU_ASSERT(OPS->add(st, &k, 0, 1, &v, &err) == PS_OK);
    /* Opened twice at once: RocksDB's lock refuses, and the message names the path. */
    ps_store *twice = NULL;
    CU_ASSERT(OPS->open(&spec, &twice, &err) == PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, dir));
    CU_ASSERT_PTR_NULL(twice);
    /* A key past the table. */
    k = 100;
    CU_ASSERT(OPS->get(st, &k, 0, 1, &v, &err) == PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "key 100"));
    OPS->close(st);
    spec.block_keys = 16;
    CU_ASSERT(OPS->open(&spec, &st, &err) == PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "block_keys=8"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, dir));

    /* Somebody else's RocksDB database: refused rather than misread. */
    snprintf(dir, sizeof dir, "%s/foreign", tmp_root);
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(o, 1);
    char *rerr = NULL;
    rocksdb_t *db = rocksdb_open(o, dir, &rerr);
    CU_ASSERT_FATAL(rerr == NULL);
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_put(db, wo, "hello", 5, "world", 5, &rerr);
    CU_ASSERT(rerr == NULL);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_close(db);
    rocksdb_options_destroy(o);
    spec = sparse_spec(dir, 8, 100);
    CU_ASSERT(OPS->open(&spec, &st, &err) == PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a pslab store"));
}

/* A block index's layout: 10 table keys of 2 values; block 0 = keys {1, 4, 7},
 * block 1 = {2, 3}, the others cold. Random adds match a plain array, a block is
 * written once per call with its own size (block 0: 6 values, 24 + 1 bytes), the
 * dump lists exactly the values written, and a reopen with another index is
 * refused. */
static void test_index_layout(void)
{
    uint32_t block[10] = {PS_INDEX_COLD, 0, 1, 1, 0, PS_INDEX_COLD, PS_INDEX_COLD, 0,
                          PS_INDEX_COLD, PS_INDEX_COLD};
    uint64_t size[2] = {3, 2};
    ps_block_index x = {.n_dims = 10, .block = block, .n_blocks = 2, .size = size};
    CU_ASSERT_EQUAL_FATAL(ps_index_offsets(&x, NULL), PS_OK);
    CU_ASSERT(x.offset[1] == 0 && x.offset[4] == 1 && x.offset[7] == 2 && x.offset[3] == 1);
    ps_store_spec spec = sparse_spec(fresh_dir("index"), 4, 20);
    spec.index = &x;
    spec.vals_per_key = 2;
    ps_store *st = NULL;
    ps_err err = {{0}};
    CU_ASSERT_FATAL(OPS->open(&spec, &st, &err) == PS_OK);
    float want[20] = {0};
    int written[20] = {0};
    uint64_t seed = 99;
    for (int round = 0; round < 50; round++) {
        uint64_t keys[6];
        float d[6];
        int n = 0;
        for (int k = 0; k < 6; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            uint64_t key = (seed >> 33) % 20;
            int dup = 0;
            for (int j = 0; j < n; j++)
                dup |= keys[j] == key;
            if (dup)
                continue;
            keys[n] = key;
            d[n] = (float)((seed >> 40) % 7) - 3;
            want[key] += d[n];
            written[key] = 1;
            n++;
        }
        CU_ASSERT_FATAL(OPS->add(st, keys, 0, (uint32_t)n, d, &err) == PS_OK);
    }
    float got[20];
    CU_ASSERT_FATAL(OPS->get(st, NULL, 0, 20, got, &err) == PS_OK);
    for (int k = 0; k < 20; k++)
        CU_ASSERT_EQUAL(got[k], want[k]);
    uint64_t rd0, wr0, rd1, wr1;
    OPS->io_bytes(st, &rd0, &wr0);
    uint64_t k3[] = {15, 2, 9}; /* keys 7 and 1 (block 0), 4 (block 0): one block */
    float d3[] = {1, 1, 1};
    CU_ASSERT_FATAL(OPS->add(st, k3, 0, 3, d3, &err) == PS_OK);
    OPS->io_bytes(st, &rd1, &wr1);
    CU_ASSERT_EQUAL(wr1 - wr0, 25);
    CU_ASSERT_EQUAL(rd1 - rd0, 25);
    want[15] += 1, want[2] += 1, want[9] += 1;
    written[15] = written[2] = written[9] = 1;
    uint64_t *dk = NULL, nd = 0;
    float *dv = NULL;
    CU_ASSERT_FATAL(OPS->dump(st, &dk, &dv, &nd, &err) == PS_OK);
    int listed[20] = {0}, n_written = 0;
    for (int k = 0; k < 20; k++)
        n_written += written[k];
    CU_ASSERT_EQUAL(nd, (uint64_t)n_written);
    for (uint64_t i = 0; i < nd; i++) {
        CU_ASSERT_FATAL(dk[i] < 20);
        CU_ASSERT(written[dk[i]] && !listed[dk[i]]);
        listed[dk[i]] = 1;
        CU_ASSERT_EQUAL(dv[i], want[dk[i]]);
    }
    free(dk);
    free(dv);
    OPS->close(st);
    size[0] = 2, size[1] = 3; /* another layout: refused, naming both */
    block[7] = 1;
    CU_ASSERT_EQUAL_FATAL(ps_index_offsets(&x, NULL), PS_OK);
    CU_ASSERT_EQUAL(OPS->open(&spec, &st, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "opened as"));
    spec.index = NULL; /* and a plain store over it too */
    CU_ASSERT_EQUAL(OPS->open(&spec, &st, &err), PS_ERR);
    free(x.offset);
}

static CU_TestInfo tests[] = {
    {"a block index's layout", test_index_layout},
    {"sparse round trip, unsorted keys, unwritten keys read 0", test_sparse_round_trip},
    {"dense ranges across block boundaries", test_dense_ranges},
    {"random pushes and pulls match a plain array", test_against_reference},
    {"dump lists exactly the keys written", test_dump_exact_keys},
    {"reopen in another process after a clean exit", test_reopen_after_exit},
    {"reopen after the writer was killed (WAL)", test_reopen_after_kill},
    {"errors name the server and the path", test_errors},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"store_rocksdb", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
