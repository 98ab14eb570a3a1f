/**
 * `listen()` and `connect()`: `Deno.listen` / `Deno.connect` over the
 * reactor. FFI sockets are not checked against `--allow-net`: `--allow-ffi`
 * already grants everything (see README, "Permissions").
 *
 * @module
 */

import {
  AddrInfoError,
  bind,
  connect as connectSocket,
  decodeSockAddr,
  type EncodedAddr,
  getaddrinfo,
  listen as listenSocket,
  parseIPv4,
  parseIPv6,
  setsockopt,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOL_SOCKET,
} from "../ffi/mod.ts";
import { defaultReactor, Reactor } from "../reactor/mod.ts";
import type { Addr, NetAddr, UnixAddr } from "./addr.ts";
import { awaitConnect, Conn } from "./conn.ts";
import { checkBoolean, isAbortSignal, toDenoError } from "./errors.ts";
import { Listener, unlinkOnClose } from "./listener.ts";
import * as sys from "./sys.ts";
import { checkIdleMs } from "./deadlines.ts";
import {
  checkOptions,
  type Endpoint,
  endpoint,
  orClose,
  streamSocket,
  type TcpOptions,
  type UnixOptions,
  withAddress,
} from "./socket.ts";

/**
 * Options every call takes: the reactor to run on.
 *
 * ```ts
 * import { listen, Reactor } from "@libc/epoll";
 *
 * const reactor = new Reactor({ budget: 64 }); // one of your own instead of the shared default
 * const listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
 * listener.close();
 * await reactor.close();
 * ```
 */
export interface CommonOptions {
  /** The reactor to register with (default: {@linkcode defaultReactor}). */
  reactor?: Reactor;
}

/**
 * Options for {@linkcode listen} on TCP.
 *
 * ```ts
 * import { listen, type TcpListenOptions } from "@libc/epoll";
 *
 * const options: TcpListenOptions = { hostname: "127.0.0.1", port: 0, reusePort: true, idleTimeout: 90_000 };
 * using a = listen(options);
 * using b = listen({ ...options, port: a.addr.port }); // SO_REUSEPORT: both share the port
 * console.log(a.addr.port === b.addr.port); // true
 * ```
 */
export interface TcpListenOptions extends TcpOptions, CommonOptions {
  /** SO_REUSEPORT: several listeners (processes, Workers) share the port; the kernel spreads connections. */
  reusePort?: boolean;
  /** The pending-connection queue length (default 4096; the kernel caps it at somaxconn). */
  backlog?: number;
  /** Gives every accepted conn this idle timeout in ms (see `Conn.setIdleTimeout`; default 0: off). */
  idleTimeout?: number;
}

/**
 * Options for {@linkcode listen} on a Unix socket.
 *
 * ```ts
 * import { listen, type UnixListenOptions } from "@libc/epoll";
 *
 * const options: UnixListenOptions = { transport: "unix", path: `/tmp/epoll-doc-${Deno.pid}-ul.sock`, backlog: 128 };
 * using listener = listen(options);
 * console.log(listener.addr.path === options.path); // true
 * ```
 */
export interface UnixListenOptions extends UnixOptions, CommonOptions {
  /** The pending-connection queue length (default 4096; the kernel caps it at somaxconn). */
  backlog?: number;
  /** Gives every accepted conn this idle timeout in ms (see `Conn.setIdleTimeout`; default 0: off). */
  idleTimeout?: number;
}

/**
 * Options for {@linkcode listen}: TCP or Unix.
 *
 * ```ts
 * import { listen, type ListenOptions } from "@libc/epoll";
 *
 * const where: ListenOptions = Deno.env.get("SOCK") === undefined
 *   ? { hostname: "127.0.0.1", port: 0 }
 *   : { transport: "unix", path: Deno.env.get("SOCK")! };
 * using listener = listen(where);
 * console.log(listener.addr.transport);
 * ```
 */
export type ListenOptions = TcpListenOptions | UnixListenOptions;

/**
 * Listens on TCP (`{ hostname = "0.0.0.0", port }`) or a Unix socket
 * (`{ transport: "unix", path }`). SO_REUSEADDR is always set on TCP, as
 * Deno and Go do. A Unix listener removes the socket file it created when it
 * closes, as Go's does. The hostname is an IP literal or `"localhost"`:
 * `listen` is synchronous, so it does no DNS lookup (`connect` does). Errors name the address: `AddrInUse: bind: Address already
 * in use [EADDRINUSE] (127.0.0.1:8080)`.
 *
 * ```ts
 * import { listen } from "@libc/epoll";
 *
 * using tcp = listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(tcp.addr.port); // the port the kernel picked
 * using unix = listen({ transport: "unix", path: `/tmp/epoll-doc-${Deno.pid}.sock` });
 * console.log(unix.addr.path); // the socket file is removed again on close
 * ```
 */
export function listen(options: TcpListenOptions): Listener<NetAddr>;
/** Listens on a Unix socket: the listener's `addr` is a {@linkcode UnixAddr}. See the TCP overload. */
export function listen(options: UnixListenOptions): Listener<UnixAddr>;
/** Listens on TCP or a Unix socket, decided at run time. See the TCP overload. */
export function listen(options: ListenOptions): Listener;
export function listen(options: ListenOptions): Listener {
  const ep = endpoint(options, "0.0.0.0");
  const reactor = reactorOf(options);
  const backlog = options.backlog ?? 4096;
  const reusePort = (options as TcpListenOptions).reusePort ?? false;
  checkBoolean(reusePort, "reusePort");
  const idleTimeout = options.idleTimeout ?? 0;
  checkIdleMs(idleTimeout);
  const fd = streamSocket(ep);
  orClose(fd, ep, () => {
    if (ep.transport === "tcp") {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    }
    bind(fd, ep.addr);
    listenSocket(fd, backlog);
  });
  const listener = orClose(fd, ep, () => new Listener(fd, reactor, { idleTimeout }));
  const path = ep.transport === "unix" ? (options as UnixListenOptions).path : "";
  if (path !== "" && !path.startsWith("\0")) unlinkOnClose(listener, path); // a file, not an abstract name
  return listener;
}

// The reactor to register with: a real Reactor (a forged object would fail
// deep inside with V8's message), else the shared one.
function reactorOf(options: CommonOptions): Reactor {
  const reactor = options.reactor ?? defaultReactor();
  if (!(reactor instanceof Reactor)) throw new TypeError("reactor must be a Reactor");
  return reactor;
}

/**
 * Options for {@linkcode connect}: TCP or Unix.
 *
 * ```ts
 * import { connect, type ConnectOptions, listen } from "@libc/epoll";
 *
 * using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * const to: ConnectOptions = { hostname: "127.0.0.1", port: listener.addr.port, timeout: 3000 };
 * using conn = await connect(to);
 * console.log(conn.remoteAddr.transport); // tcp
 * ```
 */
export type ConnectOptions = TcpConnectOptions | UnixConnectOptions;

/**
 * Options for {@linkcode connect} over TCP: the seed's 1–3 s connect
 * timeout is `timeout: 3000`; `signal` abandons it earlier.
 *
 * ```ts
 * import { connect, type TcpConnectOptions } from "@libc/epoll";
 *
 * using closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = closed.addr.port;
 * closed.close(); // nobody listens there now
 * const options: TcpConnectOptions = { hostname: "127.0.0.1", port, timeout: 1000 };
 * try {
 *   await connect(options);
 * } catch (err) {
 *   console.log(err instanceof Deno.errors.ConnectionRefused); // true
 * }
 * ```
 */
export interface TcpConnectOptions extends TcpOptions, CommonOptions {
  /** Abandons the connect (closing the socket) with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this many ms with `Deno.errors.TimedOut` (the seed's 1–3 s; default: the kernel's, ~2 min). */
  timeout?: number;
}

/**
 * Options for {@linkcode connect} to a Unix socket.
 *
 * ```ts
 * import { connect, listen, type UnixConnectOptions } from "@libc/epoll";
 *
 * const path = `/tmp/epoll-doc-${Deno.pid}-uc.sock`;
 * using _listener = listen({ transport: "unix", path });
 * const options: UnixConnectOptions = { transport: "unix", path, signal: AbortSignal.timeout(1000) };
 * using conn = await connect(options);
 * console.log(conn.remoteAddr); // { transport: "unix", path: "/tmp/epoll-doc-….sock" }
 * ```
 */
export interface UnixConnectOptions extends UnixOptions, CommonOptions {
  /** Abandons the connect (closing the socket) with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this many ms with `Deno.errors.TimedOut`. */
  timeout?: number;
}

/**
 * Connects to TCP (`{ hostname = "127.0.0.1", port }`) or a Unix socket.
 * The hostname may be an IP literal, `"localhost"`, or a name: names are
 * resolved by libc's `getaddrinfo` on Deno's blocking pool (so `/etc/hosts`
 * and `nsswitch.conf` apply and the JS thread never waits on DNS), and each
 * address is tried in the order libc sorts them (IPv6 and IPv4) until one
 * connects. `timeout` bounds the lookup and all attempts together. Rejects
 * with `Deno.errors.ConnectionRefused` and the like, naming the address; an
 * unknown name is `NotFound`.
 *
 * ```ts
 * import { connect } from "@libc/epoll";
 *
 * using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await connect({ hostname: "127.0.0.1", port: server.addr.port });
 * console.log(conn.remoteAddr.port === server.addr.port); // true
 * ```
 */
export function connect(options: TcpConnectOptions): Promise<Conn<NetAddr>>;
/** Connects to a Unix socket: the conn's addresses are {@linkcode UnixAddr}s. See the TCP overload. */
export function connect(options: UnixConnectOptions): Promise<Conn<UnixAddr>>;
/** Connects over TCP or to a Unix socket, decided at run time. See the TCP overload. */
export function connect(options: ConnectOptions): Promise<Conn>;
export async function connect(options: ConnectOptions): Promise<Conn> {
  checkOptions(options);
  const reactor = reactorOf(options);
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError("signal must be an AbortSignal");
  }
  const timeout = options.timeout;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0 || timeout > 2 ** 31 - 1)) {
    throw new RangeError(`timeout must be an integer in [0, 2^31) ms, got ${timeout}`);
  }
  const literal = isLiteral(options); // validates the hostname / path too
  signal?.throwIfAborted();
  // One deadline for the lookup and every attempt, as Go's Dialer.Timeout.
  const bound = timeout === undefined ? null : new AbortController();
  const timer = bound === null ? null : reactor.setTimer(timeout!, () => {
    bound.abort(new Deno.errors.TimedOut(`connect to ${label(options)} timed out after ${timeout} ms`));
  });
  const stop = bound === null
    ? signal
    : signal === undefined
    ? bound.signal
    : AbortSignal.any([bound.signal, signal]);
  try {
    const eps = literal
      ? [endpoint(options, "127.0.0.1")]
      : await resolve(options as TcpConnectOptions, stop);
    return await connectFirst(eps, reactor, stop);
  } finally {
    if (timer !== null) reactor.clearTimer(timer);
  }
}

// Whether the options name an address as it is (a Unix path, an IP literal,
// "localhost" or nothing), as opposed to a host name to look up.
function isLiteral(options: ConnectOptions): boolean {
  if (options.transport === "unix") return true;
  const host = options.hostname;
  if (host === undefined || host === "localhost") return true;
  if (typeof host !== "string") endpoint(options, "127.0.0.1"); // throws the TypeError
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

function label(options: ConnectOptions): string {
  return options.transport === "unix" ? options.path : `${options.hostname ?? "127.0.0.1"}:${options.port}`;
}

// libc's getaddrinfo on the blocking pool (so /etc/hosts and nsswitch
// apply); a name that does not resolve is NotFound, as Deno's lookup.
async function resolve(options: TcpConnectOptions, signal: AbortSignal | undefined): Promise<Endpoint[]> {
  const host = options.hostname!;
  endpoint({ hostname: "0.0.0.0", port: options.port }, "0.0.0.0"); // checks the port before the lookup
  let addrs: EncodedAddr[];
  try {
    addrs = await abortable(getaddrinfo(host, options.port), signal);
  } catch (err) {
    if (!(err instanceof AddrInfoError)) throw err;
    throw new Deno.errors.NotFound(`failed to look up address information: ${err.message}`, { cause: err });
  }
  if (addrs.length === 0) throw new Deno.errors.NotFound(`no IPv4 or IPv6 address for "${host}"`);
  return addrs.map((addr) => ({ addr, transport: "tcp", label: `${host}:${options.port}` }));
}

// The lookup cannot be cancelled; its result is dropped once `signal` fires.
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

// Tries each address in order (IPv6 and IPv4 as the resolver sorted them,
// Go's dialSerial): the first that connects wins; if none does, the first
// error says why. An abort or the timeout ends the whole connect at once.
async function connectFirst(
  eps: Endpoint[],
  reactor: Reactor,
  signal: AbortSignal | undefined,
): Promise<Conn> {
  let first: unknown = null;
  for (const ep of eps) {
    try {
      return await connectOne(ep, reactor, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      first ??= err;
    }
  }
  throw first;
}

async function connectOne(ep: Endpoint, reactor: Reactor, signal: AbortSignal | undefined): Promise<Conn> {
  const fd = streamSocket(ep);
  const connected = orClose(fd, ep, () => connectSocket(fd, ep.addr));
  const peer = decodeSockAddr(ep.addr.bytes, ep.addr.length) as Addr;
  const conn = orClose(fd, ep, () => new Conn(fd, reactor, peer));
  if (connected) return conn;
  try {
    // A nonblocking connect completes with EPOLLOUT (or EPOLLERR); SO_ERROR tells which.
    await awaitConnect(conn, signal);
    const err = sys.connectError(conn.fd);
    if (err !== null) throw toDenoError(withAddress(err, ep));
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}
