/*
 * plat_posix.h - what the POSIX platform offers beyond hg_platform.h: the
 * simulated process table behind hg_plat_process_key_of_pid. The host
 * library (hg_sim_process_start / hg_sim_process_exit), the unit tests and
 * the stress test start and end simulated processes through it.
 */
#ifndef PLAT_POSIX_H
#define PLAT_POSIX_H

#include <stdint.h>

/* A process with this pid and key is now running (replacing whichever
 * process had the pid before). Returns 0 only when the table is full. */
int  plat_posix_process_start(uint64_t pid, uint64_t process_key);
/* The process with this key has exited: its pid names nothing any more. */
void plat_posix_process_exit(uint64_t process_key);

#endif /* PLAT_POSIX_H */
