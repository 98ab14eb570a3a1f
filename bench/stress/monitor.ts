/**
 * The live view of a stress run: one coloured status line per second
 * (connections up, established/s, heartbeats/s, echo latency p50/p99,
 * errors, server RSS and CPU, kernel socket memory and slab, open files),
 * plus the latency histograms per phase that the report uses.
 *
 * @module
 */

import { bold, cyan, dim, green, red, yellow } from "@std/fmt/colors";
import type { Fleet } from "./fleet.ts";
import { Histogram } from "./hist.ts";
import { num as ms } from "../lib/report.ts";
import { int } from "./report.ts";
import { cpuBetween, type KernelSample, type ProcsSample, sampleKernel, sampleProcs } from "./system.ts";

const MB = 1024 * 1024;
/** The article's heartbeat latency at a million connections, ms: p99 above it shows yellow. */
export const ARTICLE_P99_MS = 23;

/** Samples once a second and prints the status line; keeps a histogram per phase. */
export class Monitor {
  /** The phase the latencies that arrive now belong to. */
  phase = "start";
  /** Latency per phase (all clients merged). */
  readonly latency: Map<string, Histogram> = new Map();
  /** The peak established/s seen. */
  peakEstablishRate = 0;
  /** The server RSS seen at most, KiB. */
  peakServerRssKiB = 0;
  #window = new Histogram();
  #timer: ReturnType<typeof setInterval> | undefined;
  #t0 = performance.now();
  #prev: { t: number; est: number; ok: number; server: ProcsSample; clients: ProcsSample } | null = null;

  /**
   * Watches `serverPids` (may be empty: an external target) against the
   * kernel `base` sample taken before anything started.
   */
  constructor(readonly serverPids: number[], readonly base: KernelSample, readonly print = true) {}

  /** The fleet whose counters the line shows (set once the clients start). */
  fleet: Fleet | null = null;

  /** Takes one stat line's latencies (wired to the fleet). */
  readonly onLatency = (h: Histogram): void => {
    this.#window.merge(h);
    let phase = this.latency.get(this.phase);
    if (phase === undefined) this.latency.set(this.phase, phase = new Histogram());
    phase.merge(h);
  };

  /** Starts the once-a-second line. */
  start(): void {
    this.#timer = setInterval(() => this.#tick(), 1000);
  }

  /** Stops it. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const t = performance.now();
    const totals = this.fleet?.totals();
    const server = sampleProcs(this.serverPids);
    const clients = sampleProcs(this.fleet?.pids ?? []);
    const prev = this.#prev;
    const dt = prev ? (t - prev.t) / 1000 : 1;
    const estRate = prev && totals ? Math.max(0, totals.est - prev.est) / dt : 0; // 0 as a new round starts
    const hbRate = prev && totals ? Math.max(0, totals.ok - prev.ok) / dt : 0;
    const cpu = (now: ProcsSample, then: ProcsSample | undefined): number => {
      const used = then ? cpuBetween(then, now) : { userS: 0, sysS: 0 };
      return ((used.userS + used.sysS) / dt) * 100;
    };
    const srvCpu = cpu(server, prev?.server);
    const cliCpu = cpu(clients, prev?.clients);
    this.peakEstablishRate = Math.max(this.peakEstablishRate, estRate);
    this.peakServerRssKiB = Math.max(this.peakServerRssKiB, server.rssKiB);
    this.#prev = { t, est: totals?.est ?? 0, ok: totals?.ok ?? 0, server, clients };
    if (this.print) console.log(this.#line(t, totals, estRate, hbRate, server, srvCpu, cliCpu));
    this.#window = new Histogram();
  }

  #line(
    t: number,
    totals: ReturnType<Fleet["totals"]> | undefined,
    estRate: number,
    hbRate: number,
    server: ProcsSample,
    srvCpu: number,
    cliCpu: number,
  ): string {
    const k = sampleKernel();
    const errors = totals ? totals.failed + totals.dropped + totals.bad : 0;
    const lost = totals?.lost ?? 0;
    const p99 = this.#window.quantileMs(0.99);
    const p99Text = `p99 ${ms(p99)}`;
    const parts = [
      dim(`${((t - this.#t0) / 1000).toFixed(0).padStart(4)}s`),
      cyan(bold(this.phase.padEnd(9))),
      `up ${bold(int(totals?.up ?? 0))} ${dim(`+${int(estRate)}/s`)}`,
      `hb ${int(hbRate)}/s p50 ${ms(this.#window.quantileMs(0.5))} ${
        p99 !== null && p99 > ARTICLE_P99_MS ? yellow(p99Text) : p99Text
      } ms`,
      `err ${errors ? red(int(errors)) : green("0")} lost ${lost ? red(int(lost)) : green("0")}${
        totals?.late ? yellow(` late ${int(totals.late)}`) : ""
      }${totals?.inflight ? ` out ${int(totals.inflight)}, oldest ${ms(totals.oldest / 1000)} s` : ""}`,
      `srv ${int(server.rssKiB / 1024)} MB ${int(srvCpu)}% (${server.each.size} procs)`,
      `cli ${int(cliCpu)}%`,
      `tcp mem ${int(k.tcpMemBytes / MB)} MB slab ${int(k.slabBytes / MB)} MB (+${
        int((k.slabBytes - this.base.slabBytes) / MB)
      })`,
      `files ${int(k.files)}`,
    ];
    return parts.join(dim(" │ "));
  }
}
