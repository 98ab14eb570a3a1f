/**
 * Hand-written SVG bar chart (no dependencies): one group of bars per scenario, one bar per
 * server, values relative to the C server (= 1.0). Separate panels, because "higher is better"
 * (throughput) and "lower is better" (CPU, memory) should not share an axis.
 */
import { num, ratio } from "./format.ts";
import type { Metric, Scenario, Summary } from "./types.ts";

interface Group {
  label: string;
  sublabel: string;
  /** server → value relative to c (null: no data). */
  values: Map<string, number | null>;
}

interface Panel {
  title: string;
  groups: Group[];
  /** Relative panels are scaled around c = 1.0 and capped; absolute ones start at 0 with nice ticks. */
  relative: boolean;
}

const WIDTH = 980;
const LEFT = 64;
const RIGHT = 48; // room for the "c = 1" label
const PLOT_H = 220;
const PANEL_H = 24 + PLOT_H + 48;
const TOP = 112;
const CAP = 3;
const COLORS: Record<string, string> = {
  "c": "#4d4d4d",
  "epoll-et": "#1f77b4",
  "epoll-lt": "#74b3e0",
  "deno-listen": "#2ca02c",
  "node-net": "#ff7f0e",
  "go-net": "#9467bd",
};
const FALLBACK = ["#8c564b", "#e377c2", "#17becf", "#bcbd22"];

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function color(server: string, i: number): string {
  return COLORS[server] ?? FALLBACK[i % FALLBACK.length];
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

interface Scale {
  max: number;
  step: number;
}

/** 1, 2 or 5 times a power of ten: the smallest such step giving at most 5 ticks. */
function niceStep(max: number): number {
  const pow = 10 ** Math.floor(Math.log10(max / 5));
  return [1, 2, 5, 10].map((k) => k * pow).find((s) => max / s <= 5) ?? 10 * pow;
}

/** Relative: at least 1.2 so the c = 1.0 line never sits on the top edge, capped at CAP. */
function scaleOf(panel: Panel): Scale {
  const values = panel.groups.flatMap((g) => [...g.values.values()]).filter((v): v is number => v !== null);
  if (panel.relative) return { max: Math.min(CAP, Math.ceil(Math.max(1.2, ...values) * 2) / 2), step: 0.5 };
  const step = niceStep(Math.max(1, ...values));
  return { max: Math.ceil(Math.max(1, ...values) / step) * step, step };
}

function axis(y0: number, scale: Scale, relative: boolean): string[] {
  const out: string[] = [];
  const y = (v: number): number => y0 + PLOT_H - (v / scale.max) * PLOT_H;
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    const label = relative ? v.toFixed(1) : String(+v.toFixed(3));
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e6e6e6"/>`);
    out.push(text(LEFT - 8, y(v) + 4, label, 'text-anchor="end" class="tick"'));
  }
  if (!relative) return out;
  const y1 = y(1);
  out.push(
    `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y1}" y2="${y1}" stroke="#333" stroke-dasharray="5 4"/>`,
  );
  out.push(text(WIDTH - RIGHT + 6, y1 + 4, "c = 1", 'class="tick"'));
  return out;
}

interface Slot {
  x0: number;
  width: number;
  y0: number;
  max: number;
  relative: boolean;
}

function bars(group: Group, servers: string[], slot: Slot): string[] {
  const { x0, width, y0, max } = slot;
  const barW = Math.min(30, (width - 24) / servers.length);
  const start = x0 + (width - barW * servers.length) / 2;
  return servers.flatMap((server, i) => {
    const v = group.values.get(server) ?? null;
    const x = start + i * barW;
    if (v === null) return [text(x + barW / 2, y0 + PLOT_H - 4, "n/a", 'text-anchor="middle" class="na"')];
    const h = (Math.min(v, max) / max) * PLOT_H;
    const label = (v > max ? "▲" : "") + (slot.relative ? v.toFixed(2) : num(v));
    return [
      `<rect x="${(x + 1).toFixed(1)}" y="${(y0 + PLOT_H - h).toFixed(1)}" width="${
        (barW - 2).toFixed(1)
      }" ` +
      `height="${h.toFixed(1)}" fill="${color(server, i)}"><title>${
        esc(`${server}: ${label}`)
      }</title></rect>`,
      text(x + barW / 2, y0 + PLOT_H - h - 4, label, 'text-anchor="middle" class="val"'),
    ];
  });
}

function panel(p: Panel, servers: string[], top: number): string[] {
  const y0 = top + 24;
  const scale = scaleOf(p);
  const groupW = (WIDTH - LEFT - RIGHT) / Math.max(1, p.groups.length);
  const out = [text(LEFT, top + 12, p.title, 'class="panel"'), ...axis(y0, scale, p.relative)];
  p.groups.forEach((g, i) => {
    const x0 = LEFT + i * groupW;
    out.push(...bars(g, servers, { x0, width: groupW, y0, max: scale.max, relative: p.relative }));
    out.push(text(x0 + groupW / 2, y0 + PLOT_H + 18, g.label, 'text-anchor="middle" class="group"'));
    out.push(text(x0 + groupW / 2, y0 + PLOT_H + 34, g.sublabel, 'text-anchor="middle" class="tick"'));
  });
  out.push(
    `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y0 + PLOT_H}" y2="${y0 + PLOT_H}" stroke="#333"/>`,
  );
  return out;
}

function legend(servers: string[]): string[] {
  return servers.flatMap((s, i) => {
    const x = LEFT + i * 140;
    return [
      `<rect x="${x}" y="78" width="14" height="14" fill="${color(s, i)}"/>`,
      text(x + 20, 90, s, 'class="legend"'),
    ];
  });
}

const STYLE = `<style>
text { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #222; }
.title { font-size: 18px; font-weight: 600; } .sub { font-size: 12px; fill: #555; }
.panel { font-size: 14px; font-weight: 600; } .group { font-size: 13px; } .legend { font-size: 13px; }
.tick { font-size: 11px; fill: #555; } .val { font-size: 10px; fill: #333; } .na { font-size: 10px; fill: #999; }
</style>`;

/** Renders panels of grouped bars as a standalone SVG document. */
export function renderSvg(title: string, subtitle: string[], panels: Panel[], servers: string[]): string {
  const height = TOP + panels.length * PANEL_H + 8;
  const body = [
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(LEFT, 28, title, 'class="title"'),
    ...subtitle.slice(0, 2).map((line, i) => text(LEFT, 48 + i * 16, line, 'class="sub"')),
    ...legend(servers),
    ...panels.flatMap((p, i) => panel(p, servers, TOP + i * PANEL_H)),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(title)}">\n${STYLE}\n` +
    `${body.join("\n")}\n</svg>\n`;
}

function valueOf(summaries: Summary[], scenario: string, server: string, metric: Metric): number | null {
  return summaries.find((s) => s.scenario === scenario && s.server === server)?.median?.[metric] ?? null;
}

function group(sc: Scenario, summaries: Summary[], servers: string[], metric: Metric, sub: string): Group {
  const get = (server: string): number | null => valueOf(summaries, sc.name, server, metric);
  const base = get("c");
  return { label: sc.name, sublabel: sub, values: new Map(servers.map((s) => [s, ratio(get(s), base)])) };
}

/** Absolute KiB: c keeps ~0 bytes per connection in user space, so a ratio to it means nothing. */
function idleGroup(sc: Scenario, summaries: Summary[], servers: string[]): Group {
  const kib = (server: string): number | null => {
    const b = valueOf(summaries, sc.name, server, "bytesPerConn");
    return b === null ? null : Math.max(0, b / 1024);
  };
  return {
    label: sc.name,
    sublabel: "KiB of RSS per connection",
    values: new Map(servers.map((s) => [s, kib(s)])),
  };
}

/** The echo benchmark chart: throughput vs c, and cost (CPU per message, memory per conn) vs c. */
export function echoChart(
  scenarios: Scenario[],
  summaries: Summary[],
  servers: string[],
  sub: string[],
): string {
  const load = scenarios.filter((s) => !s.idle);
  const throughput: Panel = {
    title: "Throughput relative to c (higher is better)",
    relative: true,
    groups: load.map((sc) => group(sc, summaries, servers, "msgsPerSec", sc.size > 1024 ? "MB/s" : "msgs/s")),
  };
  const cpu: Panel = {
    title: "Server CPU time per message relative to c (lower is better)",
    relative: true,
    groups: load.map((sc) => group(sc, summaries, servers, "serverCpuUsPerMsg", "CPU µs per msg")),
  };
  const idle: Panel = {
    title: "Memory per idle connection, KiB (absolute; lower is better)",
    relative: false,
    groups: scenarios.filter((s) => s.idle).map((sc) => idleGroup(sc, summaries, servers)),
  };
  const panels = [throughput, cpu, idle].filter((p) => p.groups.length > 0);
  const title = "Echo server benchmark — @libc/epoll vs C, Deno, Node, Go";
  return renderSvg(title, sub, panels, servers);
}
