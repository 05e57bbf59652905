/* `pslab node`: one node of a real cluster, started by whatever launches processes
 * on the cluster (srun, mpirun, ssh). Rank 0 is the coordinator: it reads the
 * config, listens at --coordinator, and hands every joining node the resolved
 * config and the run directory, so other nodes need only the address. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/interrupt.h"
#include "engine/ps/cluster.h"
#include "engine/ps/outputs.h"
#include "real/backend_real.h"
#include "real/launch.h"

static const char node_usage[] =
    "usage: pslab node --coordinator HOST:PORT [--rank R] [--nodes N] [--out DIR] [--trace]\n"
    "                  [CONFIG [--set SECTION.KEY=VALUE]...]\n"
    "\n"
    "Runs one node of a real cluster. Node 0 is the coordinator (and server 0): it\n"
    "needs CONFIG, listens on HOST:PORT and writes the run directory (--out, or\n"
    "runs/NAME). Other nodes connect to HOST:PORT, receive the resolved config and\n"
    "the run directory's path (used for their stores unless --out is given), run\n"
    "their actors and exit. Nodes are the config's servers then workers:\n"
    "node s < servers is server s, node servers+w is worker w; the cluster has\n"
    "servers + workers nodes.\n"
    "\n"
    "The rank comes from --rank, else from the launcher's environment:\n"
    "SLURM_PROCID/SLURM_NTASKS (srun), OMPI_COMM_WORLD_RANK/SIZE (Open MPI),\n"
    "PMI_RANK/PMI_SIZE (MPICH, Intel MPI). A node that cannot reach the coordinator\n"
    "or a peer within real.timeout says which address failed and exits with 1.\n"
    "--trace: this node writes its part of DIR/trace/ (give it to every node).\n";

static int env_int(const char *a, const char *b, const char *c, int *out)
{
    const char *names[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        const char *v = names[i] ? getenv(names[i]) : NULL;
        if (v && *v) {
            *out = atoi(v);
            return 1;
        }
    }
    return 0;
}

static char *write_temp_config(const char *text, ps_err *err)
{
    char *path = strdup("/tmp/pslab-node-XXXXXX.ini");
    int fd = path ? mkstemps(path, 4) : -1;
    if (fd < 0) {
        free(path);
        ps_err_set(err, "cannot create a temporary config file");
        return NULL;
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        unlink(path);
        free(path);
        ps_err_set(err, "cannot write a temporary config file");
        return NULL;
    }
    close(fd);
    return path;
}

typedef struct node_args {
    const char *coordinator, *config, *out;
    const char *sets[256];
    int n_sets, rank, nodes, trace;
    int interrupted; /* node 0: the signal that stopped the run, on whichever node */
} node_args;

/* A node other than 0 waits real.timeout to join: its config file's, when it can
 * read it (every task of a launcher gets the same command line), else the default,
 * with the command line's --set applied either way. */
static double node_join_timeout(const node_args *a)
{
    ps_config c;
    ps_err e;
    double t;
    if (a->config && ps_config_load(&c, a->config, a->sets, a->n_sets, &e) == PS_OK) {
        t = c.real_timeout;
    } else {
        ps_config_init_defaults(&c);
        for (int i = 0; i < a->n_sets; i++)
            (void)ps_config_set(&c, a->sets[i], &e); /* the coordinator judges the rest */
        t = c.real_timeout;
    }
    ps_config_free(&c);
    return t;
}

static int parse_node_args(int argc, char **argv, node_args *a, ps_err *err)
{
    memset(a, 0, sizeof *a);
    a->rank = a->nodes = -1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(s, "--coordinator") && has)
            a->coordinator = argv[++i];
        else if (!strcmp(s, "--rank") && has)
            a->rank = atoi(argv[++i]);
        else if (!strcmp(s, "--nodes") && has)
            a->nodes = atoi(argv[++i]);
        else if (!strcmp(s, "--trace"))
            a->trace = 1;
        else if (!strcmp(s, "--out") && has)
            a->out = argv[++i];
        else if (!strcmp(s, "--set") && has && a->n_sets < 256)
            a->sets[a->n_sets++] = argv[++i];
        else if (s[0] == '-')
            return ps_err_set(err, "unknown option or missing value: %s (see pslab node --help)", s);
        else if (a->config)
            return ps_err_set(err, "more than one config file: %s and %s", a->config, s);
        else
            a->config = s;
    }
    if (!a->coordinator)
        return ps_err_set(err, "--coordinator HOST:PORT is required");
    if (a->rank < 0 && !env_int("SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", &a->rank))
        return ps_err_set(err, "cannot tell this node's rank: give --rank, or start it with "
                          "srun or mpirun");
    if (a->nodes < 0 && !env_int("SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", &a->nodes))
        a->nodes = 0;
    if (a->rank < 0 || (a->nodes > 0 && a->rank >= a->nodes))
        return ps_err_set(err, "rank %d is not in 0..%d", a->rank, a->nodes - 1);
    if (a->rank == 0 && !a->config)
        return ps_err_set(err, "node 0 is the coordinator and needs the CONFIG file");
    return PS_OK;
}

/* A multi-task run ([task.N], or policy.scheduler = auto) on this node: every node
 * builds every task (their config files must be readable on each, at the paths the
 * config gives); node 0 makes their directories. */
static int node_run_tasks(node_args *a, ps_config *cfg, const char *dir, ps_backend *be,
                          ps_err *err)
{
    ps_cluster *cl = calloc(1, sizeof *cl);
    int rc = cl ? ps_cluster_init(cl, cfg, dir, a->rank == 0, err)
                : ps_err_set(err, "out of memory");
    for (int k = 0; rc == PS_OK && k < cl->n_tasks; k++) {
        rc = ps_real_select_store(&cl->tasks[k].run, cl->tasks[k].tcfg, err);
        cl->tasks[k].run.trace = a->trace;
    }
    if (rc == PS_OK)
        rc = ps_cluster_launch(cl, be, err);
    if (rc == PS_OK && a->rank == 0)
        printf("pslab: run directory: %s\n", dir);
    if (cl)
        ps_cluster_free(cl);
    free(cl);
    return rc;
}

/* Builds the run on this node, launches its actors; the coordinator writes the
 * outputs. Returns the process's exit status. */
static int node_run(node_args *a, ps_config *cfg, const char *dir, ps_backend *be, ps_err *err)
{
    ps_run run;
    memset(&run, 0, sizeof run);
    if (cfg->n_tasks || strcmp(cfg->scheduler, "auto") == 0)
        return node_run_tasks(a, cfg, dir, be, err);
    int rc = ps_run_init(&run, cfg, dir, err);
    run.trace = a->trace;
    if (rc == PS_OK)
        rc = ps_real_select_store(&run, cfg, err);
    if (rc == PS_OK)
        rc = ps_run_launch(&run, be, err);
    a->interrupted = run.interrupted;
    if (rc == PS_OK && a->rank == 0)
        printf("pslab: run directory: %s\n", dir);
    ps_run_free(&run);
    return rc;
}

int ps_real_node_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(node_usage, stdout);
        return 0;
    }
    node_args a;
    ps_err err;
    ps_config cfg;
    ps_backend *be = NULL;
    char dir[4096] = "", *text = NULL, *coord_dir = NULL, *tmp = NULL;
    memset(&cfg, 0, sizeof cfg);
    int rc = parse_node_args(argc, argv, &a, &err);
    ps_real_params p = {.rank = a.rank, .n_nodes = a.nodes > 0 ? a.nodes : 0, .listen_fd = -1};
    if (rc == PS_OK)
        rc = ps_net_parse_addr(a.coordinator, &p.coordinator, &err);
    if (rc == PS_OK && a.rank == 0) {
        rc = ps_config_load(&cfg, a.config, a.sets, a.n_sets, &err);
        /* pslab node is the real backend, whatever the file says: the resolved
         * config and the summary must not report a sim run */
        if (rc == PS_OK)
            rc = ps_config_set(&cfg, "run.backend=real", &err);
        int n = rc == PS_OK ? ps_config_nodes(&cfg) : 0;
        if (rc == PS_OK && a.nodes > 0 && a.nodes != n)
            rc = ps_err_set(&err, "the launcher started %d nodes, but %s needs servers + "
                            "workers / workers_per_node = %d", a.nodes, a.config, n);
        if (rc == PS_OK && a.out && access(a.out, F_OK) == 0)
            rc = ps_err_set(&err, "%s already exists; choose another --out", a.out);
        if (rc == PS_OK && a.out) {
            snprintf(dir, sizeof dir, "%s", a.out);
            rc = ps_outputs_mkdir(dir, &err);
        } else if (rc == PS_OK) {
            char base[4096];
            snprintf(base, sizeof base, "runs/%s", cfg.name);
            rc = ps_outputs_new_run_dir(base, dir, sizeof dir, &err);
        }
        if (rc == PS_OK)
            rc = ps_outputs_write_config(dir, &cfg, &err);
        char path[4200];
        snprintf(path, sizeof path, "%s/config.ini", dir);
        if (rc == PS_OK && !(text = ps_real_read_file(path)))
            rc = ps_err_set(&err, "cannot read back %s", path);
        ps_addr any = {.ip = 0, .port = p.coordinator.port}, bound;
        if (rc == PS_OK && (p.listen_fd = ps_net_listen(&any, &bound, &err)) < 0)
            rc = PS_ERR;
        p.n_nodes = n;
        p.timeout_s = cfg.real_timeout;
        p.send_limit = (size_t)cfg.real_send_buffer;
        p.config_text = text;
        p.run_dir = dir;
        if (rc == PS_OK)
            rc = ps_net_reserve_fds(n, &err);
        if (rc == PS_OK)
            rc = ps_real_backend_create(&be, &p, NULL, NULL, &err);
    } else if (rc == PS_OK) {
        /* Until the coordinator's config arrives, this node's own bounds the join */
        p.timeout_s = node_join_timeout(&a);
        rc = ps_real_backend_create(&be, &p, &text, &coord_dir, &err);
        if (rc == PS_OK && !(tmp = write_temp_config(text, &err)))
            rc = PS_ERR;
        if (rc == PS_OK)
            rc = ps_config_load(&cfg, tmp, NULL, 0, &err);
        if (tmp)
            unlink(tmp);
        snprintf(dir, sizeof dir, "%s", a.out ? a.out : coord_dir ? coord_dir : ".");
        if (rc == PS_OK)
            rc = ps_outputs_mkdir(dir, &err);
    }
    if (rc == PS_OK)
        rc = ps_real_backend_set_expendable(be, ps_real_expendable_from(&cfg), &err);
    if (rc == PS_OK)
        rc = node_run(&a, &cfg, dir, be, &err);
    if (rc)
        fprintf(stderr, "pslab node %d: %s\n", a.rank, err.msg);
    if (be)
        be->ops->destroy(be);
    free(text);
    free(coord_dir);
    free(tmp);
    ps_config_free(&cfg);
    int sig = a.interrupted ? a.interrupted : ps_interrupt_signal();
    return rc ? (sig ? 128 + sig : 1) : 0;
}
