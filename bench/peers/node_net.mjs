// Echo peer on node:net for bench/echo.ts.
//
//   node bench/peers/node_net.mjs --port 0
//
// Listens on 127.0.0.1 and prints `listening on HOST:PORT` first, then echoes every byte back: socket.on('data') →
// socket.write, Nagle off, pausing the read side while a write is backed up (as real servers do).
import net from "node:net";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

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
const stop = () => {
  server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
server.listen({ host: "127.0.0.1", port: Number(flag("port", "0")), backlog: 4096 }, () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
