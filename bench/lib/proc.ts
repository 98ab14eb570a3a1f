/**
 * Child processes and /proc for the benchmarks. Every child goes through
 * `spawn`, so each one is stopped by its own PID (SIGTERM, then SIGKILL) on
 * success, error and Ctrl-C alike (and never by name); its output is read line by line, so a
 * pipe never fills up and blocks it. CPU times and RSS are summed over a
 * process tree (a server may be a wrapper plus workers).
 *
 * @module
 */

/** How `spawn` starts a child. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Keep a pipe to the child's stdin (a client reads commands there; EOF stops it). */
  stdin?: boolean;
  /** Called with each line as it arrives. */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

const KEEP_LINES = 50;

/** One output stream of a child: the last lines, and a way to wait for one. */
export class Lines {
  /** The last lines seen, for results and error messages. */
  readonly tail: string[] = [];
  /** Resolves at EOF. */
  readonly done: Promise<void>;
  /** Each is called with every line, and with null at EOF. */
  #waiters = new Set<(line: string | null) => void>();
  #closed = false;

  /** Starts reading `stream`. */
  constructor(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) {
    this.done = this.#pump(stream, onLine);
  }

  /** The first line (seen or to come) that matches, or null at EOF or after `timeoutMs`. */
  waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<string | null> {
    const seen = this.tail.find(match);
    if (seen !== undefined || this.#closed) return Promise.resolve(seen ?? null);
    return new Promise((resolve) => {
      const waiter = (line: string | null): void => {
        if (line !== null && !match(line)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(line);
      };
      const timer = setTimeout(waiter, timeoutMs, null);
      this.#waiters.add(waiter);
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void): Promise<void> {
    let pending = "";
    const push = (line: string): void => {
      onLine?.(line);
      this.tail.push(line);
      if (this.tail.length > KEEP_LINES) this.tail.shift();
      this.#waiters.forEach((w) => w(line));
    };
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop()!;
        lines.forEach(push);
      }
    } catch { /* killed mid-write: what was read is all there is */ }
    if (pending) push(pending);
    this.#closed = true;
    this.#waiters.forEach((w) => w(null));
  }
}

const live = new Set<Child>();

/** A started process; see `spawn`. */
export class Child {
  readonly name: string;
  readonly pid: number;
  readonly stdout: Lines;
  readonly stderr: Lines;
  /** Resolves when it exits. */
  readonly status: Promise<Deno.CommandStatus>;
  exited = false;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null;

  /** Starts `argv` (use `spawn`, which also tracks it). */
  constructor(name: string, argv: string[], opts: SpawnOptions) {
    this.name = name;
    const spawned = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = spawned.pid;
    this.#stdin = opts.stdin ? spawned.stdin.getWriter() : null;
    this.stdout = new Lines(spawned.stdout, opts.onStdoutLine);
    this.stderr = new Lines(spawned.stderr, opts.onStderrLine);
    this.status = spawned.status.then((s) => {
      this.exited = true;
      live.delete(this);
      return s;
    });
  }

  /** Sends one command line; a child that is gone is not an error here (its exit is). */
  async send(line: string): Promise<void> {
    try {
      await this.#stdin?.write(new TextEncoder().encode(line + "\n"));
    } catch { /* it exited: the caller sees that through `status` */ }
  }

  /** Closes its stdin (a client takes EOF as "close"). */
  async closeStdin(): Promise<void> {
    try {
      await this.#stdin?.close();
    } catch { /* closed already, or it is gone */ }
    this.#stdin = null;
  }

  /** True if it exits within `ms`. */
  async exitsWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
    const exited = await Promise.race([this.status.then(() => true), late]);
    clearTimeout(timer);
    return exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves, with how long it took (ms), once its output is read. */
  async stop(graceMs = 2000): Promise<number> {
    const t0 = performance.now();
    if (!this.exited) this.#kill("SIGTERM");
    if (!(await this.exitsWithin(graceMs))) this.#kill("SIGKILL");
    await this.status;
    await this.closeStdin();
    await Promise.all([this.stdout.done, this.stderr.done]);
    return performance.now() - t0;
  }

  /** Its last lines of output, for an error message. */
  describe(): string {
    const lines = [...this.stdout.tail, ...this.stderr.tail].slice(-8);
    return lines.length ? `\n    ${lines.join("\n    ")}` : "";
  }

  #kill(signal: Deno.Signal): void {
    try {
      Deno.kill(this.pid, signal); // this PID only: never a group, never a name
    } catch { /* exited meanwhile */ }
  }
}

/** `{ port: 80, host: "::1" }` → `["--port", "80", "--host", "::1"]`. */
export function flags(values: Record<string, string | number>): string[] {
  return Object.entries(values).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

/** Starts a child and tracks it, so that `stopAll` (and Ctrl-C) stops it by PID. */
export function spawn(name: string, argv: string[], opts: SpawnOptions = {}): Child {
  const child = new Child(name, argv, opts);
  live.add(child);
  return child;
}

/** Stops every child still running. */
export async function stopAll(graceMs = 2000): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** Ctrl-C and SIGTERM stop every child by PID, then `cleanup`, then exit 130; returns what stops listening. */
export function stopChildrenOnSignal(cleanup: () => void = () => {}): () => void {
  const onSignal = (): void => {
    console.error("\ninterrupted: stopping child processes");
    stopAll(1000).finally(cleanup).finally(() => Deno.exit(130));
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return () => signals.forEach((s) => Deno.removeSignalListener(s, onSignal));
}

/** Resolves after `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a short command to its end (stopped after `timeoutMs`): whether it succeeded, its stdout, the last lines of both. */
export async function runToEnd(
  argv: string[],
  opts: SpawnOptions = {},
  timeoutMs = 300_000,
): Promise<{ ok: boolean; stdout: string; output: string }> {
  let child: Child;
  const stdout: string[] = [];
  try {
    child = spawn(argv[0], argv, { ...opts, onStdoutLine: (l) => stdout.push(l) });
  } catch (e) {
    return { ok: false, stdout: "", output: e instanceof Error ? e.message : String(e) };
  }
  await child.exitsWithin(timeoutMs);
  await child.stop(); // if it still runs; either way, its output is all read after this
  const output = [...child.stdout.tail, ...child.stderr.tail].join("\n");
  return { ok: (await child.status).success, stdout: stdout.join("\n"), output };
}

// ---------------------------------------------------------------- /proc

/** USER_HZ, the unit of /proc/PID/stat times (100 on Linux). */
const CLK_TCK = 100;
const PAGE_KIB = 4;

/** One process from /proc/PID/stat: CPU seconds so far (its threads folded in) and RSS. */
export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  user: number;
  sys: number;
  rssKiB: number;
}

/** /proc/`pid`/stat, or null when it is gone. */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // The name (field 2) may hold spaces and parentheses: split after the last ')'. f[n - 3] is field n.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
  const [user, sys] = [Number(f[11]) / CLK_TCK, Number(f[12]) / CLK_TCK];
  return { pid, ppid: Number(f[1]), comm, user, sys, rssKiB: Number(f[21]) * PAGE_KIB };
}

/** Every process on the machine. */
export function allStats(): ProcStat[] {
  const pids = [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).map((e) => Number(e.name));
  return pids.map(readStat).filter((p) => p !== null);
}

/** CPU seconds (utime and stime, threads included) and RSS of `root` and its live descendants, summed. */
export type TreeStat = Pick<ProcStat, "user" | "sys" | "rssKiB">;

/** `root` and its live descendants, summed (tick-sampled CPU times). */
export function treeStat(root: number): TreeStat {
  const all = allStats();
  const tree = all.filter((p) => p.pid === root);
  for (let i = 0; i < tree.length && i < 10_000; i++) tree.push(...all.filter((p) => p.ppid === tree[i].pid));
  const sum = (key: keyof TreeStat): number => tree.reduce((s, p) => s + p[key], 0);
  return { user: sum("user"), sys: sum("sys"), rssKiB: sum("rssKiB") };
}

/** Non-idle seconds so far of the given CPUs, from /proc/stat (tick-sampled: a few % over a second). */
export function busySeconds(cpus: number[]): number {
  let ticks = 0;
  for (const line of Deno.readTextFileSync("/proc/stat").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m || !cpus.includes(Number(m[1]))) continue;
    const [user, nice, system, , , irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
    ticks += user + nice + system + irq + softirq + steal;
  }
  return ticks / CLK_TCK;
}
