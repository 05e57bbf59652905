/* libFuzzer harness: the trace checker (engine/trace/check.c) on a whole run
 * directory. The input is its files, each after a line "==> NAME" (config.ini,
 * workers.csv, schedule.csv, trace/tables.csv, trace/resumed.csv,
 * trace/serverN.pulls.csv, .final.csv or .initial.csv,
 * trace/workerN.pushes.csv or .reads.csv; other names are skipped, so that no input
 * writes outside the directory). Whatever the files, the checker must give a
 * verdict or an error, never a crash. */
#define _GNU_SOURCE /* memmem */
#include "engine/trace/check.h"
#include "tests/fuzz/fuzz_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 32

static int allowed_name(const char *name)
{
    static const char *const fixed[] = {"config.ini", "schedule.csv", "workers.csv",
                                        "trace/tables.csv", "trace/resumed.csv"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (strcmp(name, fixed[i]) == 0)
            return 1;
    unsigned n;
    int end = 0;
    char kind[16], what[16];
    if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789./") != strlen(name))
        return 0;
    return sscanf(name, "trace/%15[a-z]%2u.%15[a-z].csv%n", kind, &n, what, &end) == 3 &&
           end > 0 && name[end] == '\0' &&
           (strcmp(kind, "server") == 0 || strcmp(kind, "worker") == 0);
}

static char written[MAX_FILES][64];
static int n_written;

static void clear_run(const char *run)
{
    char path[512];
    for (int i = 0; i < n_written; i++) {
        snprintf(path, sizeof path, "%s/%s", run, written[i]);
        unlink(path);
    }
    n_written = 0;
}

static void write_file(const char *run, const char *name, const uint8_t *p, size_t n)
{
    if (!allowed_name(name) || n_written == MAX_FILES)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", run, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(p, 1, n, f);
    fclose(f);
    snprintf(written[n_written++], sizeof written[0], "%s", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char run[300];
    if (!run[0]) {
        snprintf(run, sizeof run, "%s/run", ps_fuzz_dir());
        char trace[320];
        snprintf(trace, sizeof trace, "%s/trace", run);
        if (mkdir(run, 0700) || mkdir(trace, 0700))
            abort();
    }
    clear_run(run);
    const uint8_t *end = data + size, *p = data;
    while (p < end) {
        const uint8_t *hdr = memmem(p, (size_t)(end - p), "==> ", 4);
        if (!hdr)
            break;
        const uint8_t *nl = memchr(hdr, '\n', (size_t)(end - hdr));
        if (!nl)
            break;
        char name[64];
        size_t len = (size_t)(nl - hdr - 4);
        const uint8_t *body = nl + 1;
        const uint8_t *next = memmem(body, (size_t)(end - body), "\n==> ", 5);
        const uint8_t *stop = next ? next + 1 : end;
        if (len < sizeof name) {
            memcpy(name, hdr + 4, len);
            name[len] = '\0';
            write_file(run, name, body, (size_t)(stop - body));
        }
        p = stop;
    }
    /* PSLAB_FUZZ_VERBOSE=1: the verdicts, to see what a corpus reaches */
    int verbose = getenv("PSLAB_FUZZ_VERBOSE") != NULL;
    FILE *sink = verbose ? stderr : fopen("/dev/null", "w");
    ps_err err;
    if (ps_check_run(run, 10, sink, sink, &err) < 0 && verbose)
        fprintf(stderr, "error: %s\n", err.msg);
    if (!verbose)
        fclose(sink);
    return 0;
}
