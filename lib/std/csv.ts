/**
 * Deno std `csv`, loaded from the npm package `deno-std` (JSR is not
 * reachable here). The package is plain JS; `csv.d.ts` restores its types.
 *
 * @module
 */
// @ts-types="./csv.d.ts"
export * from "deno-std/csv";
