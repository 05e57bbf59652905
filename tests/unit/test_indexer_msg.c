/* A server waiting for the block index (ps_indexer_await) refuses a hostile or
 * damaged FINAL index message with what is wrong, before installing anything:
 * lengths that disagree, keys out of range or order, blocks out of range or
 * empty, blocks placed on servers that do not exist, a truncated message. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "engine/ps/indexer_impl.h"
#include "engine/ps/kept_queue.h"
#include "engine/ps/run.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/script_backend.h"

static ps_config cfg;
static ps_run run;
static script_state st;
static ps_backend be = {.ops = &script_ops, .impl = &st};
static char dir[] = "/tmp/pslab-indexer-msg.XXXXXX";

static int setup(void)
{
    const char *set[] = {"server.store=disk", "index.strategy=ours", "run.iterations=2"};
    ps_err err = {0};
    if (!mkdtemp(dir) || ps_config_load(&cfg, "tests/expected/golden8.ini", set, 3, &err) ||
        ps_run_init(&run, &cfg, dir, &err))
        return fprintf(stderr, "setup: %s\n", err.msg), 1;
    return 0;
}

static int teardown(void)
{
    ps_run_free(&run);
    ps_config_free(&cfg);
    rmdir(dir);
    return 0;
}

/* A FINAL index: keys with their blocks, the rounds and merges, each block's server. */
typedef struct final_msg {
    uint32_t n_keys, n_blocks;
    uint64_t keys[8];
    uint32_t block[8], home[8];
    int32_t aux_extra; /* bytes added to (or, negative, cut from) the aux section */
} final_msg;

static void push_final(const final_msg *f, size_t cut)
{
    uint32_t n_aux = f->n_keys + 2 + f->n_blocks;
    ps_msg_writer w;
    ps_err err = {0};
    CU_ASSERT_FATAL(ps_msg_build(&w, PS_MSG_INDEX, 0, PS_COORDINATOR_ID, f->n_blocks, STEP_FINAL,
                                 f->n_keys, 0, (uint32_t)((int32_t)(4 * n_aux) + f->aux_extra),
                                 &err) == PS_OK);
    memcpy(w.keys, f->keys, f->n_keys * sizeof *f->keys);
    uint32_t aux[32] = {0};
    memcpy(aux, f->block, 4 * (size_t)f->n_keys);
    memcpy(aux + f->n_keys + 2, f->home, 4 * (size_t)f->n_blocks);
    memcpy(w.aux, aux, (size_t)((int32_t)(4 * n_aux) + (f->aux_extra < 0 ? f->aux_extra : 0)));
    script_push_in(&st, w.buf, w.len - cut);
}

/* Runs the server's wait on one message; the error, or "" when it was installed. */
static const char *await_one(const final_msg *f, size_t cut)
{
    static ps_err err;
    memset(&st, 0, sizeof st);
    st.self = ps_server_actor(0);
    memset(&err, 0, sizeof err);
    push_final(f, cut);
    ps_kept_queue kept = {0};
    int rc = ps_indexer_await(&run, &be, &kept, &err);
    ps_kept_free(&kept);
    script_free(&st);
    return rc == PS_OK ? "" : rc == PS_ERR ? err.msg : "stopped";
}

/* Two hot keys in two blocks on servers 0 and 1: what the coordinator sends. */
static final_msg good(void)
{
    return (final_msg){.n_keys = 2, .n_blocks = 2, .keys = {3, 17}, .block = {0, 1}, .home = {0, 1}};
}

#define REFUSED(f, cut, words) CU_ASSERT_PTR_NOT_NULL(strstr(await_one(&(f), cut), words))

static void test_hostile_final_refused(void)
{
    final_msg f = good();
    f.aux_extra = 4;
    REFUSED(f, 0, "2 keys with 28 bytes of blocks");
    f = good();
    f.keys[1] = run.tables[INDEX_TABLE].spec.n_keys; /* one past the table */
    REFUSED(f, 0, "is out of order or range");
    f = good();
    f.keys[0] = 17, f.keys[1] = 3;
    REFUSED(f, 0, "key 3 (block 1) of 2 is out of order or range");
    f = good();
    f.block[1] = 2;
    REFUSED(f, 0, "key 17 (block 2) of 2 is out of order or range");
    f = good();
    f.block[1] = 0;
    REFUSED(f, 0, "block 1 is empty");
    f = good();
    f.home[1] = (uint32_t)run.n_servers;
    REFUSED(f, 0, "block 1 on server 2 of 2");
    f = good();
    REFUSED(f, 4, "truncated");
}

static void test_good_final_installed(void)
{
    final_msg f = good();
    CU_ASSERT_STRING_EQUAL(await_one(&f, 0), "");
}

static CU_TestInfo tests[] = {
    {"hostile FINAL index messages are refused", test_hostile_final_refused},
    {"the coordinator's FINAL index is installed", test_good_final_installed},
    CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {
    {"indexer_msg", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
PS_CUNIT_MAIN(suites)
