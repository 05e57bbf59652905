/* The machine's physical memory, against which a run's estimated needs are checked
 * before it allocates them (a run that cannot have its memory thrashes for minutes). */
#ifndef PS_CORE_MEMORY_H
#define PS_CORE_MEMORY_H

#include <stdint.h>

/* Bytes of physical memory, 0 if unknown. */
uint64_t ps_physical_memory_bytes(void);

#endif
