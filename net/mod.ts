/**
 * The net layer: {@linkcode listen}, {@linkcode connect}, {@linkcode Listener}
 * and {@linkcode Conn}, shaped like `Deno.listen` / `Deno.Conn`, running on
 * the reactor.
 *
 * @module
 */

export type { Addr, NetAddr, UnixAddr } from "./addr.ts";
export { Conn, type IoOptions, type KeepAliveTuning } from "./conn.ts";
export { Listener } from "./listener.ts";
export {
  type CommonOptions,
  connect,
  type ConnectOptions,
  listen,
  type ListenOptions,
  type TcpConnectOptions,
  type TcpListenOptions,
  type UnixConnectOptions,
  type UnixListenOptions,
} from "./listen.ts";
export type { TcpOptions, UnixOptions } from "./socket.ts";
