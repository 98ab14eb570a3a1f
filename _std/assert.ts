/**
 * Local stand-in for `jsr:@std/assert` (mirrors `@std/assert/mod.ts`), used because jsr.io is
 * unreachable here. It exports a strict subset of the real module with identical names and
 * signatures, so switching back is one import-map line in `deno.json`.
 *
 * Deviations: deep equality is `node:util`'s `isDeepStrictEqual` (e.g. `0` and `-0` differ, and
 * prototypes are compared) instead of std's `equal`, and failure messages show `inspect()` output
 * rather than a coloured diff.
 *
 * @module
 */
import { inspect, isDeepStrictEqual } from "node:util";

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Additional options, e.g. `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AssertionError";
  }
}

/** Any constructor. */
// deno-lint-ignore no-explicit-any
export type AnyConstructor = new (...args: any[]) => any;
/** Gets the instance type of a constructor. */
// deno-lint-ignore no-explicit-any
export type GetConstructorType<T extends AnyConstructor> = T extends new (...args: any) => infer C ? C
  : never;
/** An array-like object (`Array`, `Uint8Array`, `NodeList`, etc.) that is not a string. */
export type ArrayLikeArg<T> = ArrayLike<T> & object;

const fmt = (v: unknown): string => inspect(v, { depth: Infinity, sorted: true, compact: 3 });
const block = (a: unknown, e: unknown): string =>
  `\n\n    [Actual]\n${fmt(a).replace(/^/gm, "    ")}\n    [Expected]\n${fmt(e).replace(/^/gm, "    ")}\n`;
const suffix = (msg?: string): string => (msg ? `: ${msg}` : ".");

/**
 * Make an assertion that `expr` is truthy. If not, throw.
 *
 * @param expr The expression to test.
 * @param msg The optional message to display if the assertion fails.
 */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

/**
 * Make an assertion that `actual` and `expected` are deeply equal. If not, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  throw new AssertionError(
    `Values are not equal${suffix(msg)}${block(actual, expected)}`,
  );
}

/**
 * Make an assertion that `actual` and `expected` are not deeply equal. If they are, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!isDeepStrictEqual(actual, expected)) return;
  throw new AssertionError(`Expected actual: ${fmt(actual)} not to be: ${fmt(expected)}${suffix(msg)}`);
}

/**
 * Make an assertion that `actual` and `expected` are strictly equal (`Object.is`). If not, throw.
 *
 * @typeParam T The type of the expected value.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  if (Object.is(actual, expected)) return;
  const [a, e] = [fmt(actual), fmt(expected)];
  throw new AssertionError(
    a === e
      ? `Values have the same structure but are not reference-equal${suffix(msg)}\n\n${
        a.replace(/^/gm, "    ")
      }\n`
      : `Values are not strictly equal${suffix(msg)}${block(actual, expected)}`,
  );
}

/**
 * Make an assertion that `actual` is not null or undefined. If it is, throw.
 *
 * @typeParam T The type of the actual value.
 * @param actual The actual value to check.
 * @param msg The optional message to include in the error if the assertion fails.
 */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError(`Expected actual: "${actual}" to not be null or undefined${suffix(msg)}`);
  }
}

/**
 * Make an assertion that `actual` is an instance of `expectedType`. If not, throw.
 *
 * @typeParam T The expected class constructor type.
 * @param actual The object to check.
 * @param expectedType The expected class constructor.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertInstanceOf<T extends AnyConstructor>(
  actual: unknown,
  expectedType: T,
  msg = "",
): asserts actual is GetConstructorType<T> {
  if (actual instanceof expectedType) return;
  const got = actual === null
    ? "null"
    : typeof actual === "object"
    ? (actual.constructor?.name ?? "Object")
    : typeof actual;
  throw new AssertionError(
    `Expected object to be an instance of "${expectedType.name}" but was "${got}"${suffix(msg)}`,
  );
}

function checkError(
  error: unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => Error,
  msgIncludes: string | undefined,
  msg: string | undefined,
  verb: string,
): void {
  if (!(error instanceof Error)) {
    throw new AssertionError(`A non-Error object was ${verb}${suffix(msg)}`);
  }
  if (!(error instanceof ErrorClass)) {
    const got = (error as Error).constructor.name;
    throw new AssertionError(
      `Expected error to be instance of "${ErrorClass.name}", but was "${got}"${suffix(msg)}`,
    );
  }
  if (msgIncludes !== undefined && !error.message.includes(msgIncludes)) {
    throw new AssertionError(
      `Expected error message to include ${JSON.stringify(msgIncludes)}, but got ${
        JSON.stringify(error.message)
      }${suffix(msg)}`,
    );
  }
}

type ThrowsArgs = [
  // deno-lint-ignore no-explicit-any
  ErrorClass: (new (...args: any[]) => Error) | undefined,
  msgIncludes: string | undefined,
  msg: string | undefined,
];

function splitArgs(errorClassOrMsg: unknown, msgIncludesOrMsg?: string, msg?: string): ThrowsArgs {
  if (typeof errorClassOrMsg === "string") return [undefined, undefined, errorClassOrMsg];
  if (errorClassOrMsg === undefined) return [undefined, undefined, msg];
  // deno-lint-ignore no-explicit-any
  return [errorClassOrMsg as new (...args: any[]) => Error, msgIncludesOrMsg, msg];
}

/**
 * Executes a function, expecting it to throw. If it does not, then it throws.
 *
 * @param fn The function to execute.
 * @param msg The optional message to display if the assertion fails.
 * @returns The error that was thrown.
 */
export function assertThrows(fn: () => unknown, msg?: string): unknown;
/**
 * Executes a function, expecting it to throw an instance of `ErrorClass` whose message includes
 * `msgIncludes`. If it does not, then it throws.
 *
 * @typeParam E The error class to assert.
 * @param fn The function to execute.
 * @param ErrorClass The error class to assert.
 * @param msgIncludes The string that should be included in the error message.
 * @param msg The optional message to display if the assertion fails.
 * @returns The error that was thrown.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E;
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  errorClassOrMsg?: (new (...args: any[]) => E) | string,
  msgIncludesOrMsg?: string,
  msg?: string,
): E | Error | unknown {
  const [ErrorClass, msgIncludes, message] = splitArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  try {
    fn();
  } catch (error) {
    if (ErrorClass) checkError(error, ErrorClass, msgIncludes, message, "thrown");
    return error;
  }
  throw new AssertionError(`Expected function to throw${suffix(message)}`);
}

/**
 * Executes a function which returns a promise, expecting it to reject.
 *
 * @param fn The function to execute.
 * @param msg The optional message to display if the assertion fails.
 * @returns The promise which resolves to the thrown error.
 */
export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
/**
 * Executes a function which returns a promise, expecting it to reject with an instance of
 * `ErrorClass` whose message includes `msgIncludes`.
 *
 * @typeParam E The error class to assert.
 * @param fn The function to execute.
 * @param ErrorClass The error class to assert.
 * @param msgIncludes The string that should be included in the error message.
 * @param msg The optional message to display if the assertion fails.
 * @returns The promise which resolves to the thrown error.
 */
export function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E>;
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClassOrMsg?: (new (...args: any[]) => E) | string,
  msgIncludesOrMsg?: string,
  msg?: string,
): Promise<E | Error | unknown> {
  const [ErrorClass, msgIncludes, message] = splitArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  let promise: PromiseLike<unknown>;
  try {
    promise = fn();
  } catch {
    throw new AssertionError(`Function throws when expected to reject${suffix(message)}`);
  }
  if (typeof promise?.then !== "function") {
    throw new AssertionError(`Function throws when expected to reject${suffix(message)}`);
  }
  try {
    await promise;
  } catch (error) {
    if (ErrorClass) checkError(error, ErrorClass, msgIncludes, message, "rejected");
    return error;
  }
  throw new AssertionError(`Expected function to reject${suffix(message)}`);
}

/**
 * Make an assertion that `actual` is greater than `expected`. If not, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (actual > expected) return;
  throw new AssertionError(msg ?? `Expect ${fmt(actual)} > ${fmt(expected)}`);
}

/**
 * Make an assertion that `actual` is greater than or equal to `expected`. If not, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (actual >= expected) return;
  throw new AssertionError(msg ?? `Expect ${fmt(actual)} >= ${fmt(expected)}`);
}

/**
 * Make an assertion that `actual` is less than `expected`. If not, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (actual < expected) return;
  throw new AssertionError(msg ?? `Expect ${fmt(actual)} < ${fmt(expected)}`);
}

/**
 * Make an assertion that `actual` is less than or equal to `expected`. If not, throw.
 *
 * @typeParam T The type of the values to compare.
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (actual <= expected) return;
  throw new AssertionError(msg ?? `Expect ${fmt(actual)} <= ${fmt(expected)}`);
}

/**
 * Make an assertion that `actual` matches the RegExp `expected`. If not, throw.
 *
 * @param actual The actual value to be matched.
 * @param expected The expected pattern to match.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (expected.test(actual)) return;
  throw new AssertionError(`Expected actual: "${actual}" to match: "${expected}"${suffix(msg)}`);
}

/**
 * Make an assertion that actual includes expected. If not then throw.
 *
 * @param actual The actual string to check for inclusion.
 * @param expected The expected string to check for inclusion.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (actual.includes(expected)) return;
  throw new AssertionError(`Expected actual: "${actual}" to contain: "${expected}"${suffix(msg)}`);
}

/**
 * Make an assertion that `actual` and `expected` are almost equal numbers within `tolerance`
 * (default: one hundred thousandth of a percent of `expected`). If not, throw.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param tolerance The tolerance to consider the values almost equal.
 * @param msg The optional message to include in the error.
 */
export function assertAlmostEquals(actual: number, expected: number, tolerance?: number, msg?: string): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  const tol = tolerance ?? (Number.isFinite(expected) ? Math.abs(expected * 1e-7) : 1e-7);
  if (delta <= tol) return;
  const f = (n: number): string => (Number.isInteger(n) ? String(n) : n.toExponential());
  throw new AssertionError(
    `Expected actual: "${f(actual)}" to be close to "${f(expected)}": delta "${f(delta)}" is greater than "${
      f(tol)
    }"${suffix(msg)}`,
  );
}

/**
 * Make an assertion that `actual` includes all values of `expected` (deep equality for
 * non-primitives). If not, throw.
 *
 * @typeParam T The element type of the arrays.
 * @param actual The array-like object to search within.
 * @param expected The values that must be present in `actual`.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertArrayIncludes<T>(
  actual: ArrayLikeArg<T>,
  expected: ArrayLikeArg<T>,
  msg?: string,
): void {
  const haystack = Array.from(actual);
  const missing = Array.from(expected).filter((item) =>
    !haystack.some((v) => Object.is(v, item) || isDeepStrictEqual(v, item))
  );
  if (missing.length === 0) return;
  throw new AssertionError(
    `Expected actual: "${fmt(actual)}" to include: "${fmt(expected)}"${suffix(msg)}\nmissing: ${
      fmt(missing)
    }`,
  );
}

/**
 * Forcefully throws a failed assertion.
 *
 * @param msg Optional message to include in the error.
 * @returns Never returns, always throws.
 */
export function fail(msg?: string): never {
  throw new AssertionError(`Failed assertion${suffix(msg)}`);
}

/**
 * Use this to assert unreachable code.
 *
 * @param msg Optional message to include in the error.
 * @returns Never returns, always throws.
 */
export function unreachable(msg?: string): never {
  throw new AssertionError(`Unreachable${suffix(msg)}`);
}
