/* Local cluster launch and the store choice; see launch.h. */
#define _DEFAULT_SOURCE /* wait4: a child's resource use */
#include "real/launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/ps/outputs.h"
#include "real/backend_real.h"
#ifdef PSLAB_HAVE_ROCKSDB
#include "real/store_rocksdb.h"
#endif

int ps_real_select_store(ps_run *run, const ps_config *cfg, ps_err *err)
{
    run->store_block_keys = (uint32_t)cfg->block_keys;
    run->store_cache_bytes = cfg->cache_bytes;
    if (strcmp(cfg->store, "mem") == 0) {
        run->store_ops = &ps_store_mem_ops;
        return PS_OK;
    }
#ifdef PSLAB_HAVE_ROCKSDB
    if (strcmp(cfg->store, "rocksdb") == 0 || strcmp(cfg->store, "disk") == 0) {
        run->store_ops = &ps_store_rocksdb_ops;
        return PS_OK;
    }
#endif
    return ps_err_set(err, "server.store = %s is not built into this binary", cfg->store);
}

int ps_real_write_nodes(const ps_real_children *kids, const ps_config *cfg, const char *dir,
                        ps_err *err)
{
    if (!kids->peak_rss_kb)
        return PS_OK;
    char tmp[4096];
    FILE *f = ps_outputs_open_tmp(dir, "nodes.csv", tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    int wpn = cfg->workers_per_node > 0 ? cfg->workers_per_node : 1;
    fputs("node,roles,peak_rss_kb\n", f);
    for (int r = 0; r < kids->n; r++) {
        char roles[64];
        if (r == 0)
            snprintf(roles, sizeof roles, "coordinator+server0");
        else if (r < cfg->servers)
            snprintf(roles, sizeof roles, "server%d", r);
        else {
            int first = (r - cfg->servers) * wpn, last = first + wpn - 1;
            last = last < cfg->workers - 1 ? last : cfg->workers - 1;
            snprintf(roles, sizeof roles, first == last ? "worker%d" : "workers%d-%d", first, last);
        }
        fprintf(f, "%d,%s,%ld\n", r, roles, kids->peak_rss_kb[r]);
    }
    return ps_outputs_commit_tmp(f, dir, "nodes.csv", tmp, err);
}

void ps_real_local_free(ps_real_children *kids)
{
    free(kids->peak_rss_kb);
    kids->peak_rss_kb = NULL;
}

char *ps_real_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

int ps_real_expendable_from(const ps_config *cfg)
{
    return strcmp(cfg->on_worker_failure, "continue") == 0 ? cfg->servers : 0;
}

/* A forked node: joins through the coordinator and runs its actors. Never returns. */
static void local_child(ps_real_launch_fn launch, void *ctx, const ps_config *cfg, int rank,
                        int n, ps_addr coord, double start_time)
{
    ps_real_params p = {.rank = rank, .n_nodes = n, .coordinator = coord, .listen_fd = -1,
                        .timeout_s = cfg->real_timeout, .start_time = start_time,
                        .send_limit = (size_t)cfg->real_send_buffer, .keep_signals = 1};
    ps_backend *be = NULL;
    /* a terminal's Ctrl-C reaches every process of the group; node 0 stops the run */
    signal(SIGINT, SIG_IGN);
    ps_err err;
    int rc = ps_real_backend_create(&be, &p, NULL, NULL, &err);
    if (rc == PS_OK)
        rc = ps_real_backend_set_expendable(be, ps_real_expendable_from(cfg), &err);
    if (rc == PS_OK)
        rc = launch(ctx, be, &err);
    if (rc)
        fprintf(stderr, "pslab: node %d: %s\n", rank, err.msg);
    if (be)
        be->ops->destroy(be);
    fflush(NULL);
    _exit(rc ? 1 : 0);
}

int ps_real_local_start(ps_real_launch_fn launch, void *ctx, const ps_config *cfg,
                        const char *dir, ps_backend **be, ps_real_children *kids, ps_err *err)
{
    int n = ps_config_nodes(cfg);
    double start_time = kids->start_time;
    memset(kids, 0, sizeof *kids);
    kids->start_time = start_time;
    kids->expendable_from = ps_real_expendable_from(cfg);
    if (ps_net_reserve_fds(n, err)) /* before the fork: every node inherits it */
        return PS_ERR;
    ps_addr at = {.ip = 0, .port = (uint16_t)cfg->real_port}, bound;
    ps_net_parse_addr("127.0.0.1:0", &at, err);
    at.port = (uint16_t)cfg->real_port;
    int lfd = ps_net_listen(&at, &bound, err);
    if (lfd < 0)
        return PS_ERR;
    char as[32];
    fprintf(stderr, "pslab: coordinator listening on %s, starting %d node processes\n",
            ps_net_addr_str(&bound, as, sizeof as), n);
    kids->pid = calloc((size_t)n, sizeof *kids->pid);
    if (!kids->pid) {
        close(lfd);
        return ps_err_set(err, "out of memory");
    }
    kids->n = n;
    fflush(NULL);
    for (int r = 1; r < n; r++) {
        pid_t pid = fork();
        if (pid < 0) {
            close(lfd);
            ps_real_local_wait(kids, 1, err);
            return ps_err_set(err, "fork: %s", strerror(errno));
        }
        if (pid == 0) {
            close(lfd);
            local_child(launch, ctx, cfg, r, n, bound, start_time);
        }
        kids->pid[r] = pid;
    }
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.ini", dir);
    char *text = ps_real_read_file(cfg_path);
    ps_real_params p = {.rank = 0, .n_nodes = n, .coordinator = bound, .listen_fd = lfd,
                        .timeout_s = cfg->real_timeout,
                        .send_limit = (size_t)cfg->real_send_buffer,
                        .config_text = text, .run_dir = dir, .start_time = start_time};
    int rc = ps_real_backend_create(be, &p, NULL, NULL, err);
    if (rc == PS_OK)
        rc = ps_real_backend_set_expendable(*be, ps_real_expendable_from(cfg), err);
    free(text);
    if (rc) {
        ps_err e2;
        ps_real_local_wait(kids, 1, &e2);
    }
    return rc;
}

int ps_real_local_wait(ps_real_children *kids, int this_node_failed, ps_err *err)
{
    int bad = 0;
    char list[512] = "";
    size_t used = 0;
    if (kids->stalled_node > 0 && kids->stalled_node < kids->n && kids->pid[kids->stalled_node] > 0)
        kill(kids->pid[kids->stalled_node], SIGKILL);
    kids->stalled_node = 0;
    if (this_node_failed)
        for (int r = 1; r < kids->n; r++)
            if (kids->pid[r] > 0) {
                kill(kids->pid[r], SIGTERM);
                kill(kids->pid[r], SIGCONT); /* a stopped node takes the TERM only running */
            }
    free(kids->peak_rss_kb);
    kids->peak_rss_kb = calloc((size_t)kids->n, sizeof *kids->peak_rss_kb);
    struct rusage ru;
    if (kids->peak_rss_kb && getrusage(RUSAGE_SELF, &ru) == 0)
        kids->peak_rss_kb[0] = ru.ru_maxrss;
    for (int r = 1; r < kids->n; r++) {
        if (kids->pid[r] <= 0)
            continue;
        int st = 0;
        while (wait4(kids->pid[r], &st, 0, &ru) < 0 && errno == EINTR)
            ;
        if (kids->peak_rss_kb)
            kids->peak_rss_kb[r] = ru.ru_maxrss; /* Linux: kilobytes */
        int expendable = kids->expendable_from > 0 && r >= kids->expendable_from;
        if (expendable && WIFSIGNALED(st)) /* lost, and the run went on without it */
            continue;
        if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM && !kids->crashed_node) {
            kids->crashed_node = r; /* SIGTERM is ours, above, or a request to stop */
            kids->crashed_signal = WTERMSIG(st);
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            bad++;
            if (used < sizeof list - 40)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%d (%s %d)",
                                         used ? ", " : "", r,
                                         WIFSIGNALED(st) ? "signal" : "status",
                                         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        }
    }
    free(kids->pid);
    kids->pid = NULL;
    if (bad && !this_node_failed)
        return ps_err_set(err, "%d node process(es) failed: %s", bad, list);
    return bad || this_node_failed ? PS_ERR : PS_OK;
}
