/**
 * Black-box tests of `deno task echo` (examples/echo.ts), in both trigger
 * modes: it is spawned as a user would run it, waited for until it prints
 * `listening on HOST:PORT`, driven over loopback by `Deno.connect` clients
 * (independent of the code under test), and stopped with SIGINT, after which
 * it must exit 0 and print its totals.
 *
 * `deno task` runs the script as a child process: SIGINT and the memory
 * reading go to that child (found through /proc), and the whole process
 * group is killed at the end whatever happens.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  deadline,
  delay,
  KiB,
  killTree,
  type ListeningChild,
  MiB,
  payload,
  payloadSizes,
  readAndCompare,
  readExactly,
  readOutcome,
  resetClient,
  spawnListening,
  taskScriptPid,
  vmRss,
  writeAll,
} from "./_net_helpers.ts";

const MODES = ["et", "lt"] as const;

/** The totals line echo.ts prints on SIGINT. */
interface Totals {
  connections: number;
  bytes: number;
  peak: number;
}

const TOTALS = /^connections: (\d+), bytes echoed: .* \((\d+)\), peak connections: (\d+)$/;

/**
 * Runs `deno task echo --port 0 <args>`, hands it to `drive`, then stops it
 * with SIGINT and returns the totals it printed. The process group is killed
 * in any case.
 */
async function withEcho(args: string[], drive: (server: ListeningChild) => Promise<void>): Promise<Totals> {
  const server = await spawnListening(["task", "echo", "--port", "0", ...args]);
  try {
    await drive(server);
    return await stop(server);
  } finally {
    await killTree(server.child);
    await server.stdout.cancel();
    await server.stderr;
  }
}

async function stop(server: ListeningChild): Promise<Totals> {
  // To echo.ts itself: deno task forwards a SIGINT sent to it, but then
  // races its child and may exit 130 on its own (seen here once in a handful
  // of runs, with the totals printed); not signalled itself, it waits and
  // passes on the child's status.
  Deno.kill(await taskScriptPid(server.child.pid), "SIGINT");
  const status = await deadline(server.child.status, 10_000, "echo to exit on SIGINT");
  const out = await server.stdout.rest();
  assertEquals(status.code, 0, `exit status; stdout ${out}; stderr ${await server.stderr}`);
  const m = TOTALS.exec(out.at(-1) ?? "");
  assert(m !== null, `no totals line in ${JSON.stringify(out)}`);
  return { connections: Number(m[1]), bytes: Number(m[2]), peak: Number(m[3]) };
}

function connectTo(server: ListeningChild): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: server.hostname, port: server.port });
}

/** One connection: send `data` while reading the echo, shut down writing, expect every byte then EOF. */
async function echoOnce(server: ListeningChild, data: Uint8Array): Promise<void> {
  using conn = await connectTo(server);
  await Promise.all([
    writeAll(conn, data).then(() => conn.closeWrite()),
    readAndCompare(conn, data),
  ]);
}

/** A round trip on a long-lived connection. */
async function ping(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  await writeAll(conn, bytes);
  assertEquals(await readExactly(conn, bytes.byteLength), bytes);
}

for (const mode of MODES) {
  // --workers 2 can hang at start-up under load: see the --workers 4 bug below.
  for (const workers of [1, 2]) {
    Deno.test(`echo ${mode} --workers ${workers}: 300 concurrent clients (1 B to 1 MiB, one 16 MiB) byte-exact`, async () => {
      const sizes = [...payloadSizes(300, MiB, workers * 10 + mode.length), 16 * MiB];
      const totals = await withEcho(["--mode", mode, "--workers", String(workers)], async (server) => {
        const clients = sizes.map((size, i) => echoOnce(server, payload(size, i + 1)));
        await deadline(Promise.all(clients), 30_000, `${sizes.length} echo clients`);
      });
      assertEquals(totals.connections, sizes.length);
      assertEquals(totals.bytes, sizes.reduce((a, b) => a + b, 0));
      // All connect at once, so the server holds most of them together (301 seen here).
      assert(totals.peak >= 100 && totals.peak <= sizes.length, `peak ${totals.peak}`);
    });
  }

  Deno.test(`echo ${mode}: half-close: the client shuts down writing and still gets the full echo, then EOF`, async () => {
    const data = payload(64 * KiB, 3); // fits in socket buffers: written in full before any read
    const totals = await withEcho(["--mode", mode], async (server) => {
      using conn = await connectTo(server);
      await writeAll(conn, data.subarray(0, 1000));
      await delay(20); // two separate segments, the last arriving with the FIN
      await writeAll(conn, data.subarray(1000));
      await conn.closeWrite();
      await deadline(readAndCompare(conn, data), 5000, "the echo after half-close");
    });
    assertEquals(totals, { connections: 1, bytes: data.byteLength, peak: 1 });
  });

  Deno.test(`echo ${mode}: clients that reset (SO_LINGER 0) affect only their own connections`, async () => {
    const totals = await withEcho(["--mode", mode], async (server) => {
      const steady = await Promise.all([1, 2, 3, 4, 5].map(() => connectTo(server)));
      try {
        for (const conn of steady) await ping(conn, "before");
        for (let i = 0; i < 20; i++) resetClient(server.port, payload(100 * KiB, i)); // RST, maybe mid-echo
        await delay(50);
        for (const conn of steady) await ping(conn, "after");
        await echoOnce(server, payload(256 * KiB, 99));
      } finally {
        for (const conn of steady) conn.close();
      }
    });
    assertEquals(totals.connections, 5 + 20 + 1);
  });

  Deno.test(`echo ${mode}: a client that sends 32 MiB and never reads does not grow the server's memory`, async () => {
    await withEcho(["--mode", mode], async (server) => {
      const pid = await taskScriptPid(server.child.pid);
      const base = await vmRss(pid);
      using hog = await connectTo(server);
      let pushed = 0;
      const push = (async (): Promise<void> => {
        const chunk = payload(MiB, 5);
        for (let i = 0; i < 32; i++) {
          await writeAll(hog, chunk);
          pushed += MiB;
        }
      })();
      let peak = base;
      let served = 0;
      for (const end = Date.now() + 2500; Date.now() < end; served++) {
        await echoOnce(server, payload(64 * KiB, served)); // others are still served meanwhile
        peak = Math.max(peak, await vmRss(pid));
        await delay(50);
      }
      hog.close(); // the push, if still blocked, rejects
      await push.catch(() => {});
      // Kernel buffers take most of the push (they are not in VmRSS); the
      // server itself may hold one 64 KiB buffer. Growth below the push
      // size shows it did not read the rest into memory.
      const growth = peak - base;
      assert(growth < 16 * MiB, `VmRSS grew ${(growth / MiB).toFixed(1)} MiB (pushed ${pushed / MiB} MiB)`);
      assert(served >= 5, `only ${served} other clients served`);
    });
  });

  Deno.test(`echo ${mode} --max-conns 5: 5 of 10 clients are served, the rest see a clean EOF`, async () => {
    const totals = await withEcho(["--mode", mode, "--max-conns", "5"], async (server) => {
      const kept = await Promise.all([1, 2, 3, 4, 5].map(() => connectTo(server)));
      try {
        for (const conn of kept) await ping(conn, "kept"); // all five are open on the server now
        const extra = await Promise.all([1, 2, 3, 4, 5].map(() => connectTo(server)));
        const outcomes = await Promise.all(extra.map((conn) => readOutcome(conn, 3000)));
        for (const conn of extra) conn.close();
        assertEquals(outcomes, [null, null, null, null, null]);
        for (const conn of kept) await ping(conn, "still served");
      } finally {
        for (const conn of kept) conn.close();
      }
      await servedOnceFree(server);
    });
    assertEquals(totals.connections, 6);
    assertEquals(totals.peak, 5);
  });
}

/** After the kept clients left, a new one is served (retried: the server sees their EOFs a little later). */
async function servedOnceFree(server: ListeningChild): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    using conn = await connectTo(server);
    await conn.write(new TextEncoder().encode("x"));
    if (await readOutcome(conn, 1000) === 1) return;
    await delay(20);
  }
  throw new Error("no connection served after the others closed");
}

// Workers that report ready out of order must all be heard (a lost
// "ready" once left the server silent).
Deno.test({
  name: "echo --workers 4: every worker's ready message arrives and the server starts",
  fn: async () => {
    const totals = await withEcho(["--workers", "4"], async (server) => {
      await echoOnce(server, payload(4 * KiB, 4));
    });
    assertEquals(totals.connections, 1);
  },
});
