/**
 * The reactor layer: {@linkcode Poller} (async `epoll_wait` with the poll
 * worker), {@linkcode Reactor} (registrations, readiness, timers) and the
 * process-wide {@linkcode defaultReactor} the net layer uses.
 *
 * @module
 */

import { Reactor } from "./reactor.ts";

export { Reactor, type ReactorOptions } from "./reactor.ts";
export { type Direction, type ReadyHandler, Registration } from "./registration.ts";
export { type Interest, READ_EVENTS, toEvents, WRITE_EVENTS } from "./interest.ts";
export { Poller, type PollerOptions, type PollerStats, WAKER_DATA, yieldMacrotask } from "./poller.ts";
export { createParker, NonblockingParker, type Parker, type ParkStrategy } from "./park.ts";
export { WorkerParker } from "./park_worker.ts";
export { MAX_TIMER_DELAY_MS, Timer, TimerQueue } from "./timers.ts";
export { Waker } from "./waker.ts";

let shared: Reactor | null = null;

/**
 * The reactor shared by `listen()` / `connect()` when no other is given,
 * created on first use (again after it was closed). It stops polling
 * whenever nothing is registered, so it never keeps the process alive by
 * itself.
 *
 * ```ts
 * import { defaultReactor, listen } from "@libc/epoll";
 *
 * using listener = listen({ hostname: "127.0.0.1", port: 0 }); // on the default reactor
 * console.log(defaultReactor().size); // 1: the listener
 * ```
 */
export function defaultReactor(): Reactor {
  if (shared === null || shared.closed) shared = new Reactor();
  return shared;
}
