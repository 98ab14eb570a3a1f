/**
 * Worker for the cross-thread wake tests: on `{ fd, delayMs }`, blocks this
 * thread for `delayMs` (so the main thread's reactor has parked by then),
 * adds 1 to the eventfd `fd`, posts `"written"`, and closes itself.
 *
 * @module
 */

import { eventfd_write } from "../ffi/mod.ts";

interface Job {
  fd: number;
  delayMs: number;
}

// The worker global's own types are not in the default lib (this module only
// ever runs as a Worker), so its postMessage is reached through this view.
const worker = globalThis as unknown as { postMessage(message: string): void };

globalThis.addEventListener("message", (e: Event): void => {
  const { fd, delayMs } = (e as MessageEvent<Job>).data;
  // A synchronous sleep: this thread has nothing else to do, and a timer here
  // would make the write's timing depend on this worker's event loop.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
  const ok = eventfd_write(fd, 1);
  worker.postMessage(ok ? "written" : "would block");
  globalThis.close();
}, { once: true });
