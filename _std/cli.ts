/**
 * Local stand-in for `jsr:@std/cli` (mirrors `@std/cli/parse-args`, i.e. `cli/parse_args.ts`), used
 * because jsr.io is unreachable here. Only `parseArgs` (plus its `Args` / `ParseOptions` types) is
 * provided, with the same name, type parameters and runtime behaviour (minimist-style).
 *
 * Simplification: the result typing ignores dotted option names (`"a.b"` is typed as a flat key,
 * although at runtime it is nested like the real one) and `default` gets no IDE key suggestions.
 * For flat option names the computed result type matches the real one: declared `string` options
 * are `string | undefined`, `boolean` options are `boolean`, `collect` options are arrays, keys with
 * a `default` are non-optional, plus a `[key: string]: unknown` index signature.
 *
 * @module
 */

type BooleanType = boolean | string | undefined;
type StringType = string | undefined;
type Collectable = string | undefined;
type Negatable = string | undefined;
type Aliases<TArgNames = string, TAliasNames extends string = string> = Partial<
  Record<Extract<TArgNames, string>, TAliasNames | ReadonlyArray<TAliasNames>>
>;

type Flat<T> = { [K in keyof T]: T[K] };
type Neg<K, TNegatable> = K extends TNegatable ? false : never;
type Typed<B, S, C, N> =
  & { [K in Exclude<Extract<S, string>, C>]?: string | Neg<K, N> }
  & { [K in Extract<Extract<S, string>, C>]: Array<string> | Neg<K, N> }
  & { [K in Exclude<Extract<B, string>, C>]: boolean }
  & { [K in Extract<Extract<B, string>, C>]: Array<boolean> }
  & { [K in Exclude<Extract<C, string>, Extract<B | S, string>>]: Array<unknown> | Neg<K, N> };
type SpreadDefaults<TArgs, TDefaults> = TDefaults extends undefined ? TArgs
  :
    & Omit<TArgs, keyof TDefaults>
    & {
      [K in keyof TDefaults]: K extends keyof TArgs ? TDefaults[K] | NonNullable<TArgs[K]> : unknown;
    };
type AliasNames<K, A> = K extends keyof A ? string extends A[K] ? K
  : A[K] extends string ? K | A[K]
  : A[K] extends Array<string> ? K | A[K][number]
  : K
  : K;
type AddAliases<TArgs, A> = { [K in keyof TArgs as AliasNames<K, A>]: TArgs[K] };
type Values<B, S, C, N, D, A> = undefined extends ((false extends B ? undefined : B) & C & S)
  // deno-lint-ignore no-explicit-any
  ? Record<string, any>
  : Record<string, unknown> & AddAliases<SpreadDefaults<Typed<B, S, C, N>, D>, A>;

/** The value returned from {@linkcode parseArgs}. */
export type Args<
  // deno-lint-ignore no-explicit-any
  TArgs extends Record<string, unknown> = Record<string, any>,
  TDoubleDash extends boolean | undefined = undefined,
> = Flat<
  & TArgs
  & {
    /** Contains all the arguments that didn't have an option associated with them. */
    _: Array<string | number>;
  }
  & (boolean extends TDoubleDash ? { "--"?: Array<string> }
    : true extends TDoubleDash ? { "--": Array<string> }
    : Record<never, never>)
>;

/** Options for {@linkcode parseArgs}. */
export interface ParseOptions<
  TBooleans extends BooleanType = BooleanType,
  TStrings extends StringType = StringType,
  TCollectable extends Collectable = Collectable,
  TNegatable extends Negatable = Negatable,
  TDefault extends Record<string, unknown> | undefined = Record<string, unknown> | undefined,
  TAliases extends Aliases | undefined = Aliases | undefined,
  TDoubleDash extends boolean | undefined = boolean | undefined,
> {
  /** When `true`, put everything after `--` into the result's `"--"` instead of `_`. */
  "--"?: TDoubleDash;
  /** An object mapping names to a string or array of strings to use as aliases. */
  alias?: TAliases;
  /** Names to always treat as booleans; `true` treats all `--flag` arguments as booleans. */
  boolean?: TBooleans | ReadonlyArray<Extract<TBooleans, string>>;
  /** An object mapping argument names to default values. */
  default?: TDefault;
  /** When `true`, put everything after the first non-option into `_`. */
  stopEarly?: boolean;
  /** Names to always treat as strings. */
  string?: TStrings | ReadonlyArray<Extract<TStrings, string>>;
  /** Names to always treat as arrays; repeated uses are collected. Defaults to `[]`. */
  collect?: TCollectable | ReadonlyArray<Extract<TCollectable, string>>;
  /** Names which can be negated by prefixing them with `--no-`. */
  negatable?: TNegatable | ReadonlyArray<Extract<TNegatable, string>>;
  /** Called for an argument not defined in the options; returning `false` drops it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}

type Nested = Record<string, unknown>;

const FLAG = /^(?:-(?:(?<dd>-)(?<neg>no-)?)?)(?<key>.+?)(?:=(?<value>.+?))?$/s;
const isNumber = (s: string): boolean => /\S/.test(s) && Number.isFinite(Number(s));
const isBoolString = (s: string): boolean => s === "true" || s === "false";
const toList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string" && x !== "");

function setNested(obj: Nested, keys: string[], value: unknown, collect = false): void {
  for (const k of keys.slice(0, -1)) obj = (obj[k] ??= {}) as Nested;
  const last = keys[keys.length - 1]!;
  const cur = obj[last];
  if (collect && Array.isArray(cur)) cur.push(value);
  else obj[last] = collect ? (cur ? [cur, value] : [value]) : value;
}

function hasNested(obj: Nested, keys: string[]): boolean {
  for (const k of keys) {
    if (obj === null || typeof obj !== "object" || !Object.hasOwn(obj, k)) return false;
    obj = obj[k] as Nested;
  }
  return true;
}

/**
 * Parse command line arguments (minimist-style): `--key value`, `--key=value`, `-abc`, `-n5`,
 * `--no-key` for `negatable` names, and everything after `--` left unparsed. Numeric-looking
 * values become numbers unless the name is listed in `string`.
 *
 * @example
 * ```ts
 * import { parseArgs } from "@std/cli";
 * const args = parseArgs(["--port", "8080", "-v", "file.txt"], { boolean: ["v"] });
 * // args: { port: 8080, v: true, _: ["file.txt"] }
 * ```
 *
 * @param args An array of command line arguments, e.g. `Deno.args`.
 * @param options Options for the parse function.
 * @returns The parsed arguments.
 */
export function parseArgs<
  TArgs extends Values<TBooleans, TStrings, TCollectable, TNegatable, TDefaults, TAliases>,
  TDoubleDash extends boolean | undefined = undefined,
  TBooleans extends BooleanType = undefined,
  TStrings extends StringType = undefined,
  TCollectable extends Collectable = undefined,
  TNegatable extends Negatable = undefined,
  TDefaults extends Record<string, unknown> | undefined = undefined,
  TAliases extends Aliases<TAliasArgNames, TAliasNames> | undefined = undefined,
  TAliasArgNames extends string = string,
  TAliasNames extends string = string,
>(
  args: string[],
  options?: ParseOptions<TBooleans, TStrings, TCollectable, TNegatable, TDefaults, TAliases, TDoubleDash>,
): Args<TArgs, TDoubleDash> {
  const opts = options ?? {};
  const unknownFn = opts.unknown ?? ((i: string): unknown => i);
  const aliases = new Map<string, Set<string>>();
  for (const [key, value] of Object.entries(opts.alias ?? {})) {
    if (value === undefined) throw new TypeError("Alias value must be defined");
    const names = toList(value);
    aliases.set(key, new Set(names));
    for (const n of names) aliases.set(n, new Set([key, ...names.filter((x) => x !== n)]));
  }
  const withAliases = (v: unknown): Set<string> => {
    const set = new Set<string>();
    for (const k of toList(v)) [k, ...(aliases.get(k) ?? [])].forEach((x) => set.add(x));
    return set;
  };
  const allBools = opts.boolean === true;
  const bools = withAliases(opts.boolean);
  const strings = withAliases(opts.string);
  const collects = withAliases(opts.collect);
  const negatables = withAliases(opts.negatable);
  const aliasIsBool = (key: string): boolean => [...(aliases.get(key) ?? [])].some((a) => bools.has(a));
  const takesValue = (key: string): boolean => !bools.has(key) && !aliasIsBool(key);

  const argv: Args = { _: [] };
  const set = (key: string, value: string | number | boolean, arg: string, collect = true): void => {
    if (
      !bools.has(key) && !strings.has(key) && !aliases.has(key) &&
      !(allBools && /^--[^=]+$/.test(arg)) && unknownFn(arg, key, value) === false
    ) return;
    if (typeof value === "string" && !strings.has(key) && isNumber(value)) value = Number(value);
    const c = collect && collects.has(key);
    for (const k of [key, ...(aliases.get(key) ?? [])]) setNested(argv, k.split("."), value, c);
  };

  const dd = args.indexOf("--");
  const notFlags = dd === -1 ? [] : args.slice(dd + 1);
  if (dd !== -1) args = args.slice(0, dd);

  outer: for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const groups = FLAG.exec(arg)?.groups;
    if (!groups) {
      if (unknownFn(arg) !== false) argv._.push(strings.has("_") || !isNumber(arg) ? arg : Number(arg));
      if (opts.stopEarly) {
        argv._.push(...args.slice(i + 1));
        break;
      }
      continue;
    }
    let key = groups.key!;
    const next = args[i + 1];
    if (groups.dd) {
      if (groups.value) {
        set(key, bools.has(key) ? groups.value !== "false" : groups.value, arg);
        continue;
      }
      if (groups.neg) {
        if (negatables.has(key)) {
          set(key, false, arg, false);
          continue;
        }
        key = `no-${key}`;
      }
      if (next && !allBools && !next.startsWith("-") && takesValue(key)) {
        set(key, next, arg);
        i++;
      } else if (next && isBoolString(next)) {
        set(key, next !== "false", arg);
        i++;
      } else set(key, strings.has(key) ? "" : true, arg);
      continue;
    }
    // Short flags: -abc, -n5, -x=1, -f-
    const letters = arg.slice(1, -1).split("");
    for (const [j, letter] of letters.entries()) {
      const rest = arg.slice(j + 2);
      if (rest === "-") {
        set(letter, rest, arg);
        continue;
      }
      if (/[A-Za-z]/.test(letter)) {
        const eq = /=(?<value>.+)/.exec(rest)?.groups;
        if (eq) {
          set(letter, eq.value!, arg);
          continue outer;
        }
        if (/-?\d+(\.\d*)?(e-?\d+)?$/.test(rest)) {
          set(letter, rest, arg);
          continue outer;
        }
      }
      if (/\W/.test(letters[j + 1] ?? "")) {
        set(letter, rest, arg);
        continue outer;
      }
      set(letter, strings.has(letter) ? "" : true, arg);
    }
    key = arg.slice(-1);
    if (key === "-") continue;
    if (next && !/^(-|--)[^-]/.test(next) && takesValue(key)) {
      set(key, next, arg);
      i++;
    } else if (next && isBoolString(next)) {
      set(key, next !== "false", arg);
      i++;
    } else set(key, strings.has(key) ? "" : true, arg);
  }

  for (const [key, value] of Object.entries(opts.default ?? {})) {
    if (hasNested(argv, key.split("."))) continue;
    for (const k of [key, ...(aliases.get(key) ?? [])]) setNested(argv, k.split("."), value);
  }
  for (const key of bools) {
    if (!hasNested(argv, key.split("."))) setNested(argv, key.split("."), collects.has(key) ? [] : false);
  }
  for (const key of strings) {
    if (collects.has(key) && !hasNested(argv, key.split("."))) setNested(argv, key.split("."), []);
  }
  if (opts["--"]) argv["--"] = notFlags;
  else argv._.push(...notFlags);
  return argv as Args<TArgs, TDoubleDash>;
}
