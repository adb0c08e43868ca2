// Entry point of a WorkerPool thread: takes chunks of each job posted to it, then counts down the pool's
// PENDING counter. Errors go through shared memory, since the calling thread is blocked in Atomics.wait.
import { parentPort, workerData } from "node:worker_threads";
import {
  PENDING, READY, recordError, takeChunks, WORKER_CHUNKS, type WorkerInit, type WorkerMessage,
} from "./poolProtocol.js";

const { index, ctrl, errorText } = workerData as WorkerInit;

parentPort!.on("message", (msg: WorkerMessage) => {
  try {
    Atomics.add(ctrl, WORKER_CHUNKS, takeChunks(msg, ctrl));
  } catch (e) {
    recordError(e, ctrl, errorText, msg.chunks);
  } finally {
    Atomics.sub(ctrl, PENDING, 1);
    Atomics.notify(ctrl, PENDING);
  }
});
Atomics.store(ctrl, READY + index, 1);
Atomics.notify(ctrl, PENDING);
