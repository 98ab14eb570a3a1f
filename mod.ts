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
 * import { type Conn, connect, listen } from "@libc/epoll";
 *
 * async function echo(conn: Conn): Promise<void> {
 *   const buf = new Uint8Array(16 * 1024);
 *   try {
 *     for (let n; (n = await conn.read(buf)) !== null;) await conn.writeAll(buf.subarray(0, n));
 *   } catch (err) {
 *     // One client's reset ends its own task, never the server.
 *     if (!(err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe)) throw err;
 *   } finally {
 *     conn.close();
 *   }
 * }
 *
 * const listener = listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   for await (const conn of listener) echo(conn);
 * })();
 * using client = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await client.writeAll(new TextEncoder().encode("hi"));
 * console.log(await client.read(new Uint8Array(2))); // 2
 * listener.close();
 * await serving;
 * ```
 *
 * Permissions: `--allow-ffi` is all it needs, and it is full power: sockets
 * made through FFI are not checked against `--allow-net`.
 *
 * @module
 */

export { Epoll, type EpollOptions } from "./epoll/epoll.ts";
export {
  defaultReactor,
  type Direction,
  type Interest,
  MAX_TIMER_DELAY_MS,
  type ParkStrategy,
  Poller,
  type PollerOptions,
  type PollerStats,
  Reactor,
  type ReactorOptions,
  type ReadyHandler,
  Registration,
  type Timer,
} from "./reactor/mod.ts";
export {
  type Addr,
  type CommonOptions,
  Conn,
  connect,
  type ConnectOptions,
  type IoOptions,
  type KeepAliveTuning,
  listen,
  Listener,
  type ListenOptions,
  type NetAddr,
  type TcpConnectOptions,
  type TcpListenOptions,
  type TcpOptions,
  type UnixAddr,
  type UnixConnectOptions,
  type UnixListenOptions,
  type UnixOptions,
} from "./net/mod.ts";
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
