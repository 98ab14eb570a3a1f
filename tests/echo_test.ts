/**
 * Black-box tests of `deno task echo` (examples/echo.ts), in both trigger
 * modes: it is spawned as a user would run it, waited for until it prints
 * `listening on HOST:PORT`, driven over loopback by `Deno.connect` clients
 * (independent of the code under test), and stopped with SIGINT, after which
 * it must exit 0 and print its totals.
 *
 * `deno task` runs the script as a child process: SIGINT and the memory
 * reading go to that child (found through /proc), and the whole process
 * group is killed at the end whatever happens. The shutdown and EMFILE tests
 * run `deno run examples/echo.ts` directly, so that their signals and the
 * lowered fd limit reach the server itself.
 *
 * Also here: examples/echo.c, compiled with `cc` into /tmp, for the defect
 * the two listings shared (a half-closed peer that does not read spun an LT
 * server); the shutdown that must always print the totals and exit 0, even
 * on a second SIGINT; `--workers 2` at EMFILE and with `--max-conns`; and,
 * for echo.ts and echo.c alike, `--idle-timeout` (an idle client is closed,
 * a beating one is not, and a server left without connections is not woken)
 * and `--reuse-port` (two processes on one port, and the address-in-use
 * failure without it).
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  contextSwitches,
  cpuSeconds,
  deadline,
  delay,
  driveListening,
  fdLimitLeaving,
  KiB,
  type ListeningChild,
  lowerFdLimit,
  MiB,
  payload,
  payloadSizes,
  readAndCompare,
  readExactly,
  readOutcome,
  REPO_ROOT,
  resetClient,
  runUnlessListening,
  spawnListening,
  spawnListeningProgram,
  taskScriptPid,
  TCP_STATE,
  tcpSocket,
  type TcpSocketInfo,
  tcpSockets,
  vmRss,
  waitUntil,
  writeAll,
} from "./_net_helpers.ts";

const MODES = ["et", "lt"] as const;

/** The totals line echo.ts prints on SIGINT. */
interface Totals {
  connections: number;
  bytes: number;
  peak: number;
}

// echo.ts prints "bytes echoed: 1.2 kB (1234)", echo.c "bytes echoed: 1234".
const TOTALS = /^connections: (\d+), bytes echoed: (?:.* \()?(\d+)\)?, peak connections: (\d+)$/;
const IDLE_CLOSED = /^idle closed: (\d+)$/;

/** The last two lines a server prints at exit: the idle closes, then the totals. */
interface Report {
  totals: Totals;
  idleClosed: number;
}

function parseReport(out: string[]): Report {
  const m = TOTALS.exec(out.at(-1) ?? "");
  assert(m !== null, `no totals line in ${JSON.stringify(out)}`);
  const idle = IDLE_CLOSED.exec(out.at(-2) ?? "");
  assert(idle !== null, `no "idle closed" line before the totals in ${JSON.stringify(out)}`);
  return {
    totals: { connections: Number(m[1]), bytes: Number(m[2]), peak: Number(m[3]) },
    idleClosed: Number(idle[1]),
  };
}

/**
 * Runs `deno task echo --port 0 <args>`, hands it to `drive`, then stops it
 * with SIGINT and returns the totals it printed. The process group is killed
 * in any case.
 */
async function withEcho(args: string[], drive: (server: ListeningChild) => Promise<void>): Promise<Totals> {
  return await driveListening(
    await spawnListening(["task", "echo", "--port", "0", ...args]),
    async (server) => {
      await drive(server);
      return await stop(server);
    },
  );
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
  return parseReport(out).totals;
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
    const totals = await withEcho(["--mode", mode, "--max-conns", "5"], (server) => limitScenario(server, 5));
    assertEquals(totals.connections, 6);
    assertEquals(totals.peak, 5);
  });
}

/**
 * With `--max-conns limit`: `limit` clients are served and stay; five more
 * see a clean EOF; the kept ones are still served; once they leave, a new
 * client is served.
 */
async function limitScenario(server: ListeningChild, limit: number): Promise<void> {
  const kept = await Promise.all(Array.from({ length: limit }, () => connectTo(server)));
  try {
    for (const conn of kept) await ping(conn, "kept"); // all are open on the server now
    const extra = await Promise.all([1, 2, 3, 4, 5].map(() => connectTo(server)));
    const outcomes = await Promise.all(extra.map((conn) => readOutcome(conn, 3000)));
    for (const conn of extra) conn.close();
    assertEquals(outcomes, [null, null, null, null, null]);
    for (const conn of kept) await ping(conn, "still served");
  } finally {
    for (const conn of kept) conn.close();
  }
  await servedOnceFree(server);
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

// ---------------------------------------------------------------- a half-closed peer that does not read

/** A client parked by {@linkcode parkHalfClosed}, and the echo it is owed. */
interface Parked {
  conn: Deno.TcpConn;
  sent: Uint8Array;
}

/**
 * Parks a client the way that once pinned an LT server at 100% CPU: it sends
 * without reading until the server's output backs up (the server stops
 * reading: its socket keeps unread bytes), with every byte delivered (so
 * that its FIN is not stuck behind them), then shuts down writing. Returns
 * once the server's socket has the FIN (CLOSE_WAIT) and still holds output.
 */
async function parkHalfClosed(server: ListeningChild): Promise<Parked> {
  const conn = await connectTo(server);
  const local = conn.localAddr.port;
  // Both ends of the connection from one read of /proc/net/tcp.
  const ends = async (): Promise<{ client?: TcpSocketInfo; server?: TcpSocketInfo }> => {
    const all = await tcpSockets();
    return {
      client: all.find((s) => s.localPort === local && s.remotePort === server.port),
      server: all.find((s) => s.localPort === server.port && s.remotePort === local),
    };
  };
  const chunk = payload(64 * KiB, 8);
  let sent = 0;
  for (const end = Date.now() + 60_000;; sent += chunk.byteLength) {
    assert(Date.now() < end, `the server did not stop reading in 60 s (${sent} bytes sent)`);
    await deadline(writeAll(conn, chunk), 5000, "a 64 KiB write");
    let now = await ends();
    for (let i = 0; now.client?.txQueue !== 0; i++, now = await ends()) {
      assert(i < 500, `the client's bytes were not delivered: ${JSON.stringify(now)}`);
      await delay(10);
    }
    const unread = now.server?.rxQueue ?? 0;
    if (unread === 0) continue;
    await delay(50); // unread bytes that stay put: the server has stopped reading
    if ((await ends()).server?.rxQueue === unread) break;
  }
  sent += chunk.byteLength;
  await conn.closeWrite();
  await waitUntil(
    async () => (await ends()).server?.state === TCP_STATE.CLOSE_WAIT,
    5000,
    "the server to get the FIN",
  );
  const echo = new Uint8Array(sent);
  for (let off = 0; off < sent; off += chunk.byteLength) echo.set(chunk, off);
  return { conn, sent: echo };
}

/**
 * Server CPU over 5 s with a half-closed, non-reading client parked, while a
 * second client pings. Then the parked client reads: it gets its whole echo,
 * then EOF (the server reads the FIN once its output is flushed).
 */
async function cpuWithParkedClient(server: ListeningChild, pid: number): Promise<number> {
  const parked = await parkHalfClosed(server);
  using stuck = parked.conn;
  using other = await connectTo(server);
  const before = await cpuSeconds(pid);
  let pings = 0;
  for (const end = Date.now() + 5000; Date.now() < end; pings++, await delay(100)) {
    await deadline(ping(other, `ping ${pings}`), 2000, "a ping while the stuck client is parked");
  }
  const used = await cpuSeconds(pid) - before;
  const side = await tcpSocket(server.port, stuck.localAddr.port);
  assert(
    side?.state === TCP_STATE.CLOSE_WAIT && side.txQueue > 0,
    `the stuck client left: ${JSON.stringify(side)}`,
  );
  assert(pings >= 20, `only ${pings} pings answered`);
  await deadline(readAndCompare(stuck, parked.sent), 10_000, "the parked client's echo, then EOF");
  return used;
}

// The limit: 5% of one core over the 5 s (0.25 s). A spinning LT server uses ~100%.
const PARKED_CPU_LIMIT = 0.25;

for (const mode of MODES) {
  Deno.test(`echo ${mode}: a half-closed client that does not read costs no CPU; others are still served`, async () => {
    let used = NaN;
    await withEcho(["--mode", mode], async (server) => {
      used = await cpuWithParkedClient(server, await taskScriptPid(server.child.pid));
    });
    console.log(`echo.ts ${mode}: ${used.toFixed(2)} s of CPU in 5 s with a parked half-closed client`);
    assert(used < PARKED_CPU_LIMIT, `${used.toFixed(2)} s of CPU in 5 s (limit ${PARKED_CPU_LIMIT} s)`);
  });

  Deno.test(`echo.c ${mode}: a half-closed client that does not read costs no CPU; others are still served`, async () => {
    await withEchoC(["--mode", mode], async (server) => {
      const used = await cpuWithParkedClient(server, server.child.pid);
      console.log(`echo.c ${mode}: ${used.toFixed(2)} s of CPU in 5 s with a parked half-closed client`);
      assert(used < PARKED_CPU_LIMIT, `${used.toFixed(2)} s of CPU in 5 s (limit ${PARKED_CPU_LIMIT} s)`);
    });
  });
}

/** Runs examples/echo.c with `args`, hands it to `drive`, stops it with SIGINT: status 0, the totals. */
async function withEchoC(args: string[], drive: (server: ListeningChild) => Promise<void>): Promise<void> {
  await withCompiledEchoC(async (echoC) => {
    await driveListening(await start(echoC, ["--port", "0", ...args]), async (server) => {
      await drive(server);
      await interruptAndReport(server);
    });
  });
}

/** A server program under test: echo.ts (run directly, so that signals reach it) or the compiled echo.c. */
interface EchoProgram {
  name: string;
  program: string;
  /** The arguments before the server's own flags. */
  args: string[];
}

const ECHO_TS: EchoProgram = {
  name: "echo.ts",
  program: Deno.execPath(),
  args: ["run", "--allow-ffi", "--allow-read", "examples/echo.ts"],
};

/** Starts `p` with `flags` (which include --port) and waits for its "listening on". */
function start(p: EchoProgram, flags: string[]): Promise<ListeningChild> {
  return spawnListeningProgram(p.program, [...p.args, ...flags]);
}

/** Compiles examples/echo.c (as bench/lib/build.ts does) into a temporary directory for `use`, then removes it. */
async function withCompiledEchoC(use: (echoC: EchoProgram) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "epoll_echo_c_" });
  try {
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-Wall", "-Wextra", "-Werror", "-o", `${dir}/echo`, "examples/echo.c"],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(cc.success, `cc failed: ${new TextDecoder().decode(cc.stderr)}`);
    await use({ name: "echo.c", program: `${dir}/echo`, args: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Hands `use` echo.ts or the compiled echo.c. */
async function withProgram(name: string, use: (p: EchoProgram) => Promise<void>): Promise<void> {
  if (name === ECHO_TS.name) await use(ECHO_TS);
  else await withCompiledEchoC(use);
}

/** SIGINT to the server itself, then its exit: status 0, the idle closes and the totals last. */
async function interruptAndReport(server: ListeningChild): Promise<Report> {
  interrupt(server.child);
  const status = await deadline(server.child.status, 15_000, "echo to exit after SIGINT");
  const out = await server.stdout.rest();
  assertEquals(status.code, 0, `exit status; stdout ${JSON.stringify(out)}; stderr ${await server.stderr}`);
  return parseReport(out);
}

// ---------------------------------------------------------------- shutdown

/** `deno run examples/echo.ts --port 0 <args>` directly, so that signals go to the server itself. */
function spawnEcho(args: string[]): Promise<ListeningChild> {
  return spawnListening(["run", "--allow-ffi", "--allow-read", "examples/echo.ts", "--port", "0", ...args]);
}

/** Sends SIGINT to `child` unless it has exited already. */
function interrupt(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGINT");
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // "child process has already terminated"
  }
}

/** Waits for the exit after SIGINT: status 0, the totals line last. */
async function expectTotals(server: ListeningChild): Promise<Totals> {
  const status = await deadline(server.child.status, 15_000, "echo to exit after SIGINT");
  const out = await server.stdout.rest();
  assertEquals(status.code, 0, `exit status; stdout ${JSON.stringify(out)}; stderr ${await server.stderr}`);
  assert(out.some((l) => l.startsWith("poller: ")), `no poller line in ${JSON.stringify(out)}`);
  return parseReport(out).totals;
}

/** Runs `echo.ts <args>`, hands it to `drive`, and always kills its process group. */
async function withDirectEcho(
  args: string[],
  drive: (server: ListeningChild) => Promise<void>,
): Promise<void> {
  await driveListening(await spawnEcho(args), drive);
}

const SIGINT_RUNS = 10;
const HELD = 1000;

for (const workers of [1, 2]) {
  // The second SIGINT of a Ctrl-C pressed twice, or of a terminal plus
  // `deno task` forwarding it, once landed after the listeners were removed
  // (or before they were installed): exit 130, no totals.
  Deno.test(`echo --workers ${workers}: SIGINT right after "listening on", again 0-5 ms later: totals, status 0 (${SIGINT_RUNS} runs)`, async () => {
    for (let run = 0; run < SIGINT_RUNS; run++) {
      await withDirectEcho(["--workers", String(workers)], async (server) => {
        interrupt(server.child);
        await delay(run % 6);
        interrupt(server.child);
        assertEquals(await expectTotals(server), { connections: 0, bytes: 0, peak: 0 }, `run ${run}`);
      });
    }
  });

  Deno.test(`echo --workers ${workers}: ${HELD} connections held open, SIGINT every 2 ms until it exits: totals, status 0 (3 runs)`, async () => {
    for (let run = 0; run < 3; run++) {
      await withDirectEcho(["--workers", String(workers)], async (server) => {
        const held = await Promise.all(Array.from({ length: HELD }, () => connectTo(server)));
        try {
          await Promise.all(held.map((conn) => ping(conn, "held")));
          const exited = server.child.status.then(() => true);
          for (let i = 0; i < 500 && !await Promise.race([exited, delay(2).then(() => false)]); i++) {
            interrupt(server.child);
          }
          const totals = await expectTotals(server);
          assertEquals(totals.connections, HELD, `run ${run}`);
          assertEquals(await Promise.all(held.map((conn) => readOutcome(conn, 5000))), held.map(() => null));
        } finally {
          for (const conn of held) conn.close();
        }
      });
    }
  });
}

// ---------------------------------------------------------------- workers: one process

Deno.test("echo --workers 2 --max-conns 3: at most 3 connections open across both workers; the rest see EOF", async () => {
  // Five extra clients, spread by SO_REUSEPORT over both workers: each worker alone is under 3.
  const totals = await withEcho(["--workers", "2", "--max-conns", "3"], (server) => limitScenario(server, 3));
  assertEquals(totals.connections, 4);
  assertEquals(totals.peak, 3, "the process's peak, not a sum of the workers'");
});

// ---------------------------------------------------------------- workers at EMFILE

/**
 * What a client saw: 1 (served: its byte came back), null or
 * "ConnectionReset" (shed), "timeout" (waiting in a backlog), or
 * "ConnectionRefused" (the server is gone).
 */
async function knock(server: ListeningChild, into: Deno.Conn[]): Promise<number | null | string> {
  let conn: Deno.Conn;
  try {
    conn = await connectTo(server);
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused) return err.name;
    throw err;
  }
  into.push(conn);
  await conn.write(new Uint8Array([7]));
  return await readOutcome(conn, 1000);
}

// The fd numbers left free under the lowered limit, for both workers to fight over.
const FD_SPARE = 6;
// Enough clients at once that both workers shed together (the old code died in 8 of 8 runs).
const ROUNDS = 3;
const PER_ROUND = 100;

for (const mode of MODES) {
  // Each worker's `shed` frees its reserve fd, and the other worker may take
  // that fd first: the reserve could not be taken back, the eventfd() threw
  // EMFILE in the worker, and the process died with every connection.
  Deno.test(`echo ${mode} --workers 2 at EMFILE: both workers survive, back off, serve again once fds are free, report, exit 0`, async () => {
    await withDirectEcho(["--mode", mode, "--workers", "2"], async (server) => {
      const pid = server.child.pid;
      const clients: Deno.Conn[] = [];
      try {
        await lowerFdLimit(pid, await fdLimitLeaving(pid, FD_SPARE));
        const outcomes: (number | null | string)[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          outcomes.push(
            ...await Promise.all(Array.from({ length: PER_ROUND }, () => knock(server, clients))),
          );
        }
        if (!await processAlive(server)) throw new Error(`the server died at EMFILE: ${await server.stderr}`);
        const served = outcomes.filter((o) => o === 1).length;
        // A worker whose reserve another took serves one more in its place.
        assert(served <= FD_SPARE + 2, `${served} served with ${FD_SPARE} fds to spare`);
        assert(outcomes.some((o) => o === null || o === "ConnectionReset"), `none shed: ${outcomes}`);

        const before = await cpuSeconds(pid);
        await delay(1000); // exhausted, with clients waiting in a backlog
        const idleCpu = await cpuSeconds(pid) - before;
        assert(idleCpu < 0.3, `${idleCpu.toFixed(2)} s of CPU in 1 s of exhaustion`);

        for (const conn of clients.splice(0)) conn.close();
        await servedOnceFree(server);
        interrupt(server.child);
        const totals = await expectTotals(server);
        assert(totals.connections >= served + 1, `totals ${JSON.stringify(totals)}, ${served} served`);
      } finally {
        for (const conn of clients) conn.close();
      }
    });
  });
}

/** Whether the server is still running (its status has not settled). */
async function processAlive(server: ListeningChild): Promise<boolean> {
  return await Promise.race([server.child.status.then(() => false), delay(50).then(() => true)]);
}

// ---------------------------------------------------------------- --idle-timeout

const IDLE_MS = 100;
const BEAT_MS = 30;
// A sweep still armed with no connection left wakes the server every 12.5 ms:
// 40 times in the 500 ms watched (echo.c: one switch each; echo.ts: several).
// Asleep, it makes none (0 seen here for both); a few are allowed for strays.
const ASLEEP_MAX_SWITCHES = 10;

/**
 * With `--idle-timeout 100`: a client that never sends reads EOF after
 * at least 100 ms (counted from before its connect) and well before 2 s; a
 * client that sends without reading is cut off (its write fails) once its
 * echo has stalled for the timeout; a client that sends every 30 ms gets
 * every echo and is still open after four timeouts. Once it leaves too, the
 * sweep stops: the server is not woken again. Two connections are closed
 * as idle.
 */
async function idleScenario(server: ListeningChild): Promise<void> {
  const before = performance.now();
  using idle = await connectTo(server);
  const idleEnd = readOutcome(idle, 2000).then((outcome) => ({ outcome, ms: performance.now() - before }));
  using stalled = await connectTo(server);
  const push = pushWithoutReading(stalled, 32 * MiB);
  push.catch(() => {}); // awaited below; if the test fails first, closing `stalled` rejects it
  using beating = await connectTo(server);
  let beats = 0;
  for (const end = performance.now() + 4 * IDLE_MS; performance.now() < end; beats++) {
    await deadline(ping(beating, `beat ${beats}`), 2000, `the echo of beat ${beats}`);
    await delay(BEAT_MS);
  }
  const { outcome, ms } = await idleEnd;
  assertEquals(outcome, null, "what the idle client read");
  assert(ms >= IDLE_MS && ms < 1000, `the idle client was closed after ${ms.toFixed(1)} ms`);
  const pushed = await deadline(push, 2000, "the non-reading client's writes to fail");
  assert(pushed < 32 * MiB, `all ${pushed} bytes went through`);
  await ping(beating, "still open after four timeouts");
  await beating.closeWrite();
  assertEquals(await readOutcome(beating, 2000), null, "the beating client's EOF after its own");
  assert(beats >= 8, `only ${beats} beats`);

  await delay(IDLE_MS); // the server saw the EOF; its next sweep finds no connection and stops
  const pid = server.child.pid;
  const switches = await contextSwitches(pid);
  await delay(500);
  const woken = await contextSwitches(pid) - switches;
  assert(woken <= ASLEEP_MAX_SWITCHES, `${woken} context switches in 500 ms with no connection`);
}

/**
 * Writes `total` bytes without reading until a write fails (the server
 * closed the connection with bytes unread: RST); returns how many went
 * through. Throws if all of them did.
 */
async function pushWithoutReading(conn: Deno.Conn, total: number): Promise<number> {
  const chunk = new Uint8Array(256 * KiB);
  let pushed = 0;
  try {
    while (pushed < total) pushed += await conn.write(chunk);
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe) return pushed;
    throw err;
  }
  return pushed;
}

for (const mode of MODES) {
  for (const name of ["echo.ts", "echo.c"]) {
    Deno.test(`${name} ${mode} --idle-timeout ${IDLE_MS}: an idle client and a non-reading one are closed after ${IDLE_MS} ms, one sending every ${BEAT_MS} ms stays; "idle closed: 2"; no wake-ups once none is left`, async () => {
      await withProgram(name, async (p) => {
        const flags = ["--port", "0", "--mode", mode, "--idle-timeout", String(IDLE_MS)];
        await driveListening(await start(p, flags), async (server) => {
          await idleScenario(server);
          const report = await interruptAndReport(server);
          assertEquals(report.idleClosed, 2);
          assertEquals(report.totals.connections, 3);
        });
      });
    });
  }
}

Deno.test(`echo --workers 2 --idle-timeout ${IDLE_MS}: each worker sweeps its own connections; the totals add up`, async () => {
  const flags = ["--port", "0", "--workers", "2", "--idle-timeout", String(IDLE_MS)];
  await driveListening(await start(ECHO_TS, flags), async (server) => {
    // Eight idle clients, spread by SO_REUSEPORT over both workers (all on one: 1 in 128).
    const idle = await Promise.all(Array.from({ length: 8 }, () => connectTo(server)));
    try {
      await idleScenario(server);
      assertEquals(await Promise.all(idle.map((conn) => readOutcome(conn, 1000))), idle.map(() => null));
    } finally {
      for (const conn of idle) conn.close();
    }
    const report = await interruptAndReport(server);
    assertEquals(report.idleClosed, 10);
    assertEquals(report.totals.connections, 11);
  });
});

// ---------------------------------------------------------------- --reuse-port

const SHARED_CLIENTS = 48;

for (const mode of MODES) {
  for (const name of ["echo.ts", "echo.c"]) {
    Deno.test(`${name} ${mode} --reuse-port: two processes on one port both take connections; ${SHARED_CLIENTS} echoes byte-exact`, async () => {
      await withProgram(name, async (p) => {
        const flags = ["--mode", mode, "--reuse-port"];
        await driveListening(await start(p, ["--port", "0", ...flags]), async (first) => {
          await driveListening(await start(p, ["--port", String(first.port), ...flags]), async (second) => {
            assertEquals(second.port, first.port);
            const sizes = Array.from({ length: SHARED_CLIENTS }, (_, i) => 1000 + 997 * i);
            const clients = sizes.map((size, i) => echoOnce(first, payload(size, i + 1)));
            await deadline(Promise.all(clients), 10_000, `${SHARED_CLIENTS} echo clients`);
            const [a, b] = await Promise.all([interruptAndReport(first), interruptAndReport(second)]);
            // SO_REUSEPORT hashes each connection to one of the two: all on one has odds of 2 in 2^48.
            assert(a.totals.connections > 0 && b.totals.connections > 0, `${JSON.stringify([a, b])}`);
            assertEquals(a.totals.connections + b.totals.connections, SHARED_CLIENTS);
            assertEquals(a.totals.bytes + b.totals.bytes, sizes.reduce((x, y) => x + y, 0));
          });
        });
      });
    });
  }
}

// Linux lets a second listener bind a port only if both set SO_REUSEPORT.
Deno.test(`echo.ts and echo.c: without --reuse-port on both, a second server on the port exits non-zero with "address already in use"; the first still serves`, async () => {
  for (const name of ["echo.ts", "echo.c"]) {
    await withProgram(name, async (p) => {
      await driveListening(await start(p, ["--port", "0"]), async (first) => {
        for (const extra of [[], ["--reuse-port"]]) {
          const flags = ["--port", String(first.port), ...extra];
          const second = await runUnlessListening(p.program, [...p.args, ...flags]);
          const what = `${name} ${flags.join(" ")}: ${JSON.stringify(second)}`;
          assert(!second.listened, `it started: ${what}`);
          assert(second.code !== 0, `exit code 0: ${what}`);
          assert(/address already in use/i.test(second.stderr), `stderr: ${what}`);
        }
        await echoOnce(first, payload(4 * KiB, 9));
        assertEquals((await interruptAndReport(first)).totals.connections, 1);
      });
    });
  }
});
