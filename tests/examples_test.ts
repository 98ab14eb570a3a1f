/**
 * The examples as a user runs them: examples/echo_async.ts serves clients
 * and, on SIGINT, closes them all, prints its totals and exits 0;
 * examples/echo.ts answers `--help` and rejects bad flag values with a clear
 * message and a non-zero status.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  deadline,
  delay,
  driveListening,
  KiB,
  killTree,
  LineReader,
  type ListeningChild,
  payload,
  readAndCompare,
  readExactly,
  readOutcome,
  spawnDeno,
  spawnListening,
  writeAll,
} from "./_net_helpers.ts";

const decoder = new TextDecoder();

/** What a finished run printed, and how it ended. */
interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in the repo to completion, killed if it takes over `ms`. */
async function run(args: string[], ms = 15_000): Promise<RunResult> {
  const child = spawnDeno(args);
  try {
    const out = await deadline(child.output(), ms, `deno ${args.join(" ")}`);
    return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
  } finally {
    await killTree(child);
  }
}

const ASYNC_TOTALS = /^connections: (\d+), bytes echoed: (\d+)$/;

/** Runs examples/echo_async.ts on a free port, hands it to `drive`, and always kills its process group. */
async function withEchoAsync(drive: (server: ListeningChild) => Promise<void>): Promise<void> {
  await driveListening(await spawnListening(["run", "--allow-ffi", "examples/echo_async.ts", "0"]), drive);
}

/** After SIGINT: exit status 0 and the totals line; returns the counts. */
async function asyncTotals(server: ListeningChild): Promise<{ connections: number; bytes: number }> {
  const status = await deadline(server.child.status, 10_000, "echo_async to exit after SIGINT");
  const out = await server.stdout.rest();
  assertEquals(status.code, 0, `exit status; stdout ${JSON.stringify(out)}; stderr ${await server.stderr}`);
  const m = ASYNC_TOTALS.exec(out.at(-1) ?? "");
  assert(m !== null, `no totals line in ${JSON.stringify(out)}`);
  return { connections: Number(m[1]), bytes: Number(m[2]) };
}

Deno.test("echo_async.ts: serves concurrent clients; SIGINT closes every client (an idle one sees EOF), prints the totals, exits 0", async () => {
  await withEchoAsync(async (server) => {
    const sizes = [1, 2, 3, 4].map((seed) => seed * 100 * KiB);
    const clients = sizes.map(async (size, i) => {
      using conn = await Deno.connect({ hostname: server.hostname, port: server.port });
      const data = payload(size, i + 1);
      await Promise.all([writeAll(conn, data).then(() => conn.closeWrite()), readAndCompare(conn, data)]);
    });
    await deadline(Promise.all(clients), 10_000, "the echo_async clients");

    using idle = await Deno.connect({ hostname: server.hostname, port: server.port });
    await writeAll(idle, new Uint8Array([1, 2, 3]));
    assertEquals(await readExactly(idle, 3), new Uint8Array([1, 2, 3]));
    server.child.kill("SIGINT");
    assertEquals(await readOutcome(idle, 5000), null, "the idle client sees EOF");
    const totals = await asyncTotals(server);
    assertEquals(totals, { connections: 5, bytes: sizes.reduce((a, b) => a + b, 3) });
    await refusedWithin(server.port, 5000);
  });
});

Deno.test("echo_async.ts: SIGINT twice 0-4 ms apart with a client connected: totals, status 0 (5 runs)", async () => {
  for (let run = 0; run < 5; run++) {
    await withEchoAsync(async (server) => {
      using idle = await Deno.connect({ hostname: server.hostname, port: server.port });
      await writeAll(idle, new Uint8Array([run]));
      assertEquals(await readExactly(idle, 1), new Uint8Array([run]));
      server.child.kill("SIGINT");
      await delay(run);
      try {
        server.child.kill("SIGINT");
      } catch { /* exited already */ }
      assertEquals(await asyncTotals(server), { connections: 1, bytes: 1 }, `run ${run}`);
      assertEquals(await readOutcome(idle, 5000), null);
    });
  }
});

/** Waits (bounded) until connecting to `port` is refused: the listener is closed. */
async function refusedWithin(port: number, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(20)) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    } catch (err) {
      if (err instanceof Deno.errors.ConnectionRefused) return;
      throw err;
    }
  }
  throw new Error(`port ${port} still accepting ${ms} ms after SIGINT`);
}

Deno.test("watch_fds.ts serves a pipe, a timerfd, an eventfd and a UDP socket, then exits by itself", async () => {
  const { code, stdout, stderr } = await run(["run", "--allow-ffi", "examples/watch_fds.ts"]);
  assertEquals(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  for (
    const want of [
      'pipe: "hello through a pipe"',
      "timerfd: tick 1",
      "timerfd: tick 2",
      "timerfd: tick 3",
      "eventfd: counter 42",
    ]
  ) assert(lines.includes(want), `missing "${want}" in ${stdout}`);
  assert(lines.some((l) => /^udp: "hello over UDP" from 127\.0\.0\.1:\d+$/.test(l)), stdout);
  assertEquals(lines.at(-1), "all fds served; exiting");
});

Deno.test("echo.ts --help prints the usage and exits 0", async () => {
  const { code, stdout, stderr } = await run(["run", "--allow-ffi", "examples/echo.ts", "--help"]);
  assertEquals(code, 0, stderr);
  assert(stdout.startsWith("Usage: deno task echo"), stdout);
  for (const flag of ["--hostname", "--port", "--mode et|lt", "--workers", "--max-conns"]) {
    assert(stdout.includes(flag), `usage lacks ${flag}`);
  }
});

/** A bad flag set and the message expected on stderr. */
interface BadFlags {
  flags: string[];
  message: string;
}

const BAD_FLAGS: BadFlags[] = [
  { flags: ["--mode", "xx"], message: "--mode must be et or lt" },
  { flags: ["--port", "70000"], message: "--port must be an integer in 0..65535" },
  { flags: ["--port", "abc"], message: "--port must be an integer in 0..65535" },
  { flags: ["--workers", "0"], message: "--workers must be an integer in 1..256" },
  { flags: ["--port", "0", "--max-conns=-1"], message: "--max-conns must be" },
  // A negative number after a flag reads as a short flag of its own: refused.
  { flags: ["--port", "0", "--max-conns", "-1"], message: "unknown argument -1" },
  { flags: ["--port", "-5"], message: "unknown argument -5" },
  { flags: ["--port"], message: "--port must be" },
  { flags: ["--port", "0", "--mdoe", "lt"], message: "unknown argument --mdoe" },
];

for (const { flags, message } of BAD_FLAGS) {
  Deno.test({
    name: `echo.ts ${flags.join(" ")}: exits non-zero with "${message}"`,
    fn: async () => {
      const { code, stdout, stderr } = await runUntilListening([
        "run",
        "--allow-ffi",
        "examples/echo.ts",
        ...flags,
      ]);
      assert(!stdout.includes("listening on"), `it started a server instead: ${stdout}`);
      assert(code !== 0, `exit code 0; stdout ${stdout}`);
      assert(stderr.includes(message), `stderr: ${stderr}`);
    },
  });
}

/** Like `run`, but a server that starts listening (a bad flag let through) is killed at once. */
async function runUntilListening(args: string[]): Promise<RunResult> {
  const child = spawnDeno(args);
  const stdout = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const first = (await deadline(stdout.next(), 15_000, `deno ${args.join(" ")}`)) ?? "";
    if (first.startsWith("listening on")) await killTree(child);
    const rest = await stdout.rest();
    const { code } = await child.status;
    return { code, stdout: [first, ...rest].join("\n"), stderr: await stderr };
  } finally {
    await killTree(child);
    await stdout.cancel();
    await stderr;
  }
}
