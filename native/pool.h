// The persistent thread pool every kernel runs on, and per-thread scratch memory.
// A plain C-style interface (function pointer + context) so the per-ISA kernel files, compiled with
// different -m flags, share no inline C++ templates with this file (an AVX-512 copy of a shared inline
// function could otherwise be picked by the linker for the portable path).
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {

typedef void (*sdts_task_fn)(void* ctx, int64_t task, int tid);

/**
 * Run fn(ctx, i, tid) for i in [0, ntasks) on at most `threads` threads (the caller is thread 0).
 * Tasks are handed out dynamically; a kernel's result must not depend on which thread ran a task, so
 * every task writes a disjoint part of the output and does its reductions itself, in a fixed order.
 */
void sdts_parallel_for(int64_t ntasks, int threads, sdts_task_fn fn, void* ctx);

/** Threads the pool can use (the machine's cores). */
int sdts_pool_size(void);

/** A 64-byte aligned buffer of at least `bytes`, private to thread `tid`; `slot` picks one of 4 buffers. */
void* sdts_scratch(int tid, int slot, size_t bytes);

/** Free thread `tid`'s scratch buffer `slot` (after a rare, very large use). */
void sdts_scratch_release(int tid, int slot);

}
