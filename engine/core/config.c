/* The run configuration (see config.h): one table declares every key; number
 * parsing with SI suffixes; an inih driver that tracks line numbers itself; and the
 * writer and reference, both generated from the table. */
#include "engine/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/models/model.h"
#include "policies/registry.h"

#define T_INT PS_KEY_INT
#define T_U64 PS_KEY_U64
#define T_DOUBLE PS_KEY_DOUBLE
#define T_STRING PS_KEY_STRING
#define T_ENUM PS_KEY_ENUM
#define T_PATH PS_KEY_PATH
#define F_REQUIRED PS_KEY_F_REQUIRED
#define F_MIN PS_KEY_F_MIN
#define F_MIN_OPEN PS_KEY_F_MIN_OPEN
#define F_MAX PS_KEY_F_MAX
#define F_STEM PS_KEY_F_STEM

/* A key of the core's table, with its field of ps_config. */
typedef struct core_key {
    const char *section, *key;
    ps_key_type type;
    size_t off;
    const char *def;
    unsigned flags;
    double min, max;
    const char *const *choices;
    const char *doc;
} core_key;

/* A key of the whole table: the core's, or a module's (a model's own keys), which
 * has a slot of ps_config.module and names the module that owns it. */
typedef struct key_def {
    const char *section, *key;
    ps_key_type type;
    size_t off;
    const char *def; /* parsed like a file value; NULL when required */
    unsigned flags;
    double min, max; /* integer keys' bounds are below 2^53, hence exact */
    const char *const *choices; /* T_ENUM: NULL-terminated */
    const char *doc;
    const char *owner; /* module keys: the model or policy whose key it is; NULL: core */
    int owner_is_policy; /* enum owner_kind: a model's, a consistency model's, a scheduler's */
    int stage;         /* stage keys: the stage's number N ([stage.N]); 0 for others */
    int task;          /* task keys: the task's number N ([task.N]); 0 for others */
} key_def;

enum owner_kind { OWNER_MODEL, OWNER_CONSISTENCY, OWNER_SCHEDULER };

/* inih reads lines into a 200-byte buffer, so "key = value" must stay well under it
 * for a written config to load again. */
#define MAX_STRING 160

#define OFF(f) offsetof(ps_config, f)
#define ANY PS_KEY_ANY
#define IN(lo, hi) PS_KEY_IN(lo, hi)
#define POS PS_KEY_POS
#define POS_TO(hi) PS_KEY_POS_TO(hi)

static const char *const backend_names[] = {"sim", "real", NULL};
static const char *const store_names[] = {"mem", "disk", "rocksdb", NULL};
static const char *const source_names[] = {"synthetic", "libsvm", "movielens", "idx", NULL};
static const char *const order_names[] = {"shuffled", "file", NULL};
static const char *const onoff_names[] = {"off", "on", NULL};
static const char *const worker_failure_names[] = {"restart", "continue", "abort", NULL};
static const char *const target_names[] = {"logistic", "linear", NULL};
static const char *const generator_names[] = {"ctr", "ratings", "mixture", "dense", NULL};
static const char *const update_names[] = {"average", "sum", NULL};
static const char *const index_names[] = {"off", "none", "basic", "ours", NULL};
static const core_key core_keys[] = {
    {"run", "name", T_STRING, OFF(name), "", F_STEM, 0, 0, NULL,
     "run name, used to name the outputs; empty = the config file's name"},
    {"run", "seed", T_U64, OFF(seed), "1", ANY, NULL,
     "seed of all randomness: data, sampling, initialisation, platform"},
    {"run", "iterations", T_INT, OFF(iterations), NULL, F_REQUIRED | IN(1, 1e7), NULL,
     "iterations (clocks) per worker; each processes one mini-batch"},
    {"run", "eval_every", T_INT, OFF(eval_every), "10", IN(1, 1e7), NULL,
     "evaluate on the test set every this many iterations, and after the last"},
    {"run", "eval_full_max", T_U64, OFF(eval_full_max), "256M", IN(0, 1e15), NULL,
     "bytes: a table larger than this is evaluated on the keys the held-out set touches "
     "alone, which are all the servers snapshot and the coordinator holds (0: always); "
     "models that need every value (lasso, kmeans) are evaluated whole"},
    {"run", "backend", T_ENUM, OFF(backend), "sim", ANY, backend_names,
     "execution backend: sim = SimGrid-simulated cluster; real = one process per node "
     "over TCP (local processes on 127.0.0.1, or pslab node on a cluster)"},

    {"cluster", "servers", T_INT, OFF(servers), NULL, F_REQUIRED | IN(1, 1e5), NULL,
     "parameter-server nodes; the model's keys are split among them"},
    {"cluster", "workers", T_INT, OFF(workers), NULL, F_REQUIRED | IN(1, 1e5), NULL,
     "worker nodes; each trains on its own shard of the training data"},
    {"cluster", "workers_per_node", T_INT, OFF(workers_per_node), "1", IN(1, 10000), NULL,
     "workers sharing a node (a host in sim, a process on the real backend, its workers "
     "threads): the cluster has servers + ceil(workers / workers_per_node) nodes"},
    {"cluster", "platform", T_PATH, OFF(platform), "", ANY, NULL,
     "SimGrid platform XML file; empty = generate one from [platform]"},

    {"platform", "host_speed", T_DOUBLE, OFF(host_speed), "1G", POS, NULL,
     "compute speed of a host, flop/s"},
    {"platform", "bandwidth", T_DOUBLE, OFF(bandwidth), "1.25G", IN(1e3, 1e15), NULL,
     "bandwidth of each host's network link, bytes/s (1.25G = 10 Gbit/s; below 1k, "
     "SimGrid 3.32's solver fails mid-run)"},
    {"platform", "latency", T_DOUBLE, OFF(latency), "50u", IN(0, 10), NULL,
     "latency of each network link, seconds"},
    {"platform", "speed_spread", T_DOUBLE, OFF(speed_spread), "0", IN(0, 0.99), NULL,
     "host speed heterogeneity: speeds uniform in host_speed * (1 +- speed_spread)"},
    {"platform", "slow_fraction", T_DOUBLE, OFF(slow_fraction), "0", IN(0, 1), NULL,
     "fraction of hosts that are stragglers, slower by slow_factor"},
    {"platform", "slow_factor", T_DOUBLE, OFF(slow_factor), "1", IN(1, 1000), NULL,
     "how many times slower a straggler host computes"},
    {"platform", "disk_read_bw", T_DOUBLE, OFF(disk_read_bw), "200M", POS, NULL,
     "disk read bandwidth of a host, bytes/s"},
    {"platform", "disk_write_bw", T_DOUBLE, OFF(disk_write_bw), "100M", POS, NULL,
     "disk write bandwidth of a host, bytes/s"},
    {"platform", "disk_seek", T_DOUBLE, OFF(disk_seek), "0", IN(0, 1), NULL,
     "seconds a read of a block not in the page cache waits before its transfer "
     "(server.store = disk in sim)"},
    {"platform", "cores", T_INT, OFF(cores), "1", IN(1, 1024), NULL,
     "cores of each host: as many of its actors compute at once at host_speed each (FlexPS "
     "runs a worker thread a core; set it to cluster.workers_per_node to match)"},
    {"platform", "worker_links", T_INT, OFF(worker_links), "1", IN(0, 1), NULL,
     "1 = every host has a link to a backbone; 0 = only server hosts have links, carrying "
     "the whole path latency (workers' NICs never the bottleneck; much faster at scale)"},
    {"platform", "precision", T_DOUBLE, OFF(precision), "1n", IN(1e-12, 1e-3), NULL,
     "SimGrid time precision, seconds: events closer than this are merged (1n = exact; "
     "10u makes 1000-host runs several times faster, see README)"},

    {"data", "source", T_ENUM, OFF(source), "synthetic", ANY, source_names,
     "training data: synthetic (data.generator, with a known true model), libsvm (LIBSVM "
     "text), movielens (ratings: user::item::rating::timestamp lines, or the CSV with a "
     "userId,movieId,rating,timestamp header), idx (MNIST-style IDX images, data.labels)"},
    {"data", "path", T_PATH, OFF(path), "", ANY, NULL,
     "the training file (LIBSVM, MovieLens or IDX images); required unless synthetic"},
    {"data", "test_path", T_PATH, OFF(test_path), "", ANY, NULL,
     "the held-out file, of the same format; empty = hold out test_fraction of data.path"},
    {"data", "labels", T_PATH, OFF(labels), "", ANY, NULL,
     "idx: the labels file of data.path (IDX, magic 0x801); plain or gzip'd"},
    {"data", "test_labels", T_PATH, OFF(test_labels), "", ANY, NULL,
     "idx: the labels file of data.test_path"},
    {"data", "classes", T_STRING, OFF(classes), "", ANY, NULL,
     "idx: 'a,b' keeps the images of labels a and b, as labels 0 and 1 (for lr, svm); "
     "empty = every class (kmeans)"},
    {"data", "test_fraction", T_DOUBLE, OFF(test_fraction), "0.1", IN(0.01, 0.9), NULL,
     "fraction of the file's examples held out for testing when test_path is empty"},
    {"data", "order", T_ENUM, OFF(order), "shuffled", ANY, order_names,
     "the order mini-batches take a worker's rows in: shuffled = a new permutation each "
     "epoch, drawn from the seed; file = in file (generation) order"},
    {"data", "features", T_U64, OFF(features), "0", IN(0, 4294967294.0), NULL,
     "feature dimensions of the data and the model (which adds one bias weight); 0 = the "
     "default: 100000 for generated CTR rows, 20 for dense generated rows, and for files the "
     "largest index in the training and test files (a larger index is an error)"},
    {"data", "train_examples", T_U64, OFF(train_examples), "100000", IN(1, 1e10), NULL,
     "synthetic: training examples, split among the workers"},
    {"data", "test_examples", T_U64, OFF(test_examples), "10000", IN(1, 1e8), NULL,
     "synthetic: held-out test examples"},
    {"data", "nnz", T_INT, OFF(nnz), "20", IN(1, 1e5), NULL,
     "synthetic: nonzero features per example"},
    {"data", "zipf", T_DOUBLE, OFF(zipf), "1.1", IN(0, 4), NULL,
     "synthetic: Zipf exponent of feature popularity (0 = uniform, larger = more skew)"},
    {"data", "weight_scale", T_DOUBLE, OFF(weight_scale), "1", IN(0, 100), NULL,
     "synthetic: scale of the true model's weights (larger = less label noise)"},
    {"data", "generator", T_ENUM, OFF(generator), "ctr", ANY, generator_names,
     "synthetic: ctr = sparse CTR-like rows (lr, svm, lasso); ratings = (user, item) "
     "ratings of a low-rank truth with power-law popularity (mf); mixture = dense rows of "
     "data.features dimensions from data.clusters Gaussians (kmeans); dense = dense rows "
     "labelled by a logistic truth (lr, svm)"},
    {"data", "users", T_U64, OFF(users), "10000", IN(1, 4294967295.0), NULL,
     "synthetic ratings: users (keys of the user table)"},
    {"data", "items", T_U64, OFF(items), "5000", IN(1, 4294967295.0), NULL,
     "synthetic ratings: items (keys of the item table)"},
    {"data", "true_rank", T_INT, OFF(true_rank), "8", IN(1, 4096), NULL,
     "synthetic ratings: rank of the true factors"},
    {"data", "rating_mean", T_DOUBLE, OFF(rating_mean), "3", IN(-1e6, 1e6), NULL,
     "synthetic ratings: the ratings' mean (the predictions' offset)"},
    {"data", "clusters", T_INT, OFF(clusters), "10", IN(1, 1e6), NULL,
     "synthetic mixture: Gaussian clusters"},
    {"data", "spread", T_DOUBLE, OFF(spread), "3", IN(0, 1e6), NULL,
     "synthetic mixture: the centres' standard deviation per dimension (points have 1)"},
    {"data", "target", T_ENUM, OFF(target), "logistic", ANY, target_names,
     "synthetic: labels drawn from the true model's margin: logistic = 0/1 with the "
     "sigmoid's probability (lr, svm); linear = the margin plus Gaussian noise (lasso)"},
    {"data", "true_density", T_DOUBLE, OFF(true_density), "1", POS_TO(1), NULL,
     "synthetic: share of the features whose true weight is nonzero (below 1: a sparse "
     "truth, whose support lasso should recover)"},
    {"data", "noise", T_DOUBLE, OFF(noise), "0.1", IN(0, 100), NULL,
     "synthetic, target = linear, and ratings: standard deviation of the labels' Gaussian "
     "noise"},

    {"model", "type", T_ENUM, OFF(type), "lr", ANY, ps_model_names,
     "the model, one file of engine/models/ each (README, Models); a model's own keys "
     "follow, marked with its name"},
    {"model", "batch", T_INT, OFF(batch), "100", IN(1, 1e7), NULL,
     "mini-batch size of each worker per iteration, examples"},
    {"model", "lr", T_DOUBLE, OFF(lr), "0.5", POS_TO(1000), NULL,
     "SGD learning rate (step size) at iteration 0"},
    {"model", "update", T_ENUM, OFF(update), "average", ANY, update_names,
     "how the workers' steps combine: average = each worker's step is lr / workers, so "
     "the applied step is lr whatever the worker count (under BSP, the step of the "
     "averaged gradient); sum = each worker steps by lr, so W workers step by W * lr"},
    {"model", "lr_decay", T_DOUBLE, OFF(lr_decay), "0", IN(0, 1000), NULL,
     "learning-rate decay: the step at iteration t is lr / (1 + lr_decay * t)"},
    {"model", "l2", T_DOUBLE, OFF(l2), "1e-4", IN(0, 1000), NULL,
     "L2 regularisation weight (0 = none)"},
    {"model", "flop_scale", T_DOUBLE, OFF(flop_scale), "1", IN(0, 1e9), NULL,
     "multiplies the counted flops charged to the simulated host (0 = free compute)"},

    {"server", "store", T_ENUM, OFF(store), "mem", ANY, store_names,
     "parameter store of each server: mem (in memory); disk (blocks on the server's disk: "
     "on the real backend a RocksDB database per server under RUN_DIR/store/, WAL on; in "
     "sim the same blocks and I/O, charged to the host's first simulated disk through a "
     "page cache of server.cache, the values kept in memory); rocksdb (RocksDB on both "
     "backends: in sim its real I/O is charged, at the cost of real disk writes)"},
    {"server", "block_keys", T_INT, OFF(block_keys), "64", IN(1, 1e6), NULL,
     "disk, rocksdb: consecutive keys stored together as one block (a RocksDB value)"},
    {"server", "cache", T_U64, OFF(cache_bytes), "64M", IN(1 << 16, 1e13), NULL,
     "disk, rocksdb: block cache bound per server, bytes (RocksDB's; sim's page cache)"},

    {"index", "strategy", T_ENUM, OFF(index_strategy), "off", ANY, index_names,
     "DRPS's block index of the first table, built before training by the workers and the "
     "coordinator over the backend: hot keys (touched by more than index.hot sampled "
     "batches) merge into disk blocks by the gain of their co-access; ours = the best "
     "index.per_round disjoint pairs a round, basic = the best pair a round, none = one key "
     "a block; a block lives on one server (its first key's). off = no index: blocks of "
     "server.block_keys consecutive keys. Written to RUN_DIR/index.csv"},
    {"index", "samples", T_INT, OFF(index_samples), "20", IN(1, 1e5), NULL,
     "index: batches each worker samples (its first ones, of model.batch rows)"},
    {"index", "hot", T_INT, OFF(index_hot), "25", IN(0, 1e9), NULL,
     "index: a key is hot when more than this many sampled batches (of all workers) touch it"},
    {"index", "per_round", T_INT, OFF(index_per_round), "1000", IN(1, 1e8), NULL,
     "index = ours: disjoint pairs merged a round"},
    {"index", "max_block", T_INT, OFF(index_max_block), "0", IN(0, 1e8), NULL,
     "index: most keys a block may hold; 0 = DRPS's rule, hot keys / (servers x 6), at least 2"},
    {"index", "min_gain", T_DOUBLE, OFF(index_min_gain), "0", IN(0, 1e9), NULL,
     "index: a merge must save more than this, in seconds of disk time over the samples"},
    {"index", "load", T_PATH, OFF(index_load), "", ANY, NULL,
     "index: an index.csv of an earlier run to use instead of building one (same table size)"},

    {"real", "port", T_INT, OFF(real_port), "0", IN(0, 65535), NULL,
     "real: the coordinator's TCP port on 127.0.0.1 for local runs (0 = any free port)"},
    {"real", "timeout", T_DOUBLE, OFF(real_timeout), "10", POS_TO(86400), NULL,
     "real: seconds to wait for nodes to join, for a peer to accept a connection, to flush "
     "at shutdown, and for a heartbeat (a node silent that long, stopped or hung, counts as "
     "failed); past it the node reports the address or node that failed and exits"},
    {"real", "send_buffer", T_U64, OFF(real_send_buffer), "64M", IN(65536, 1e12), NULL,
     "real: bytes queued per connection before a sender blocks (back-pressure)"},
    {"real", "stall_timeout", T_DOUBLE, OFF(real_stall_timeout), "0", IN(0, 1e6), NULL,
     "real: seconds the coordinator waits for any message (a snapshot, a worker's end) "
     "before it calls the run stalled, names what it waits for and ends it; 0 = forever"},

    {"fault", "checkpoint_every", T_INT, OFF(checkpoint_every), "0", IN(0, 1e9), NULL,
     "clocks between the servers' checkpoints (RUN_DIR/checkpoint/), each at a clock every "
     "worker has completed and none gone past (a barrier, under every consistency model), "
     "for pslab run --resume; 0 = none"},
    {"fault", "checkpoint_full_every", T_INT, OFF(checkpoint_full_every), "10", IN(1, 1e6), NULL,
     "every Nth checkpoint is whole; the ones between hold only the values written since "
     "the one before (of a dense shard; a sparse one is whole in each), and --resume "
     "applies them to the whole one in order; 1 = every checkpoint whole"},
    {"fault", "restarts", T_INT, OFF(fault_restarts), "0", IN(0, 1000), NULL,
     "times a run whose node died (real, local launch: a process killed by a signal other "
     "than SIGTERM; either backend: a fault.crash) starts again on fresh nodes from its "
     "newest checkpoint (or, before the first, from the start); 0 = the run fails"},
    {"fault", "crash", T_STRING, OFF(fault_crash), "", ANY, NULL,
     "injected crashes, each NODE@CLOCK (server1@40, worker3@100): the node dies once it has "
     "completed that many clocks (real: its process kills itself with SIGKILL), or "
     "NODE@SECONDSs (server1@2.5s): at its first clock end from that time of the run on "
     "(simulated in sim, wall on the real backend); each once, in order; needs a "
     "fault.restarts for each that restarts the run"},
    {"fault", "rate", T_DOUBLE, OFF(fault_rate), "0", IN(0, 1e9), NULL,
     "crashes per node and hour of the run's time (simulated in sim, wall on the real "
     "backend), drawn from the seed: each after an exponential time from the one before "
     "(from the attempt's start), on a node drawn alike (not node 0 on the real backend); "
     "a crash that restarts the run uses a fault.restarts, and one more than those fails "
     "the run (under fault.on_worker_failure = continue a worker's is lost instead); 0 = none"},
    {"fault", "recovery_s", T_DOUBLE, OFF(fault_recovery_s), "1", IN(0, 1e6), NULL,
     "sim: simulated seconds from an injected crash to the restarted run (detection and new "
     "processes; the real backend measures its own)"},
    {"fault", "on_worker_failure", T_ENUM, OFF(on_worker_failure), "restart", ANY,
     worker_failure_names,
     "a worker node's death: restart (the run starts again from its checkpoint, as for a "
     "server's; uses a fault.restarts), continue (the run goes on without it: the servers "
     "count only the remaining workers from then on, its updates so far are kept and its "
     "data shard is dropped; summary.txt names it; one stage, one task) or abort (the run "
     "fails, whatever fault.restarts)"},
    {"fault", "slow", T_STRING, OFF(fault_slow), "", ANY, NULL,
     "sim: slowdowns, each TARGET@START+DURATIONxFACTOR in simulated seconds of the run: "
     "serverN.cpu or workerN.cpu (its computations take FACTOR times as long), .disk (its "
     "disk's accesses), .net (its own links' bandwidth / FACTOR), or link:NAME (a platform "
     "link's); e.g. worker3.cpu@10+20x4"},
    {"fault", "link_down", T_STRING, OFF(fault_link_down), "", ANY, NULL,
     "sim: links down, each TARGET@START+DURATION: serverN or workerN (its own links) or "
     "link:NAME; a message sent meanwhile whose route crosses one waits until it is up "
     "again (as TCP resends it), one already on its way arrives; e.g. server1@5+2"},

    {"policy", "consistency", T_ENUM, OFF(consistency), "bsp", ANY, ps_consistency_names,
     "consistency model: when a worker's pull may be served (bsp, ssp = stale synchronous, "
     "asp = asynchronous, wsp = worker-selection)"},
    {"policy", "staleness", T_INT, OFF(staleness), "2", IN(0, 1e6), NULL,
     "ssp: a pull for clock c waits until every worker finished c-staleness-1; wsp: the "
     "most clocks a read may lag"},
    {"policy", "direct_transfer", T_ENUM, OFF(direct_transfer), "off", ANY, onoff_names,
     "on: a stage of one worker takes the model from the servers in bulk as it begins, "
     "trains on its own copy, and hands it back in bulk as it ends, instead of a pull and a "
     "push per iteration (FlexPS); the model is the same either way"},
    {"policy", "partitioner", T_ENUM, OFF(partitioner), "range", ANY, ps_partitioner_names,
     "how model keys are split among the servers"},
    {"policy", "scheduler", T_ENUM, OFF(scheduler), "greedy", ANY, ps_scheduler_names,
     "a multi-task run's stage scheduler ([task.N] sections): sequential = one stage in "
     "flight, in submission order; greedy = every ready stage that fits the free worker "
     "slots; priority = greedy, but a task that keeps failing to start is served first; "
     "auto = one stage at a time on every worker node, with the workers a node runs "
     "searched by timed probes (auto-parallelism; also for a config without tasks)"},
    {"policy", "cache", T_ENUM, OFF(cache), "off", ANY, ps_cache_names,
     "a cache of pulled chunks on each worker node, shared by its workers (lru or lfu "
     "eviction; off: none): a chunk is read from it while the consistency model's staleness "
     "bound allows, and a chunk another worker of the node is already fetching for the same "
     "clock is not fetched twice (BSP, or a bound of 0)"},
    {"cache", "bytes", T_U64, OFF(worker_cache_bytes), "64M", IN(4096, 1e13), NULL,
     "policy.cache: bytes of each node's cache, counting each chunk's values and bookkeeping"},
    {"cache", "staleness", T_INT, OFF(cache_staleness), "-1", IN(-1, 1e6), NULL,
     "policy.cache: clocks a chunk may be read after the clock it was served at (when the "
     "slowest worker had completed c clocks, up to clock c + this); -1 = the consistency "
     "model's bound (bsp 0, ssp and wsp policy.staleness, asp 0); at most that bound"},

    {"stragglers", "fraction", T_DOUBLE, OFF(straggler_fraction), "0", IN(0, 1), NULL,
     "share of the workers (chosen from the seed) that are slow for the whole run"},
    {"stragglers", "factor", T_DOUBLE, OFF(straggler_factor), "1", IN(1, 1000), NULL,
     "how many times longer a slow worker's compute takes (sim: simulated time; real: "
     "it sleeps in proportion to its measured compute)"},
    {"stragglers", "iteration_prob", T_DOUBLE, OFF(straggler_iteration_prob), "0", IN(0, 1), NULL,
     "chance that any one iteration of any worker is slow, drawn from the seed"},
    {"stragglers", "iteration_factor", T_DOUBLE, OFF(straggler_iteration_factor), "1",
     IN(1, 1000), NULL, "how many times longer a slow iteration's compute takes"},
};

static const char *const step_names[] = {"sgd", "full_gradient", NULL};

/* The keys of a [stage.N] section, with their fields of ps_stage_config; no
 * defaults: a key left out takes the run's value (stage_inherit). */
#define SOFF(f) offsetof(ps_stage_config, f)
static const core_key stage_keys[] = {
    {NULL, "workers", T_INT, SOFF(workers), NULL, IN(1, 1e5), NULL,
     "workers of this stage, at most cluster.workers (the others idle); default: all"},
    {NULL, "iterations", T_INT, SOFF(iterations), NULL, IN(1, 1e7), NULL,
     "iterations (clocks) of this stage; clocks count within a stage; default: run.iterations"},
    {NULL, "batch", T_INT, SOFF(batch), NULL, IN(1, 1e7), NULL,
     "mini-batch size of each worker in this stage; default: model.batch"},
    {NULL, "lr", T_DOUBLE, SOFF(lr), NULL, POS_TO(1000), NULL,
     "step size at the stage's first iteration; default: model.lr"},
    {NULL, "lr_decay", T_DOUBLE, SOFF(lr_decay), NULL, IN(0, 1000), NULL,
     "the step at the stage's iteration t is lr / (1 + lr_decay * t); default: model.lr_decay"},
    {NULL, "consistency", T_ENUM, SOFF(consistency), NULL, ANY, ps_consistency_names,
     "the stage's consistency model; servers reset to the stage's workers when it starts; "
     "default: policy.consistency"},
    {NULL, "staleness", T_INT, SOFF(staleness), NULL, IN(0, 1e6), NULL,
     "ssp, wsp: the stage's staleness bound; default: policy.staleness"},
    {NULL, "step", T_ENUM, SOFF(step), NULL, ANY, step_names,
     "the model's algorithm step in this stage: sgd, or full_gradient (svrg); default: sgd"},
};
#define N_STAGE_KEYS (sizeof stage_keys / sizeof stage_keys[0])

/* The keys of a [task.N] section, with their fields of ps_task_config. */
#define TOFF(f) offsetof(ps_task_config, f)
static const core_key task_keys[] = {
    {NULL, "config", T_PATH, TOFF(config), "", ANY, NULL,
     "the task's own config file: its model, data and [stage.N] worker requests (its "
     "cluster.* and run.backend keys are the run's)"},
    {NULL, "submit", T_DOUBLE, TOFF(submit), "0", IN(0, 1e9), NULL,
     "seconds after the run's start at which the task is submitted to the scheduler"},
    {NULL, "name", T_STRING, TOFF(name), "", ANY, NULL,
     "the task's directory in the run directory (default taskN)"},
};
#define N_TASK_KEYS (sizeof task_keys / sizeof task_keys[0])

#define N_CORE_KEYS (sizeof core_keys / sizeof core_keys[0])
#define MAX_KEYS (N_CORE_KEYS + PS_CONFIG_MODULE_KEYS + PS_CONFIG_MAX_STAGES * N_STAGE_KEYS + \
                  PS_CONFIG_MAX_TASKS * N_TASK_KEYS)

/* The whole table: the core's keys, with each model's own keys placed after the
 * last core key of their section (so that files and the reference group them),
 * built once from the model registry. */
static key_def keys[MAX_KEYS];
static size_t N_KEYS;

static void add_module_key(const ps_config_key *k, const char *owner, int is_policy, size_t slot)
{
    size_t at = N_KEYS;
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, k->section) == 0)
            at = i + 1;
    memmove(&keys[at + 1], &keys[at], (N_KEYS - at) * sizeof keys[0]);
    keys[at] = (key_def){k->section, k->key, k->type, OFF(module) + slot * sizeof(ps_config_value),
                         k->def, k->flags, k->min, k->max, k->choices, k->doc, owner, is_policy,
                         0, 0};
    N_KEYS++;
}

/* A module's keys (NULL-terminated by a NULL key), from module slot *slot on. */
static void add_module_keys(const ps_config_key *k, const char *owner, int kind, size_t *slot)
{
    for (; k && k->key; k++) {
        if (*slot == PS_CONFIG_MODULE_KEYS) {
            fprintf(stderr, "pslab: more than %d module config keys\n", PS_CONFIG_MODULE_KEYS);
            abort(); /* raise PS_CONFIG_MODULE_KEYS */
        }
        add_module_key(k, owner, kind, (*slot)++);
    }
}

static void table_init(void)
{
    if (N_KEYS)
        return;
    for (size_t i = 0; i < N_CORE_KEYS; i++) {
        const core_key *k = &core_keys[i];
        keys[i] = (key_def){k->section, k->key, k->type, k->off, k->def, k->flags, k->min,
                            k->max, k->choices, k->doc, NULL, 0, 0, 0};
    }
    N_KEYS = N_CORE_KEYS;
    /* every stage's keys, sections stage.1 .. stage.16 */
    static char names[PS_CONFIG_MAX_STAGES][16];
    for (int n = 0; n < PS_CONFIG_MAX_STAGES; n++) {
        snprintf(names[n], sizeof names[n], "stage.%d", n + 1);
        for (size_t i = 0; i < N_STAGE_KEYS; i++) {
            const core_key *k = &stage_keys[i];
            keys[N_KEYS++] = (key_def){names[n], k->key, k->type,
                                       OFF(stages) + (size_t)n * sizeof(ps_stage_config) + k->off,
                                       k->def, k->flags, k->min, k->max, k->choices, k->doc,
                                       NULL, 0, n + 1, 0};
        }
    }
    static char task_names[PS_CONFIG_MAX_TASKS][16];
    for (int n = 0; n < PS_CONFIG_MAX_TASKS; n++) {
        snprintf(task_names[n], sizeof task_names[n], "task.%d", n + 1);
        for (size_t i = 0; i < N_TASK_KEYS; i++) {
            const core_key *k = &task_keys[i];
            keys[N_KEYS++] = (key_def){task_names[n], k->key, k->type,
                                       OFF(tasks) + (size_t)n * sizeof(ps_task_config) + k->off,
                                       k->def, k->flags, k->min, k->max, k->choices, k->doc,
                                       NULL, 0, 0, n + 1};
        }
    }
    size_t slot = 0;
    for (int m = 0; ps_models[m]; m++)
        add_module_keys(ps_models[m]->keys, ps_models[m]->name, OWNER_MODEL, &slot);
    for (int p = 0; ps_consistency_policies[p]; p++)
        add_module_keys(ps_consistency_policies[p]->keys, ps_consistency_policies[p]->name,
                        OWNER_CONSISTENCY, &slot);
    for (int p = 0; ps_scheduler_policies[p]; p++)
        add_module_keys(ps_scheduler_policies[p]->keys, ps_scheduler_policies[p]->name,
                        OWNER_SCHEDULER, &slot);
}

/* ---- the table ---------------------------------------------------------------- */

static void *field(ps_config *c, const key_def *k) { return (char *)c + k->off; }

static const void *cfield(const ps_config *c, const key_def *k)
{
    return (const char *)c + k->off;
}

static int is_string_type(const key_def *k) { return k->type >= T_STRING; }

static const char *type_name(const key_def *k)
{
    static const char *const names[] = {"int", "uint64", "double", "string", "enum", "path"};
    return names[k->type];
}

/* Sections are whatever the table uses, so a new key never needs a second list. */
static int section_known(const char *s, size_t len)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strlen(keys[i].section) == len && strncmp(keys[i].section, s, len) == 0)
            return 1;
    return 0;
}

static int find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

static int is_unset(const ps_config *c, const key_def *k)
{
    const void *p = cfield(c, k);
    switch (k->type) {
    case T_INT: return *(const int *)p == 0;
    case T_U64: return *(const uint64_t *)p == 0;
    case T_DOUBLE: return *(const double *)p == 0;
    default: return !*(char *const *)p || !**(char *const *)p;
    }
}

/* ---- numbers ------------------------------------------------------------------ */

/* Large suffixes multiply by an exact power of ten; small ones divide by one, which
 * rounds correctly (50u == 5e-5 exactly, where 50 * 1e-6 is off by one ulp). */
static const struct {
    char c;
    double scale;
    int divide;
} si[] = {{'k', 1e3, 0}, {'K', 1e3, 0}, {'M', 1e6, 0}, {'G', 1e9, 0}, {'T', 1e12, 0},
          {'m', 1e3, 1}, {'u', 1e6, 1}, {'n', 1e9, 1}};

static int si_index(char ch)
{
    for (size_t i = 0; i < sizeof si / sizeof si[0]; i++)
        if (si[i].c == ch)
            return (int)i;
    return -1;
}

static int parse_double(const char *s, double *out, char *why, size_t n)
{
    if (!*s)
        return snprintf(why, n, "empty value (expected a number)"), PS_ERR;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || isspace((unsigned char)*s))
        return snprintf(why, n, "not a number"), PS_ERR;
    int e = errno, suffix = si_index(*end);
    if (suffix >= 0 && end[1] == '\0')
        end++;
    else
        suffix = -1;
    if (*end)
        return snprintf(why, n, "not a number (unexpected '%s')", end), PS_ERR;
    if (e == ERANGE)
        return snprintf(why, n, "too large or too small for a double"), PS_ERR;
    if (!isfinite(v))
        return snprintf(why, n, "not a finite number"), PS_ERR;
    if (suffix >= 0) {
        double before = v;
        v = si[suffix].divide ? v / si[suffix].scale : v * si[suffix].scale;
        if (!isfinite(v) || (v == 0) != (before == 0))
            return snprintf(why, n, "too large or too small for a double"), PS_ERR;
    }
    *out = v;
    return PS_OK;
}

/* Whole numbers: digits with an optional k/M/G/T suffix ("10M", exact to 2^64-1),
 * or anything parse_double takes that is whole ("1e6", "2.5k"). Through a double,
 * values above 2^53 may not be what was written: flagged *inexact, and refused by
 * the caller only if in range, so that "1e17 examples" still reads "out of range". */
static int parse_whole(const char *s, int *neg, uint64_t *mag, int *inexact, char *why,
                       size_t n)
{
    const char *p = s + (*s == '-');
    *neg = p != s;
    *inexact = 0;
    if (isdigit((unsigned char)*p)) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno == ERANGE)
            return snprintf(why, n, "too large"), PS_ERR;
        int suffix = si_index(*end);
        if (suffix >= 0 && !si[suffix].divide && end[1] == '\0') {
            if (v > UINT64_MAX / (uint64_t)si[suffix].scale)
                return snprintf(why, n, "too large"), PS_ERR;
            v *= (uint64_t)si[suffix].scale;
            end++;
        }
        if (*end == '\0')
            return *mag = v, PS_OK;
    }
    double d;
    if (parse_double(s, &d, why, n))
        return PS_ERR;
    if (d != floor(d))
        return snprintf(why, n, "not a whole number"), PS_ERR;
    if (fabs(d) >= 18446744073709551616.0)
        return snprintf(why, n, "too large"), PS_ERR;
    *inexact = fabs(d) > 9007199254740992.0;
    *neg = d < 0;
    *mag = (uint64_t)fabs(d);
    return PS_OK;
}

/* Bounds as text: whole numbers in full ("10000000", not "1e+07"). */
static void bound_text(double v, char *buf, size_t n)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%g", v);
}

static void range_text(const key_def *k, char *buf, size_t n)
{
    char lo[32], hi[32];
    bound_text(k->min, lo, sizeof lo);
    bound_text(k->max, hi, sizeof hi);
    unsigned f = k->flags & (F_MIN | F_MIN_OPEN | F_MAX);
    if (f == (F_MIN_OPEN | F_MAX))
        snprintf(buf, n, "> %s and <= %s", lo, hi);
    else if (f == F_MIN_OPEN)
        snprintf(buf, n, "> %s", lo);
    else if (f == (F_MIN | F_MAX))
        snprintf(buf, n, "in %s..%s", lo, hi);
    else if (f == F_MIN)
        snprintf(buf, n, ">= %s", lo);
    else if (k->type == T_U64)
        snprintf(buf, n, "in 0..%" PRIu64, UINT64_MAX);
    else
        snprintf(buf, n, "any");
}

static int in_range(const key_def *k, double v)
{
    if ((k->flags & F_MIN) && v < k->min)
        return 0;
    if ((k->flags & F_MIN_OPEN) && v <= k->min)
        return 0;
    if ((k->flags & F_MAX) && v > k->max)
        return 0;
    return 1;
}

static int out_of_range(const key_def *k, char *why, size_t n)
{
    char r[96];
    range_text(k, r, sizeof r);
    snprintf(why, n, "out of range (must be %s)", r);
    return PS_ERR;
}

static int set_number(ps_config *c, const key_def *k, const char *s, char *why, size_t n)
{
    double v;
    int neg = 0, inexact = 0;
    uint64_t mag = 0;
    if (k->type == T_DOUBLE) {
        if (parse_double(s, &v, why, n))
            return PS_ERR;
    } else {
        if (parse_whole(s, &neg, &mag, &inexact, why, n))
            return PS_ERR;
        if (k->type == T_U64 && neg && mag)
            return out_of_range(k, why, n);
        v = neg ? -(double)mag : (double)mag;
    }
    if (!in_range(k, v) || (k->type == T_INT && (v < -2147483648.0 || v > 2147483647.0)))
        return out_of_range(k, why, n);
    if (inexact)
        return snprintf(why, n, "too large to be exact in this notation; write the digits"),
               PS_ERR;
    if (k->type == T_DOUBLE)
        *(double *)field(c, k) = v;
    else if (k->type == T_INT)
        *(int *)field(c, k) = (int)v;
    else
        *(uint64_t *)field(c, k) = mag;
    return PS_OK;
}

/* ---- strings ------------------------------------------------------------------ */

static void choices_text(const key_def *k, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; k->choices[i] && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", k->choices[i]);
}

static int is_choice(const key_def *k, const char *s)
{
    for (int i = 0; k->choices[i]; i++)
        if (strcmp(k->choices[i], s) == 0)
            return 1;
    return 0;
}

/* A string must survive ps_config_write and a reload: inih would cut it at an inline
 * comment (" ;"), and control characters or an overlong line cannot be written. */
static int check_string(const char *s, char *why, size_t n)
{
    if (strlen(s) > MAX_STRING)
        return snprintf(why, n, "longer than %d characters", MAX_STRING), PS_ERR;
    /* config.ini writes "key = value": what INI would read back otherwise is refused */
    if (s[0] == ';')
        return snprintf(why, n, "starts with ';', which INI reads as a comment"), PS_ERR;
    if (s[0] && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[strlen(s) - 1])))
        return snprintf(why, n, "begins or ends with a space, which INI drops"), PS_ERR;
    for (const char *p = s; *p; p++) {
        if (iscntrl((unsigned char)*p))
            return snprintf(why, n, "contains a control character"), PS_ERR;
        if (*p == ';' && p > s && isspace((unsigned char)p[-1]))
            return snprintf(why, n, "contains ' ;', which INI reads as a comment"), PS_ERR;
    }
    return PS_OK;
}

static int set_string(ps_config *c, const key_def *k, const char *s, char *why, size_t n)
{
    if (k->type == T_ENUM && !is_choice(k, s)) {
        char list[200];
        choices_text(k, list, sizeof list);
        return snprintf(why, n, "not one of %s", list), PS_ERR;
    }
    if (check_string(s, why, n))
        return PS_ERR;
    char *copy = strdup(s);
    if (!copy)
        return snprintf(why, n, "out of memory"), PS_ERR;
    char **slot = field(c, k);
    free(*slot);
    *slot = copy;
    return PS_OK;
}

static int set_value(ps_config *c, const key_def *k, const char *s, char *why, size_t n)
{
    return is_string_type(k) ? set_string(c, k, s, why, n) : set_number(c, k, s, why, n);
}

/* ---- defaults, free, set ------------------------------------------------------ */

void ps_config_init_defaults(ps_config *c)
{
    table_init();
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_KEYS; i++) {
        char why[256];
        if (keys[i].def && set_value(c, &keys[i], keys[i].def, why, sizeof why)) {
            /* A bad default is a bug in the table (or no memory): every test hits it. */
            fprintf(stderr, "pslab: default of %s.%s: %s\n", keys[i].section, keys[i].key, why);
            abort();
        }
    }
}

void ps_config_free(ps_config *c)
{
    table_init();
    for (size_t i = 0; i < N_KEYS; i++)
        if (is_string_type(&keys[i]))
            free(*(char **)field(c, &keys[i]));
    free(c->source_path);
    memset(c, 0, sizeof *c);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    return s;
}

/* ps_config_set, also telling which key it set. */
static int set_assignment(ps_config *c, const char *a, int *idx, ps_err *err)
{
    char *copy = strdup(a);
    if (!copy)
        return ps_err_set(err, "%s: out of memory", a);
    /* the key follows the last dot: a section may have one (stage.2.lr=0.1) */
    char *eq = strchr(copy, '='), *dot = NULL;
    for (char *p = copy; eq && p < eq; p++)
        if (*p == '.')
            dot = p;
    int rc = PS_OK;
    if (!dot) {
        rc = ps_err_set(err, "%s: expected section.key=value", a);
    } else {
        *eq = *dot = '\0';
        char *section = trim(copy), *key = trim(dot + 1), *value = trim(eq + 1), why[256];
        *idx = find_key(section, key);
        if (*idx < 0)
            rc = ps_err_set(err, "%s: unknown key %s.%s", a, section, key);
        else if (set_value(c, &keys[*idx], value, why, sizeof why))
            rc = ps_err_set(err, "%s: %s", a, why);
    }
    free(copy);
    return rc;
}

int ps_config_set(ps_config *c, const char *assignment, ps_err *err)
{
    int idx;
    table_init();
    return set_assignment(c, assignment, &idx, err);
}

/* ---- the file ----------------------------------------------------------------- */

/* inih, as Debian builds it, does not pass line numbers to the handler, so the
 * reader counts lines. It hands inih one whole line per call (so inih's count
 * matches ours), without leading whitespace (so inih never takes an indented line
 * for a multi-line continuation of the previous key), and checks what inih cannot:
 * overlong lines, NUL bytes and unknown section headers. */
typedef struct cfg_parse {
    ps_config *c;
    FILE *f;
    char *buf;
    size_t cap;
    int line;    /* lines read so far */
    int *origin; /* per key: the line that set it, 0 if none */
    int err_line; /* first error's line, 0 if none */
    ps_err err;
} cfg_parse;

__attribute__((format(printf, 2, 3))) static int fail_at(cfg_parse *p, const char *fmt, ...)
{
    if (!p->err_line) {
        p->err_line = p->line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err.msg, sizeof p->err.msg, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static void check_header(cfg_parse *p, const char *s)
{
    const char *end = strchr(s, ']');
    if (end && !section_known(s + 1, (size_t)(end - s - 1))) /* no ']': inih reports it */
        fail_at(p, "unknown section [%.*s]", (int)(end - s - 1), s + 1);
}

static char *read_line(char *str, int num, void *stream)
{
    cfg_parse *p = stream;
    ssize_t n = getline(&p->buf, &p->cap, p->f);
    if (n < 0)
        return NULL;
    p->line++;
    const char *s = p->buf;
    if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte order mark */
        s += 3;
    s += strspn(s, " \t");
    if ((size_t)n != strlen(p->buf)) {
        fail_at(p, "NUL byte in line (not a text file?)");
        s = "\n";
    } else if (*s == ';' || *s == '#') {
        s = "\n"; /* inih need not see comments, so their length is free */
    } else if (strlen(s) >= (size_t)num) {
        fail_at(p, "line longer than %d characters", num - 2);
        s = "\n";
    } else if (*s == '[') {
        check_header(p, s);
    }
    memcpy(str, s, strlen(s) + 1);
    return str;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    cfg_parse *p = user;
    if (p->err_line) /* only the first error is reported */
        return 1;
    if (!*section)
        return fail_at(p, "key '%s' is outside any [section]", name);
    if (!section_known(section, strlen(section)))
        return fail_at(p, "unknown section [%s]", section);
    int i = find_key(section, name);
    if (i < 0)
        return fail_at(p, "unknown key '%s' in section [%s]", name, section);
    if (p->origin[i])
        return fail_at(p, "duplicate key %s.%s (first set on line %d)", section, name,
                       p->origin[i]);
    char why[256];
    const char *q = is_string_type(&keys[i]) ? "'" : "";
    if (set_value(p->c, &keys[i], value, why, sizeof why))
        return fail_at(p, "%s.%s = %s%s%s: %s", section, name, q, value, q, why);
    p->origin[i] = p->line;
    return 1;
}

static int parse_file(ps_config *c, const char *path, int *origin, int *explicit_set,
                      ps_err *err)
{
    cfg_parse p = {.c = c, .origin = origin};
    p.f = fopen(path, "r");
    if (!p.f)
        return ps_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    int r = ini_parse_stream(read_line, &p, on_pair, &p);
    for (size_t i = 0; i < N_KEYS; i++)
        explicit_set[i] = origin[i] != 0;
    int read_failed = ferror(p.f), e = errno;
    fclose(p.f);
    free(p.buf);
    if (read_failed)
        return ps_err_set(err, "%s: read error: %s", path, strerror(e));
    if (p.err_line && (r <= 0 || p.err_line <= r)) {
        if (err)
            *err = p.err;
        return ps_err_prefix(err, "%s:%d: ", path, p.err_line);
    }
    if (r > 0)
        return ps_err_set(err, "%s:%d: syntax error (expected [section], key = value or a "
                          "comment)", path, r);
    if (r < 0)
        return ps_err_set(err, "%s: out of memory while parsing", path);
    return PS_OK;
}

/* ---- whole-config checks ------------------------------------------------------ */

static int where(ps_err *err, const char *path, int line)
{
    return line ? ps_err_prefix(err, "%s:%d: ", path, line) : ps_err_prefix(err, "%s: ", path);
}

static int apply_stem(ps_config *c, const key_def *k, const char *path, ps_err *err)
{
    if (!is_unset(c, k))
        return PS_OK;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    char stem[MAX_STRING + 2], why[256];
    snprintf(stem, sizeof stem, "%.*s", (int)(dot && dot != base ? dot - base : MAX_STRING + 1),
             base);
    if (set_value(c, k, stem, why, sizeof why))
        return ps_err_set(err, "%s: %s.%s from the file name '%s': %s", path, k->section, k->key,
                          stem, why);
    return PS_OK;
}

static int check_required(const ps_config *c, const char *path, ps_err *err)
{
    char list[512] = "";
    size_t used = 0;
    int missing = 0;
    for (size_t i = 0; i < N_KEYS; i++)
        if ((keys[i].flags & F_REQUIRED) && is_unset(c, &keys[i]) && used < sizeof list &&
            !(c->n_stages && strcmp(keys[i].key, "iterations") == 0) && /* each stage's own */
            !(c->n_tasks && strcmp(keys[i].section, "cluster") != 0)) /* each task's own */
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s.%s",
                                     missing++ ? ", " : "", keys[i].section, keys[i].key);
    if (missing)
        return ps_err_set(err, "%s: missing required key%s %s", path, missing > 1 ? "s" : "",
                          list);
    return PS_OK;
}

/* A path that is set must be readable now, so that a typo fails before a long run. */
static int check_paths(const ps_config *c, const char *path, const int *origin, ps_err *err)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].type != T_PATH)
            continue;
        const char *v = *(char *const *)cfield(c, &keys[i]);
        if (v && *v && access(v, R_OK) != 0) {
            ps_err_set(err, "%s.%s = '%s': cannot read: %s", keys[i].section, keys[i].key, v,
                       strerror(errno));
            return where(err, path, origin[i]);
        }
    }
    return PS_OK;
}

static int check_cross(const ps_config *c, const char *path, const int *origin, ps_err *err)
{
    /* the run directory is runs/NAME: a name must not lead out of runs/ */
    if (c->name && (strchr(c->name, '/') || !strcmp(c->name, ".") || !strcmp(c->name, ".."))) {
        ps_err_set(err, "run.name = '%s' would put the run outside runs/: a name may not be "
                   "'.', '..' or hold a '/' (choose the directory with --out)", c->name);
        return where(err, path, origin[find_key("run", "name")]);
    }
    int src = find_key("data", "source");
    if (strcmp(c->source, "synthetic") != 0 && !*c->path) {
        ps_err_set(err, "data.source = %s needs data.path (the training file)", c->source);
        return where(err, path, origin[src]);
    }
    if (strcmp(c->source, "idx") == 0 && (!*c->labels || (*c->test_path && !*c->test_labels))) {
        ps_err_set(err, "data.source = idx needs data.labels%s (the labels of the images)",
                   *c->test_path ? " and data.test_labels" : "");
        return where(err, path, origin[src]);
    }
    if (strcmp(c->source, "synthetic") == 0 && strcmp(c->generator, "ctr") == 0 &&
        (uint64_t)c->nnz > (c->features ? c->features : PS_CONFIG_CTR_FEATURES)) {
        ps_err_set(err, "data.nnz = %d exceeds data.features = %" PRIu64
                   " (an example cannot have more distinct features than exist)",
                   c->nnz, c->features ? c->features : PS_CONFIG_CTR_FEATURES);
        return where(err, path, origin[find_key("data", "nnz")]);
    }
    return PS_OK;
}

int ps_config_crash_restarts(const ps_config *c, int i)
{
    return c->crashes[i].server || strcmp(c->on_worker_failure, "continue") != 0;
}

/* fault.crash: NODE@CLOCK, comma-separated, into c->crashes by clock. */
static int parse_crashes(ps_config *c, const char *path, const int *origin, ps_err *err)
{
    int k = find_key("fault", "crash");
    c->n_crashes = 0;
    for (const char *p = c->fault_crash; p && *p;) {
        char kind[8];
        int index, used = 0;
        double when;
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        int ok = sscanf(p, "%7[a-z]%d@%lf%n", kind, &index, &when, &used) == 3 &&
                 (!strcmp(kind, "server") || !strcmp(kind, "worker"));
        int timed = ok && p[used] == 's';
        used += timed;
        if (!ok || (p[used] && p[used] != ',' && p[used] != ' ') || !isfinite(when) ||
            (timed ? when < 0 || when > 1e9 : when < 1 || when > 1e9 || when != floor(when))) {
            ps_err_set(err, "fault.crash: '%s' is not NODE@CLOCK or NODE@SECONDSs (server1@40, "
                       "worker3@2.5s)", p);
            return where(err, path, origin[k]);
        }
        if (c->n_crashes && (c->crashes[0].at_s >= 0) != timed) {
            ps_err_set(err, "fault.crash: '%s': crashes at clocks and at times are one or the "
                       "other", p);
            return where(err, path, origin[k]);
        }
        int32_t clock = timed ? 0 : (int32_t)when;
        double at_s = timed ? when : -1;
        int server = kind[0] == 's', n = server ? c->servers : c->workers;
        if (index < 0 || index >= n || c->n_crashes == PS_CONFIG_MAX_CRASHES) {
            ps_err_set(err, "fault.crash: %s%d %s", kind, index,
                       c->n_crashes == PS_CONFIG_MAX_CRASHES ? "is one crash too many (16 at most)"
                                                            : "is not a node of the cluster");
            return where(err, path, origin[k]);
        }
        if (server && index == 0 && strcmp(c->backend, "real") == 0) {
            ps_err_set(err, "fault.crash: server0 is node 0 on the real backend, the launcher "
                       "itself, which cannot restart the run after its own death");
            return where(err, path, origin[k]);
        }
        int at = c->n_crashes++;
        while (at > 0 && (c->crashes[at - 1].clock > clock || c->crashes[at - 1].at_s > at_s)) {
            c->crashes[at] = c->crashes[at - 1]; /* by clock, or by time */
            at--;
        }
        c->crashes[at] = (struct ps_config_crash){server, index, clock, at_s};
        p += used;
    }
    if (c->fault_rate > 0 && (c->n_crashes || !c->fault_restarts)) {
        ps_err_set(err, "fault.rate %s", c->n_crashes ? "and fault.crash are one or the other"
                                                      : "needs fault.restarts (one per crash)");
        return where(err, path, origin[find_key("fault", "rate")]);
    }
    int restarting = 0;
    for (int i = 0; i < c->n_crashes; i++)
        restarting += ps_config_crash_restarts(c, i);
    if (restarting > c->fault_restarts) {
        ps_err_set(err, "fault.crash injects %d crash(es) to restart from but fault.restarts = %d: "
                   "the run would end at the first it cannot restart from", restarting,
                   c->fault_restarts);
        return where(err, path, origin[k]);
    }
    return PS_OK;
}

/* fault.slow and fault.link_down: the simulator's timed faults. */
static int parse_windows(ps_config *c, const char *path, const int *origin, ps_err *err)
{
    c->n_windows = 0;
    for (int down = 0; down < 2; down++) {
        const char *key = down ? "link_down" : "slow";
        int k = find_key("fault", key);
        const char *text = down ? c->fault_link_down : c->fault_slow;
        char name[32];
        snprintf(name, sizeof name, "fault.%s", key);
        if (ps_fault_windows_parse(text, name, down, c->servers, c->workers, c->windows,
                                   &c->n_windows, err))
            return where(err, path, origin[k]);
        if (text && *text && strcmp(c->backend, "sim") != 0) {
            ps_err_set(err, "fault.%s is a simulator fault: the real backend's CPUs, disks and "
                       "links are real", key);
            return where(err, path, origin[k]);
        }
    }
    return PS_OK;
}

/* fault.on_worker_failure = continue: one stage of one task, whose worker set only
 * shrinks (a stage change would bring the lost worker back). */
static int check_worker_failure(const ps_config *c, const char *path, const int *origin,
                                ps_err *err)
{
    if (strcmp(c->on_worker_failure, "continue") != 0)
        return PS_OK;
    int tasks = c->n_tasks || strcmp(c->scheduler, "auto") == 0;
    const char *why = tasks ? "a multi-task run" : c->n_stages > 1 ? "a plan of stages" : NULL;
    if (why) {
        ps_err_set(err, "fault.on_worker_failure = continue does not work with %s yet", why);
        return where(err, path, origin[find_key("fault", "on_worker_failure")]);
    }
    return PS_OK;
}

/* A checkpoint is a barrier at its clock: a worker-side cache reads past it
 * without asking a server, and a multi-task run's tasks would each need their own. */
static int check_fault(const ps_config *c, const char *path, const int *origin, ps_err *err)
{
    if (c->checkpoint_every == 0)
        return PS_OK;
    int tasks = c->n_tasks || strcmp(c->scheduler, "auto") == 0;
    if (strcmp(c->cache, "off") != 0 || tasks) {
        ps_err_set(err, "fault.checkpoint_every does not work with %s yet",
                   tasks ? "a multi-task run" : "policy.cache");
        return where(err, path, origin[find_key("fault", "checkpoint_every")]);
    }
    return PS_OK;
}

/* The cache's keys need a cache, and its bound may not exceed the consistency
 * model's, of the run or of any stage. */
static int check_cache(const ps_config *c, const char *path, const int *origin,
                       const int *explicit_set, ps_err *err)
{
    int kb = find_key("cache", "bytes"), ks = find_key("cache", "staleness");
    int k = explicit_set[kb] ? kb : explicit_set[ks] ? ks : -1;
    if (strcmp(c->cache, "off") == 0 && k >= 0) {
        ps_err_set(err, "cache.%s is set but policy.cache is off", keys[k].key);
        return where(err, path, origin[k]);
    }
    if (strcmp(c->cache, "off") == 0 || c->cache_staleness < 0)
        return PS_OK;
    for (int n = -1; n < c->n_stages; n++) {
        const char *model = n < 0 ? c->consistency : c->stages[n].consistency;
        const ps_consistency_ops *ops = ps_consistency_by_name(model);
        int bound = ops ? ps_consistency_bound(ops, n < 0 ? c->staleness : c->stages[n].staleness)
                        : -1;
        if (bound < 0)
            bound = INT_MAX; /* no bound of its own: any cache.staleness */
        if (c->cache_staleness > bound) {
            if (n < 0)
                ps_err_set(err, "cache.staleness = %d exceeds the bound of policy.consistency = "
                           "%s (%d): a cached read would break the model", c->cache_staleness,
                           model, bound);
            else
                ps_err_set(err, "cache.staleness = %d exceeds the bound of stage %d's "
                           "consistency %s (%d): a cached read would break the model",
                           c->cache_staleness, n + 1, model, bound);
            return where(err, path, origin[ks]);
        }
    }
    return PS_OK;
}

/* The index's keys need an index, and an index a store and a run it can serve. */
static int check_index(const ps_config *c, const char *path, const int *origin,
                       const int *explicit_set, ps_err *err)
{
    int ks = find_key("index", "strategy");
    if (strcmp(c->partitioner, "drps") == 0 &&
        (strcmp(c->index_strategy, "off") == 0 || c->index_load[0])) {
        ps_err_set(err, "policy.partitioner = drps places the blocks of an index by their sampled "
                   "accesses: it needs index.strategy, and an index built in the run (not "
                   "index.load)");
        return where(err, path, origin[find_key("policy", "partitioner")]);
    }
    if (strcmp(c->index_strategy, "off") == 0) {
        for (int k = 0; k < (int)N_KEYS; k++)
            if (keys[k].section && strcmp(keys[k].section, "index") == 0 && k != ks &&
                explicit_set[k]) {
                ps_err_set(err, "index.%s is set but index.strategy is off", keys[k].key);
                return where(err, path, origin[k]);
            }
        return PS_OK;
    }
    if (c->n_tasks > 0)
        ps_err_set(err, "index.strategy = %s is for a run of one task; [task.N] sections are "
                   "not indexed", c->index_strategy);
    else if (strcmp(c->cache, "off") != 0)
        ps_err_set(err, "index.strategy = %s with policy.cache = %s: the worker cache does not "
                   "follow an index's placement yet", c->index_strategy, c->cache);
    else
        return PS_OK;
    return where(err, path, origin[ks]);
}

/* A model's own key set for another model is a mistake (a key of lasso in an lr
 * run would silently do nothing). */
/* Whether a module key's owner takes part in c: the model chosen, or a consistency
 * model of the run or of one of its stages. */
static int owner_chosen(const ps_config *c, const key_def *k)
{
    if (k->owner_is_policy == OWNER_MODEL)
        return c->type && strcmp(k->owner, c->type) == 0;
    if (k->owner_is_policy == OWNER_SCHEDULER)
        return c->scheduler && strcmp(k->owner, c->scheduler) == 0;
    if (c->consistency && strcmp(k->owner, c->consistency) == 0)
        return 1;
    for (int n = 0; n < c->n_stages; n++)
        if (c->stages[n].consistency && strcmp(k->owner, c->stages[n].consistency) == 0)
            return 1;
    return 0;
}

static int check_owners(const ps_config *c, const char *path, const int *origin,
                        const int *explicit_set, ps_err *err)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].owner && explicit_set[i] && !owner_chosen(c, &keys[i])) {
            if (keys[i].owner_is_policy == OWNER_SCHEDULER)
                ps_err_set(err, "%s.%s is a key of scheduler %s, but policy.scheduler is %s",
                           keys[i].section, keys[i].key, keys[i].owner, c->scheduler);
            else if (keys[i].owner_is_policy)
                ps_err_set(err, "%s.%s is a key of consistency model %s, which neither "
                           "policy.consistency (%s) nor a stage uses", keys[i].section,
                           keys[i].key, keys[i].owner, c->consistency);
            else
                ps_err_set(err, "%s.%s is a key of model %s, but model.type is %s",
                           keys[i].section, keys[i].key, keys[i].owner, c->type);
            return where(err, path, origin[i]);
        }
    return PS_OK;
}

/* Which numbered sections ([stage.N], or [task.N] when tasks) have a key set,
 * and the first line of each. */
static void numbered_sections(int tasks, const int *origin, const int *explicit_set,
                              int *present, int *line)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        int n = tasks ? keys[i].task : keys[i].stage;
        if (n && explicit_set[i]) {
            present[n] = 1;
            if (!line[n] || (origin[i] && origin[i] < line[n]))
                line[n] = origin[i];
        }
    }
}

/* The [stage.N] sections present (any key set), which must run from stage.1 with
 * no gap; c->n_stages counts them. */
static int find_stages(ps_config *c, const char *path, const int *origin,
                       const int *explicit_set, ps_err *err)
{
    int present[PS_CONFIG_MAX_STAGES + 1] = {0}, line[PS_CONFIG_MAX_STAGES + 1] = {0};
    numbered_sections(0, origin, explicit_set, present, line);
    c->n_stages = 0;
    for (int n = 1; n <= PS_CONFIG_MAX_STAGES; n++) {
        if (!present[n])
            continue;
        if (n != c->n_stages + 1) {
            ps_err_set(err, "[stage.%d] without [stage.%d]: stages are numbered 1, 2, ... "
                       "without gaps", n, c->n_stages + 1);
            return where(err, path, line[n]);
        }
        c->n_stages = n;
    }
    return PS_OK;
}

/* The [task.N] sections present (any key set), numbered 1, 2, ... without gaps,
 * each naming its config, with distinct names (default taskN). */
static int find_tasks(ps_config *c, const char *path, const int *origin,
                      const int *explicit_set, ps_err *err)
{
    int present[PS_CONFIG_MAX_TASKS + 1] = {0}, line[PS_CONFIG_MAX_TASKS + 1] = {0};
    numbered_sections(1, origin, explicit_set, present, line);
    c->n_tasks = 0;
    for (int n = 1; n <= PS_CONFIG_MAX_TASKS; n++) {
        if (!present[n])
            continue;
        ps_task_config *t = &c->tasks[n - 1];
        if (n != c->n_tasks + 1)
            ps_err_set(err, "[task.%d] without [task.%d]: tasks are numbered 1, 2, ... "
                       "without gaps", n, c->n_tasks + 1);
        else if (!t->config || !*t->config)
            ps_err_set(err, "[task.%d] has no config (the task's own config file)", n);
        if (n != c->n_tasks + 1 || !t->config || !*t->config)
            return where(err, path, line[n]);
        if (!t->name || !*t->name) {
            char buf[16];
            snprintf(buf, sizeof buf, "task%d", n);
            free(t->name);
            if (!(t->name = strdup(buf)))
                return ps_err_set(err, "%s: out of memory", path);
        }
        if (!strcmp(t->name, ".") || !strcmp(t->name, "..") || strchr(t->name, '/')) {
            ps_err_set(err, "task.%d.name = '%s': a task's name is a directory of the run's, "
                       "so it cannot be '.', '..' or hold '/'", n, t->name);
            return where(err, path, line[n]);
        }
        for (int m = 0; m < c->n_tasks; m++)
            if (strcmp(c->tasks[m].name, t->name) == 0) {
                ps_err_set(err, "task.%d and task.%d have one name, %s: each writes its own "
                           "directory", m + 1, n, t->name);
                return where(err, path, line[n]);
            }
        c->n_tasks = n;
    }
    return PS_OK;
}

/* A stage key left out takes the run's value. */
static int stage_inherit(ps_config *c, const char *path, const int *origin,
                         const int *explicit_set, ps_err *err)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_def *k = &keys[i];
        if (!k->stage || k->stage > c->n_stages)
            continue;
        ps_stage_config *st = &c->stages[k->stage - 1];
        if (!explicit_set[i]) {
            char why[256];
            const char *v = NULL;
            char buf[64];
            if (strcmp(k->key, "workers") == 0)
                snprintf(buf, sizeof buf, "%d", c->workers), v = buf;
            else if (strcmp(k->key, "iterations") == 0)
                snprintf(buf, sizeof buf, "%d", c->iterations), v = buf;
            else if (strcmp(k->key, "batch") == 0)
                snprintf(buf, sizeof buf, "%d", c->batch), v = buf;
            else if (strcmp(k->key, "lr") == 0)
                snprintf(buf, sizeof buf, "%.17g", c->lr), v = buf;
            else if (strcmp(k->key, "lr_decay") == 0)
                snprintf(buf, sizeof buf, "%.17g", c->lr_decay), v = buf;
            else if (strcmp(k->key, "consistency") == 0)
                v = c->consistency;
            else if (strcmp(k->key, "staleness") == 0)
                snprintf(buf, sizeof buf, "%d", c->staleness), v = buf;
            else
                v = "sgd";
            if (strcmp(k->key, "iterations") == 0 && c->iterations == 0) {
                ps_err_set(err, "stage.%d.iterations is not set, and there is no run.iterations "
                           "to take", k->stage);
                return where(err, path, 0);
            }
            if (set_value(c, k, v, why, sizeof why))
                return ps_err_set(err, "%s: stage.%d.%s from the run's value '%s': %s", path,
                                  k->stage, k->key, v, why);
        }
        if (strcmp(k->key, "workers") == 0 && st->workers > c->workers) {
            ps_err_set(err, "stage.%d.workers = %d exceeds cluster.workers = %d", k->stage,
                       st->workers, c->workers);
            return where(err, path, origin[i]);
        }
    }
    return PS_OK;
}

static int finish(ps_config *c, const char *path, const int *origin, const int *explicit_set,
                  ps_err *err)
{
    if (find_stages(c, path, origin, explicit_set, err) ||
        find_tasks(c, path, origin, explicit_set, err))
        return PS_ERR;
    for (size_t i = 0; i < N_KEYS; i++)
        if ((keys[i].flags & F_STEM) && apply_stem(c, &keys[i], path, err))
            return PS_ERR;
    if (check_required(c, path, err) || check_owners(c, path, origin, explicit_set, err) ||
        stage_inherit(c, path, origin, explicit_set, err) || check_cross(c, path, origin, err) ||
        check_fault(c, path, origin, err) || parse_crashes(c, path, origin, err) ||
        parse_windows(c, path, origin, err) ||
        check_worker_failure(c, path, origin, err) ||
        check_cache(c, path, origin, explicit_set, err) ||
        check_index(c, path, origin, explicit_set, err) ||
        check_paths(c, path, origin, err))
        return PS_ERR;
    return PS_OK;
}

int ps_config_load(ps_config *c, const char *path, const char *const *overrides,
                   int n_overrides, ps_err *err)
{
    table_init();
    int origin[MAX_KEYS] = {0}, explicit_set[MAX_KEYS] = {0};
    ps_config_init_defaults(c);
    c->source_path = strdup(path);
    int rc = c->source_path ? parse_file(c, path, origin, explicit_set, err)
                            : ps_err_set(err, "%s: out of memory", path);
    for (int i = 0; rc == PS_OK && i < n_overrides; i++) {
        int idx;
        rc = set_assignment(c, overrides[i], &idx, err);
        if (rc)
            ps_err_prefix(err, "--set ");
        else
            origin[idx] = 0, explicit_set[idx] = 1; /* no longer the file's value */
    }
    if (rc == PS_OK)
        rc = finish(c, path, origin, explicit_set, err);
    if (rc)
        ps_config_free(c);
    return rc;
}

/* ---- writer and reference ----------------------------------------------------- */

/* The shortest text that reads back as the same double. */
static void double_text(double v, char *buf, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void value_text(const ps_config *c, const key_def *k, char *buf, size_t n)
{
    const void *p = cfield(c, k);
    switch (k->type) {
    case T_INT: snprintf(buf, n, "%d", *(const int *)p); break;
    case T_U64: snprintf(buf, n, "%" PRIu64, *(const uint64_t *)p); break;
    case T_DOUBLE: double_text(*(const double *)p, buf, n); break;
    default: snprintf(buf, n, "%s", *(char *const *)p ? *(char *const *)p : ""); break;
    }
}

/* Whether a key belongs in c's resolved file: the core's, and the chosen model's. */
static int key_applies(const ps_config *c, const key_def *k)
{
    if (k->stage)
        return k->stage <= c->n_stages;
    if (k->task)
        return k->task <= c->n_tasks;
    if (strcmp(k->section, "cache") == 0) /* refused when there is no cache */
        return strcmp(c->cache, "off") != 0;
    if (strcmp(k->section, "index") == 0 && strcmp(k->key, "strategy") != 0)
        return strcmp(c->index_strategy, "off") != 0;
    return !k->owner || owner_chosen(c, k);
}

int ps_config_write(const ps_config *c, FILE *f)
{
    table_init();
    fprintf(f, "# pslab configuration, resolved: every key and its value%s%s\n",
            c->source_path ? "; loaded from " : "", c->source_path ? c->source_path : "");
    const char *section = NULL; /* the last written: keys left out can end a section */
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_def *k = &keys[i];
        if (!key_applies(c, k))
            continue;
        if (!section || strcmp(k->section, section) != 0)
            fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
        section = k->section;
        char v[MAX_STRING + 64];
        value_text(c, k, v, sizeof v);
        fprintf(f, "# %s\n", k->doc);
        if ((k->flags & F_REQUIRED) && is_unset(c, k))
            fprintf(f, "; %s = (required, not set)\n", k->key);
        else
            fprintf(f, "%s =%s%s\n", k->key, *v ? " " : "", v);
    }
    return ferror(f) ? PS_ERR : PS_OK;
}

static void print_key(FILE *f, const key_def *k)
{
    char what[320] = "", def[96];
    if (k->type == T_ENUM) {
        strcpy(what, "; one of: ");
        choices_text(k, what + strlen(what), sizeof what - strlen(what));
    } else if (!is_string_type(k)) {
        strcpy(what, "; ");
        range_text(k, what + 2, sizeof what - 2);
    }
    if (k->flags & F_STEM)
        snprintf(def, sizeof def, "default: the config file's name without extension");
    else if (k->stage)
        snprintf(def, sizeof def, "default: the run's");
    else if (k->def)
        snprintf(def, sizeof def, "default: %s", *k->def ? k->def : "\"\"");
    else
        snprintf(def, sizeof def, "REQUIRED");
    fprintf(f, "  %-15s %-7s %s%s\n      %s%s%s%s\n", k->key, type_name(k), def, what,
            !k->owner                                 ? ""
            : k->owner_is_policy == OWNER_SCHEDULER   ? "scheduler "
            : k->owner_is_policy == OWNER_CONSISTENCY ? "consistency "
                                                      : "model ",
            k->owner ? k->owner : "", k->owner ? ": " : "", k->doc);
}

void ps_config_print_reference(FILE *f)
{
    fprintf(f, "pslab configuration keys. A config is an INI file: [section] headers, then\n"
               "key = value lines; ';' or '#' starts a comment line. Override any key with\n"
               "--set section.key=value. Numbers take SI suffixes: k M G T (x 1e3 .. 1e12)\n"
               "and m u n (x 1e-3 .. 1e-9), e.g. 10G or 50u. Strings and paths: at most %d\n"
               "characters; paths are relative to the working directory and must be readable.\n",
            MAX_STRING);
    table_init();
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].stage > 1 || keys[i].task > 1)
            continue; /* one [stage.N] or [task.N] section stands for them all */
        if (keys[i].task == 1 && (i == 0 || !keys[i - 1].task))
            fprintf(f, "\n[task.N]   (N = 1 .. %d: a multi-task run's tasks, which share the "
                       "cluster above under policy.scheduler; each writes RUN_DIR/NAME/)\n",
                    PS_CONFIG_MAX_TASKS);
        else if (keys[i].stage == 1 && (i == 0 || !keys[i - 1].stage))
            fprintf(f, "\n[stage.N]   (N = 1 .. %d: the stages of a multi-stage task, run in "
                       "order; without any, the run is one stage of the keys above)\n",
                    PS_CONFIG_MAX_STAGES);
        else if (!keys[i].stage && !keys[i].task &&
                 (i == 0 || strcmp(keys[i].section, keys[i - 1].section) != 0))
            fprintf(f, "\n[%s]\n", keys[i].section);
        print_key(f, &keys[i]);
    }
}

/* ---- modules' keys ------------------------------------------------------------ */

static const ps_config_value *module_value(const ps_config *c, const char *section,
                                           const char *key, ps_key_type type)
{
    table_init();
    int i = find_key(section, key);
    if (i < 0 || !keys[i].owner || keys[i].type != type) {
        /* a module reading a key it did not declare, or as another type */
        fprintf(stderr, "pslab: no module key %s.%s of that type\n", section, key);
        abort();
    }
    return cfield(c, &keys[i]);
}

int ps_config_module_int(const ps_config *c, const char *section, const char *key)
{
    return module_value(c, section, key, PS_KEY_INT)->i;
}

uint64_t ps_config_module_u64(const ps_config *c, const char *section, const char *key)
{
    return module_value(c, section, key, PS_KEY_U64)->u;
}

double ps_config_module_double(const ps_config *c, const char *section, const char *key)
{
    return module_value(c, section, key, PS_KEY_DOUBLE)->d;
}

const char *ps_config_module_string(const ps_config *c, const char *section, const char *key)
{
    const ps_config_value *v = module_value(c, section, key, PS_KEY_STRING);
    return v->s ? v->s : "";
}
