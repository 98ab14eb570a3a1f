/**
 * `@libc/epoll`: Linux epoll for Deno through FFI, no C compiler needed.
 *
 * Layers, each built on the one below:
 * - `@libc/epoll/ffi`: libc calls named as in the man pages (`epoll_ctl`,
 *   `accept4`, `EPOLLIN`), throwing `ErrnoError`.
 * - {@linkcode Epoll}: one epoll instance (like Python's `select.epoll`).
 * - {@linkcode Poller} and {@linkcode Reactor}: async waits whose blocking
 *   part runs on a poll worker, registrations, readiness, timers.
 * - {@linkcode listen} / {@linkcode connect}: Go-style async connections
 *   shaped like `Deno.listen` / `Deno.Conn`.
 *
 * ```ts
 * import { listen } from "@libc/epoll";
 *
 * const listener = listen({ hostname: "127.0.0.1", port: 7777 });
 * for await (const conn of listener) {
 *   (async () => {
 *     const buf = new Uint8Array(16 * 1024);
 *     for (let n; (n = await conn.read(buf)) !== null;) await conn.writeAll(buf.subarray(0, n));
 *     conn.close();
 *   })();
 * }
 * ```
 *
 * Permissions: `--allow-ffi` is all it needs, and it is full power: sockets
 * made through FFI are not checked against `--allow-net`.
 *
 * @module
 */

export { Epoll, type EpollOptions } from "./epoll/epoll.ts";
export * from "./reactor/mod.ts";
export * from "./net/mod.ts";
export {
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  EPOLLWAKEUP,
  ErrnoError,
  EventBuffer,
  WOULD_BLOCK,
} from "./ffi/mod.ts";
