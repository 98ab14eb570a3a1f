/**
 * The poll worker: where the blocking `epoll_wait(…, -1)` runs when nothing is
 * ready, so that the JS event loop never blocks. Two strategies sit behind the
 * one {@linkcode Parker} interface:
 *
 * - `"nonblocking"` (the default): `epoll_wait` declared `nonblocking: true`,
 *   which Deno runs on its blocking thread pool and resolves as a promise.
 * - `"worker"`: a dedicated Deno Worker blocks in a sync `epoll_wait` on an
 *   outer epoll fd that holds the reactor's set (so it never consumes the
 *   events) and signals the main thread through a SharedArrayBuffer
 *   (`Atomics.notify` / `Atomics.waitAsync`).
 *
 * Measured by `deno task bench:reactor` (pingpong-1: a 64 B echo round trip
 * per message, the load generator on the other core; the 2-core x86_64 VM of
 * the README, 2026-11-29), with every wait parking (`busyWaitMicros: 0`):
 * nonblocking p50 66 µs and 47 µs of CPU per message, worker 81 µs and
 * 49 µs, against 67 µs and 33 µs for the default loop, which stays hot and
 * does not park. They tie; the nonblocking call needs no extra thread or
 * module and can be unref'd, so it is the default. A busy loop does not park
 * at all: it waits on the main thread (see `poller.ts`), so the hop is paid
 * only by a loop that was idle.
 *
 * @module
 */

import { EventBuffer } from "../ffi/mod.ts";
import { libc } from "../ffi/libc.ts";
import { describe } from "../ffi/checks.ts";
import { WorkerParker } from "./park_worker.ts";

/**
 * The name of a poll-worker strategy: `"nonblocking"` (the default: a
 * `nonblocking: true` FFI `epoll_wait` on Deno's blocking pool; can be
 * unref'd) or `"worker"` (a Deno Worker blocked in a sync `epoll_wait`,
 * signalling through `Atomics.notify`; needs `--allow-read`).
 *
 * ```ts
 * import { type ParkStrategy, Reactor } from "@libc/epoll";
 *
 * const strategy: ParkStrategy = "nonblocking";
 * const reactor = new Reactor({ strategy });
 * await reactor.close();
 * ```
 */
export type ParkStrategy = "nonblocking" | "worker";

/** Waits off the main thread until an epoll set has events. */
export interface Parker {
  /**
   * Resolves once the set has events. The events it consumed are in the
   * returned buffer (the nonblocking strategy); an empty buffer means "drain
   * the set yourself" (the worker strategy, which never consumes).
   */
  park(): Promise<EventBuffer>;
  /** Syscalls one park makes, on any thread (for `PollerStats.syscalls`). */
  readonly syscallsPerPark: number;
  /** Lets a pending park keep the process alive (the default). */
  ref(): void;
  /** Lets the process exit while a park is pending, where the strategy can. */
  unref(): void;
  /** Stops the strategy. The set must have been woken first, so that a pending park ends. */
  close(): Promise<void>;
}

/** Creates the parker for `strategy` on the epoll fd `epfd`. */
export function createParker(strategy: ParkStrategy, epfd: number, maxEvents: number): Parker {
  if (strategy === "nonblocking") return new NonblockingParker(epfd, maxEvents);
  if (strategy === "worker") return new WorkerParker(epfd);
  throw new TypeError(`unknown poll-worker strategy ${describe(strategy)} (use "nonblocking" or "worker")`);
}

// Deno has no public way to unref an FFI op promise; its core does. Looked up
// once and optional: without it, unref() simply keeps the process alive.
interface DenoCoreRefs {
  refOpPromise(p: Promise<unknown>): void;
  unrefOpPromise(p: Promise<unknown>): void;
}

function denoCore(): DenoCoreRefs | null {
  const internal = (Deno as unknown as { internal?: symbol }).internal;
  if (internal === undefined) return null;
  const core = (Deno as unknown as Record<symbol, { core?: Partial<DenoCoreRefs> }>)[internal]?.core;
  return typeof core?.unrefOpPromise === "function" && typeof core.refOpPromise === "function"
    ? core as DenoCoreRefs
    : null;
}

const core = denoCore();

/** The `nonblocking: true` FFI strategy: `epoll_wait(epfd, …, -1)` on Deno's blocking pool. */
export class NonblockingParker implements Parker {
  /** One `epoll_wait` on the pool thread. */
  readonly syscallsPerPark = 1;
  readonly #epfd: number;
  readonly #events: EventBuffer;
  #pending: Promise<number> | null = null;
  #refed = true;

  /** A parker on `epfd` that takes up to `maxEvents` events per park. */
  constructor(epfd: number, maxEvents: number) {
    this.#epfd = epfd;
    this.#events = new EventBuffer(maxEvents);
  }

  /** Runs the blocking wait on another thread; resolves with the events it took. */
  async park(): Promise<EventBuffer> {
    const events = this.#events;
    const pending = libc.epoll_wait_nonblocking(this.#epfd, events.bytes, events.capacity, -1);
    this.#pending = pending;
    if (!this.#refed) core?.unrefOpPromise(pending);
    // errno lives on the pool thread and is lost: a -1 (EINTR there) just
    // counts as "no events", and the caller polls again.
    const n = await pending;
    this.#pending = null;
    events.length = n > 0 ? n : 0;
    return events;
  }

  /** Lets a pending park keep the process alive. */
  ref(): void {
    if (this.#refed) return;
    this.#refed = true;
    if (this.#pending !== null) core?.refOpPromise(this.#pending);
  }

  /** Lets the process exit while parked (uses Deno's core; a no-op where that is missing). */
  unref(): void {
    if (!this.#refed) return;
    this.#refed = false;
    if (this.#pending !== null) core?.unrefOpPromise(this.#pending);
  }

  /** Waits for an in-flight park to return (the caller has woken the set). */
  async close(): Promise<void> {
    if (this.#pending !== null) await this.#pending;
  }
}
