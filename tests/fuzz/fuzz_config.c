/* libFuzzer harness: the config parser (engine/core/config.c) on an INI file and
 * --set assignments. The input is the file, then optionally a line "--" and one
 * assignment a line. A config that loads must write out (ps_config_write) a file
 * that loads back to the same text: what a run records is what it ran. */
#include "engine/core/config.h"
#include "tests/fuzz/fuzz_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SETS 16

static char *written(const ps_config *c, size_t *n)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, n);
    if (!f || ps_config_write(c, f) != 0 || fclose(f) != 0)
        abort();
    return text;
}

static void round_trip(const ps_config *c)
{
    size_t n1, n2;
    char *a = written(c, &n1);
    ps_config back;
    ps_err err;
    const char *path = ps_fuzz_write(1, "written.ini", (const uint8_t *)a, n1);
    if (ps_config_load(&back, path, NULL, 0, &err) != 0) {
        fprintf(stderr, "a written config does not load back: %s\n%s", err.msg, a);
        abort();
    }
    char *b = written(&back, &n2);
    /* the first line names the file it was loaded from */
    const char *ra = strchr(a, '\n'), *rb = strchr(b, '\n');
    if (!ra || !rb || strcmp(ra, rb) != 0) {
        fprintf(stderr, "a written config loads back different:\n%s\n----\n%s", a, b);
        abort();
    }
    ps_config_free(&back);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t file_len = size;
    const char *sets[MAX_SETS];
    int n_sets = 0;
    char *sep = strstr(text, "\n--\n");
    if (sep) {
        file_len = (size_t)(sep - text) + 1;
        for (char *line = strtok(sep + 4, "\n"); line && n_sets < MAX_SETS; line = strtok(NULL, "\n"))
            sets[n_sets++] = line;
    }
    const char *path = ps_fuzz_write(0, "fuzz.ini", data, file_len);
    ps_config c;
    ps_err err;
    if (ps_config_load(&c, path, sets, n_sets, &err) == 0) {
        round_trip(&c);
        ps_config_free(&c);
    }
    free(text);
    return 0;
}
