/**
 * The net layer: {@linkcode listen}, {@linkcode connect}, {@linkcode Listener}
 * and {@linkcode Conn}, shaped like `Deno.listen` / `Deno.Conn`, running on
 * the reactor.
 *
 * @module
 */

export { Conn, CONN_INTEREST, type IoOptions } from "./conn.ts";
export { Listener } from "./listener.ts";
export {
  type CommonOptions,
  connect,
  type ConnectOptions,
  listen,
  type ListenOptions,
  type TcpListenExtras,
} from "./listen.ts";
export type { Endpoint, TcpOptions, UnixOptions } from "./socket.ts";
export { closedError, toDenoError } from "./errors.ts";
