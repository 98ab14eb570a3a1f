/**
 * A small log-log line chart as a self-contained SVG string (no
 * dependencies), for scaling results such as bench/multiplex.ts.
 *
 * @module
 */

/** One line: a name for the legend and its [x, y] points (both > 0). */
export interface Series {
  name: string;
  points: [number, number][];
}

const W = 720, H = 420, L = 70, R = 160, T = 50, B = 60;
const COLORS = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd"];

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Renders `series` on log-scaled axes with a title, axis labels and a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xt = decades(Math.min(...xs), Math.max(...xs));
  const yt = decades(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = [Math.log10(xt[0]), Math.log10(xt.at(-1)!)];
  const [y0, y1] = [Math.log10(yt[0]), Math.log10(yt.at(-1)!)];
  const px = (x: number): number => L + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number): number => H - B - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  for (const x of xt) {
    parts.push(`<line x1="${px(x)}" y1="${T}" x2="${px(x)}" y2="${H - B}" stroke="#ddd"/>`);
    parts.push(`<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${x}</text>`);
  }
  for (const y of yt) {
    parts.push(`<line x1="${L}" y1="${py(y)}" x2="${W - R}" y2="${py(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">${escape(xLabel)}</text>`);
  parts.push(
    `<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${
      (T + H - B) / 2
    })">` +
      `${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const path = s.points.map((p, j) =>
      `${j === 0 ? "M" : "L"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`
    );
    parts.push(`<path d="${path.join(" ")}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
    const ly = T + 10 + i * 20;
    parts.push(
      `<line x1="${W - R + 16}" y1="${ly}" x2="${
        W - R + 40
      }" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${W - R + 46}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
