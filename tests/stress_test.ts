/**
 * The scaled-down stress run (issue 11): `deno task stress` with 2,000
 * connections and two paced heartbeats on each against `deno task echo`,
 * once with one server process and once with two on one port. The harness
 * starts the servers and the native clients itself; the assertions read the
 * clients' own counters from its JSON: every connection up, every echo
 * verified byte for byte, nothing lost, late, failed or dropped.
 *
 * The harness runs in its own process group: whatever happens, the group is
 * killed at the end (the harness, its servers and its clients).
 *
 * The last test drives the native client alone: a client that was not
 * scheduled for seconds (here: stopped with SIGSTOP) must go on working.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import type { StressRecord } from "../bench/stress/report.ts";
import {
  deadline,
  delay,
  killTree,
  LineReader,
  REPO_ROOT,
  spawnDeno,
  spawnListening,
  spawnProgram,
} from "./_net_helpers.ts";

const CONNS = 2_000;
const BEATS = 2;

/** Runs the harness to the end (bounded: killed after 50 s) and returns its record. */
async function stress(extra: string[]): Promise<StressRecord> {
  const json = await Deno.makeTempFile({ dir: "/tmp", prefix: "stress_test_", suffix: ".json" });
  const args = ["run", "-A", "bench/stress/stress.ts", "--server", "epoll-et", "--conns", String(CONNS)];
  args.push("--beats", String(BEATS), "--interval", "0.5", "--sweeps", "0", "--settle", "0");
  args.push("--no-save", "--quiet", "--json", json, ...extra);
  const child = spawnDeno(args);
  const timer = setTimeout(() => killTree(child), 50_000);
  try {
    const [status, out, err] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assertEquals(status.code, 0, `stress exited ${status.code}\n${out}\n${err}`);
    return JSON.parse(await Deno.readTextFile(json)).record;
  } finally {
    clearTimeout(timer);
    await killTree(child);
    await Deno.remove(json);
  }
}

function assertClean(r: StressRecord): void {
  assert(r.ok, `the harness did not call the run clean: ${JSON.stringify(r)}`);
  assertEquals(r.up, CONNS);
  assertEquals({ failed: r.failed, dropped: r.dropped, lost: r.lost, bad: r.bad, late: r.late }, {
    failed: 0,
    dropped: 0,
    lost: 0,
    bad: 0,
    late: 0,
  });
  // One priming echo per connection, then the paced beats: each one verified by the client.
  assertEquals(r.verified, CONNS * (1 + BEATS));
}

Deno.test("stress: 2,000 connections on deno task echo, two heartbeats each, every echo verified", async () => {
  const r = await stress(["--procs", "1"]);
  assertClean(r);
  assertEquals(r.procs, 1);
});

Deno.test("stress: two echo processes on one port (SO_REUSEPORT) share 2,000 connections", async () => {
  const r = await stress(["--procs", "2", "--spread", "reuseport"]);
  assertClean(r);
  assertEquals(r.procs, 2);
  assert(
    r.perServer !== null && r.perServer.min > 0,
    `one process got nothing: ${JSON.stringify(r.perServer)}`,
  );
});

/** Next stdout line that starts with `prefix` (earlier lines skipped), within `ms`. */
async function lineStarting(lines: LineReader, prefix: string, ms: number): Promise<string> {
  return await deadline(
    (async () => {
      for (let line; (line = await lines.next()) !== null;) if (line.startsWith(prefix)) return line;
      throw new Error(`stdout ended before "${prefix}"`);
    })(),
    ms,
    `"${prefix}" from the stress client`,
  );
}

Deno.test("stress client: a stall of seconds (SIGSTOP) does not leave it waiting in epoll_wait forever", async () => {
  const bin = `/tmp/stress_client_test_${Deno.pid}`;
  const cc = await new Deno.Command("cc", {
    args: ["-O2", "-o", bin, "bench/stress/client.c"],
    cwd: REPO_ROOT,
  })
    .output();
  assert(cc.success, new TextDecoder().decode(cc.stderr));
  const server = await spawnListening([
    "run",
    "--allow-ffi",
    "--allow-read",
    "examples/echo.ts",
    "--port",
    "0",
  ]);
  const client = spawnProgram(bin, ["--port", String(server.port), "--conns", "50", "--src", "127.1.250.1"], {
    stdin: "piped",
  });
  const lines = new LineReader(client.stdout);
  const stdin = client.stdin.getWriter();
  try {
    await lineStarting(lines, "up ", 10_000);
    // Stopped past two of its once-a-second stat lines: its clock for the next one falls behind.
    Deno.kill(client.pid, "SIGSTOP");
    await delay(2_500);
    Deno.kill(client.pid, "SIGCONT");
    await stdin.write(new TextEncoder().encode("beat 0.2 1\n"));
    await lineStarting(lines, "beaten ", 5_000);
    await stdin.write(new TextEncoder().encode("close\n"));
    const done = JSON.parse((await lineStarting(lines, "done ", 5_000)).slice(5));
    assertEquals([done.up, done.ok, done.lost, done.bad], [50, 100, 0, 0]);
  } finally {
    await stdin.close().catch(() => {});
    await killTree(client);
    await lines.cancel();
    await client.stderr.cancel();
    await killTree(server.child);
    await server.stdout.cancel();
    await server.stderr;
    await Deno.remove(bin).catch(() => {});
  }
});
