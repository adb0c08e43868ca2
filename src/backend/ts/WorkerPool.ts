// A persistent pool of worker threads that run kernel jobs (kernels.ts) while the calling thread blocks, so
// backend ops stay synchronous. Tensors live on SharedArrayBuffers: posting a job shares its arrays, the
// workers write their chunks of the output in place, and nothing is copied.
//
// A job is split into chunks (disjoint parts of its output). The caller posts the job to the workers, takes
// chunks itself like any worker (poolProtocol.ts), then Atomics.waits until every worker has reported back.
// Workers are unref'd: an idle pool never keeps the process alive.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { runPart, type Job } from "./kernels.js";
import {
  FAILED, NEXT, PENDING, READY, recordError, takeChunks, WORKER_CHUNKS, type Schedule, type WorkerInit, type WorkerMessage,
} from "./poolProtocol.js";

const ERROR_BYTES = 4096;
/** How long workers may take to start before the pool gives up on them (ms). */
const START_TIMEOUT_MS = 60_000;

/** A job's arrays must live on SharedArrayBuffers: posting any other array would copy it, silently. */
function assertShared(job: Job): void {
  for (const [key, value] of Object.entries(job)) {
    if (ArrayBuffer.isView(value) && !(value.buffer instanceof SharedArrayBuffer)) {
      throw new Error(`TsBackend: ${job.kind} job array "${key}" is not on a SharedArrayBuffer (workers would write to a copy)`);
    }
  }
}

export class WorkerPool {
  /** Threads doing work, the calling thread included. */
  readonly threads: number;
  /** Jobs that were offered to worker threads so far (a diagnostic for tests and benchmarks). */
  parallelJobs = 0;
  /** "dynamic" (default): threads take chunks as they come; "static": thread t computes chunks t, t + threads, …. */
  readonly schedule: Schedule;
  private workers: Worker[] | null = null;
  private readonly ctrl: Int32Array;
  private readonly errorText: Uint8Array;
  private started = false;

  constructor(threads: number, schedule: Schedule = "dynamic") {
    this.threads = Math.max(1, Math.floor(threads));
    this.schedule = schedule;
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * (READY + this.threads)));
    this.errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
  }

  /**
   * Runs all `chunks` of `job` on this thread and up to threads − 1 workers; returns when every chunk is done.
   * Rethrows the first error of any thread.
   */
  run(job: Job, chunks: number): void {
    const helpers = Math.min(this.threads - 1, chunks - 1);
    const workers = helpers > 0 ? this.start() : null;
    if (!workers) {
      for (let c = 0; c < chunks; c++) runPart(job, c, chunks);
      return;
    }
    assertShared(job);
    this.parallelJobs++;
    const { ctrl } = this;
    Atomics.store(ctrl, FAILED, 0);
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, PENDING, helpers);
    const msg = (thread: number): WorkerMessage => ({ job, chunks, schedule: this.schedule, thread, threads: helpers + 1 });
    for (let i = 0; i < helpers; i++) workers[i]!.postMessage(msg(i + 1));
    try {
      takeChunks(msg(0), ctrl);
    } catch (e) {
      recordError(e, ctrl, this.errorText, chunks);
    }
    // Wait even after an error: workers may still be writing into this job's buffers.
    this.waitForWorkers(helpers);
    if (Atomics.load(ctrl, FAILED) !== 0) {
      const end = this.errorText.indexOf(0);
      const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? ERROR_BYTES : end));
      throw new Error(`TsBackend ${job.kind} failed: ${text}`);
    }
  }

  /** Chunks computed by worker threads so far (a diagnostic). */
  get workerChunks(): number {
    return Atomics.load(this.ctrl, WORKER_CHUNKS);
  }

  private waitForWorkers(count: number): void {
    const t0 = Date.now();
    for (;;) {
      const pending = Atomics.load(this.ctrl, PENDING);
      if (pending === 0) return;
      // Time out only to notice workers that never started (e.g. their script failed to load).
      if (Atomics.wait(this.ctrl, PENDING, pending, 1000) === "timed-out" && !this.started) {
        let ready = 0;
        for (let i = 0; i < count; i++) ready += Atomics.load(this.ctrl, READY + i);
        if (ready === count) this.started = true;
        else if (Date.now() - t0 > START_TIMEOUT_MS) {
          throw new Error(`TsBackend: ${count - ready} worker thread(s) did not start within ${START_TIMEOUT_MS / 1000} s`);
        }
      }
    }
  }

  /** Starts the workers on first use; null when the compiled worker script is missing (then single-threaded). */
  private start(): Worker[] | null {
    if (this.workers) return this.workers;
    const url = new URL("./worker.js", import.meta.url);
    if (!existsSync(fileURLToPath(url))) return null;
    this.workers = [];
    for (let i = 0; i < this.threads - 1; i++) {
      const init: WorkerInit = { index: i, ctrl: this.ctrl, errorText: this.errorText };
      const w = new Worker(url, { workerData: init });
      w.unref();
      this.workers.push(w);
    }
    return this.workers;
  }

  /** Stops the workers (optional: idle workers do not keep the process alive). */
  async close(): Promise<void> {
    const ws = this.workers ?? [];
    this.workers = null;
    this.started = false;
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
