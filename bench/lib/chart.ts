/**
 * The one chart renderer of the benchmarks: panels of grouped bars as a
 * standalone SVG (no dependencies). A panel is linear, optionally with a
 * dashed reference line (C = 1) and a cap, or log-scaled for values that span
 * decades. Separate panels, because "higher is better" and "lower is better"
 * should not share an axis.
 *
 * @module
 */

import { num } from "./report.ts";

/** One panel: bars of every series in every group. */
export interface Panel {
  title: string;
  /** Labels along the x axis. */
  groups: string[];
  /** `values[series][group]`; null where there is no number. */
  values: (number | null)[][];
  /** A dashed line at this value, with its label (e.g. 1, "c = 1"). */
  reference?: { value: number; label: string };
  /** A log-scaled y axis. */
  log?: boolean;
  /** A linear axis ends here; taller bars stop at it, marked ▲. */
  cap?: number;
}

const W = 980, LEFT = 64, RIGHT = 56, PLOT = 220, PANEL = 24 + PLOT + 40, TOP = 104;
const COLORS = ["#4d4d4d", "#1f77b4", "#74b3e0", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];

const esc = (s: string): string => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const f1 = (n: number): string => n.toFixed(1);
const text = (x: number, y: number, s: string, cls: string, anchor = "middle"): string =>
  `<text x="${f1(x)}" y="${f1(y)}" text-anchor="${anchor}" class="${cls}">${esc(s)}</text>`;
const color = (i: number): string => COLORS[i % COLORS.length];
const rect = (x: number, y: number, w: number, h: number, fill: string, inner = ""): string =>
  `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(w)}" height="${f1(h)}" fill="${fill}">${inner}</rect>`;
const hline = (y: number, attrs: string): string =>
  `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${f1(y)}" y2="${f1(y)}" ${attrs}/>`;

/** Maps a value to a height in [0, PLOT] and lists the axis ticks. */
function scale(p: Panel): { h: (v: number) => number; ticks: number[] } {
  const all = p.values.flat().filter((v): v is number => v !== null && v > 0);
  if (p.log) {
    const lo = Math.floor(Math.log10(Math.min(...all, 1)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all, 1))));
    const h = (v: number): number => Math.max(0, (Math.log10(v) - lo) / (hi - lo)) * PLOT;
    return { h, ticks: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)) };
  }
  const max = Math.min(p.cap ?? Infinity, Math.max(...all, (p.reference?.value ?? 0) * 1.2, 1e-9));
  const pow = 10 ** Math.floor(Math.log10(max / 5));
  const step = [1, 2, 5, 10].map((k) => k * pow).find((s) => max / s <= 5) ?? 10 * pow;
  const top = Math.ceil(max / step) * step;
  return {
    h: (v) => (Math.min(v, top) / top) * PLOT,
    ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step),
  };
}

function panel(p: Panel, series: string[], top: number): string[] {
  const y0 = top + 24 + PLOT; // the baseline
  const { h, ticks } = scale(p);
  const out = [text(LEFT, top + 12, p.title, "panel", "start")];
  for (const t of ticks) {
    out.push(hline(y0 - h(t), 'stroke="#e6e6e6"'), text(LEFT - 8, y0 - h(t) + 4, num(t), "tick", "end"));
  }
  if (p.reference) {
    const y = y0 - h(p.reference.value);
    out.push(
      hline(y, 'stroke="#333" stroke-dasharray="5 4"'),
      text(W - RIGHT + 6, y + 4, p.reference.label, "tick", "start"),
    );
  }
  const gw = (W - LEFT - RIGHT) / Math.max(1, p.groups.length);
  const bw = Math.min(28, (gw - 16) / Math.max(1, series.length));
  p.groups.forEach((label, g) => {
    const x0 = LEFT + g * gw + (gw - bw * series.length) / 2;
    series.forEach((name, s) => {
      const v = p.values[s]?.[g] ?? null;
      const x = x0 + s * bw;
      if (v === null) return void out.push(text(x + bw / 2, y0 - 4, "n/a", "na"));
      const bh = h(v);
      const mark = !p.log && p.cap !== undefined && v > p.cap ? "▲" : "";
      out.push(
        rect(x + 1, y0 - bh, bw - 2, bh, color(s), `<title>${esc(`${name}: ${num(v)}`)}</title>`),
        text(x + bw / 2, y0 - bh - 4, mark + num(v), "val"),
      );
    });
    out.push(text(LEFT + g * gw + gw / 2, y0 + 18, label, "group"));
  });
  out.push(hline(y0, 'stroke="#333"'));
  return out;
}

const STYLE = `<style>
text { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #222; }
.title { font-size: 18px; font-weight: 600; } .sub { font-size: 12px; fill: #555; } .panel { font-size: 14px; font-weight: 600; }
.group, .legend { font-size: 13px; } .tick { font-size: 11px; fill: #555; } .val, .na { font-size: 10px; fill: #333; }
</style>`;

/** Panels of grouped bars, one color per series, as an SVG document. */
export function barChart(title: string, subtitle: string[], series: string[], panels: Panel[]): string {
  const height = TOP + panels.length * PANEL + 8;
  const body = [
    rect(0, 0, W, height, "#fff"),
    text(LEFT, 28, title, "title", "start"),
    ...subtitle.slice(0, 2).map((line, i) => text(LEFT, 48 + i * 16, line, "sub", "start")),
    ...series.flatMap((s, i) => {
      const x = LEFT + i * Math.min(140, (W - LEFT) / series.length);
      return [rect(x, 74, 14, 14, color(i)), text(x + 20, 86, s, "legend", "start")];
    }),
    ...panels.flatMap((p, i) => panel(p, series, TOP + i * PANEL)),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ` +
    `role="img" aria-label="${esc(title)}">\n${STYLE}\n${body.join("\n")}\n</svg>\n`;
}
