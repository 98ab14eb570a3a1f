/**
 * Fixtures for the reactor-layer tests: the strategy × busy-wait variants,
 * a test wrapper that always closes its Reactor and fds (and fails on a
 * leaked fd or an unexpected `onError`), real fd makers (eventfd, pipe,
 * socketpair, TCP loopback, timerfd), bounded waits, and a subprocess runner
 * for the "does the process exit by itself" tests.
 *
 * Everything is a real fd through the ffi wrappers; nothing is mocked. Kept
 * apart from `_helpers.ts` (the libc-layer tests' fixtures) so the two suites
 * can change independently.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  accept4,
  AF_INET,
  AF_UNIX,
  bind,
  CLOCK_MONOTONIC,
  close,
  connect,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  encodeIp,
  eventfd,
  getsockname,
  type IpAddr,
  listen,
  O_CLOEXEC,
  O_NONBLOCK,
  pipe2,
  poll,
  POLLIN,
  POLLOUT,
  SOCK_STREAM,
  socket,
  socketpair,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  timerfd_create,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import { type ParkStrategy, Reactor, type ReactorOptions } from "../reactor/mod.ts";
import {
  type ChildOutcome,
  delay as sleep,
  FdScope,
  NB,
  openFds as openFdsBelow,
  runDeno,
} from "./_helpers.ts";

export { FdScope, NB };

/** Nonblocking, close-on-exec: how every fixture fd is created. */

/** One way of running the reactor: a poll-worker strategy and a bounded-sleep setting. */
export interface Variant {
  readonly strategy: ParkStrategy;
  /** undefined: the poller's default. */
  readonly busyWaitMicros?: number;
  readonly label: string;
}

/** Both strategies, parking at once (busy 0) and with the default bounded sleep. */
export const VARIANTS: readonly Variant[] = [
  { strategy: "nonblocking", busyWaitMicros: 0, label: "nonblocking/busy0" },
  { strategy: "nonblocking", label: "nonblocking/default" },
  { strategy: "worker", busyWaitMicros: 0, label: "worker/busy0" },
  { strategy: "worker", label: "worker/default" },
];

/** Both strategies with parking forced (busy 0): for tests where the bounded sleep changes nothing. */
export const PARK_VARIANTS: readonly Variant[] = VARIANTS.filter((v) => v.busyWaitMicros === 0);

/** What a reactor test body receives. */
export interface ReactorCtx {
  readonly reactor: Reactor;
  readonly fds: FdScope;
  readonly variant: Variant;
  /** Everything `onError` received; the wrapper fails the test if a body leaves anything here. */
  readonly errors: unknown[];
}

/** Options of {@linkcode reactorTest}. */
export interface ReactorTestOptions {
  /** Variants to run (default: all four). */
  variants?: readonly Variant[];
  /** Extra reactor options (onError is always the collector). */
  options?: Omit<ReactorOptions, "strategy" | "busyWaitMicros" | "onError">;
  /** Skip, e.g. while a reactor bug is open (say which in a comment). */
  ignore?: boolean;
  /** The name's prefix (default "reactor"). */
  group?: string;
  /** The body starts Workers of its own: check fds by count (see `assertFdsSettle`). */
  usesWorkers?: boolean;
}

const FD_SCAN_LIMIT = 4096;

/** The fd numbers below 4096 open in this process right now (see `_helpers.ts`). */
export function openFds(): number[] {
  return openFdsBelow(FD_SCAN_LIMIT);
}

/** A new reactor for `variant`, reporting errors into `errors`. */
export function makeReactor(variant: Variant, errors: unknown[], extra: ReactorOptions = {}): Reactor {
  return new Reactor({
    ...extra,
    strategy: variant.strategy,
    busyWaitMicros: variant.busyWaitMicros,
    onError: (err) => errors.push(err),
  });
}

/**
 * One `Deno.test` per variant, named `<group>[<variant>]: <name>`. The body
 * gets a fresh Reactor and an FdScope; both are closed in `finally` (the
 * reactor first), then the test fails on leaked fds or unclaimed errors.
 */
export function reactorTest(
  name: string,
  fn: (ctx: ReactorCtx) => void | Promise<void>,
  test: ReactorTestOptions = {},
): void {
  for (const variant of test.variants ?? VARIANTS) {
    Deno.test({
      name: `${test.group ?? "reactor"}[${variant.label}]: ${name}`,
      ignore: test.ignore ?? false,
      fn: () => runReactorTest(variant, fn, test),
    });
  }
}

async function runReactorTest(
  variant: Variant,
  fn: (ctx: ReactorCtx) => void | Promise<void>,
  test: ReactorTestOptions,
): Promise<void> {
  const before = await settledFds();
  const errors: unknown[] = [];
  const fds = new FdScope();
  const reactor = makeReactor(variant, errors, test.options ?? {});
  try {
    await fn({ reactor, fds, variant, errors });
  } finally {
    try {
      await reactor.close();
    } finally {
      fds.closeAll();
    }
  }
  assertEquals(errors, [], "onError received errors the test did not expect");
  const exact = variant.strategy !== "worker" && !test.usesWorkers;
  await assertFdsSettle(before, exact ? "exact" : "count");
}

// ------------------------------------------------------------------ fd accounting

/**
 * The open fds once they have stopped changing (two equal probes 10 ms
 * apart, for at most 500 ms): Deno opens and closes a few fds of its own in
 * the background, around Workers especially.
 */
export async function settledFds(): Promise<number[]> {
  const end = performance.now() + 500;
  let prev = openFds();
  for (;;) {
    await sleep(10);
    const now = openFds();
    if (sameFds(now, prev) || performance.now() > end) return now;
    prev = now;
  }
}

function sameFds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((fd, i) => fd === b[i]);
}

/**
 * Fails unless the open fds come back to `before` within 1 s: the exact set
 * when no Worker ran, else the count. Deno keeps the runtime of the last
 * terminated Worker (an eventpoll and an eventfd) open until the next Worker
 * replaces it, so a Worker-using test swaps that pair for one with new
 * numbers; the worker strategy's own fds are checked by count here and by the
 * many-cycle test in `reactor_test.ts`.
 */
export async function assertFdsSettle(before: number[], mode: "exact" | "count" = "exact"): Promise<void> {
  const matches = (now: number[]): boolean =>
    mode === "exact" ? sameFds(now, before) : now.length === before.length;
  const end = performance.now() + 1000;
  let now = await settledFds();
  while (!matches(now) && performance.now() < end) now = await settledFds();
  const detail = `[${before}] -> [${now}]`;
  if (mode === "exact") assertEquals(now, before, `the test leaked (or over-closed) fds: ${detail}`);
  else assertEquals(now.length, before.length, `the test leaked (or over-closed) fds: ${detail}`);
}

// Deno's one-off background fds land before the first test, not inside one:
// a socketpair about 500 ms after start, and the first Worker's runtime pair.
async function warmUp(): Promise<void> {
  const url = URL.createObjectURL(new Blob(["postMessage('up'); close();"], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  await new Promise((resolve) => worker.onmessage = resolve);
  worker.terminate();
  URL.revokeObjectURL(url);
  await sleep(Math.max(20, 700 - performance.now()));
}

await warmUp();

/** `assert(!expr)`; the local `@std/assert` stand-in has no `assertFalse`. */
export function assertFalse(expr: unknown, msg = "expected a falsy value"): void {
  assert(!expr, msg);
}

// ------------------------------------------------------------------ waits

export { deadline as within, delay as sleep } from "./_helpers.ts";

/** Polls `cond` every ms until it holds; fails with `what` after `ms`. */
export async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(1);
  }
}

/** Whether `promise` is still pending after the microtask queue and one macrotask have run. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await sleep(0);
  return !settled;
}

// ------------------------------------------------------------------ fds

/** A nonblocking eventfd. */
export function makeEventfd(fds: FdScope): number {
  return fds.add(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
}

/** A nonblocking pipe: `[readEnd, writeEnd]`. */
export function makePipe(fds: FdScope): [number, number] {
  const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
  return [fds.add(r), fds.add(w)];
}

/** A nonblocking AF_UNIX stream socketpair. */
export function makeSocketpair(fds: FdScope): [number, number] {
  const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | NB);
  return [fds.add(a), fds.add(b)];
}

/** A nonblocking CLOCK_MONOTONIC timerfd (unarmed). */
export function makeTimerfd(fds: FdScope): number {
  return fds.add(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
}

function pollUntil(fd: number, events: number, timeoutMs = 2000): void {
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, events, true);
  assertEquals(poll(pfd, 1, timeoutMs), 1, `fd ${fd} not ready for ${events} within ${timeoutMs} ms`);
}

/** A TCP loopback connection made through the wrappers: `[client, server]`, both nonblocking. */
export function makeTcpPair(fds: FdScope): [number, number] {
  const listener = socket(AF_INET, SOCK_STREAM | NB);
  try {
    bind(listener, encodeIp("127.0.0.1", 0));
    listen(listener, 4);
    const port = (getsockname(listener) as IpAddr).port;
    const client = fds.add(socket(AF_INET, SOCK_STREAM | NB));
    connect(client, encodeIp("127.0.0.1", port));
    pollUntil(listener, POLLIN);
    const server = accept4(listener, NB);
    assert(server !== WOULD_BLOCK, "accept4 found no connection after POLLIN");
    fds.add(server);
    pollUntil(client, POLLOUT);
    return [client, server];
  } finally {
    close(listener);
  }
}

/** A two-ended stream fixture: data written to `writer` makes `reader` readable. */
export interface StreamFixture {
  readonly name: string;
  make(fds: FdScope): { reader: number; writer: number };
}

/** The stream kinds every readiness test runs over. */
export const STREAMS: readonly StreamFixture[] = [
  { name: "pipe", make: (fds) => ((p) => ({ reader: p[0], writer: p[1] }))(makePipe(fds)) },
  { name: "socketpair", make: (fds) => ((p) => ({ reader: p[0], writer: p[1] }))(makeSocketpair(fds)) },
  { name: "tcp", make: (fds) => ((p) => ({ reader: p[1], writer: p[0] }))(makeTcpPair(fds)) },
];

// ------------------------------------------------------------------ subprocesses

/** How a child `deno run` ended. */
/** How a child ended (`runDeno`'s outcome): exit code, signal, whether it was killed at the deadline, output. */
export type ChildResult = ChildOutcome;

const REPO = new URL("../", import.meta.url).href;

/**
 * Writes `source` to a temp file (with `$REPO/` standing for the repo's file
 * URL), runs it with `deno run --allow-ffi --allow-read`, and kills the child
 * by PID if it has not exited after `timeoutMs`.
 */
export async function runScript(source: string, timeoutMs: number): Promise<ChildResult> {
  const path = await Deno.makeTempFile({ prefix: "reactor_exit_", suffix: ".ts" });
  try {
    await Deno.writeTextFile(path, source.replaceAll("$REPO/", REPO));
    return await runDeno(["run", "--no-config", "--allow-ffi", "--allow-read", path], timeoutMs);
  } finally {
    await Deno.remove(path);
  }
}
