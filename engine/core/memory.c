/* Physical memory (engine/core/memory.h). */
#include "engine/core/memory.h"

#include <unistd.h>

uint64_t ps_physical_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}
