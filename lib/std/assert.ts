/**
 * Deno std `assert`, loaded from the npm package `deno-std` (JSR is not
 * reachable here). The package is plain JS; `assert.d.ts` restores its types.
 *
 * @module
 */
// @ts-types="./assert.d.ts"
export * from "deno-std/assert";
