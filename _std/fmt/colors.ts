/**
 * Local stand-in for `jsr:@std/fmt/colors` (mirrors `fmt/colors.ts`), used because jsr.io is
 * unreachable here. A strict subset of the real exports with identical signatures.
 *
 * Colour is disabled when `NO_COLOR` is set: via `Deno.noColor` (no permission needed, like the
 * real module) and, as a fallback, by reading `NO_COLOR` only when `env` permission is already
 * granted (checked with `Deno.permissions.querySync`, so it never prompts or throws).
 *
 * @module
 */

function detectNoColor(): boolean {
  // deno-lint-ignore no-explicit-any
  const deno = (globalThis as any).Deno as typeof Deno | undefined;
  if (deno === undefined) return false;
  if (deno.noColor) return true;
  try {
    if (deno.permissions.querySync({ name: "env", variable: "NO_COLOR" }).state === "granted") {
      return (deno.env.get("NO_COLOR") ?? "") !== "";
    }
  } catch {
    // permissions API unavailable: assume colour is allowed
  }
  return false;
}

const noColor = detectNoColor();
let enabled = !noColor;

/**
 * Enable or disable text color when styling. Has no effect while `NO_COLOR` is set.
 *
 * @param value The boolean value to enable or disable text color.
 */
export function setColorEnabled(value: boolean): void {
  if (noColor) return;
  enabled = value;
}

/**
 * Get whether text color change is enabled or disabled.
 *
 * @returns `true` if text color is enabled, `false` otherwise.
 */
export function getColorEnabled(): boolean {
  return enabled;
}

function run(str: string, open: number, close: number): string {
  if (!enabled) return str;
  return `\x1b[${open}m${str.replaceAll(`\x1b[${close}m`, `\x1b[${open}m`)}\x1b[${close}m`;
}

/**
 * Make the text bold.
 *
 * @param str The text to make bold.
 * @returns The bold text.
 */
export function bold(str: string): string {
  return run(str, 1, 22);
}

/**
 * The text emits only a small amount of light (not supported by all terminals).
 *
 * @param str The text to dim.
 * @returns The dimmed text.
 */
export function dim(str: string): string {
  return run(str, 2, 22);
}

/**
 * Set text color to red.
 *
 * @param str The text to make red.
 * @returns The red text.
 */
export function red(str: string): string {
  return run(str, 31, 39);
}

/**
 * Set text color to green.
 *
 * @param str The text to make green.
 * @returns The green text.
 */
export function green(str: string): string {
  return run(str, 32, 39);
}

/**
 * Set text color to yellow.
 *
 * @param str The text to make yellow.
 * @returns The yellow text.
 */
export function yellow(str: string): string {
  return run(str, 33, 39);
}

/**
 * Set text color to cyan.
 *
 * @param str The text to make cyan.
 * @returns The cyan text.
 */
export function cyan(str: string): string {
  return run(str, 36, 39);
}

/**
 * Set text color to gray (bright black).
 *
 * @param str The text to make gray.
 * @returns The gray text.
 */
export function gray(str: string): string {
  return run(str, 90, 39);
}

// Same pattern as the real module (chalk's ansi-regex).
const ANSI_PATTERN = new RegExp(
  [
    "[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]+)*|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]*)*)?\\u0007)",
    "(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TXZcf-nq-uy=><~]))",
  ].join("|"),
  "g",
);

/**
 * Remove ANSI escape codes from the string.
 *
 * @param string The text to remove ANSI escape codes from.
 * @returns The text without ANSI escape codes.
 */
export function stripAnsiCode(string: string): string {
  return string.replace(ANSI_PATTERN, "");
}
