/**
 * The stress clients as one fleet: starts the client processes
 * (bench/stress/client.c), parses their stat and event lines, and adds their
 * counters and latency histograms up.
 *
 * @module
 */

import { type Child, delay, flags, spawn } from "../lib/proc.ts";
import { Histogram } from "./hist.ts";

/** The cumulative counters of a stat line (see bench/stress/client.c). */
export interface Counters {
  up: number;
  est: number;
  failed: number;
  dropped: number;
  sent: number;
  ok: number;
  late: number;
  lost: number;
  bad: number;
  eof: number;
  rst: number;
  inflight: number;
  /** Age of the oldest heartbeat still out, ms (the fleet's is the largest). */
  oldest: number;
}

const COUNTER_NAMES: (keyof Counters)[] = [
  "up",
  "est",
  "failed",
  "dropped",
  "sent",
  "ok",
  "late",
  "lost",
  "bad",
  "eof",
  "rst",
  "inflight",
  "oldest",
];

/** All zero. */
export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((k) => [k, 0])) as unknown as Counters;
}

/** What one client process reported at exit (its `done` line). */
export interface ClientDone extends Counters {
  id: number;
  conns: number;
  deadline: boolean;
  cpuUser: number;
  cpuSys: number;
  ms: number;
}

/** How to start the fleet. */
export interface FleetOptions {
  client: string;
  host: string;
  /** The port each client process connects to (one per client). */
  ports: number[];
  /** Connections per client process (one per client). */
  conns: number[];
  parallel: number;
  window: number;
  size: number;
  /** Seconds after which every client closes and exits by itself. */
  deadline: number;
  setupTimeout: number;
}

/** Connections per source address at most: connect() finds a free port fast while most are free. */
export const PER_SOURCE = 5_000;

/** Source address number `i`: 127.1.x.y. */
export function sourceAddress(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** The source addresses of every client: their own, at most PER_SOURCE connections each. */
export function sourceAddresses(conns: number[]): string[][] {
  let next = 0;
  return conns.map((n) =>
    Array.from({ length: Math.max(1, Math.ceil(n / PER_SOURCE)) }, () => sourceAddress(next++))
  );
}

/** One client process and what it last said. */
class Client {
  readonly proc: Child;
  counters: Counters = zeroCounters();
  readonly events = new Map<string, number[]>();
  done: ClientDone | null = null;

  constructor(id: number, argv: string[], onStat: (h: Histogram) => void) {
    this.proc = spawn(`client ${id}`, argv, {
      stdin: true,
      onStdoutLine: (line) => this.#line(line, onStat),
    });
  }

  #line(line: string, onStat: (h: Histogram) => void): void {
    if (line.startsWith("stat ")) {
      const f = new Map(line.slice(5).split(" ").map((kv) => kv.split("=", 2) as [string, string]));
      for (const k of COUNTER_NAMES) this.counters[k] = Number(f.get(k) ?? 0);
      const h = new Histogram();
      h.addLine(f.get("h") ?? "", Number(f.get("n")), Number(f.get("sum")), Number(f.get("max")));
      if (h.n > 0) onStat(h);
    } else if (line.startsWith("done ")) {
      this.done = JSON.parse(line.slice(5));
    } else {
      const [name, ms] = line.split(" ");
      this.events.set(name, [...(this.events.get(name) ?? []), Number(ms)]);
    }
  }
}

/** Every client process; `onLatency` receives each stat line's histogram as it comes. */
export class Fleet {
  readonly clients: Client[];

  /** Starts one client process per entry of `opts.ports`. */
  constructor(opts: FleetOptions, onLatency: (h: Histogram) => void) {
    const sources = sourceAddresses(opts.conns);
    this.clients = opts.ports.map((port, i) =>
      new Client(i, [
        opts.client,
        ...flags({ host: opts.host, port, conns: opts.conns[i], src: sources[i].join(","), id: i }),
        ...flags({ parallel: opts.parallel, size: opts.size, window: opts.window, deadline: opts.deadline }),
        ...flags({ "setup-timeout": opts.setupTimeout }),
      ], onLatency)
    );
  }

  /** The PIDs, for /proc sampling. */
  get pids(): number[] {
    return this.clients.map((c) => c.proc.pid);
  }

  /** The counters summed over every client. */
  totals(): Counters {
    const sum = zeroCounters();
    for (const c of this.clients) for (const k of COUNTER_NAMES) sum[k] += c.counters[k];
    sum.oldest = Math.max(0, ...this.clients.map((c) => c.counters.oldest));
    return sum;
  }

  /** Sends a command line to every client. */
  async send(line: string): Promise<void> {
    await Promise.all(this.clients.map((c) => c.proc.send(line)));
  }

  /** How many clients have said `event` at least `times` times, or exited. */
  #reported(event: string, times: number): number {
    return this.clients.filter((c) => (c.events.get(event)?.length ?? 0) >= times || c.proc.exited).length;
  }

  /**
   * Waits until every client has said `event` (the `times`-th time) or
   * exited, polling every 50 ms, at most `timeoutMs`; resolves with whether
   * all did, and calls `tick` on the way (the live status line).
   */
  async waitAll(event: string, times: number, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (this.#reported(event, times) < this.clients.length) {
      if (performance.now() > end) return false;
      await delay(50);
    }
    return this.clients.every((c) => (c.events.get(event)?.length ?? 0) >= times);
  }

  /** The largest `times`-th value of `event` (ms, as the clients measured it), or null. */
  slowest(event: string, times: number): number | null {
    const values = this.clients.map((c) => c.events.get(event)?.[times - 1]).filter((v) => v !== undefined);
    return values.length ? Math.max(...values as number[]) : null;
  }

  /** Tells every client to close (RST) and exit, and waits (bounded) for their `done` lines. */
  async close(timeoutMs: number): Promise<ClientDone[]> {
    await this.send("close");
    await Promise.all(this.clients.map((c) => c.proc.closeStdin()));
    const end = performance.now() + timeoutMs;
    while (this.clients.some((c) => !c.proc.exited) && performance.now() < end) {
      await delay(50);
    }
    await Promise.all(this.clients.map((c) => c.proc.stop(2_000)));
    return this.clients.map((c) => c.done).filter((d): d is ClientDone => d !== null);
  }

  /** Each client's last counters and its events (ms), for the JSON: who did what, when. */
  perClient(): { id: number; counters: Counters; events: Record<string, number[]>; done: boolean }[] {
    return this.clients.map((c, id) => ({
      id,
      counters: { ...c.counters },
      events: Object.fromEntries(c.events),
      done: c.done !== null,
    }));
  }

  /** Recent stderr of clients that wrote any, for error messages. */
  errors(): string[] {
    return this.clients.flatMap((c) => c.proc.stderr.tail.map((l) => `${c.proc.name}: ${l}`)).slice(-10);
  }
}
