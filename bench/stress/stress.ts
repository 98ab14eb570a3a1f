/**
 * `deno task stress`: N long-lived connections with heartbeats on one
 * machine (issue 11, item 6; the seed's chapter 4.4).
 *
 *   deno task stress --server epoll-et --conns 100000 --interval 1 --beats 5
 *   deno task stress --server c --conns 1000000 --interval 30 --beats 1
 *   deno task stress --target 127.0.0.1:7777 --conns 10000      # a server you started
 *
 * It starts K server processes (`--procs`, default enough for ~18,000
 * connections each: the fd limit of one process is 20,000, hard) on one port
 * with SO_REUSEPORT (`--spread reuseport`), or each on its own port
 * (`--spread ports`: an exact split that needs nothing of the server). Then
 * client processes (bench/stress/client.c, compiled into bench/.build), each
 * from its own 127.1.x.y source address, connect and verify a first echo on
 * every connection (establish), send one heartbeat on every connection at
 * once (`--sweeps`), then `--beats` paced heartbeats per connection, one every
 * `--interval` s with phases spread evenly, and close. Every echoed byte is
 * verified. One status line per second; at the end a table in the article's
 * shape, where the time went, and (unless --no-save) bench/results/stress.json,
 * stress.md and stress.svg.
 *
 * Kernel settings that could stop the run are checked and reported;
 * `--tune` (root) changes those that would, and puts them back at exit.
 * Everything it starts it stops by PID, on Ctrl-C too; every phase is bounded.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { bold, red, setColorEnabled, yellow } from "@std/fmt/colors";
import { ROOT } from "../lib/build.ts";
import { runToEnd, stopAll, stopChildrenOnSignal } from "../lib/proc.ts";
import { machineLine } from "../lib/report.ts";
import { renderStressTable, saveRecord, type StressRecord, timeLines, toRecord } from "./report.ts";
import { PER_SOURCE } from "./fleet.ts";
import { type Load, PER_CLIENT, type RunConfig, runStress, type Target } from "./run.ts";
import {
  buildNative,
  planServer,
  SERVER_NAMES,
  type ServerName,
  type ServerPlan,
  type Spread,
} from "./servers.ts";
import { checkSysctls, restoreSysctls, type SysctlChange, tuneSysctls } from "./sysctl.ts";

interface Options extends Load {
  server: ServerName;
  target: Target | null;
  procs: number | null;
  perProc: number | null;
  spread: Spread | null;
  tune: boolean;
  save: boolean;
  json: string | null;
  quiet: boolean;
  /** Where the servers' code comes from (default: this checkout). */
  code: string;
  /** Flags appended to every server's command line. */
  serverArgs: string[];
}

const USAGE = `deno task stress [options]
  --server NAME      ${SERVER_NAMES.join(" | ")} (default epoll-et)
  --target H:P[,P…]  a server already running (clients spread over the ports); --target-pids to watch it
  --conns N          connections (default 10000)
  --procs K          server processes (default: N ÷ --per-proc, rounded up)
  --per-proc N       connections per server process (default 18000 with reuseport, 19900 with ports)
  --spread S         reuseport | ports (default reuseport when the server can share a port)
  --interval S       seconds between heartbeats on a connection (default 1)
  --beats B          paced heartbeats per connection (default 3)
  --sweeps N         heartbeats on every connection at once, before the paced ones (default 1)
  --size BYTES       heartbeat size, 16..1024 (default 32)
  --parallel P       connects in flight per client process (default 64)
  --window W         sweep heartbeats in flight per client process (default 1000)
  --rounds R         connect/echo/close rounds against the same servers (default 1)
  --settle S         seconds before each memory sample (default 2)
  --port P           the port (default 0: any)
  --tune             (root) change kernel settings that would stop the run; restored at exit
  --no-save          do not write bench/results/stress.*
  --json PATH        also write this run's record to PATH
  --quiet            no per-second status line
  --server-args=A    flags appended to every server's command line, e.g. --server-args="--busy-wait 0"
  --code DIR         take the servers (examples/, mod.ts, …) from DIR, e.g. a \`git archive\` of one commit
                     (default: this checkout, as it is)`;

function num(
  flags: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = flags[name];
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v >= min && v <= max)) {
    throw new RangeError(`--${name} must be a number in ${min}..${max}, got "${text}"`);
  }
  return v;
}

function parseTarget(text: string | undefined, pids: string | undefined): Target | null {
  if (text === undefined) return null;
  const m = /^([0-9.]+):([0-9,]+)$/.exec(text);
  if (!m) throw new RangeError(`--target must be IPv4:PORT[,PORT…], got "${text}"`);
  const ports = m[2].split(",").map(Number);
  if (ports.some((p) => !(p >= 1 && p <= 65535))) throw new RangeError(`--target ports: ${m[2]}`);
  const watched = (pids ?? "").split(",").filter((p) => p !== "").map(Number);
  if (watched.some((p) => !Number.isInteger(p) || p < 1)) throw new RangeError(`--target-pids: ${pids}`);
  return { host: m[1], ports, pids: watched };
}

function parseOptions(all: string[]): Options | null {
  // Its value starts with "--": taken out before parseArgs, which would read it as a flag of ours.
  const serverArgs = all.filter((a) => a.startsWith("--server-args=")).flatMap((a) => a.slice(14).split(" "));
  const args = all.filter((a) => !a.startsWith("--server-args="));
  const flags = parseArgs(args, {
    string: [
      "server",
      "target",
      "target-pids",
      "conns",
      "procs",
      "per-proc",
      "spread",
      "interval",
      "beats",
      "sweeps",
      "size",
      "parallel",
      "rounds",
      "settle",
      "port",
      "json",
      "code",
    ],
    boolean: ["tune", "save", "quiet", "help"],
    default: { save: true },
    negatable: ["save"],
    unknown: (arg) => {
      throw new RangeError(`unknown argument ${arg}\n${USAGE}`);
    },
  });
  if (flags.help) return null;
  const server = (flags.server ?? "epoll-et") as ServerName;
  if (!SERVER_NAMES.includes(server)) {
    throw new RangeError(`--server must be one of ${SERVER_NAMES.join(", ")}`);
  }
  const spread = flags.spread ?? null;
  if (spread !== null && spread !== "reuseport" && spread !== "ports") {
    throw new RangeError("--spread: reuseport | ports");
  }
  return {
    server,
    target: parseTarget(flags.target, flags["target-pids"]),
    conns: num(flags, "conns", 10_000, 1, 2_000_000),
    procs: flags.procs === undefined ? null : num(flags, "procs", 1, 1, 500),
    perProc: flags["per-proc"] === undefined ? null : num(flags, "per-proc", 1, 1, 19_990),
    spread,
    interval: num(flags, "interval", 1, 0.001, 3600),
    beats: num(flags, "beats", 3, 1, 1000),
    sweeps: num(flags, "sweeps", 1, 0, 100),
    size: num(flags, "size", 32, 16, 1024),
    parallel: num(flags, "parallel", 64, 1, 4096),
    window: num(flags, "window", 1000, 1, 19_990),
    rounds: num(flags, "rounds", 1, 1, 20),
    settle: num(flags, "settle", 2, 0, 60),
    port: num(flags, "port", 0, 0, 65535),
    tune: flags.tune,
    save: flags.save,
    json: flags.json ?? null,
    quiet: flags.quiet,
    code: (flags.code ?? ROOT).replace(/\/$/, ""),
    serverArgs: serverArgs.filter((a) => a !== ""),
  };
}

/** How K server processes split the load, and how many. */
function layout(opts: Options, plan: ServerPlan | null): { spread: Spread; procs: number; notes: string[] } {
  const notes: string[] = [];
  const canShare = plan?.sharing != null;
  let spread: Spread = opts.spread ?? (canShare ? "reuseport" : "ports");
  if (spread === "reuseport" && plan && !canShare) {
    notes.push(`${plan.name} cannot share a port (no SO_REUSEPORT flag): one port per process`);
    spread = "ports";
  }
  // SO_REUSEPORT hashes connections to listeners: keep headroom under 19,990 fds for the unlucky one.
  const perProc = opts.perProc ?? (spread === "reuseport" ? 18_000 : 19_900);
  return { spread, procs: opts.procs ?? Math.ceil(opts.conns / perProc), notes };
}

async function main(opts: Options): Promise<number> {
  const builds = await buildNative(opts.code, new Set([opts.server]));
  const notes = [...builds.notes, `servers' code: ${await describeCode(opts.code)}`];
  let plan: ServerPlan | null = null;
  if (opts.target === null) {
    const p = planServer(opts.server, opts.code, builds);
    if (typeof p === "string") throw new Error(`${opts.server}: ${p}`);
    // Extra server flags (e.g. --busy-wait 0 for examples/echo.ts) go after the harness's own.
    plan = opts.serverArgs.length
      ? { ...p, argv: (port, share) => [...p.argv(port, share), ...opts.serverArgs] }
      : p;
  }
  const { spread, procs, notes: layoutNotes } = layout(opts, plan);
  notes.push(...layoutNotes);
  if (plan && spread === "reuseport" && plan.sharing === "--workers 2") {
    notes.push("examples/echo.ts has no --reuse-port yet: each process runs --workers 2 to share the port");
  }
  // K processes on one SO_REUSEPORT port and K processes on K ports are different setups: name them apart.
  const name = opts.target
    ? `target ${opts.target.host}:${opts.target.ports.join(",")}`
    : `${opts.server}${spread === "reuseport" && procs > 1 ? " reuseport" : ""}`;
  const checks = checkSysctls(
    opts.conns,
    PER_SOURCE,
    opts.parallel,
    opts.window * Math.ceil(opts.conns / PER_CLIENT),
  );
  const changed: SysctlChange[] = [];
  const machine = await machineLine();
  console.log(
    bold(`stress: ${name}, ${opts.conns.toLocaleString("en-US")} connections`) +
      `, ${procs} server process(es) (${spread}${
        plan?.sharing && spread === "reuseport" ? `, ${plan.sharing}` : ""
      }), ` +
      `heartbeat ${opts.size} B every ${opts.interval} s × ${opts.beats}, ${opts.sweeps} sweep(s)\n${machine}`,
  );
  for (const c of checks) {
    console.log(`  ${c.ok ? "ok  " : yellow("LOW ")} ${c.name} = ${c.value}: ${c.need}`);
  }
  const restore = (): void => {
    for (const problem of restoreSysctls(changed)) console.error(red(problem));
  };
  const stopListening = stopChildrenOnSignal(restore);
  try {
    if (opts.tune) changed.push(...tuneSysctls(checks));
    for (const c of changed) console.log(yellow(`  set ${c.name}: ${c.old} → ${c.now} (restored at exit)`));
    const cfg: RunConfig = {
      ...opts,
      root: opts.code,
      clientBin: builds.client,
      plan,
      spread,
      procs,
      print: !opts.quiet,
    };
    const result = await runStress(cfg);
    const record = toRecord(cfg, name, machine, result, { checks, changed: [...changed] }, notes);
    report(record, result.rounds.flatMap((r) => r.clientErrors));
    if (opts.json) Deno.writeTextFileSync(opts.json, JSON.stringify({ record, result }, null, 2) + "\n");
    if (opts.save && opts.target === null) {
      const all = saveRecord(`${ROOT}/bench/results`, record);
      console.log(
        `\nbench/results/stress.json (${all.length} runs), stress.md, stress.svg written. All runs:`,
      );
      console.log(renderStressTable(all));
    }
    return record.ok ? 0 : 1;
  } finally {
    stopListening();
    await stopAll(2_000);
    restore();
  }
}

/** The commit the servers' code is at: a checkout's HEAD (+ "dirty"), or a snapshot's .commit file. */
async function describeCode(dir: string): Promise<string> {
  try {
    return `${dir}, commit ${Deno.readTextFileSync(`${dir}/.commit`).trim()}`;
  } catch {
    // Not a snapshot: ask git.
  }
  const git = await runToEnd(["git", "-C", dir, "describe", "--always", "--dirty"], {}, 10_000);
  return `${dir}, git ${git.ok ? git.stdout.trim() : "unknown"}`;
}

function report(r: StressRecord, clientErrors: string[]): void {
  const verdict = r.ok ? "every connection up, every echo verified, 0 lost" : red("NOT CLEAN");
  console.log(`\n${bold(r.key)}: ${verdict}`);
  console.log(renderStressTable([r]));
  console.log(
    `up ${r.up}/${r.conns}, failed ${r.failed}, dropped ${r.dropped}, lost ${r.lost}, bad ${r.bad}, late ${r.late}; ` +
      `${r.verified.toLocaleString("en-US")} echoes verified`,
  );
  console.log(
    `memory: server RSS ${r.serverRssRestMB.toFixed(0)} MB at rest → ${r.serverRssUpMB.toFixed(0)} MB up ` +
      `(${r.serverBytesPerConn.toFixed(0)} B/conn), after close ${
        r.serverRssClosedMB.map((m) => m.toFixed(0)).join(", ")
      } MB; ` +
      `kernel +${r.kernelUpMB.toFixed(0)} MB (${
        r.kernelBytesPerConn.toFixed(0)
      } B/conn, both ends); clients ${r.clientRssMB.toFixed(0)} MB`,
  );
  if (r.serverHeapBytesPerConn !== null) {
    console.log(
      `live JS heap (after a full GC): ${r.serverHeapBytesPerConn.toFixed(0)} B/conn; after close ${
        r.serverHeapClosedMB.map((m) => m?.toFixed(1)).join(", ")
      } MB`,
    );
  }
  if (r.slabTopMB.length) {
    console.log(`slab growth: ${r.slabTopMB.map(([n, mb]) => `${n} ${mb} MB`).join(", ")}`);
  }
  if (r.perServer) console.log(`connections per server process: ${r.perServer.min}..${r.perServer.max}`);
  console.log(
    `servers: start ${r.serverStartMs.median?.toFixed(0)} ms median, ${
      r.serverStartMs.max?.toFixed(0)
    } ms max; ` +
      `stop ${r.serverStopMs.median?.toFixed(0)} ms median, ${r.serverStopMs.max?.toFixed(0)} ms max; ` +
      `peak ${Math.round(r.peakEstablishRate)} established/s`,
  );
  if (r.poller) {
    const p = r.poller, per = (k: string): string => (p[k] / Math.max(1, p.events)).toFixed(2);
    console.log(
      `servers' pollers over the run: ${p.events} events in ${p.waits} waits (${
        (p.events / Math.max(1, p.waits)).toFixed(1)
      } per wait); per event: ${per("parks")} parks, ${per("wakeups")} wakeups, ${
        per("syscalls")
      } poller syscalls`,
    );
  }
  console.log("where the time went:");
  for (const line of timeLines(r)) console.log(line);
  for (const n of r.notes) console.log(yellow(`note: ${n}`));
  for (const e of clientErrors) console.log(red(e));
}

if (import.meta.main) {
  if (!Deno.stdout.isTerminal()) setColorEnabled(false);
  try {
    const opts = parseOptions(Deno.args);
    if (opts === null) console.log(USAGE);
    else Deno.exitCode = await main(opts);
  } catch (err) {
    console.error(red(`stress: ${err instanceof Error ? err.message : err}`));
    await stopAll(2_000);
    Deno.exitCode = 2;
  }
}
