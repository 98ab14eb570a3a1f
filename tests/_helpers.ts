/**
 * Shared fixtures for the libc-layer tests: an fd scope that closes whatever
 * a test opened, a test wrapper that also fails on leaked fds, and connected
 * socket pairs (AF_UNIX socketpair, TCP over 127.0.0.1).
 *
 * Everything here uses real fds through the ffi wrappers; nothing is mocked.
 *
 * @module
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  accept4,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  bind,
  close,
  connect,
  encodeIp,
  ErrnoError,
  type ErrnoName,
  errnoNumbers,
  F_GETFD,
  getrlimit,
  getsockname,
  type IpAddr,
  listen,
  poll,
  POLLIN,
  POLLOUT,
  RLIMIT_NOFILE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socket,
  socketpair,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
// The raw table is internal to ffi/: the fd scan below needs it unchecked.
import { libc } from "../ffi/libc.ts";

/** Nonblocking, close-on-exec: how every fixture socket is created. */
export const NB = SOCK_NONBLOCK | SOCK_CLOEXEC;

/** The fds a test opened; `closeAll()` closes the ones still open, newest first. */
export class FdScope {
  readonly #open = new Set<number>();

  /** Tracks `fd` and returns it, so `const s = fds.add(socket(...))` reads naturally. */
  add(fd: number): number {
    assert(Number.isInteger(fd) && fd >= 0, `not an fd: ${fd}`);
    this.#open.add(fd);
    return fd;
  }

  /** Tracks both fds of a pair. */
  addPair(pair: [number, number]): [number, number] {
    this.add(pair[0]);
    this.add(pair[1]);
    return pair;
  }

  /** Closes `fd` now (e.g. to provoke EBADF or a peer hang-up) and stops tracking it. */
  close(fd: number): void {
    assert(this.#open.delete(fd), `fd ${fd} is not tracked by this scope`);
    close(fd);
  }

  /** Closes every tracked fd, later fds first as nested try/finally would; rethrows the first failure. */
  closeAll(): void {
    const fds = [...this.#open].reverse();
    this.#open.clear();
    const errors: unknown[] = [];
    for (const fd of fds) {
      try {
        close(fd);
      } catch (err) {
        errors.push(err); // keep closing the rest: one bad fd must not leak the others
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

// Deno refuses /proc/self/fd without --allow-all, so open fds are found by
// asking the kernel about each number: fcntl(F_GETFD) fails only for closed
// ones. The raw symbol is used so the scan does not build an error per gap.
const FD_SCAN_LIMIT = Math.min(getrlimit(RLIMIT_NOFILE).soft, 1 << 16);

/** The fd numbers open in this process right now (below `limit`, default: the soft RLIMIT_NOFILE). */
export function openFds(limit: number = FD_SCAN_LIMIT): number[] {
  const open: number[] = [];
  for (let fd = 0; fd < Math.min(limit, FD_SCAN_LIMIT); fd++) {
    if (libc.fcntl(fd, F_GETFD, 0) >= 0) open.push(fd);
  }
  return open;
}

/** Runs `fn` and returns the one fd it left open (e.g. inside a `Deno.FsFile`). */
export function newFdOf(fn: () => void): number {
  const before = new Set(openFds());
  fn();
  const added = openFds().filter((fd) => !before.has(fd));
  assertEquals(added.length, 1, `expected one new fd, got ${added}`);
  return added[0];
}

/** Options of {@linkcode fdTest}, passed through to `Deno.test`. */
export interface FdTestOptions {
  /** Skip the test, with the reason in the name. */
  ignore?: boolean;
}

/**
 * `Deno.test` whose body gets an {@linkcode FdScope}: every fd it tracked is
 * closed in `finally`, and the test fails if the process holds a different
 * set of fds afterwards (an fd opened but not tracked, or closed twice).
 */
export function fdTest(
  name: string,
  fn: (fds: FdScope) => void | Promise<void>,
  options: FdTestOptions = {},
): void {
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    async fn(): Promise<void> {
      const before = openFds();
      const fds = new FdScope();
      try {
        await fn(fds);
      } finally {
        fds.closeAll();
      }
      assertEquals(openFds(), before, "the test leaked (or over-closed) fds");
    },
  });
}

/** A connected pair of stream sockets: `a` and `b` talk to each other. */
export interface StreamPair {
  /** One end (the TCP client). */
  a: number;
  /** The other end (the TCP server side, from accept4). */
  b: number;
}

/** A nonblocking AF_UNIX stream socketpair. */
export function unixPair(fds: FdScope): StreamPair {
  const [a, b] = fds.addPair(socketpair(AF_UNIX, SOCK_STREAM | NB));
  return { a, b };
}

/** Waits (bounded) until `fd` reports any of `events` in poll(2); fails the test on timeout. */
export function pollUntil(fd: number, events: number, timeoutMs = 2000): number {
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, events, true);
  assertEquals(poll(pfd, 1, timeoutMs), 1, `fd ${fd} not ready for ${events} within ${timeoutMs} ms`);
  return view.getInt16(6, true);
}

/** A listening nonblocking TCP socket on 127.0.0.1 with a kernel-chosen port. */
export function tcpListener(fds: FdScope): { fd: number; port: number } {
  const fd = fds.add(socket(AF_INET, SOCK_STREAM | NB));
  bind(fd, encodeIp("127.0.0.1", 0));
  listen(fd, 16);
  return { fd, port: (getsockname(fd) as IpAddr).port };
}

/**
 * A TCP loopback connection through the wrappers: socket, bind 127.0.0.1:0,
 * listen, nonblocking connect, accept4. The listener is closed before
 * returning; both ends are nonblocking and tracked by `fds`.
 */
export function tcpPair(fds: FdScope): StreamPair {
  const listener = tcpListener(fds);
  const a = fds.add(socket(AF_INET, SOCK_STREAM | NB));
  connect(a, encodeIp("127.0.0.1", listener.port));
  pollUntil(listener.fd, POLLIN);
  const b = accept4(listener.fd, NB);
  assert(b !== WOULD_BLOCK, "accept4 found no connection after POLLIN");
  fds.add(b);
  pollUntil(a, POLLOUT); // the client side's handshake is complete
  fds.close(listener.fd);
  return { a, b };
}

/** Both stream fixtures, for tests that must hold on each kind of socket. */
export const streamFixtures: ReadonlyArray<{ name: string; make: (fds: FdScope) => StreamPair }> = [
  { name: "socketpair", make: unixPair },
  { name: "tcp 127.0.0.1", make: tcpPair },
];

/** `n` bytes of a recognisable pattern. */
export function bytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Milliseconds taken by `fn`, and its result. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** Whether IPv6 loopback is usable: a UDP socket can bind [::1]:0 (the ::1 tests need it). */
export const HAS_IPV6_LOOPBACK: boolean = (() => {
  let fd = -1;
  try {
    fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC);
    bind(fd, encodeIp("::1", 0));
    return true;
  } catch {
    return false; // EAFNOSUPPORT (no IPv6) or EADDRNOTAVAIL (no ::1 on lo)
  } finally {
    if (fd >= 0) close(fd);
  }
})();

/** The ignore option and name suffix for tests that need ::1. */
export const NEEDS_IPV6: { ignore: boolean; suffix: string } = {
  ignore: !HAS_IPV6_LOOPBACK,
  suffix: HAS_IPV6_LOOPBACK ? "" : " (ignored: no ::1)",
};

/**
 * Asserts that `fn` throws an {@linkcode ErrnoError} for `syscall` with errno
 * `code`, carrying the number, the name, and the name in its message.
 */
export function assertErrno(fn: () => unknown, code: ErrnoName, syscall: string): ErrnoError {
  const err = assertThrows(fn, ErrnoError);
  assertEquals(err.name, "ErrnoError");
  assertEquals(err.code, code);
  assertEquals(err.errno, errnoNumbers[code]);
  assertEquals(err.syscall, syscall);
  assert(err.message.includes(`[${code}]`), `message lacks [${code}]: ${err.message}`);
  assert(err.message.startsWith(`${syscall}: `), `message lacks the syscall: ${err.message}`);
  return err;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection naming `what` after `ms` (the timer is always cleared: no leaked op). */
export async function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How a child process ended. */
export interface ChildOutcome {
  /** The exit code (128 + n after a signal). */
  code: number;
  /** The signal that ended it, or null. */
  signal: Deno.Signal | null;
  /** Whether it outlived its deadline and was killed. */
  timedOut: boolean;
  /** What it printed. */
  stdout: string;
  /** Its errors. */
  stderr: string;
}

/**
 * Runs `deno <args>` (in `cwd`, default this process's) to completion,
 * killing it (by its PID, SIGKILL) if it outlives `timeoutMs`. For crash
 * tests: a native fault shows as `signal`.
 */
export async function runDeno(args: string[], timeoutMs = 15_000, cwd?: string): Promise<ChildOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [status, out, err] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { code: status.code, signal: status.signal, timedOut, stdout: out, stderr: err };
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of a module of this repository, for code that child processes import. */
export function repoUrl(path: string): string {
  return new URL(`../${path}`, import.meta.url).href;
}

/**
 * Runs `code` (TypeScript, top-level await allowed) in a child Deno with
 * every permission, and returns how it ended. For memory-safety regressions:
 * on broken code the child may die of a signal, which must not take the
 * test runner with it.
 */
export async function evalInChild(code: string, timeoutMs = 15_000): Promise<ChildOutcome> {
  return await runDeno(["eval", "--ext=ts", code], timeoutMs);
}
