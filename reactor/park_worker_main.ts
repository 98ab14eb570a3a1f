/**
 * The body of the `"worker"` poll worker (see `park_worker.ts`): block in
 * `epoll_wait(outer, …, -1)`, bump the shared counter and notify, repeat
 * until the stop flag is set.
 *
 * @module
 */

import { epoll_wait, EventBuffer } from "../ffi/mod.ts";
import { SIGNAL, STOP } from "./park_worker.ts";

interface Start {
  outer: number;
  ctl: Int32Array<SharedArrayBuffer>;
}

function run({ outer, ctl }: Start): void {
  const events = new EventBuffer(4);
  for (;;) {
    const n = epoll_wait(outer, events, 4, -1);
    const stop = Atomics.load(ctl, STOP) !== 0;
    if (n > 0 || stop) {
      Atomics.add(ctl, SIGNAL, 1);
      Atomics.notify(ctl, SIGNAL);
    }
    if (stop) return;
  }
}

// Typed through addEventListener: the worker global's own types are not in
// the default lib, and this module is only ever loaded as a Worker.
globalThis.addEventListener("message", (e: Event): void => {
  run((e as MessageEvent<Start>).data);
  globalThis.close();
}, { once: true });
