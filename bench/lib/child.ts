/**
 * Every process the harness starts goes through here, so that each one can be stopped by its PID
 * (SIGTERM, then SIGKILL after a grace period) — on success, on error and on Ctrl-C alike.
 */
import { LineSink } from "./lines.ts";
import { type ProcStat, readStat, treeStats } from "./proc.ts";

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Keep a pipe to the child's stdin (closing it is how an idle load generator is told to stop). */
  stdin?: boolean;
  onStderrLine?: (line: string) => void;
}

export class Child {
  readonly name: string;
  readonly process: Deno.ChildProcess;
  readonly stdout: LineSink;
  readonly stderr: LineSink;
  readonly status: Promise<Deno.CommandStatus>;
  exited = false;

  constructor(name: string, argv: string[], opts: SpawnOptions) {
    this.name = name;
    this.process = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new LineSink(this.process.stdout);
    this.stderr = new LineSink(this.process.stderr, opts.onStderrLine);
    this.status = this.process.status.then((s) => {
      this.exited = true;
      live.delete(this);
      return s;
    });
  }

  get pid(): number {
    return this.process.pid;
  }

  async closeStdin(): Promise<void> {
    try {
      await this.process.stdin.close();
    } catch {
      // Already closed, or the child is gone.
    }
  }

  /** Recent output of both streams, for error messages. */
  describeOutput(): string {
    const lines = [...this.stdout.tail, ...this.stderr.tail].slice(-8);
    return lines.length ? `\n    ${lines.join("\n    ")}` : "";
  }
}

const live = new Set<Child>();

/** Starts a child process and registers it for cleanup. */
export function spawn(name: string, argv: string[], opts: SpawnOptions = {}): Child {
  const child = new Child(name, argv, opts);
  live.add(child);
  return child;
}

/** Resolves true if the child exited within `ms`. */
export async function exitsWithin(child: Child, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const exited = await Promise.race([child.status.then(() => true), timeout]);
  clearTimeout(timer);
  return exited;
}

function signal(child: Child, sig: Deno.Signal): void {
  try {
    child.process.kill(sig);
  } catch {
    // It exited between the check and the kill.
  }
}

/** SIGKILLs descendants left behind by a stopped child, if their PID still names the same process. */
function reapOrphans(orphans: ProcStat[]): void {
  for (const p of orphans) {
    if (readStat(p.pid)?.start !== p.start) continue;
    try {
      Deno.kill(p.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`; also its leftover descendants. */
export async function stop(child: Child, graceMs = 2000): Promise<void> {
  if (child.exited) return;
  const descendants = treeStats(child.pid).filter((p) => p.pid !== child.pid);
  signal(child, "SIGTERM");
  if (!(await exitsWithin(child, graceMs))) {
    signal(child, "SIGKILL");
    await exitsWithin(child, graceMs);
  }
  reapOrphans(descendants);
}

/** Stops every child still running (used by finally blocks and the Ctrl-C handler). */
export async function stopAll(graceMs = 2000): Promise<void> {
  await Promise.all([...live].map((c) => stop(c, graceMs)));
}

/** Runs a short command to completion (still registered, so Ctrl-C stops it too). */
export async function runToEnd(
  argv: string[],
  opts: SpawnOptions = {},
  timeoutMs = 300_000,
): Promise<{ ok: boolean; output: string }> {
  let child: Child;
  try {
    child = spawn(argv[0], argv, opts);
  } catch (e) {
    return { ok: false, output: e instanceof Error ? e.message : String(e) };
  }
  if (!(await exitsWithin(child, timeoutMs))) await stop(child);
  const status = await child.status;
  await Promise.all([child.stdout.done, child.stderr.done]);
  return { ok: status.success, output: [...child.stdout.tail, ...child.stderr.tail].join("\n") };
}
