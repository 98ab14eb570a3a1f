// Echo peer on node:net for bench/echo.ts.
//
//   node bench/peers/node_net.mjs --port 0
//
// Listens on 127.0.0.1 and prints `listening on HOST:PORT` first, then echoes every byte back: socket.on('data') →
// socket.write, Nagle off, pausing the read side while a write is backed up (as real servers do).
import net from "node:net";
import { parseArgs } from "node:util";

function echo(socket) {
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    if (!socket.write(chunk)) socket.pause();
  });
  socket.on("drain", () => socket.resume());
  // A peer reset (ECONNRESET/EPIPE) just ends this connection.
  socket.on("error", () => socket.destroy());
}

const server = net.createServer({ noDelay: true }, echo);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
const { port } = parseArgs({ options: { port: { type: "string", default: "0" } } }).values;
server.listen({ host: "127.0.0.1", port: Number(port), backlog: 4096 }, () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
