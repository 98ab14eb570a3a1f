/**
 * `deno task bench`: the micro benchmarks, each a `deno bench` group run in
 * a child process and compared with its C twin where there is one. Under a
 * minute in all.
 *
 * @module
 */

import { main as ffiVsC } from "./ffi_ratio.ts";

console.log("== FFI call cost vs C (bench/ffi_bench.ts, bench/ffi_c.c)\n");
ffiVsC();
