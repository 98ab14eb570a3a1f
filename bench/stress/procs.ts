/**
 * The processes the stress harness starts: servers and clients, each with
 * every stdout line handed to a callback (the client's protocol is line by
 * line), stdin kept open for commands, and a registry so that every one of
 * them is stopped by its PID on success, on error and on Ctrl-C.
 *
 * @module
 */

/** How to start one process. */
export interface ProcOptions {
  /** Called with every stdout line, in order. */
  onLine?: (line: string) => void;
  /** Keep a pipe to stdin (the client reads commands there; EOF stops it). */
  stdin?: boolean;
  env?: Record<string, string>;
  cwd?: string;
}

const live = new Set<Proc>();

/** One child process, stopped only by its own PID. */
export class Proc {
  /** What to call it in messages. */
  readonly name: string;
  /** The spawn time, ms (performance.now()). */
  readonly startedAt: number = performance.now();
  /** Resolves when it has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Its last lines of stderr (for error messages). */
  readonly stderrTail: string[] = [];
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #exited = false;
  #pumps: Promise<void>[];

  /** Spawns `argv` and starts reading its stdout and stderr. */
  constructor(name: string, argv: string[], options: ProcOptions = {}) {
    this.name = name;
    this.#child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: options.cwd,
      env: options.env,
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.stdin) this.#stdin = this.#child.stdin.getWriter();
    live.add(this);
    this.#pumps = [
      readLines(this.#child.stdout, options.onLine ?? (() => {})),
      readLines(this.#child.stderr, (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
      }),
    ];
    this.status = this.#child.status.then((s) => {
      this.#exited = true;
      live.delete(this);
      return s;
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** True once it has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Sends one command line; a child that is gone is not an error here (its exit is). */
  async send(line: string): Promise<void> {
    try {
      await this.#stdin?.write(new TextEncoder().encode(line + "\n"));
    } catch {
      // It exited: the caller sees that through `status`.
    }
  }

  /** Closes its stdin (the client takes EOF as "close"). */
  async closeStdin(): Promise<void> {
    try {
      await this.#stdin?.close();
    } catch {
      // Already gone.
    }
    this.#stdin = null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how long it took to exit, ms. */
  async stop(graceMs = 5_000): Promise<number> {
    const t0 = performance.now();
    if (!this.#exited) {
      this.#signal("SIGTERM");
      if (!(await exitsWithin(this, graceMs))) {
        this.#signal("SIGKILL");
        await this.status;
      }
    }
    await this.closeStdin();
    await Promise.all(this.#pumps);
    return performance.now() - t0;
  }

  #signal(signal: Deno.Signal): void {
    try {
      Deno.kill(this.pid, signal); // this PID only: never a group, never a name
    } catch {
      // It exited between the check and the kill.
    }
  }
}

/** Resolves true if `proc` exits within `ms`. */
export async function exitsWithin(proc: Proc, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const done = await Promise.race([proc.status.then(() => true), late]);
  clearTimeout(timer);
  return done;
}

/** Stops every process still running, all at once. */
export async function stopAllProcs(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(graceMs)));
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let pending = "";
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      pending += text;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }
  } catch {
    // Killed mid-line: what came is all there is.
  }
  if (pending !== "") onLine(pending);
}
