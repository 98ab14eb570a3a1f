/**
 * Local stand-in for `jsr:@std/fmt/bytes` (mirrors `fmt/bytes.ts`), used because jsr.io is
 * unreachable here. Same export names, signatures and output as the real module.
 *
 * @module
 */

/** Options for {@linkcode format}. */
export interface FormatOptions {
  /** Uses bits representation (`kbit`, ...). @default {false} */
  bits?: boolean;
  /** Uses binary bytes (`KiB`, ...; powers of 1024). @default {false} */
  binary?: boolean;
  /** Include plus sign for positive numbers. @default {false} */
  signed?: boolean;
  /** Localized number formatting: `true` for the system locale, or BCP 47 tag(s). */
  locale?: boolean | string | string[];
  /** The minimum number of fraction digits (default: round to 3 significant digits). */
  minimumFractionDigits?: number;
  /** The maximum number of fraction digits (default: round to 3 significant digits). */
  maximumFractionDigits?: number;
}

/**
 * Convert bytes to a human-readable string: `1337` → `"1.34 kB"`, or with `{ binary: true }`
 * `1536` → `"1.5 KiB"`.
 *
 * @param num The bytes value to format.
 * @param options The options for formatting.
 * @returns The formatted string.
 */
export function format(num: number, options: FormatOptions = {}): string {
  if (!Number.isFinite(num)) throw new TypeError(`Expected a finite number, got ${typeof num}: ${num}`);
  const letters = (options.bits ? "b" : "B") + "kMGTPEZY";
  if (options.signed && num === 0) return ` 0 ${letters[0]}`;
  const sign = num < 0 ? "-" : options.signed ? "+" : "";
  num = Math.abs(num);

  const { minimumFractionDigits: min, maximumFractionDigits: max } = options;
  const fractions = min || max ? { minimumFractionDigits: min, maximumFractionDigits: max } : undefined;
  const str = (n: number): string =>
    typeof options.locale === "string" || Array.isArray(options.locale)
      ? n.toLocaleString(options.locale, fractions)
      : options.locale === true || fractions
      ? n.toLocaleString(undefined, fractions)
      : n.toString();

  if (num < 1) return `${sign}${str(num)} ${letters[0]}`;
  const exponent = Math.min(
    Math.floor(options.binary ? Math.log(num) / Math.log(1024) : Math.log10(num) / 3),
    letters.length - 1,
  );
  num /= (options.binary ? 1024 : 1000) ** exponent;
  if (!fractions) num = Number(num.toPrecision(3));
  const unit = exponent === 0
    ? letters[0]
    : letters[exponent] + (options.binary ? "i" : "") + (options.bits ? "bit" : "B");
  return `${sign}${str(num)} ${unit}`;
}
