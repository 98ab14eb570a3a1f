/**
 * Local stand-in for `jsr:@std/fmt/duration` (mirrors `fmt/duration.ts`), used because jsr.io is
 * unreachable here. Same export names, signatures and output as the real module.
 *
 * @module
 */

/** Options for {@linkcode format}. */
export interface FormatOptions {
  /**
   * The style for formatting the duration: `"narrow"` (`0d 0h 0m 0s 0ms...`), `"digital"`
   * (`00:00:00:00:000...`) or `"full"` (`0 days, 0 hours, 0 minutes,...`).
   *
   * @default {"narrow"}
   */
  style?: "narrow" | "digital" | "full";
  /**
   * Whether to ignore zero values. With `"narrow"` / `"full"` all zero values are dropped; with
   * `"digital"` only trailing zero values are dropped.
   *
   * @default {false}
   */
  ignoreZero?: boolean;
}

const UNITS = [
  ["d", "days"],
  ["h", "hours"],
  ["m", "minutes"],
  ["s", "seconds"],
  ["ms", "milliseconds"],
  ["µs", "microseconds"],
  ["ns", "nanoseconds"],
] as const;

/**
 * Format milliseconds to a time duration, e.g. `format(99674)` → `"0d 0h 1m 39s 674ms 0µs 0ns"`,
 * `format(99674, { ignoreZero: true })` → `"1m 39s 674ms"`. Negative durations use the absolute value.
 *
 * @param ms The milliseconds value to format.
 * @param options The options for formatting.
 * @returns The formatted string.
 */
export function format(ms: number, options?: FormatOptions): string {
  const { style = "narrow", ignoreZero = false } = options ?? {};
  const abs = Math.abs(ms);
  const fraction = abs.toFixed(7).slice(-7, -1); // µs and ns digits
  const values = [
    Math.trunc(abs / 86400000),
    Math.trunc(abs / 3600000) % 24,
    Math.trunc(abs / 60000) % 60,
    Math.trunc(abs / 1000) % 60,
    Math.trunc(abs) % 1000,
    Number(fraction.slice(0, 3)),
    Number(fraction.slice(3, 6)),
  ];
  const parts = values.map((value, i) => ({ value, unit: UNITS[i]! }));
  switch (style) {
    case "narrow":
      return parts.filter((p) => !ignoreZero || p.value).map((p) => `${p.value}${p.unit[0]}`).join(" ");
    case "full":
      return parts.filter((p) => !ignoreZero || p.value).map((p) => `${p.value} ${p.unit[1]}`).join(", ");
    case "digital": {
      const digits = values.map((v, i) => String(v).padStart(i >= 4 ? 3 : 2, "0"));
      while (ignoreZero && digits.length > 0 && !Number(digits[digits.length - 1])) digits.pop();
      return digits.join(":");
    }
    default:
      throw new TypeError(`style must be "narrow", "full", or "digital"!`);
  }
}
