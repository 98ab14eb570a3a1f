/**
 * The `"worker"` poll-worker strategy: a Deno Worker blocks in a sync
 * `epoll_wait` on an *outer* epoll fd whose only member is the reactor's set,
 * registered EPOLLIN | EPOLLONESHOT. The worker never takes the reactor's
 * events; it only says "the set is ready" by bumping a counter in a
 * SharedArrayBuffer and `Atomics.notify`-ing it, and the main thread, which
 * awaits `Atomics.waitAsync`, drains the set itself.
 *
 * Each park rearms the oneshot *after* reading the counter, so a wake can
 * never fall between the two. A live Worker keeps the process alive, so the
 * worker is stopped by `close()` (which the reactor calls when it goes idle)
 * and started again by the next park; `unref()` cannot help here.
 *
 * @module
 */

import {
  close,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLONESHOT,
  EventBuffer,
} from "../ffi/mod.ts";
import type { Parker } from "./park.ts";

/** Index of the wake counter in the shared Int32Array. */
export const SIGNAL = 0;
/** Index of the stop flag in the shared Int32Array. */
export const STOP = 1;

const ARM = EPOLLIN | EPOLLONESHOT;
const NO_EVENTS = new EventBuffer(1);

/** A Worker parked in `epoll_wait` on an outer set; see the module doc. */
export class WorkerParker implements Parker {
  /** The rearming `epoll_ctl` here, the worker's `epoll_wait` and its futex wake. */
  readonly syscallsPerPark = 3;
  readonly #epfd: number;
  #outer = -1;
  #worker: Worker | null = null;
  #ctl: Int32Array<SharedArrayBuffer> = new Int32Array(new SharedArrayBuffer(8));

  /** A parker for the epoll set `epfd`; the worker starts at the first park. */
  constructor(epfd: number) {
    this.#epfd = epfd;
  }

  #start(): void {
    this.#outer = epoll_create1(EPOLL_CLOEXEC);
    epoll_ctl(this.#outer, EPOLL_CTL_ADD, this.#epfd, 0, this.#epfd);
    this.#ctl = new Int32Array(new SharedArrayBuffer(8));
    this.#worker = new Worker(new URL("./park_worker_main.ts", import.meta.url), { type: "module" });
    this.#worker.postMessage({ outer: this.#outer, ctl: this.#ctl });
  }

  /** Rearms the outer set and awaits the worker's signal. Returns no events: drain the set. */
  async park(): Promise<EventBuffer> {
    if (this.#worker === null) this.#start();
    const seen = Atomics.load(this.#ctl, SIGNAL);
    epoll_ctl(this.#outer, EPOLL_CTL_MOD, this.#epfd, ARM, this.#epfd);
    const wait = Atomics.waitAsync(this.#ctl, SIGNAL, seen);
    if (wait.async) await wait.value;
    NO_EVENTS.length = 0;
    return NO_EVENTS;
  }

  /** A live Worker always keeps the process alive; nothing to do. */
  ref(): void {}

  /** Not supported by Workers: the reactor stops the worker when idle instead. */
  unref(): void {}

  /**
   * Stops the worker: sets the stop flag and rearms the outer set (the
   * caller has made the inner set ready), so the worker's wait returns and it
   * exits; then terminates it and closes the outer fd. A later park starts a
   * new worker.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return;
    this.#worker = null;
    const seen = Atomics.load(this.#ctl, SIGNAL);
    Atomics.store(this.#ctl, STOP, 1);
    epoll_ctl(this.#outer, EPOLL_CTL_MOD, this.#epfd, ARM, this.#epfd);
    // Bounded: the worker answers within microseconds once its wait returns.
    const wait = Atomics.waitAsync(this.#ctl, SIGNAL, seen, 2000);
    if (wait.async) await wait.value;
    worker.terminate();
    close(this.#outer);
    this.#outer = -1;
  }
}
