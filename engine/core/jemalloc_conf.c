/* jemalloc's settings for pslab's programs, read by jemalloc at start-up through its
 * documented malloc_conf symbol. Linked only into programs that use jemalloc (see
 * pslab_use_jemalloc in CMakeLists.txt), never into the engine library. */

/* jemalloc hands freed pages back to the kernel after a delay, and those of
 * allocations of 8 MB and more at once; the real backend's 40 MB messages (dense
 * 10M-value pushes and pulls) then page-fault on every use, which took dense pulls
 * from 60-80% of raw loopback bandwidth to 20-35% (bench/real_transport_bench.c).
 * Keeping freed pages, as glibc's heap does, costs no more than the peak. */
const char *malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
