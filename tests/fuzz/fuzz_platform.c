/* libFuzzer harness: the platform check (sim/platform_check.c) on a platform file
 * for a run of 10 nodes, 2 of them servers. SimGrid loads it in a child process,
 * so coverage guides only pslab's side (the child's counters stay in the child),
 * and each input costs a fork and a SimGrid start: a slow harness, run for fewer
 * inputs than the others. Whatever the file, an error or success, never a crash. */
#include "sim/platform.h"
#include "tests/fuzz/fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_err err;
    (void)ps_platform_validate(ps_fuzz_write(0, "platform.xml", data, size), 10, 2, &err);
    return 0;
}
