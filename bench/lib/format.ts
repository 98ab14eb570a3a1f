/** Number formatting shared by the table and the chart. */

const DASH = "—";

/** 123456 → "123.5k", 1234567 → "1.23M". */
export function rate(n: number | null): string {
  if (n === null) return DASH;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/** Three significant digits at most, but never scientific notation. */
export function num(n: number | null): string {
  if (n === null) return DASH;
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function ratio(value: number | null, base: number | null): number | null {
  return value === null || base === null || base === 0 ? null : value / base;
}

export function times(r: number | null): string {
  return r === null ? DASH : `${r.toFixed(2)}×`;
}

/** Signed difference, e.g. "+1.25" / "-0.40". */
export function delta(value: number | null, base: number | null): string {
  if (value === null || base === null) return DASH;
  const d = value - base;
  return `${d >= 0 ? "+" : ""}${num(d)}`;
}

export function percent(f: number | null): string {
  return f === null ? DASH : `${(f * 100).toFixed(0)}%`;
}
