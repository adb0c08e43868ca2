// What the WorkerPool and its worker threads share: the layout of the control block and the loop that takes
// chunks of a job until none are left.
//
// `ctrl` is an Int32Array on a SharedArrayBuffer:
//   ctrl[NEXT]      the next chunk to take (Atomics.add hands each chunk to exactly one thread),
//   ctrl[PENDING]   workers that have not yet finished with the current job,
//   ctrl[FAILED]    1 once some thread threw (its message is in `errorText`),
//   ctrl[WORKER_CHUNKS] chunks computed by workers so far (a diagnostic),
//   ctrl[READY + i] 1 once worker i has loaded its script.
// Chunks are taken dynamically, so a thread slowed down by other processes on the machine simply takes fewer;
// which thread computes a chunk never changes its values. The static schedule (thread t computes chunks
// t, t + threads, …) exists for tests: it guarantees that every thread computes.
import { runPart, type Job } from "./kernels.js";

export const PENDING = 0;
export const FAILED = 1;
export const NEXT = 2;
export const WORKER_CHUNKS = 3;
export const READY = 4;

export type Schedule = "dynamic" | "static";

export interface WorkerMessage {
  readonly job: Job;
  readonly chunks: number;
  readonly schedule: Schedule;
  /** This thread's index (0 = the calling thread) and the number of threads on the job (static schedule). */
  readonly thread: number;
  readonly threads: number;
}

export interface WorkerInit {
  readonly index: number;
  readonly ctrl: Int32Array;
  readonly errorText: Uint8Array;
}

/** Runs this thread's chunks of the job; returns how many it ran. */
export function takeChunks(m: WorkerMessage, ctrl: Int32Array): number {
  let ran = 0;
  if (m.schedule === "static") {
    for (let c = m.thread; c < m.chunks; c += m.threads, ran++) runPart(m.job, c, m.chunks);
    return ran;
  }
  for (;; ran++) {
    const c = Atomics.add(ctrl, NEXT, 1);
    if (c >= m.chunks) return ran;
    runPart(m.job, c, m.chunks);
  }
}

/** Records the first error of a job for the calling thread to rethrow; stops other threads taking chunks. */
export function recordError(e: unknown, ctrl: Int32Array, errorText: Uint8Array, chunks: number): void {
  Atomics.store(ctrl, NEXT, chunks);
  if (Atomics.compareExchange(ctrl, FAILED, 0, 1) !== 0) return;
  const bytes = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e));
  const n = Math.min(bytes.length, errorText.length - 1);
  errorText.set(bytes.subarray(0, n));
  errorText[n] = 0;
}
