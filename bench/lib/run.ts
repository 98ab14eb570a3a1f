/**
 * One run: start a server pinned to CPU 0, drive it from CPU 1 with the load generator, sample
 * /proc exactly over the load generator's measured window, and stop everything again.
 */
import { type Child, exitsWithin, spawn, stop } from "./child.ts";
import { busySeconds, treeCpuSeconds, treeRssKiB } from "./proc.ts";
import type { LoadgenReport, Sample, Scenario, ServerSpec } from "./types.ts";

export interface RunConfig {
  root: string;
  loadgen: string;
  warmup: number;
  duration: number;
}

interface Server {
  child: Child;
  host: string;
  port: number;
}

const SERVER_CPU = 0;
const LOADGEN_CPU = 1;
/** Generous: the first `deno run` of a file may have to compile it. */
const LISTEN_TIMEOUT_MS = 30_000;
/** loadgen gives up connecting after 30 s on its own. */
const SETUP_SLACK_MS = 40_000;

// Raise the soft fd limit to the hard one for the server (idle-10k needs > 10,000 fds), then exec:
// the shell is replaced, so the PID we hold is the server's own.
const RAISE_NOFILE = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Where to connect, from a `listening on HOST:PORT` line; wildcard addresses mean loopback. */
export function parseListening(line: string): { host: string; port: number } | null {
  const m = line.match(/listening on (\S+):(\d+)/);
  if (!m) return null;
  let host = m[1].replace(/^\[(.*)\]$/, "$1");
  if (host === "0.0.0.0" || host === "localhost") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return { host, port: Number(m[2]) };
}

async function startServer(spec: ServerSpec, root: string): Promise<Server> {
  const argv = ["sh", "-c", RAISE_NOFILE, "sh", "taskset", "-c", String(SERVER_CPU), ...spec.argv];
  const child = spawn(spec.name, argv, { cwd: root, env: spec.env });
  const line = await child.stdout.waitFor((l) => parseListening(l) !== null, LISTEN_TIMEOUT_MS);
  const addr = line ? parseListening(line) : null;
  if (!addr) {
    await stop(child);
    throw new Error(`${spec.name} did not print "listening on HOST:PORT"${child.describeOutput()}`);
  }
  return { child, ...addr };
}

function loadgenArgv(cfg: RunConfig, srv: Server, sc: Scenario, extra: string[]): string[] {
  const shape = ["--conns", String(sc.conns), "--size", String(sc.size), "--depth", String(sc.depth)];
  const where = ["--host", srv.host, "--port", String(srv.port)];
  return ["taskset", "-c", String(LOADGEN_CPU), cfg.loadgen, ...where, ...shape, ...extra];
}

/** Waits for a load generator to finish and parses its final JSON line. */
async function finish<T>(lg: Child, timeoutMs: number): Promise<T> {
  if (!(await exitsWithin(lg, timeoutMs))) {
    await stop(lg);
    throw new Error(`load generator timed out${lg.describeOutput()}`);
  }
  await lg.stdout.done;
  const json = lg.stdout.tail.findLast((l) => l.startsWith("{"));
  if (!json) throw new Error(`load generator printed no result${lg.describeOutput()}`);
  const report = JSON.parse(json) as T & { connected: number };
  if (report.connected === 0) throw new Error(`load generator could not connect${lg.describeOutput()}`);
  return report;
}

/** /proc readings taken when the load generator announces the start and the end of its window. */
interface Window {
  server: number[];
  busy: number[];
}

function windowSampler(pid: number, win: Window): (line: string) => void {
  return (line) => {
    if (line !== "start" && line !== "stop") return;
    win.server.push(treeCpuSeconds(pid));
    win.busy.push(busySeconds([SERVER_CPU, LOADGEN_CPU]));
  };
}

function loadSample(r: LoadgenReport, win: Window): Sample {
  const ok = win.server.length === 2 && r.wall_s > 0;
  const server = ok ? win.server[1] - win.server[0] : 0;
  const loadgen = r.cpu_user_s + r.cpu_sys_s;
  const other = ok ? Math.max(0, (win.busy[1] - win.busy[0] - server - loadgen) / (2 * r.wall_s)) : null;
  return {
    msgsPerSec: r.msgs_per_sec,
    mbPerSec: r.mb_per_sec,
    p50Us: r.p50_us,
    p99Us: r.p99_us,
    p999Us: r.p999_us,
    serverCpuUsPerMsg: ok && r.messages > 0 ? server * 1e6 / r.messages : null,
    loadgenCpu: r.wall_s > 0 ? loadgen / r.wall_s : null,
    otherCpu: other,
    bytesPerConn: null,
    errors: r.errors,
    connected: r.connected,
  };
}

async function driveLoad(cfg: RunConfig, srv: Server, sc: Scenario): Promise<Sample> {
  const win: Window = { server: [], busy: [] };
  const timing = ["--duration", String(cfg.duration), "--warmup", String(cfg.warmup)];
  const lg = spawn("loadgen", loadgenArgv(cfg, srv, sc, timing), {
    cwd: cfg.root,
    onStderrLine: windowSampler(srv.child.pid, win),
  });
  try {
    const report = await finish<LoadgenReport>(lg, (cfg.warmup + cfg.duration) * 1000 + SETUP_SLACK_MS);
    if (srv.child.exited) {
      throw new Error(`${srv.child.name} exited during the run${srv.child.describeOutput()}`);
    }
    return loadSample(report, win);
  } finally {
    await stop(lg);
  }
}

/** Polls RSS until two readings 100 ms apart agree within 0.5% (at most ~3 s). */
async function settledRss(pid: number): Promise<number> {
  let last = treeRssKiB(pid);
  for (let i = 0; i < 30; i++) {
    await delay(100);
    const now = treeRssKiB(pid);
    if (Math.abs(now - last) <= last * 0.005) return now;
    last = now;
  }
  return last;
}

async function driveIdle(cfg: RunConfig, srv: Server, sc: Scenario): Promise<Sample> {
  // Exercise the echo path once so one-time costs (JIT, lazy init) land in the baseline, not per conn.
  const warm = { ...sc, conns: 16, idle: false };
  await finish(spawn("loadgen", loadgenArgv(cfg, srv, warm, ["--duration", "0.2", "--warmup", "0"])), 30_000);
  const before = await settledRss(srv.child.pid);
  const lg = spawn("loadgen", loadgenArgv(cfg, srv, sc, ["--idle"]), { cwd: cfg.root, stdin: true });
  try {
    const ready = await lg.stdout.waitFor((l) => l.startsWith("ready"), SETUP_SLACK_MS);
    if (!ready) throw new Error(`idle load generator never got ready${lg.describeOutput()}`);
    const after = await settledRss(srv.child.pid);
    await lg.closeStdin();
    const report = await finish<{ connected: number; errors: number }>(lg, 10_000);
    const perConn = report.connected > 0 ? (after - before) * 1024 / report.connected : null;
    return { ...emptySample(), bytesPerConn: perConn, errors: report.errors, connected: report.connected };
  } finally {
    await stop(lg);
  }
}

function emptySample(): Sample {
  return {
    msgsPerSec: null,
    mbPerSec: null,
    p50Us: null,
    p99Us: null,
    p999Us: null,
    serverCpuUsPerMsg: null,
    loadgenCpu: null,
    otherCpu: null,
    bytesPerConn: null,
    errors: 0,
    connected: 0,
  };
}

/** Runs one server through one scenario; throws with a readable reason on failure. */
export async function runOnce(cfg: RunConfig, spec: ServerSpec, sc: Scenario): Promise<Sample> {
  const srv = await startServer(spec, cfg.root);
  try {
    return await (sc.idle ? driveIdle(cfg, srv, sc) : driveLoad(cfg, srv, sc));
  } finally {
    await stop(srv.child);
  }
}
