// Linked into the test executable only: its allocation functions interpose glibc's (an executable's
// symbols come first) and forward to glibc's own entry points, counting calls on threads that asked.
#include "CAllocationCounter.h"

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static _Thread_local int counting;
static _Thread_local long counted;

static inline void note(void) {
    if (counting) counted++;
}

void matte_allocations_start(void) {
    counted = 0;
    counting = 1;
}

long matte_allocations_stop(void) {
    counting = 0;
    return counted;
}

// A sanitizer's runtime defines malloc and its family itself, to track every block; definitions here would
// take their place, and ThreadSanitizer, whose start-up allocates before its runtime is ready, crashes in them
// (scripts/tsan-tests.sh builds the tests with it). Under a sanitizer the counter counts nothing, so
// AllocationTests (run by scripts/test.sh on a release build without one) fail their own check that it counts.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define MATTE_SANITIZER_OWNS_MALLOC 1
#endif
#endif

#ifndef MATTE_SANITIZER_OWNS_MALLOC
void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}
#endif
