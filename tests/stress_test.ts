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
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import type { StressRecord } from "../bench/stress/report.ts";
import { killTree, spawnDeno } from "./_net_helpers.ts";

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
