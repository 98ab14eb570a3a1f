/**
 * Echo benchmark: @libc/epoll's example server against a C epoll server and Deno, Node and Go
 * echo servers, over loopback, one server core (CPU 0) versus one load generator core (CPU 1).
 *
 *   deno run -A bench/echo.ts [--quick] [--runs 3] [--duration 2] [--warmup 0.5] [--only a,b]
 *                             [--retries 1] [--c-src examples/echo.c]
 *
 * --only takes server names (c, epoll-et, epoll-lt, deno-listen, node-net, go-net) and/or scenario
 * names (pingpong-1, pingpong-100, pingpong-1000, stream-16k, idle-10k). --c-src points at another C
 * echo server source (default examples/echo.c). A run during which other processes used over 10% of
 * the two CPUs is redone up to --retries times while the total stays within budget (5 minutes for
 * the defaults); the least disturbed attempt is kept. Writes bench/results/echo.json and echo.svg.
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { setColorEnabled } from "@std/fmt/colors";
import { buildAll, findCc } from "./lib/build.ts";
import { runToEnd, stopAll } from "./lib/child.ts";
import { describeMachine, type Machine, machineLine } from "./lib/machine.ts";
import type { RunConfig } from "./lib/run.ts";
import { runAll } from "./lib/schedule.ts";
import { SCENARIOS } from "./lib/scenarios.ts";
import { SERVER_NAMES, serverSpecs } from "./lib/servers.ts";
import { NOISY, summarize } from "./lib/stats.ts";
import { echoChart } from "./lib/svg.ts";
import { renderReport } from "./lib/table.ts";
import { checkTargets } from "./lib/targets.ts";
import type { RunRecord, Scenario, ServerSpec, Skipped } from "./lib/types.ts";

interface Options {
  quick: boolean;
  runs: number;
  retries: number;
  duration: number;
  warmup: number;
  only: string[];
  cSrc: string;
}

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const RESULTS = `${ROOT}/bench/results`;
/** Disturbed runs are redone only while the whole run is predicted to stay under 5 minutes. */
const RETRY_BUDGET_MS = 285_000;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

function parseOptions(args: string[]): Options {
  const flags = parseArgs(args, {
    boolean: ["quick"],
    string: ["runs", "retries", "duration", "warmup", "only", "c-src"],
  });
  const quick = flags.quick;
  return {
    quick,
    // Defaults keep the full run (3 × 6 servers × 5 scenarios × ~2.5 s + start-up) under 5 minutes.
    runs: Math.round(positive("runs", flags.runs, quick ? 1 : 3)),
    retries: flags.retries === undefined ? 1 : Math.max(0, Math.round(Number(flags.retries)) || 0),
    duration: positive("duration", flags.duration, quick ? 1.5 : 2),
    warmup: positive("warmup", flags.warmup, 0.5),
    only: (flags.only ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    cSrc: flags["c-src"] ?? "examples/echo.c",
  };
}

/** Splits --only into server and scenario filters; an empty filter keeps everything. */
function applyOnly(only: string[], servers: ServerSpec[]): { servers: ServerSpec[]; scenarios: Scenario[] } {
  const scenarioNames = SCENARIOS.map((s) => s.name);
  const unknown = only.filter((n) => !SERVER_NAMES.includes(n) && !scenarioNames.includes(n));
  if (unknown.length) {
    throw new Error(
      `--only: unknown ${unknown.join(", ")}; know ${[...SERVER_NAMES, ...scenarioNames].join(", ")}`,
    );
  }
  const wantServers = only.filter((n) => SERVER_NAMES.includes(n));
  const wantScenarios = only.filter((n) => scenarioNames.includes(n));
  return {
    servers: wantServers.length ? servers.filter((s) => wantServers.includes(s.name)) : servers,
    scenarios: wantScenarios.length ? SCENARIOS.filter((s) => wantScenarios.includes(s.name)) : SCENARIOS,
  };
}

async function preflight(): Promise<string | null> {
  if (navigator.hardwareConcurrency < 2) return "needs 2 CPUs (server on CPU 0, load generator on CPU 1)";
  if (!(await runToEnd(["taskset", "-c", "0", "true"], {}, 10_000)).ok) {
    return "`taskset` (util-linux) not usable";
  }
  return null;
}

async function writeOutputs(json: unknown, svg: string): Promise<void> {
  await Deno.mkdir(RESULTS, { recursive: true });
  await Deno.writeTextFile(`${RESULTS}/echo.json`, JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(`${RESULTS}/echo.svg`, svg);
}

function report(
  opts: Options,
  machine: Machine,
  servers: ServerSpec[],
  scenarios: Scenario[],
  skipped: Skipped[],
  records: RunRecord[],
): { text: string; json: unknown; svg: string } {
  const summaries = scenarios.flatMap((sc) => servers.map((s) => summarize(sc.name, s.name, records)));
  const checks = checkTargets(summaries, servers.filter((s) => s.ours).map((s) => s.name));
  const noisy = records.filter((r) => (r.sample?.otherCpu ?? 0) > NOISY).length;
  const quiet = noisy ? `; ${noisy} of ${records.length} runs disturbed by other load` : "";
  const config = `${opts.runs} run(s) × ${opts.duration} s (+${opts.warmup} s warm-up), medians${quiet}`;
  const header = `${machineLine(machine)}\nserver pinned to CPU 0, load generator to CPU 1; ${config}`;
  const names = servers.map((s) => s.name);
  const json = {
    date: new Date().toISOString(),
    machine,
    config: { ...opts, serverCpu: 0, loadgenCpu: 1 },
    scenarios,
    servers: names,
    skipped,
    summaries,
    targets: checks,
    runs: records,
  };
  const svg = echoChart(scenarios, summaries, names, [machineLine(machine), config]);
  return { text: renderReport(header, scenarios, summaries, checks, skipped), json, svg };
}

interface Setup {
  cfg: RunConfig;
  machine: Machine;
  servers: ServerSpec[];
  scenarios: Scenario[];
  skipped: Skipped[];
}

/** Builds and discovers everything; a string says why the benchmark cannot run here. */
async function setup(opts: Options): Promise<Setup | string> {
  const cc = await findCc();
  if (!cc) return "no C compiler (cc, gcc or clang) found to build bench/loadgen.c";
  const problem = await preflight();
  if (problem) return problem;
  const builds = await buildAll(cc, ROOT, opts.cSrc);
  const machine = await describeMachine();
  const found = await serverSpecs(ROOT, builds, machine.node);
  const { servers, scenarios } = applyOnly(opts.only, found.servers);
  const cfg: RunConfig = {
    root: ROOT,
    loadgen: builds.loadgen,
    warmup: opts.warmup,
    duration: opts.duration,
  };
  return { cfg, machine, servers, scenarios, skipped: found.skipped };
}

async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  setColorEnabled(Deno.stdout.isTerminal());
  const s = await setup(opts);
  if (typeof s === "string") {
    console.log(`echo benchmark skipped: ${s}`);
    return 0;
  }
  for (const k of s.skipped) console.error(`note: skipping ${k.name}: ${k.reason}`);
  const { servers, scenarios } = s;
  const plan = { servers, scenarios, runs: opts.runs, retries: opts.retries, budgetMs: RETRY_BUDGET_MS };
  const records = await runAll(s.cfg, plan);
  const out = report(opts, s.machine, servers, scenarios, s.skipped, records);
  console.log(out.text);
  await writeOutputs(out.json, out.svg);
  console.log(`\nwrote ${RESULTS}/echo.json and ${RESULTS}/echo.svg`);
  return records.some((r) => r.failure) ? 1 : 0;
}

/** Ctrl-C / SIGTERM: stop every child by PID before leaving. */
function onSignal(): void {
  console.error("\ninterrupted: stopping child processes");
  stopAll(1000).finally(() => Deno.exit(130));
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    console.error(`echo benchmark failed: ${e instanceof Error ? e.message : e}`);
  } finally {
    await stopAll();
  }
  Deno.exit(code);
}
