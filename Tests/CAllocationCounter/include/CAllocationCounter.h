#ifndef MATTE_ALLOCATION_COUNTER_H
#define MATTE_ALLOCATION_COUNTER_H

/// Starts counting the heap allocations the calling thread makes (malloc, calloc, realloc, the aligned
/// allocators); other threads are not counted.
void matte_allocations_start(void);

/// Stops counting and returns how many allocations the calling thread made since the start.
long matte_allocations_stop(void);

#endif
