/* What the fuzz harnesses share: the readers under test take paths, so each input
 * becomes files in a directory of the process's own (on tmpfs when there is one). */
#ifndef PS_FUZZ_FILES_H
#define PS_FUZZ_FILES_H

#include <stddef.h>
#include <stdint.h>

/* The harness's directory, made at the first call; aborts if it cannot be made
 * (a harness that cannot write its input tests nothing). */
const char *ps_fuzz_dir(void);
/* Writes n bytes to DIR/name (truncating) and returns the path, in a static
 * buffer of its own per slot (0..3). */
const char *ps_fuzz_write(int slot, const char *name, const uint8_t *data, size_t n);

#endif
