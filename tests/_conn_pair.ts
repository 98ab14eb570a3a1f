/**
 * A TCP pair on the net layer for tests: a listener and both ends of one
 * accepted connection, all three closed when the pair is disposed.
 *
 * @module
 */

import { type Conn, connect, listen, type Listener, type NetAddr, type Reactor } from "../mod.ts";

/** A listener and both ends of one accepted connection; disposing closes all three. */
export interface Pair extends AsyncDisposable {
  listener: Listener<NetAddr>;
  client: Conn<NetAddr>;
  server: Conn<NetAddr>;
}

/** Listens on `hostname` (port 0) with `reactor`, connects once and accepts it. */
export async function tcpPair(
  reactor: Reactor,
  hostname = "127.0.0.1",
  options: { idleTimeout?: number } = {},
): Promise<Pair> {
  const listener = listen({ hostname, port: 0, reactor, idleTimeout: options.idleTimeout });
  try {
    const [client, server] = await Promise.all([
      connect({ hostname, port: listener.addr.port, reactor }),
      listener.accept(),
    ]);
    return {
      listener,
      client,
      server,
      [Symbol.asyncDispose]: () => {
        client.close();
        server.close();
        listener.close();
        return Promise.resolve();
      },
    };
  } catch (err) {
    listener.close();
    throw err;
  }
}
