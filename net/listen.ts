/**
 * `listen()` and `connect()`: `Deno.listen` / `Deno.connect` over the
 * reactor. FFI sockets are not checked against `--allow-net`: `--allow-ffi`
 * already grants everything (see README, "Permissions").
 *
 * @module
 */

import {
  bind,
  connect as connectSocket,
  decodeSockAddr,
  ErrnoError,
  getsockopt,
  listen as listenSocket,
  setsockopt,
  SO_ERROR,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOL_SOCKET,
} from "../ffi/mod.ts";
import { defaultReactor, type Reactor } from "../reactor/mod.ts";
import { Conn } from "./conn.ts";
import { toDenoError } from "./errors.ts";
import { Listener } from "./listener.ts";
import { endpoint, orClose, streamSocket, type TcpOptions, type UnixOptions } from "./socket.ts";

/** Options for {@linkcode listen}. */
export type ListenOptions = (TcpOptions & TcpListenExtras | UnixOptions) & CommonOptions;

/** TCP-only listen options. */
export interface TcpListenExtras {
  /** SO_REUSEPORT: several listeners (say, one per Worker) share the port; the kernel spreads connections. */
  reusePort?: boolean;
}

/** Options every call takes. */
export interface CommonOptions {
  /** The pending-connection queue length (default 4096, the kernel caps it at somaxconn). */
  backlog?: number;
  /** The reactor to register with (default: {@linkcode defaultReactor}). */
  reactor?: Reactor;
}

/**
 * Listens on TCP (`{ hostname = "0.0.0.0", port }`) or a Unix socket
 * (`{ transport: "unix", path }`). SO_REUSEADDR is always set, as Deno and Go
 * do.
 *
 * ```ts
 * import { listen } from "@libc/epoll";
 * await using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr);
 * ```
 */
export function listen(options: ListenOptions): Listener {
  const ep = endpoint(options, "0.0.0.0");
  const reactor = options.reactor ?? defaultReactor();
  const fd = streamSocket(ep);
  orClose(fd, () => {
    if (ep.transport === "tcp") {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      if ((options as TcpListenExtras).reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    }
    bind(fd, ep.addr);
    listenSocket(fd, options.backlog ?? 4096);
  });
  return orClose(fd, () => new Listener(fd, reactor));
}

/** Options for {@linkcode connect}. */
export type ConnectOptions = (TcpOptions | UnixOptions) & Omit<CommonOptions, "backlog"> & {
  /** Abandons the connect (closing the socket) with the signal's reason. */
  signal?: AbortSignal;
};

/**
 * Connects to TCP (`{ hostname = "127.0.0.1", port }`) or a Unix socket.
 * Rejects with `Deno.errors.ConnectionRefused` and the like.
 */
export async function connect(options: ConnectOptions): Promise<Conn> {
  const ep = endpoint(options, "127.0.0.1");
  const reactor = options.reactor ?? defaultReactor();
  options.signal?.throwIfAborted();
  const fd = streamSocket(ep);
  const connected = orClose(fd, () => connectSocket(fd, ep.addr));
  const conn = orClose(fd, () => new Conn(fd, reactor, decodeSockAddr(ep.addr.bytes, ep.addr.length)));
  if (connected) return conn;
  try {
    await finishConnect(conn, options.signal);
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

// A nonblocking connect completes with EPOLLOUT (or EPOLLERR); SO_ERROR
// tells which.
async function finishConnect(conn: Conn, signal?: AbortSignal): Promise<void> {
  await conn.waitWritable(signal);
  const errno = getsockopt(conn.fd, SOL_SOCKET, SO_ERROR);
  if (errno !== 0) throw toDenoError(new ErrnoError("connect", errno));
}
